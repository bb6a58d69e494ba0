package org.o365mail.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.o365mail.auth.CredentialListener;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.TokenRequest;
import org.o365mail.cli.config.ConfigFile;
import org.o365mail.cli.config.ConnectionConfig;

/** What the CLI tells the doctor about the connector it checks. */
@Timeout(30)
class ConnectorsTest {
  @TempDir Path dir;

  ConnectionConfig config(String flow, String protocol, String mailbox, String... extra) throws IOException {
    StringBuilder text = new StringBuilder();
    text.append("c.clientId = ").append(UUID.randomUUID()).append('\n');
    text.append("c.tenant = ").append(UUID.randomUUID()).append('\n');
    text.append("c.flow = ").append(flow).append('\n');
    text.append("c.protocol = ").append(protocol).append('\n');
    text.append("c.mailbox = ").append(mailbox).append('\n');
    if (flow.equals("username-password")) {
      Path password = Files.writeString(dir.resolve("password"), "Connectors-Passw0rd!");
      Files.setPosixFilePermissions(password, PosixFilePermissions.fromString("rw-------"));
      text.append("c.username = alice@contoso.example\nc.password = file:password\n");
    } else {
      Path secret = Files.writeString(dir.resolve("secret"), "Connectors~Secret~" + UUID.randomUUID());
      Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
      text.append("c.clientSecret = file:secret\n");
    }
    for (String e : extra) {
      text.append("c.").append(e).append('\n');
    }
    Path file = Files.writeString(dir.resolve("c.properties"), text.toString());
    return ConfigFile.load(file, name -> null).connection(null);
  }

  Optional<TokenRequest> mailboxToken(ConnectionConfig c) {
    try (CredentialStrategy credential = Credentials.strategy(c, CredentialListener.NONE)) {
      return Connectors.mailboxTokenRequest(c, credential);
    }
  }

  @Test
  void aUsersGraphConnectorToAnotherMailbox_asksForTheSharedPermission_andTheDoctorIsToldSo() throws IOException {
    assertThat(mailboxToken(config("username-password", "graph", "support@contoso.example")))
        .contains(TokenRequest.graph("Mail.ReadWrite.Shared"));
    assertThat(mailboxToken(config("username-password", "graph", "typo-alicee@contoso.example")))
        .contains(TokenRequest.graph("Mail.ReadWrite.Shared"));
  }

  @Test
  void theUsersOwnMailbox_appOnly_imap_andSendOnly_useTheDoctorsOwnToken() throws IOException {
    assertThat(mailboxToken(config("username-password", "graph", "ALICE@contoso.example"))).isEmpty();
    assertThat(mailboxToken(config("client-secret", "graph", "support@contoso.example"))).isEmpty();
    assertThat(mailboxToken(config("username-password", "imap", "support@contoso.example"))).isEmpty();
    assertThat(mailboxToken(config("username-password", "graph", "support@contoso.example", "use = send")))
        .isEmpty();
  }
}
