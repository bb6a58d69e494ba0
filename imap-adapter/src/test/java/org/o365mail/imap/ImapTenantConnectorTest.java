package org.o365mail.imap;

import static org.o365mail.testsupport.Secrets.secret;

import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.o365mail.MailboxConnector;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.contract.TenantConnectorChecks;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testsupport.Tenants;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.ExchangeServicePrincipal;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.Tenant;

/**
 * The tenant-side connector checks, run for the IMAP connector: an app-only daemon with a client secret,
 * {@code IMAP.AccessAsApp} and {@code SMTP.SendAsApp} with admin consent, registered in Exchange with its
 * enterprise application's object id, and FullAccess on each mailbox it works in.
 */
@Timeout(120)
@ExtendWith({FreshLogs.class, LeakCheck.class})
class ImapTenantConnectorTest extends TenantConnectorChecks {
  private static Application daemon;
  private static ExchangeServicePrincipal principal;
  private static CredentialStrategy credential;

  @Override
  protected void configure(LocalTenant m365, Tenant tenant) {
    daemon = tenant.registerApp("IMAP import");
    PasswordCredential secret = daemon.addClientSecret("prod", Duration.ofDays(180));
    secret(secret.value());
    daemon.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp", "SMTP.SendAsApp")
        .grantAdminConsent();
    principal = tenant.registerExchangeServicePrincipal(daemon);
    credential = CredentialStrategy.clientCredentials(Tenants.app(m365, tenant, daemon))
        .secret(ClientSecret.of(secret.value()))
        .build();
  }

  @Override
  protected void grantAccess(Tenant tenant, Mailbox mailbox) {
    tenant.addMailboxPermission(mailbox.address(), principal.objectId(), "FullAccess");
  }

  @Override
  protected boolean reachesMailboxesWithoutAGrant() {
    return false;
  }

  @Override
  protected MailboxConnector connect(LocalTenant m365, Tenant tenant, Mailbox mailbox) {
    return ImapMailboxConnector.builder()
        .mailbox(mailbox.address())
        .credential(credential)
        .host(m365.hostName())
        .port(m365.imapPort())
        .smtpHost(m365.hostName())
        .smtpPort(m365.smtpPort())
        .build();
  }

  @AfterAll
  static void closeCredential() {
    if (credential != null) {
      credential.close();
    }
  }
}
