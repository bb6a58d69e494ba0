package org.o365mail.imap;

import static org.o365mail.testsupport.Secrets.secret;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.testsupport.Tenants;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.ExchangeServicePrincipal;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.RecordedCommand;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;

/**
 * The tenant the IMAP and SMTP tests share: a daemon app with {@code IMAP.AccessAsApp} and {@code SMTP.SendAsApp}
 * (admin consent, registered in Exchange with its enterprise application's object id), and a desktop app (public
 * client) with the delegated {@code IMAP.AccessAsUser.All} and {@code SMTP.Send}. Credentials made here are closed
 * by {@link #close()}.
 */
final class Exchange implements AutoCloseable {
  static final String PASSWORD = "Mailbox-Pw-1!";
  private static final AtomicInteger NAMES = new AtomicInteger();

  final LocalTenant m365;
  final Tenant tenant;
  final Application daemon;
  final PasswordCredential daemonSecret;
  final ExchangeServicePrincipal principal;
  final Application desktop;
  /** What this tenant's connectors learn from Exchange, shared among them as an application would share it. */
  final ExchangeSessions sessions = ExchangeSessions.builder().build();
  private final List<CredentialStrategy> credentials = new ArrayList<>();

  Exchange(LocalTenant m365, String domain) {
    this.m365 = m365;
    this.tenant = m365.createTenant(domain);
    daemon = tenant.registerApp("Mail import");
    daemonSecret = daemon.addClientSecret("prod", Duration.ofDays(180));
    secret(daemonSecret.value());
    daemon.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp", "SMTP.SendAsApp")
        .grantAdminConsent();
    principal = tenant.registerExchangeServicePrincipal(daemon);
    desktop = tenant.registerApp("Desktop mail").allowPublicClientFlows(true);
    desktop.addDelegatedPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsUser.All", "SMTP.Send")
        .grantAdminConsent();
  }

  /** A new user mailbox the daemon holds FullAccess on. */
  Mailbox mailbox(String prefix) {
    Mailbox mailbox = user(prefix);
    tenant.addMailboxPermission(mailbox.address(), principal.objectId(), "FullAccess");
    return mailbox;
  }

  /** A new user mailbox nobody else may open. */
  Mailbox user(String prefix) {
    String address = prefix + "-" + NAMES.incrementAndGet() + "@" + tenant.primaryDomain();
    return tenant.addUser(address, PASSWORD).mailbox();
  }

  /** App-only client credentials of {@code app} with {@code secret}, closed with this tenant. */
  CredentialStrategy appOnly(Application app, PasswordCredential secret) {
    return keep(CredentialStrategy.clientCredentials(Tenants.app(m365, tenant, app))
        .secret(ClientSecret.of(secret.value())).build());
  }

  CredentialStrategy appOnly() {
    return appOnly(daemon, daemonSecret);
  }

  /** Delegated username/password (ROPC) of {@code user} through the desktop app. */
  CredentialStrategy delegated(String user) {
    char[] password = PASSWORD.toCharArray();
    return keep(CredentialStrategy.usernamePassword(Tenants.app(m365, tenant, desktop), user, password).build());
  }

  CredentialStrategy keep(CredentialStrategy credential) {
    credentials.add(credential);
    return credential;
  }

  /** A connector builder pointed at the local tenant's IMAP and SMTP. */
  ImapMailboxConnector.Builder connector(Mailbox mailbox, CredentialStrategy credential) {
    return ImapMailboxConnector.builder()
        .mailbox(mailbox.address())
        .credential(credential)
        .host(m365.hostName())
        .port(m365.imapPort())
        .smtpHost(m365.hostName())
        .smtpPort(m365.smtpPort())
        .sessions(sessions);
  }

  /**
   * The SMTP commands, as wire lines without credentials, of every session that authenticated as {@code mailbox}
   * (its AUTH included, which is recorded before the session knows who it is), oldest first.
   */
  List<String> smtpSessionsOf(Mailbox mailbox) {
    java.util.Set<Long> sessions = m365.smtpCommands().stream().filter(c -> c.user().equalsIgnoreCase(mailbox.address()))
        .map(RecordedCommand::session).collect(java.util.stream.Collectors.toSet());
    return m365.smtpCommands().stream().filter(c -> sessions.contains(c.session())).map(RecordedCommand::line).toList();
  }

  /** Delivers {@code count} small messages, one minute apart, the newest now. */
  static void fill(Mailbox mailbox, int count, String subjectPrefix) {
    java.time.Instant now = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    for (int i = 0; i < count; i++) {
      mailbox.deliver("Inbox", TestMessages.text("sender@fabrikam.com", mailbox.address(), subjectPrefix + " " + i,
          "Body " + i), false, now.minusSeconds(60L * (count - i)));
    }
  }

  @Override
  public void close() {
    for (CredentialStrategy c : credentials) {
      c.close();
    }
  }
}
