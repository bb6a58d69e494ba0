package org.o365mail.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.Tenant;

/** For tests that run the tool or an importer in a child JVM: its configuration file and its log. */
final class ChildProcesses {
  private ChildProcesses() {}

  static String log(Path p) {
    try {
      return Files.exists(p) ? Files.readString(p) : "";
    } catch (IOException e) {
      return e.toString();
    }
  }

  /** A client-secret connection to {@code mailbox} on the local tenant, with its secret and trust store beside it. */
  static Path config(LocalTenant m365, Tenant contoso, Path dir, Application app, PasswordCredential secret,
      String protocol, Mailbox mailbox, String... extra) throws IOException {
    m365.writeTrustStore(dir.resolve("trust.p12"), "changeit".toCharArray());
    Files.writeString(dir.resolve("trust-password"), "changeit");
    Files.writeString(dir.resolve("secret"), secret.value());
    String text = String.join("\n",
        "c.clientId = " + app.clientId(),
        "c.tenant = " + contoso.id(),
        "c.flow = client-secret",
        "c.clientSecret = file:secret",
        "c.protocol = " + protocol,
        "c.mailbox = " + mailbox.address(),
        "c.authorityHost = " + m365.authorityHost(),
        "c.graphBaseUrl = " + m365.graphBaseUrl(),
        "c.imapHost = " + m365.hostName(),
        "c.imapPort = " + m365.imapPort(),
        "c.trustStore = trust.p12",
        "c.trustStore.password = file:trust-password", String.join("\n", extra), "");
    return Files.writeString(dir.resolve("c.properties"), text);
  }
}
