package org.o365mail.jakarta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.o365mail.testsupport.Secrets.secret;

import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Store;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.Diagnosis;
import org.o365mail.ProxySettings;
import org.o365mail.SetupStep;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.TokenRequest;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.ExchangeServicePrincipal;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.LoopbackProxy;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.OutboundMessage;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testsupport.Secrets;
import org.o365mail.testsupport.Tenants;

/**
 * The bridge's sessions through a real proxy on loopback, with Angus Mail against the local tenant: IMAP read and
 * SMTP send through an HTTP {@code CONNECT} tunnel with Basic credentials (sent only after the 407) and through
 * SOCKS5, with nothing of the login (token, {@code Bearer}, the XOAUTH2 argument) or the proxy's password crossing
 * the proxy in clear; and a proxy that refuses the tunnel (403) or wants credentials none were given for (407)
 * diagnosed as the network step naming it.
 */
@Timeout(60)
@ExtendWith(LeakCheck.class)
class JakartaProxyTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();
  private static final String PROXY_PASSWORD = "proxy-pass-7";

  static LocalTenant m365;
  static Mailbox invoices;
  static CredentialStrategy credential;

  @BeforeAll
  static void tenant() {
    m365 = M365.tenant();
    Tenant contoso = m365.createTenant("contoso.com");
    Application daemon = contoso.registerApp("Mail import");
    PasswordCredential secret = daemon.addClientSecret("prod", Duration.ofDays(180));
    secret(secret.value());
    daemon.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp", "SMTP.SendAsApp")
        .grantAdminConsent();
    ExchangeServicePrincipal principal = contoso.registerExchangeServicePrincipal(daemon);
    invoices = contoso.addUser("invoices@contoso.com", "Mailbox-Pw-1!").mailbox();
    contoso.addMailboxPermission(invoices.address(), principal.objectId(), "FullAccess");
    invoices.deliver(TestMessages.text("billing@fabrikam.com", invoices.address(), "Invoice 2026-007", "Due: 7"));
    credential = CredentialStrategy.clientCredentials(Tenants.app(m365, contoso, daemon))
        .secret(ClientSecret.of(secret.value())).build();
    secret(credential.token(TokenRequest.imap()).value());
    secret(credential.token(TokenRequest.smtp()).value());
  }

  @AfterAll
  static void close() {
    credential.close();
  }

  private static ProxySettings http(LoopbackProxy proxy) {
    return ProxySettings.http(proxy.host(), proxy.port());
  }

  private static ProxySettings withCredentials(LoopbackProxy proxy) {
    return http(proxy).withCredentials("svc", PROXY_PASSWORD::toCharArray);
  }

  private static Session imap(ProxySettings proxy) {
    return JakartaMailSessions.imap(credential, invoices.address()).host(m365.hostName()).port(m365.imapPort())
        .timeout(Duration.ofSeconds(20)).proxy(proxy).build();
  }

  private static Session smtp(ProxySettings proxy) {
    return JakartaMailSessions.smtp(credential, invoices.address()).host(m365.hostName()).port(m365.smtpPort())
        .timeout(Duration.ofSeconds(20)).proxy(proxy).build();
  }

  private static List<String> readInbox(Session session) throws MessagingException {
    try (Store store = session.getStore()) {
      store.connect();
      Folder inbox = store.getFolder("INBOX");
      inbox.open(Folder.READ_ONLY);
      List<String> subjects = new ArrayList<>();
      for (Message m : inbox.getMessages()) {
        subjects.add(m.getSubject());
      }
      inbox.close(false);
      return subjects;
    }
  }

  private static void send(Session session, String subject) throws MessagingException {
    MimeMessage message = new MimeMessage(session);
    message.setFrom(new InternetAddress(invoices.address()));
    message.setRecipient(Message.RecipientType.TO, new InternetAddress("partner@fabrikam.com"));
    message.setSubject(subject);
    message.setText("Through the proxy.");
    Transport.send(message);
  }

  /** Nothing of the login, nor the proxy's password, crossed {@code proxy} in clear. */
  private static void assertNothingInClear(LoopbackProxy proxy, TokenRequest request) {
    String token = credential.token(request).value();
    String xoauth2 = Base64.getEncoder().encodeToString(("user=" + invoices.address() + "\u0001auth=Bearer " + token
        + "\u0001\u0001").getBytes(StandardCharsets.UTF_8));
    assertThat(proxy.sawInClear(token)).as("the token").isFalse();
    assertThat(proxy.sawInClear(xoauth2)).as("the XOAUTH2 argument").isFalse();
    assertThat(proxy.sawInClear("Bearer")).isFalse();
    assertThat(proxy.sawInClear("XOAUTH2")).isFalse();
    assertThat(proxy.sawInClear(PROXY_PASSWORD)).as("the proxy's password").isFalse();
    assertThat(proxy.plainRequests()).isEmpty();
  }

  @Test
  void imapReadsThroughAnHttpProxyWithCredentials_sentOnlyAfterThe407() throws Exception {
    try (LoopbackProxy proxy = LoopbackProxy.httpWithBasic("svc", PROXY_PASSWORD)) {
      assertThat(readInbox(imap(withCredentials(proxy)))).contains("Invoice 2026-007");
      assertThat(proxy.answers()).startsWith(407, 200);
      assertThat(proxy.proxyAuthorizations()).isNotEmpty();
      assertThat(proxy.connectTargets()).isNotEmpty().allMatch(t -> t.equals(m365.hostName() + ":" + m365.imapPort()));
      assertNothingInClear(proxy, TokenRequest.imap());
    }
  }

  @Test
  void smtpSendsThroughAnHttpProxyWithCredentials_sentOnlyAfterThe407() throws Exception {
    try (LoopbackProxy proxy = LoopbackProxy.httpWithBasic("svc", PROXY_PASSWORD)) {
      send(smtp(withCredentials(proxy)), "Statement through the HTTP proxy");
      assertThat(m365.outboundMail()).extracting(OutboundMessage::subject).contains("Statement through the HTTP proxy");
      assertThat(proxy.answers()).startsWith(407, 200);
      assertThat(proxy.connectTargets()).isNotEmpty().allMatch(t -> t.equals(m365.hostName() + ":" + m365.smtpPort()));
      assertNothingInClear(proxy, TokenRequest.smtp());
    }
  }

  @Test
  void imapReadsAndSmtpSendsThroughSocks5() throws Exception {
    try (LoopbackProxy socks = LoopbackProxy.socks5()) {
      ProxySettings settings = ProxySettings.socks5(socks.host(), socks.port());
      assertThat(readInbox(imap(settings))).contains("Invoice 2026-007");
      send(smtp(settings), "Statement through SOCKS5");
      assertThat(m365.outboundMail()).extracting(OutboundMessage::subject).contains("Statement through SOCKS5");
      assertThat(socks.connectTargets()).contains(m365.hostName() + ":" + m365.imapPort(),
          m365.hostName() + ":" + m365.smtpPort());
      assertNothingInClear(socks, TokenRequest.imap());
      assertNothingInClear(socks, TokenRequest.smtp());
    }
  }

  @Test
  void aProxyRefusingTheTunnel_isDiagnosedAsTheNetworkStepNamingIt() {
    try (LoopbackProxy proxy = LoopbackProxy.http().refuseWith(403)) {
      Exception e = (Exception) catchThrowable(() -> readInbox(imap(http(proxy))));
      assertThat(e).isInstanceOf(MessagingException.class);
      Secrets.assertClean(e);
      Diagnosis d = JakartaMailDiagnostics.diagnose(e, credential, invoices.address()).orElseThrow();
      assertThat(d.setupStep()).isEqualTo(SetupStep.TRUST);
      assertThat(d.serviceCode()).isEqualTo("proxy_403");
      assertThat(d.summary()).contains("HTTP proxy 127.0.0.1:" + proxy.port())
          .contains(m365.hostName() + ":" + m365.imapPort());
    }
  }

  @Test
  void aProxyWantingCredentialsNoneWereGivenFor_isDiagnosedAsTheNetworkStep() {
    try (LoopbackProxy proxy = LoopbackProxy.httpWithBasic("svc", PROXY_PASSWORD)) {
      Exception e = (Exception) catchThrowable(() -> send(smtp(http(proxy)), "Never sent"));
      assertThat(e).isInstanceOf(MessagingException.class);
      Diagnosis d = JakartaMailDiagnostics.diagnose(e, credential, invoices.address()).orElseThrow();
      assertThat(d.setupStep()).isEqualTo(SetupStep.TRUST);
      assertThat(d.serviceCode()).isEqualTo("proxy_407");
      assertThat(d.summary()).contains("HTTP proxy 127.0.0.1:" + proxy.port()).contains("requires authentication");
      assertThat(proxy.proxyAuthorizations()).isEmpty();
    }
  }
}
