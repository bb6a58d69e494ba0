package org.o365mail.imap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.ConnectionCheck;
import org.o365mail.Diagnosis;
import org.o365mail.SetupStep;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testsupport.Secrets;
import org.o365mail.testsupport.Tenants;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.RecordedCommand;
import org.o365mail.testkit.RecordedRequest;
import org.o365mail.testkit.internal.Pki;

/**
 * {@link SmtpSender#checkConnection()} as the doctor's SMTP check: it says EHLO, STARTTLS, EHLO, {@code AUTH XOAUTH2}
 * and QUIT, sends no message, and names the setup step of each way Exchange Online (the testkit's) refuses it, with
 * the command the admin runs.
 */
@Timeout(60)
@ExtendWith({FreshLogs.class, LeakCheck.class})
class SmtpCheckTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();
  private static final Duration BOUND = Duration.ofSeconds(30);

  static LocalTenant m365;
  static Exchange contoso;

  @BeforeAll
  static void tenant() {
    m365 = M365.tenant();
    contoso = new Exchange(m365, "contoso.com");
  }

  @AfterAll
  static void close() {
    contoso.close();
  }

  private static SmtpSender sender(Mailbox mailbox, CredentialStrategy credential) {
    return SmtpSender.builder().mailbox(mailbox.address()).credential(credential).host(m365.hostName())
        .port(m365.smtpPort()).timeout(Duration.ofSeconds(20)).build();
  }

  private static Diagnosis failedCheck(SmtpSender sender) {
    ConnectionCheck check = assertTimeoutPreemptively(BOUND, sender::checkConnection);
    assertThat(check.ok()).as("the check should fail").isFalse();
    Secrets.assertClean(new AssertionError(check.diagnosis().orElseThrow().describe()));
    return check.diagnosis().orElseThrow();
  }

  private static List<RecordedRequest> smtp(Mailbox mailbox) {
    return m365.requests("smtp").stream().filter(r -> r.path().equalsIgnoreCase(mailbox.address())).toList();
  }

  @Test
  void correctSetup_passes_andSubmitsNothing() {
    Mailbox alerts = contoso.mailbox("alerts");
    ConnectionCheck check = assertTimeoutPreemptively(BOUND, () -> sender(alerts, contoso.appOnly()).checkConnection());
    assertThat(check.ok()).isTrue();
    assertThat(check.detail()).contains("SMTP submission as " + alerts.address(), "app-only");
    assertThat(smtp(alerts)).extracting(RecordedRequest::method).containsExactly("AUTH XOAUTH2");
    assertThat(smtp(alerts)).extracting(r -> r.attribute("outcome")).containsExactly("OK");
    assertThat(alerts.messages("Inbox")).isEmpty();
    assertThat(contoso.smtpSessionsOf(alerts)).as("one XOAUTH2 login and nothing submitted")
        .containsExactly("EHLO localhost", "STARTTLS", "EHLO localhost", "AUTH XOAUTH2 " + RecordedCommand.REDACTED,
            "QUIT");
  }

  /** The exact conversation, on a server that records it: nothing after AUTH but QUIT. */
  @Test
  void conversation_isEhloStarttlsEhloAuthXoauth2Quit() throws Exception {
    var keys = Pki.rsaKeyPair();
    Instant now = Instant.now();
    var certificate = Pki.serverCertificate(keys, now.minus(1, ChronoUnit.DAYS), now.plus(1, ChronoUnit.DAYS));
    SSLContext serverTls = Pki.serverContext(keys.getPrivate(), certificate);
    SSLContext clientTls = Pki.clientContext(Pki.trustStore(certificate));
    List<String> verbs = new CopyOnWriteArrayList<>();
    try (HostileServer server = new HostileServer(w -> {
      w.line("220 smtp.local ready");
      String line;
      while ((line = w.readLine()) != null) {
        String verb = line.split(" ", 2)[0].toUpperCase(Locale.ROOT);
        // only the verb (and the mechanism) is kept: the AUTH line carries the token
        verbs.add(verb.equals("AUTH") ? "AUTH " + line.split(" ", 3)[1] : verb);
        switch (verb) {
          case "EHLO" -> {
            w.line("250-smtp.local");
            w.line(verbs.contains("STARTTLS") ? "250 AUTH XOAUTH2" : "250 STARTTLS");
          }
          case "STARTTLS" -> {
            w.line("220 2.0.0 SMTP server ready");
            w.startTls(serverTls);
          }
          case "AUTH" -> w.line("235 2.7.0 Authentication successful");
          case "QUIT" -> {
            w.line("221 2.0.0 Service closing transmission channel");
            return;
          }
          default -> w.line("500 5.3.3 Unrecognized command");
        }
      }
    })) {
      SmtpSender sender = SmtpSender.builder().mailbox("alerts@contoso.com").credential(new OpaqueTokenCredential())
          .host("127.0.0.1").port(server.port()).trust(clientTls).timeout(Duration.ofSeconds(10)).build();
      ConnectionCheck check = assertTimeoutPreemptively(BOUND, sender::checkConnection);
      assertThat(check.ok()).as(String.valueOf(check.diagnosis())).isTrue();
      assertThat(verbs).containsExactly("EHLO", "STARTTLS", "EHLO", "AUTH XOAUTH2", "QUIT");
    }
  }

  @Test
  void smtpAuthDisabledForTheTenant_isTheMailboxProtocol_withSetTransportConfig() {
    try (Exchange fabrikam = new Exchange(m365, "fabrikam.com")) {
      fabrikam.tenant.smtpClientAuthenticationDisabled(true);
      Mailbox from = fabrikam.mailbox("noreply");
      SmtpSender sender = sender(from, fabrikam.appOnly());
      Diagnosis d = failedCheck(sender);
      assertThat(d.setupStep()).isEqualTo(SetupStep.MAILBOX_PROTOCOL);
      assertThat(d.serviceCode()).isEqualTo("SMTP 535 5.7.139");
      assertThat(d.summary()).contains("SMTP AUTH is disabled for the whole tenant");
      assertThat(d.command()).contains("Set-TransportConfig -SmtpClientAuthenticationDisabled $false");
      assertThat(d.fix()).contains("Set-CASMailbox -Identity " + from.address()
          + " -SmtpClientAuthenticationDisabled $false");
      assertThat(d.alternatives()).isEmpty();
      assertThat(smtp(from)).extracting(r -> r.attribute("outcome")).containsOnly("SMTP_AUTH_DISABLED");

      PowerShell.run(fabrikam.tenant, d.command().orElseThrow());
      assertThat(sender.checkConnection().ok()).isTrue();
    }
  }

  /** The mailbox's own setting overrides the tenant's, as Microsoft documents; the fix text offers exactly that. */
  @Test
  void smtpAuthDisabledForTheTenant_butEnabledForTheMailbox_passes() {
    try (Exchange woodgrove = new Exchange(m365, "woodgrove.com")) {
      woodgrove.tenant.smtpClientAuthenticationDisabled(true);
      Mailbox from = woodgrove.mailbox("scanner");
      Diagnosis d = failedCheck(sender(from, woodgrove.appOnly()));
      String mailboxOnly = "Set-CASMailbox -Identity " + from.address() + " -SmtpClientAuthenticationDisabled $false";
      assertThat(d.fix()).contains(mailboxOnly);
      PowerShell.run(woodgrove.tenant, mailboxOnly);
      assertThat(sender(from, woodgrove.appOnly()).checkConnection().ok()).isTrue();
      assertThat(woodgrove.tenant.smtpClientAuthenticationDisabled()).isTrue();
    }
  }

  @Test
  void smtpAuthDisabledForTheMailbox_isTheMailboxProtocol_withSetCasMailbox() {
    Mailbox from = contoso.mailbox("nosmtp");
    from.smtpClientAuthenticationDisabled(true);
    SmtpSender sender = sender(from, contoso.appOnly());
    Diagnosis d = failedCheck(sender);
    assertThat(d.setupStep()).isEqualTo(SetupStep.MAILBOX_PROTOCOL);
    assertThat(d.serviceCode()).isEqualTo("SMTP 535 5.7.139");
    assertThat(d.summary()).contains("SMTP AUTH is disabled for mailbox " + from.address());
    assertThat(d.command()).contains("Set-CASMailbox -Identity " + from.address()
        + " -SmtpClientAuthenticationDisabled $false");
    assertThat(d.alternatives()).isEmpty();
    PowerShell.run(contoso.tenant, d.command().orElseThrow());
    assertThat(sender.checkConnection().ok()).isTrue();
  }

  @Test
  void applicationPermissionMissing_isNamedBeforeAnySmtpConnection() {
    Application app = contoso.tenant.registerApp("IMAP reader only")
        .addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp").grantAdminConsent();
    PasswordCredential secret = app.addClientSecret("prod", Duration.ofDays(30));
    Secrets.secret(secret.value());
    contoso.tenant.registerExchangeServicePrincipal(app);
    Mailbox from = contoso.user("noperm");
    Diagnosis d = failedCheck(sender(from, contoso.appOnly(app, secret)));
    assertThat(d.setupStep()).isEqualTo(SetupStep.APPLICATION_PERMISSION);
    assertThat(d.fix()).contains("SMTP.SendAsApp");
    assertThat(smtp(from)).isEmpty();
  }

  @Test
  void delegatedPermissionMissing_failsAtTheToken_beforeAnySmtpConnection() {
    Application reader = contoso.tenant.registerApp("Desktop reader").allowPublicClientFlows(true);
    reader.addDelegatedPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsUser.All").grantAdminConsent();
    Mailbox dave = contoso.user("dave");
    CredentialStrategy delegated = contoso.keep(CredentialStrategy.usernamePassword(
        Tenants.app(m365, contoso.tenant, reader), dave.address(), Exchange.PASSWORD.toCharArray()).build());
    Diagnosis d = failedCheck(sender(dave, delegated));
    // Entra refuses the SMTP.Send token with AADSTS65001 for a permission not added and for one not consented
    // alike; telling those two apart is the token side's work (core), not SMTP's
    assertThat(d.setupStep()).isIn(SetupStep.DELEGATED_PERMISSION, SetupStep.ADMIN_CONSENT);
    assertThat(d.serviceCode()).contains("65001");
    assertThat(smtp(dave)).isEmpty();
  }

  /**
   * A token the SDK cannot read (so the pre-flight could not look at its roles) refused with {@code 535 5.7.3}: the
   * permission comes first, then the Exchange steps, each with the command that checks it.
   */
  @Test
  void unreadableTokenRefused_namesThePermissionFirst_thenTheExchangeSteps() {
    Mailbox from = contoso.mailbox("opaque");
    SmtpSender sender = SmtpSender.builder().mailbox(from.address()).credential(new OpaqueTokenCredential())
        .host(m365.hostName()).port(m365.smtpPort()).trust(m365.sslContext()).timeout(Duration.ofSeconds(20))
        .build();
    Diagnosis d = failedCheck(sender);
    assertThat(d.serviceCode()).isEqualTo("SMTP 535 5.7.3");
    assertThat(d.setupStep()).isEqualTo(SetupStep.APPLICATION_PERMISSION);
    assertThat(d.fix()).contains("SMTP.SendAsApp", "Office 365 Exchange Online");
    assertThat(d.alternatives()).extracting(Diagnosis::setupStep).containsExactly(
        SetupStep.EXCHANGE_SERVICE_PRINCIPAL, SetupStep.MAILBOX_PERMISSION, SetupStep.MAILBOX);
    assertThat(d.alternatives()).extracting(a -> a.command().orElseThrow()).containsExactly(
        "Get-ServicePrincipal -Identity " + new OpaqueTokenCredential().registration().clientId(),
        "Get-MailboxPermission -Identity " + from.address() + " -User <enterprise application object id>",
        "Get-Mailbox -Identity " + from.address());
  }

  @Test
  void principalMissing_namesThePrincipal_thenFullAccess_thenTheAddress() {
    Application app = contoso.tenant.registerApp("Notifier")
        .addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "SMTP.SendAsApp").grantAdminConsent();
    PasswordCredential secret = app.addClientSecret("prod", Duration.ofDays(30));
    Secrets.secret(secret.value());
    Mailbox from = contoso.user("notifier");
    SmtpSender sender = sender(from, contoso.appOnly(app, secret));
    Diagnosis d = failedCheck(sender);
    String oid = contoso.tenant.servicePrincipal(app).orElseThrow().objectId();
    assertThat(d.serviceCode()).isEqualTo("SMTP 535 5.7.3");
    assertThat(d.setupStep()).isEqualTo(SetupStep.EXCHANGE_SERVICE_PRINCIPAL);
    assertThat(d.command()).contains("New-ServicePrincipal -AppId " + app.clientId() + " -ObjectId " + oid
        + "; Add-MailboxPermission -Identity " + from.address() + " -User " + oid + " -AccessRights FullAccess");
    // SMTP has no IMAP switch to blame, so no IMAP alternative
    assertThat(d.alternatives()).extracting(Diagnosis::setupStep).containsExactly(SetupStep.MAILBOX_PERMISSION,
        SetupStep.MAILBOX);
    PowerShell.run(contoso.tenant, d.command().orElseThrow());
    assertThat(sender.checkConnection().ok()).isTrue();
  }

  @Test
  void wrongSecret_isNamedBeforeAnySmtpConnection_andNotPrinted() {
    String value = "not-the-secret-" + System.nanoTime();
    Secrets.secret(value);
    ClientSecret wrong = ClientSecret.of(value);
    Mailbox from = contoso.mailbox("wrongsecret");
    CredentialStrategy bad = contoso.keep(CredentialStrategy.clientCredentials(
        Tenants.app(m365, contoso.tenant, contoso.daemon)).secret(wrong).build());
    Diagnosis d = failedCheck(sender(from, bad));
    assertThat(d.setupStep()).isEqualTo(SetupStep.CLIENT_SECRET);
    assertThat(smtp(from)).isEmpty();
  }
}
