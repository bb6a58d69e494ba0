package org.o365mail.testkit;

import java.time.Duration;

/**
 * The tenant most IMAP and SMTP tests use: a daemon app with IMAP.AccessAsApp and SMTP.SendAsApp, registered in
 * Exchange and holding FullAccess on alice's mailbox and the shared support mailbox; a public client app with
 * the delegated IMAP and SMTP permissions; alice and bob (bob has FullAccess on support, not on alice).
 */
final class Contoso {
  static final String ALICE = "alice@contoso.com";
  static final String BOB = "bob@contoso.com";
  static final String SUPPORT = "support@contoso.com";
  static final String PASSWORD = "Passw0rd!";
  static final String EXCHANGE = "https://outlook.office365.com/.default";

  final LocalTenant m365;
  final Tenant tenant;
  final Application daemon;
  final PasswordCredential secret;
  final Application desktop;
  final TestHttp http;

  Contoso(LocalTenant m365) {
    this.m365 = m365;
    this.http = new TestHttp(m365);
    tenant = m365.createTenant("contoso.com");
    tenant.addUser(ALICE, PASSWORD);
    tenant.addUser(BOB, PASSWORD);
    tenant.addSharedMailbox(SUPPORT);
    daemon = tenant.registerApp("Mail importer");
    secret = daemon.addClientSecret("prod", Duration.ofDays(180));
    daemon.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp", "SMTP.SendAsApp").grantAdminConsent();
    ExchangeServicePrincipal sp = tenant.registerExchangeServicePrincipal(daemon);
    tenant.addMailboxPermission(ALICE, sp.objectId(), "FullAccess");
    tenant.addMailboxPermission(SUPPORT, sp.objectId(), "FullAccess");
    desktop = tenant.registerApp("Desktop mail").allowPublicClientFlows(true);
    desktop.addDelegatedPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsUser.All", "SMTP.Send").grantAdminConsent();
    tenant.addMailboxPermission(SUPPORT, BOB, "FullAccess");
  }

  /** An app-only token of the daemon for Exchange Online. */
  String appToken() {
    return http.clientCredentialsToken(tenant, daemon, secret, EXCHANGE);
  }

  /** A delegated Exchange Online token of a user, through the desktop app. */
  String userToken(String user) {
    return http.passwordToken(
        tenant, desktop, user, PASSWORD,
        "https://outlook.office365.com/IMAP.AccessAsUser.All https://outlook.office365.com/SMTP.Send");
  }

  /** A fresh user mailbox the daemon app holds FullAccess on, for a test that needs it to itself. */
  Mailbox newMailbox(String localPart) {
    String address = localPart + "@contoso.com";
    tenant.addUser(address, PASSWORD);
    ExchangeServicePrincipal sp =
        tenant.exchangeServicePrincipals().stream().filter(p -> p.appId().equalsIgnoreCase(daemon.clientId())).findFirst().orElseThrow();
    tenant.addMailboxPermission(address, sp.objectId(), "FullAccess");
    return tenant.mailbox(address);
  }

  Mailbox mailbox(String address) {
    return tenant.mailbox(address);
  }
}
