package org.o365mail.jakarta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.o365mail.testsupport.Secrets.secret;

import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Store;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.Diagnosis;
import org.o365mail.MailboxAuthenticationException;
import org.o365mail.SetupStep;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.TokenRequest;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.ExchangeServicePrincipal;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.OutboundMessage;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.RecordedRequest;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testsupport.Secrets;
import org.o365mail.testsupport.Tenants;

/**
 * Plain Jakarta Mail code (Store, Folder, Transport) with the bridge's sessions against the local tenant's IMAP and
 * SMTP servers, on Angus Mail: reading, sending, a token that expires during a long session, and the diagnosis of a
 * missed setup step. No token may show in Jakarta Mail's debug output, its log records or an exception message.
 */
@Timeout(60)
@ExtendWith(LeakCheck.class)
class JakartaMailBridgeTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static LocalTenant m365;
  static Tenant contoso;
  static Application daemon;
  static PasswordCredential daemonSecret;
  static ExchangeServicePrincipal principal;
  static Mailbox invoices;
  static final List<CredentialStrategy> CREDENTIALS = new ArrayList<>();
  static final List<String> JUL = java.util.Collections.synchronizedList(new ArrayList<>());
  static final Handler CAPTURE = new Handler() {
    @Override
    public void publish(LogRecord r) {
      JUL.add(r.getLoggerName() + " " + r.getMessage() + " " + java.util.Arrays.toString(r.getParameters())
          + (r.getThrown() == null ? "" : " " + r.getThrown()));
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };

  @BeforeAll
  static void tenant() {
    m365 = M365.tenant();
    contoso = m365.createTenant("contoso.com");
    daemon = contoso.registerApp("Mail import");
    daemonSecret = daemon.addClientSecret("prod", Duration.ofDays(180));
    secret(daemonSecret.value());
    daemon.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp", "SMTP.SendAsApp")
        .grantAdminConsent();
    principal = contoso.registerExchangeServicePrincipal(daemon);
    invoices = contoso.addUser("invoices@contoso.com", "Mailbox-Pw-1!").mailbox();
    contoso.addMailboxPermission(invoices.address(), principal.objectId(), "FullAccess");
    Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    for (int i = 0; i < 5; i++) {
      invoices.deliver("Inbox", TestMessages.text("billing@fabrikam.com", invoices.address(), "Invoice " + i,
          "Amount " + i), false, now.minusSeconds(60L * (5 - i)));
    }
    for (String name : List.of("jakarta.mail", "org.eclipse.angus.mail")) {
      Logger.getLogger(name).setLevel(Level.ALL);
      Logger.getLogger(name).addHandler(CAPTURE);
    }
  }

  @AfterAll
  static void close() {
    for (String name : List.of("jakarta.mail", "org.eclipse.angus.mail")) {
      Logger.getLogger(name).removeHandler(CAPTURE);
      Logger.getLogger(name).setLevel(null);
    }
    CREDENTIALS.forEach(CredentialStrategy::close);
    synchronized (JUL) {
      for (String line : JUL) {
        Secrets.assertClean("Jakarta Mail log record", line);
      }
    }
  }

  private static CredentialStrategy appOnly(Application app, PasswordCredential secret, boolean tenantClock) {
    CredentialStrategy.ClientCredentialsBuilder b = CredentialStrategy.clientCredentials(Tenants.app(m365, contoso,
        app)).secret(ClientSecret.of(secret.value()));
    if (tenantClock) {
      b.clock(m365.clock());
    }
    CredentialStrategy c = b.build();
    CREDENTIALS.add(c);
    return c;
  }

  private static Session imapSession(CredentialStrategy credential, String mailbox, ByteArrayOutputStream debug) {
    Session session = JakartaMailSessions.imap(credential, mailbox).host(m365.hostName()).port(m365.imapPort())
        .timeout(Duration.ofSeconds(20)).build();
    session.setDebug(true);
    session.setDebugOut(new PrintStream(debug, true, StandardCharsets.UTF_8));
    return session;
  }

  private static List<String> subjects(Folder folder) throws MessagingException {
    List<String> out = new ArrayList<>();
    for (Message m : folder.getMessages()) {
      out.add(m.getSubject());
    }
    return out;
  }

  private static long imapLogins(String outcome) {
    return m365.requests("imap").stream().filter(r -> r.path().equalsIgnoreCase(invoices.address()))
        .filter(r -> r.attribute("outcome").equals(outcome)).count();
  }

  @Test
  void plainStoreAndFolderCode_readsTheMailbox_withXoauth2Only() throws Exception {
    CredentialStrategy credential = appOnly(daemon, daemonSecret, false);
    ByteArrayOutputStream debug = new ByteArrayOutputStream();
    Session session = imapSession(credential, invoices.address(), debug);
    try (Store store = session.getStore()) {
      store.connect();
      Folder inbox = store.getFolder("INBOX");
      inbox.open(Folder.READ_ONLY);
      assertThat(subjects(inbox)).containsExactly("Invoice 0", "Invoice 1", "Invoice 2", "Invoice 3", "Invoice 4");
      Message first = inbox.getMessage(1);
      assertThat(new String(first.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).contains("Amount 0");
      inbox.close(false);
    }
    assertThat(imapLogins("OK")).isEqualTo(1);
    assertThat(m365.requests("imap")).extracting(RecordedRequest::method).containsOnly("AUTHENTICATE XOAUTH2");
    String wire = debug.toString(StandardCharsets.UTF_8);
    assertThat(wire).contains("AUTHENTICATE XOAUTH2").doesNotContain("LOGIN ", "AUTHENTICATE PLAIN");
    Secrets.assertClean("Jakarta Mail debug output", wire);
    String token = credential.token(TokenRequest.imap()).value();
    assertThat(wire).doesNotContain(token);
  }

  @Test
  void transportSend_submitsOverStartTls_andTheTenantRecordsTheMessage() throws Exception {
    CredentialStrategy credential = appOnly(daemon, daemonSecret, false);
    Session session = JakartaMailSessions.smtp(credential, invoices.address()).host(m365.hostName())
        .port(m365.smtpPort()).timeout(Duration.ofSeconds(20)).build();
    ByteArrayOutputStream debug = new ByteArrayOutputStream();
    session.setDebug(true);
    session.setDebugOut(new PrintStream(debug, true, StandardCharsets.UTF_8));
    MimeMessage message = new MimeMessage(session);
    message.setFrom(new InternetAddress(invoices.address()));
    message.setRecipient(Message.RecipientType.TO, new InternetAddress("partner@fabrikam.com"));
    message.setSubject("Statement December");
    message.setText("Attached is nothing.");
    Transport.send(message);

    assertThat(m365.outboundMail()).extracting(OutboundMessage::subject).contains("Statement December");
    OutboundMessage sent = m365.outboundMail().stream().filter(m -> m.subject().equals("Statement December"))
        .findFirst().orElseThrow();
    assertThat(sent.sender()).isEqualToIgnoringCase(invoices.address());
    assertThat(sent.recipients()).containsExactly("partner@fabrikam.com");
    String wire = debug.toString(StandardCharsets.UTF_8);
    assertThat(wire).contains("STARTTLS", "Using mechanism XOAUTH2", "AUTH XOAUTH2 succeeded")
        .doesNotContainPattern("(?m)^AUTH (LOGIN|PLAIN)");
    Secrets.assertClean("Jakarta Mail debug output", wire);
    assertThat(wire).doesNotContain(credential.token(TokenRequest.smtp()).value());
  }

  @Test
  void aTokenThatExpiresDuringALongSession_isReplacedOnReconnect_andReadingGoesOn() throws Exception {
    m365.faults().accessTokenLifetime(Duration.ofMinutes(10));
    CredentialStrategy credential = appOnly(daemon, daemonSecret, true);
    ByteArrayOutputStream debug = new ByteArrayOutputStream();
    Session session = imapSession(credential, invoices.address(), debug);
    long tokensBefore = m365.tokenRequestCount();
    Store store = session.getStore();
    try {
      store.connect();
      Folder inbox = store.getFolder("INBOX");
      inbox.open(Folder.READ_ONLY);
      assertThat(inbox.getMessageCount()).isEqualTo(5);
      assertThat(m365.tokenRequestCount() - tokensBefore).isEqualTo(1);

      // eleven minutes of the tenant's time: Exchange ends the session (BYE ... AccessTokenExpired)
      m365.clock().advance(Duration.ofMinutes(11));
      Throwable ended = catchThrowable(() -> {
        inbox.getMessage(1).getSubject();
        inbox.getMessageCount();
        inbox.getMessage(2).getSubject();
      });
      assertThat(ended).isInstanceOf(MessagingException.class);

      // what the product's code does on a lost session: connect again; the authenticator brings a new token
      if (inbox.isOpen()) {
        inbox.close(false);
      }
      store.close();
      store.connect();
      Folder again = store.getFolder("INBOX");
      again.open(Folder.READ_ONLY);
      assertThat(subjects(again)).hasSize(5).contains("Invoice 4");
      again.close(false);
    } finally {
      store.close();
    }
    assertThat(m365.tokenRequestCount() - tokensBefore).as("token requests").isEqualTo(2);
    assertThat(imapLogins("OK")).as("logins accepted").isEqualTo(2);
    // Jakarta Mail first tries the password it connected with before; Exchange refuses that expired token once
    assertThat(m365.requests("imap").stream().filter(r -> r.attribute("reason").startsWith("token expired")).count())
        .isEqualTo(1);
    Secrets.assertClean("Jakarta Mail debug output", debug.toString(StandardCharsets.UTF_8));
  }

  @Test
  void anAppWithoutImapAccessAsApp_isStoppedBeforeConnecting_withTheApplicationPermissionStep() {
    Application noRole = contoso.registerApp("No IMAP role");
    PasswordCredential secret = noRole.addClientSecret("prod", Duration.ofDays(30));
    secret(secret.value());
    noRole.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "SMTP.SendAsApp").grantAdminConsent();
    contoso.registerExchangeServicePrincipal(noRole);
    CredentialStrategy credential = appOnly(noRole, secret, false);
    Session session = imapSession(credential, invoices.address(), new ByteArrayOutputStream());

    Throwable failure = catchThrowable(() -> {
      try (Store store = session.getStore()) {
        store.connect();
      }
    });
    assertThat(failure).isInstanceOf(MailboxAuthenticationException.class);
    Diagnosis d = JakartaMailDiagnostics.diagnose((Exception) failure, credential, invoices.address()).orElseThrow();
    assertThat(d.setupStep()).isEqualTo(SetupStep.APPLICATION_PERMISSION);
    assertThat(d.summary()).contains("IMAP.AccessAsApp");
    assertThat(imapLogins("OK") + imapLogins("AUTHENTICATION_FAILED")).as("logins tried").isZero();
    Secrets.assertClean("exception message", failure.getMessage());
  }

  @Test
  void anAppWithoutAnExchangeServicePrincipal_isDiagnosedWithNewServicePrincipal() throws Exception {
    Application unregistered = contoso.registerApp("Not in Exchange");
    PasswordCredential secret = unregistered.addClientSecret("prod", Duration.ofDays(30));
    secret(secret.value());
    unregistered.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp", "SMTP.SendAsApp")
        .grantAdminConsent();
    CredentialStrategy credential = appOnly(unregistered, secret, false);
    Session session = imapSession(credential, invoices.address(), new ByteArrayOutputStream());

    Throwable failure = catchThrowable(() -> {
      try (Store store = session.getStore()) {
        store.connect();
      }
    });
    assertThat(failure).isInstanceOf(AuthenticationFailedException.class);
    Diagnosis d = JakartaMailDiagnostics.diagnose((Exception) failure, credential, invoices.address()).orElseThrow();
    assertThat(d.setupStep()).isEqualTo(SetupStep.EXCHANGE_SERVICE_PRINCIPAL);
    String oid = credential.token(TokenRequest.imap()).claims().objectId();
    assertThat(d.command()).contains("New-ServicePrincipal -AppId " + unregistered.clientId() + " -ObjectId " + oid);
    assertThat(d.alternatives()).extracting(Diagnosis::setupStep)
        .contains(SetupStep.MAILBOX_PERMISSION, SetupStep.MAILBOX, SetupStep.MAILBOX_PROTOCOL);
    Secrets.assertClean("exception message", failure.getMessage());
    Secrets.assertClean("diagnosis", d.describe());

    // SMTP answers the same missing principal with 535 5.7.3
    Session smtp = JakartaMailSessions.smtp(credential, invoices.address()).host(m365.hostName())
        .port(m365.smtpPort()).build();
    MimeMessage message = new MimeMessage(smtp);
    message.setFrom(new InternetAddress(invoices.address()));
    message.setRecipient(Message.RecipientType.TO, new InternetAddress("partner@fabrikam.com"));
    message.setSubject("Refused");
    message.setText("x");
    Throwable refused = catchThrowable(() -> Transport.send(message));
    assertThat(refused).isInstanceOf(AuthenticationFailedException.class);
    Optional<Diagnosis> smtpDiagnosis = JakartaMailDiagnostics.diagnose((Exception) refused, credential,
        invoices.address());
    assertThat(smtpDiagnosis).map(Diagnosis::setupStep).contains(SetupStep.EXCHANGE_SERVICE_PRINCIPAL);
    assertThat(smtpDiagnosis.orElseThrow().serviceCode()).startsWith("SMTP 535");
  }

  @Test
  void sessionsOfferOnlyXoauth2_withTimeoutsAndTheHostNameCheck() {
    CredentialStrategy credential = appOnly(daemon, daemonSecret, false);
    java.util.Properties imap = JakartaMailSessions.imap(credential, "Invoices@Contoso.com").properties();
    assertThat(imap).containsEntry("mail.store.protocol", "imaps").containsEntry("mail.imaps.port", "993")
        .containsEntry("mail.imaps.auth.mechanisms", "XOAUTH2").containsEntry("mail.imaps.auth.plain.disable", "true")
        .containsEntry("mail.imaps.auth.login.disable", "true").containsEntry("mail.imaps.ssl.checkserveridentity",
            "true")
        .containsEntry("mail.imaps.timeout", "60000").containsEntry("mail.imaps.connectiontimeout", "60000")
        .containsEntry("mail.imaps.writetimeout", "60000").doesNotContainKey("mail.imaps.user");
    java.util.Properties smtp = JakartaMailSessions.smtp(credential, "invoices@contoso.com")
        .timeout(Duration.ofSeconds(5)).properties();
    assertThat(smtp).containsEntry("mail.transport.protocol", "smtp").containsEntry("mail.smtp.port", "587")
        .containsEntry("mail.smtp.starttls.required", "true").containsEntry("mail.smtp.auth.mechanisms", "XOAUTH2")
        .containsEntry("mail.smtp.timeout", "5000").containsEntry("mail.smtp.writetimeout", "5000");
    assertThat(JakartaMailSessions.imap(credential, "Invoices@Contoso.com").authenticator().mailbox())
        .isEqualTo("invoices@contoso.com");
    assertThatThrownBy(() -> JakartaMailSessions.imap(credential, "x@y.com").timeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout");
  }

  @Test
  void aDelegatedUser_readsOwnMailbox_andAnotherWithoutFullAccessIsDiagnosedAsTheMailboxPermission()
      throws Exception {
    Application desktop = contoso.registerApp("Desktop mail").allowPublicClientFlows(true);
    desktop.addDelegatedPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsUser.All", "SMTP.Send")
        .grantAdminConsent();
    Mailbox payroll = contoso.addUser("payroll@contoso.com", "Mailbox-Pw-2!").mailbox();
    CredentialStrategy credential = CredentialStrategy.usernamePassword(Tenants.app(m365, contoso, desktop),
        invoices.address(), "Mailbox-Pw-1!".toCharArray()).build();
    CREDENTIALS.add(credential);

    try (Store store = imapSession(credential, invoices.address(), new ByteArrayOutputStream()).getStore()) {
      store.connect();
      Folder inbox = store.getFolder("INBOX");
      inbox.open(Folder.READ_ONLY);
      assertThat(inbox.getMessageCount()).isEqualTo(5);
      inbox.close(false);
    }
    assertThat(credential.token(TokenRequest.imap()).claims().scopes()).contains("IMAP.AccessAsUser.All");

    Throwable failure = catchThrowable(() -> {
      try (Store store = imapSession(credential, payroll.address(), new ByteArrayOutputStream()).getStore()) {
        store.connect();
        Folder inbox = store.getFolder("INBOX");
        inbox.open(Folder.READ_ONLY);
      }
    });
    assertThat(failure).isInstanceOf(MessagingException.class);
    Diagnosis d = JakartaMailDiagnostics.diagnose((Exception) failure, credential, payroll.address()).orElseThrow();
    assertThat(d.setupStep()).isEqualTo(SetupStep.MAILBOX_PERMISSION);
    assertThat(d.command()).contains("Add-MailboxPermission -Identity payroll@contoso.com -User invoices@contoso.com"
        + " -AccessRights FullAccess");
  }

  @Test
  void reconnectingThroughTheAuthenticatorBeforeExpiry_keepsTheSessionPastTheFirstTokensEnd() throws Exception {
    m365.faults().accessTokenLifetime(Duration.ofMinutes(10));
    CredentialStrategy credential = appOnly(daemon, daemonSecret, true);
    JakartaMailSessions.Builder builder = JakartaMailSessions.imap(credential, invoices.address())
        .host(m365.hostName()).port(m365.imapPort()).timeout(Duration.ofSeconds(20));
    OAuth2Authenticator authenticator = builder.authenticator();
    Session session = builder.build();
    Store store = session.getStore();
    try {
      long tokensBefore = m365.tokenRequestCount();
      Instant first = authenticator.connect(store);
      assertThat(first).isAfter(m365.clock().instant());
      // six minutes on: within the strategy's 5-minute margin, so the product reconnects with a new token
      m365.clock().advance(Duration.ofMinutes(6));
      store.close();
      Instant second = authenticator.connect(store);
      // a new token was asked for; its expiry, counted in whole seconds from the wall clock's, may equal the first's
      assertThat(m365.tokenRequestCount() - tokensBefore).as("token requests").isEqualTo(2);
      assertThat(second).isAfterOrEqualTo(first);
      Folder inbox = store.getFolder("INBOX");
      inbox.open(Folder.READ_ONLY);
      // past the first token's expiry: the session logged in with the second goes on
      m365.clock().advance(Duration.ofMinutes(5));
      assertThat(subjects(inbox)).hasSize(5);
      inbox.close(false);
    } finally {
      store.close();
    }
    assertThat(imapLogins("OK")).isEqualTo(2);
    assertThat(imapLogins("AUTHENTICATION_FAILED")).as("no login refused, no session ended").isZero();
    Store open = session.getStore();
    try {
      open.connect();
      assertThatThrownBy(() -> authenticator.connect(open)).isInstanceOf(IllegalStateException.class);
    } finally {
      open.close();
    }
  }

  @Test
  void smtpAuthDisabledForTheTenant_isDiagnosedAsTheMailboxProtocolStep_withThePowerShellThatEnablesIt()
      throws Exception {
    CredentialStrategy credential = appOnly(daemon, daemonSecret, false);
    Session session = JakartaMailSessions.smtp(credential, invoices.address()).host(m365.hostName())
        .port(m365.smtpPort()).build();
    MimeMessage message = new MimeMessage(session);
    message.setFrom(new InternetAddress(invoices.address()));
    message.setRecipient(Message.RecipientType.TO, new InternetAddress("partner@fabrikam.com"));
    message.setSubject("Not sent");
    message.setText("x");
    contoso.smtpClientAuthenticationDisabled(true);
    Throwable failure;
    try {
      failure = catchThrowable(() -> Transport.send(message));
    } finally {
      contoso.smtpClientAuthenticationDisabled(false);
    }
    assertThat(failure).isInstanceOf(AuthenticationFailedException.class).hasMessageContaining("5.7.139");
    Diagnosis d = JakartaMailDiagnostics.diagnose((Exception) failure, credential, invoices.address()).orElseThrow();
    assertThat(d.setupStep()).isEqualTo(SetupStep.MAILBOX_PROTOCOL);
    assertThat(d.serviceCode()).isEqualTo("SMTP 535 5.7.139");
    assertThat(d.command()).contains("Set-CASMailbox -Identity invoices@contoso.com"
        + " -SmtpClientAuthenticationDisabled $false");
    assertThat(d.alternatives()).extracting(a -> a.command().orElse(""))
        .contains("Set-TransportConfig -SmtpClientAuthenticationDisabled $false");
    Secrets.assertClean("exception message", failure.getMessage());
  }

  @Test
  void withoutTheTenantsTrust_theTlsHandshakeFails_noLoginIsTried_andTheTrustStepIsNamed() throws Exception {
    org.o365mail.auth.AppRegistration untrusting = org.o365mail.auth.AppRegistration.builder()
        .clientId(daemon.clientId()).tenant(contoso.id()).authorityHost(m365.authorityHost()).build();
    CredentialStrategy credential = appOnly(daemon, daemonSecret, false);
    // the token comes from a strategy that trusts the tenant; the session trusts only the JVM's CAs
    CredentialStrategy viaJvmTrust = CredentialStrategy.tokenSource(untrusting,
        org.o365mail.auth.CredentialKind.APP_ONLY, scopes -> credential.token(TokenRequest.imap())).build();
    CREDENTIALS.add(viaJvmTrust);
    Session session = JakartaMailSessions.imap(viaJvmTrust, invoices.address()).host(m365.hostName())
        .port(m365.imapPort()).timeout(Duration.ofSeconds(10)).build();
    Throwable failure = catchThrowable(() -> {
      try (Store store = session.getStore()) {
        store.connect();
      }
    });
    assertThat(failure).isInstanceOf(MessagingException.class);
    Diagnosis d = JakartaMailDiagnostics.diagnose((Exception) failure, viaJvmTrust, invoices.address()).orElseThrow();
    assertThat(d.setupStep()).isEqualTo(SetupStep.TRUST);
    assertThat(d.summary()).contains("is not trusted");
    assertThat(imapLogins("OK") + imapLogins("AUTHENTICATION_FAILED")).isZero();
  }
}
