package org.o365mail.imap;

import static org.o365mail.testsupport.Secrets.secret;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.MailboxConnector;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.testing.MailboxConnectorContract;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.ExchangeServicePrincipal;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.Tenant;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testsupport.Tenants;

/**
 * The published connector contract over IMAP and SMTP, with the local tenant as the fixture: an app-only daemon with
 * {@code IMAP.AccessAsApp} and {@code SMTP.SendAsApp}, registered in Exchange, with FullAccess on a mailbox of its own
 * for each test.
 */
@ExtendWith({FreshLogs.class, LeakCheck.class})
class ImapConnectorContractTest extends MailboxConnectorContract {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  private static final AtomicInteger MAILBOXES = new AtomicInteger();
  private static LocalTenant m365;
  private static Tenant contoso;
  private static ExchangeServicePrincipal principal;
  private static CredentialStrategy credential;

  @BeforeAll
  static void registerApp() {
    m365 = M365.tenant();
    contoso = m365.createTenant("contoso.com");
    Application daemon = contoso.registerApp("Contract (IMAP)");
    PasswordCredential password = daemon.addClientSecret("prod", Duration.ofDays(180));
    secret(password.value());
    daemon.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp", "SMTP.SendAsApp")
        .grantAdminConsent();
    principal = contoso.registerExchangeServicePrincipal(daemon);
    credential = CredentialStrategy.clientCredentials(Tenants.app(m365, contoso, daemon))
        .secret(ClientSecret.of(password.value()))
        .build();
  }

  @AfterAll
  static void closeCredential() {
    if (credential != null) {
      credential.close();
    }
  }

  @Override
  protected Fixture newFixture() {
    Mailbox mailbox = contoso.addUser("contract" + MAILBOXES.incrementAndGet() + "@contoso.com", "Mailbox-Pw-1!")
        .mailbox();
    contoso.addMailboxPermission(mailbox.address(), principal.objectId(), "FullAccess");
    return new Fixture() {
      @Override
      public void createFolder(String path) {
        mailbox.createFolder(path);
      }

      @Override
      public void deliver(String folder, byte[] rfc822, Instant receivedAt, boolean read) {
        mailbox.deliver(folder, rfc822, read, receivedAt);
      }

      @Override
      public MailboxConnector connect() {
        return ImapMailboxConnector.builder()
            .mailbox(mailbox.address())
            .credential(credential)
            .host(m365.hostName())
            .port(m365.imapPort())
            .smtpHost(m365.hostName())
            .smtpPort(m365.smtpPort())
            .build();
      }
    };
  }
}
