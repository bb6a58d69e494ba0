package org.o365mail.imap;

import static org.o365mail.testsupport.Secrets.secret;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.o365mail.MailboxConnector;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.testing.MailboxConnectorContract.Fixture;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.ExchangeServicePrincipal;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.Tenant;
import org.o365mail.testsupport.Tenants;

/**
 * Fixtures of the connector contract on a local tenant: an app-only daemon with {@code IMAP.AccessAsApp} and {@code
 * SMTP.SendAsApp}, registered in Exchange, with FullAccess on a new user mailbox for each fixture. Thread-safe; close
 * it after the test class.
 */
final class ImapContractFixtures implements AutoCloseable {
  private final AtomicInteger mailboxes = new AtomicInteger();
  private final LocalTenant m365;
  private final Tenant contoso;
  private final ExchangeServicePrincipal principal;
  private final CredentialStrategy credential;

  ImapContractFixtures(LocalTenant m365) {
    this.m365 = m365;
    this.contoso = m365.createTenant("contoso.com");
    Application daemon = contoso.registerApp("Contract (IMAP)");
    PasswordCredential password = daemon.addClientSecret("prod", Duration.ofDays(180));
    secret(password.value());
    daemon.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp", "SMTP.SendAsApp")
        .grantAdminConsent();
    this.principal = contoso.registerExchangeServicePrincipal(daemon);
    this.credential = CredentialStrategy.clientCredentials(Tenants.app(m365, contoso, daemon))
        .secret(ClientSecret.of(password.value()))
        .build();
  }

  Fixture newFixture() {
    Mailbox mailbox = contoso.addUser("contract" + mailboxes.incrementAndGet() + "@contoso.com", "Mailbox-Pw-1!")
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

  @Override
  public void close() {
    credential.close();
  }
}
