package org.o365mail.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;

/** For tests that run the tool or an importer in a child JVM: its configuration file and its log. */
final class ChildProcesses {
  private ChildProcesses() {}

  /** A shared mailbox holding {@code messages} invoices, "Invoice 0" to "Invoice n-1". */
  static Mailbox invoices(Tenant contoso, String address, int messages) {
    Mailbox inbox = contoso.addSharedMailbox(address);
    for (int i = 0; i < messages; i++) {
      inbox.deliver(TestMessages.text("billing@fabrikam.com", inbox.address(), "Invoice " + i, "Amount due: " + i));
    }
    return inbox;
  }

  /**
   * An app-only import set up the way the guides do it, for IMAP and Graph alike, and its configuration file in
   * {@code dir}.
   */
  static Path importConfig(LocalTenant m365, Tenant contoso, Path dir, String name, String protocol, Mailbox inbox,
      String... extra) throws IOException {
    Application app = contoso.registerApp(name);
    app.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp")
        .addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite").grantAdminConsent();
    contoso.addMailboxPermission(inbox.address(), contoso.registerExchangeServicePrincipal(app).objectId(), "FullAccess");
    PasswordCredential secret = app.addClientSecret(name, Duration.ofDays(90));
    return config(m365, contoso, dir, app, secret, protocol, inbox, extra);
  }

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
