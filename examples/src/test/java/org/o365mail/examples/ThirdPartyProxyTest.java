package org.o365mail.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.o365mail.Diagnosis;
import org.o365mail.FolderRef;
import org.o365mail.MailboxException;
import org.o365mail.MessageSummary;
import org.o365mail.OutgoingMessage;
import org.o365mail.ProxySettings;
import org.o365mail.SetupStep;
import org.o365mail.auth.AccessToken;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.TokenRequest;
import org.o365mail.examples.JettyConnectProxy.Connect;
import org.o365mail.graph.GraphMailboxConnector;
import org.o365mail.imap.ImapMailboxConnector;
import org.o365mail.imap.SmtpSender;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;

/**
 * Every path of the SDK (the sign-in to Entra ID, Graph, IMAP and SMTP) through a proxy we did not write: Jetty's
 * {@code ConnectHandler} on loopback ({@link JettyConnectProxy}), against the local tenant. Each path is asserted to
 * have worked and to have gone through a {@code CONNECT} to the tenant's port; with proxy credentials the first
 * {@code CONNECT} of a path carries none and gets Jetty's 407, and the credentials come only after it; wrong
 * credentials and a destination outside Jetty's white list (403) are diagnosed as the network step naming the proxy.
 * The sign-in goes through the open port only: the JDK's HTTP client sends Basic to a proxy for tunnels only when the
 * JVM runs with {@code -Djdk.http.auth.tunneling.disabledSchemes=}, which this test JVM does not. IMAP, SMTP and
 * Graph also go through a SOCKS5 server made of Netty's codec ({@link NettySocksProxy}), which refuses a target
 * outside its list with reply 2. Neither proxy ever lets a token or a message through in clear.
 */
@Timeout(60)
class ThirdPartyProxyTest {
  static final String PROXY_PASSWORD = "Jetty-Proxy-Pw-1";

  static LocalTenant m365;
  static Tenant contoso;
  static Application daemon;
  static PasswordCredential secret;
  static Mailbox inbox;
  static JettyConnectProxy jetty;
  static NettySocksProxy socks;

  @BeforeAll
  static void start() throws Exception {
    m365 = LocalTenant.start();
    contoso = m365.createTenant("contoso.com");
    daemon = contoso.registerApp("Behind Jetty");
    daemon.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp", "SMTP.SendAsApp")
        .addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite", "Mail.Send").grantAdminConsent();
    secret = daemon.addClientSecret("prod", Duration.ofDays(180));
    inbox = contoso.addSharedMailbox("invoices@contoso.com");
    contoso.addMailboxPermission(inbox.address(), contoso.registerExchangeServicePrincipal(daemon).objectId(),
        "FullAccess");
    inbox.deliver(TestMessages.text("billing@fabrikam.com", inbox.address(), "Invoice 2026-001", "Amount due: 42"));
    jetty = new JettyConnectProxy(
        Map.of("svc-graph", PROXY_PASSWORD, "svc-imap", PROXY_PASSWORD, "svc-smtp", PROXY_PASSWORD),
        List.of(local(m365.identityPort()), local(m365.graphPort()), local(m365.imapPort()), local(m365.smtpPort())));
    socks = new NettySocksProxy(List.of(local(m365.graphPort()), local(m365.imapPort()), local(m365.smtpPort())));
  }

  @AfterAll
  static void stop() {
    if (jetty != null) {
      jetty.close();
    }
    if (socks != null) {
      socks.close();
    }
    m365.close();
  }

  @BeforeEach
  void clear() {
    jetty.clear();
    socks.clear();
  }

  static String local(int port) {
    return m365.hostName() + ":" + port;
  }

  static ProxySettings open() {
    return ProxySettings.http(jetty.host(), jetty.openPort());
  }

  static ProxySettings authenticating() {
    return ProxySettings.http(jetty.host(), jetty.authenticatingPort());
  }

  /** Client credentials whose sign-in goes through Jetty's open port. */
  static CredentialStrategy credential() {
    AppRegistration app = AppRegistration.builder()
        .clientId(daemon.clientId())
        .tenant(contoso.id())
        .authorityHost(m365.authorityHost())
        .trust(m365.sslContext())
        .proxy(open())
        .build();
    return CredentialStrategy.clientCredentials(app).secret(ClientSecret.of(secret.value())).maxAttempts(1).build();
  }

  static GraphMailboxConnector graph(CredentialStrategy credential, ProxySettings proxy) {
    return GraphMailboxConnector.builder().mailbox(inbox.address()).credential(credential)
        .baseUrl(m365.graphBaseUrl()).trust(m365.sslContext()).proxy(proxy)
        .retryBudget(1, Duration.ofSeconds(1)).build();
  }

  static ImapMailboxConnector imap(CredentialStrategy credential, ProxySettings proxy) {
    return ImapMailboxConnector.builder().mailbox(inbox.address()).credential(credential)
        .host(m365.hostName()).port(m365.imapPort()).smtpHost(m365.hostName()).smtpPort(m365.smtpPort())
        .proxy(proxy).maxAttempts(1).build();
  }

  static SmtpSender smtp(CredentialStrategy credential, ProxySettings proxy) {
    return SmtpSender.builder().mailbox(inbox.address()).credential(credential)
        .host(m365.hostName()).port(m365.smtpPort()).proxy(proxy).build();
  }

  static OutgoingMessage message(String subject) {
    return OutgoingMessage.builder().to("partner@fabrikam.com").subject(subject).text("Hello.").build();
  }

  static List<String> sentSubjects() {
    return m365.outboundMail().stream().map(o -> o.subject()).toList();
  }

  static Diagnosis diagnosisOf(Throwable t) {
    assertThat(t).isInstanceOf(MailboxException.class);
    assertThat(t.getMessage()).doesNotContain(PROXY_PASSWORD).doesNotContain(secret.value());
    return ((MailboxException) t).diagnosis().orElseThrow();
  }

  /** What Jetty recorded of the {@code CONNECT}s to {@code target} on {@code port}. */
  static List<Connect> connects(int port, String target) {
    return jetty.connects(port).stream().filter(c -> c.target().equals(target)).toList();
  }

  /**
   * The first {@code CONNECT} to {@code target} carried no credentials and got Jetty's 407; every one that carried
   * them came after it, with the right ones, and at least one was let through.
   */
  static void assertCredentialsOnlyAfterThe407(String target, String user) {
    List<Connect> seen = connects(jetty.authenticatingPort(), target);
    assertThat(seen).as("CONNECTs to %s", target).isNotEmpty();
    assertThat(seen.get(0).proxyAuthorization()).isEmpty();
    assertThat(seen.get(0).status()).isEqualTo(407);
    assertThat(seen).filteredOn(c -> c.proxyAuthorization().isPresent()).isNotEmpty()
        .allMatch(c -> c.proxyAuthorization().equals(Optional.of(JettyConnectProxy.basic(user, PROXY_PASSWORD))));
    assertThat(seen).extracting(Connect::status).contains(200);
  }

  @Test
  void signIn_goesThroughJettysTunnel_withTheSecretAndTheTokenNeverInClear() {
    try (CredentialStrategy credential = credential()) {
      AccessToken token = credential.token(TokenRequest.graph());
      assertThat(token.value()).isNotBlank();
      assertThat(jetty.targets(jetty.openPort())).containsOnly(local(m365.identityPort()));
      assertThat(jetty.connects(jetty.openPort())).extracting(Connect::status).containsOnly(200);
      assertThat(jetty.connects(jetty.openPort())).allMatch(c -> c.proxyAuthorization().isEmpty());
      assertThat(jetty.tunnelledBytes()).isPositive();
      assertThat(jetty.sawInClear(token.value())).isFalse();
      assertThat(jetty.sawInClear(secret.value())).isFalse();
      assertThat(jetty.sawInClear("client_secret")).isFalse();
    }
  }

  @Test
  void graphReadAndSend_goThroughJettysTunnels_withTheTokenNeverInClear() {
    try (CredentialStrategy credential = credential();
        GraphMailboxConnector graph = graph(credential, open())) {
      assertThat(graph.listMessages(FolderRef.INBOX)).extracting(MessageSummary::subject).contains("Invoice 2026-001");
      graph.send(message("Graph through Jetty"));
      assertThat(sentSubjects()).contains("Graph through Jetty");
      assertThat(jetty.targets(jetty.openPort())).contains(local(m365.graphPort()))
          .allMatch(t -> t.equals(local(m365.graphPort())) || t.equals(local(m365.identityPort())));
      assertThat(connects(jetty.openPort(), local(m365.graphPort()))).extracting(Connect::status).containsOnly(200);
      assertThat(jetty.connects(jetty.openPort()))
          .allMatch(c -> c.headerNames().stream().noneMatch("Authorization"::equalsIgnoreCase));
      assertThat(jetty.sawInClear(credential.token(TokenRequest.graph()).value())).isFalse();
      assertThat(jetty.sawInClear("Bearer")).isFalse();
      assertThat(jetty.sawInClear("Graph through Jetty")).isFalse();
    }
  }

  @Test
  void imapReadAndSmtpSend_goThroughJettysTunnels_withTheTokenNeverInClear() {
    try (CredentialStrategy credential = credential();
        ImapMailboxConnector imap = imap(credential, open())) {
      assertThat(imap.listMessages(FolderRef.INBOX)).extracting(MessageSummary::subject).contains("Invoice 2026-001");
      smtp(credential, open()).send(message("SMTP through Jetty"));
      assertThat(sentSubjects()).contains("SMTP through Jetty");
      assertThat(connects(jetty.openPort(), local(m365.imapPort()))).isNotEmpty().extracting(Connect::status)
          .containsOnly(200);
      assertThat(connects(jetty.openPort(), local(m365.smtpPort()))).isNotEmpty().extracting(Connect::status)
          .containsOnly(200);
      assertThat(jetty.sawInClear(credential.token(TokenRequest.imap()).value())).isFalse();
      assertThat(jetty.sawInClear(credential.token(TokenRequest.smtp()).value())).isFalse();
      assertThat(jetty.sawInClear("XOAUTH2")).isFalse();
    }
  }

  @Test
  void graphWithProxyCredentials_sendsThemOnlyAfterJettys407() {
    try (CredentialStrategy credential = credential();
        GraphMailboxConnector graph = graph(credential,
            authenticating().withCredentials("svc-graph", PROXY_PASSWORD::toCharArray))) {
      assertThat(graph.listMessages(FolderRef.INBOX)).extracting(MessageSummary::subject).contains("Invoice 2026-001");
      graph.send(message("Graph through Jetty with credentials"));
      assertThat(sentSubjects()).contains("Graph through Jetty with credentials");
      assertCredentialsOnlyAfterThe407(local(m365.graphPort()), "svc-graph");
    }
  }

  @Test
  void imapWithProxyCredentials_sendsThemOnlyAfterJettys407() {
    try (CredentialStrategy credential = credential();
        ImapMailboxConnector imap = imap(credential,
            authenticating().withCredentials("svc-imap", PROXY_PASSWORD::toCharArray))) {
      assertThat(imap.listMessages(FolderRef.INBOX)).extracting(MessageSummary::subject).contains("Invoice 2026-001");
      assertCredentialsOnlyAfterThe407(local(m365.imapPort()), "svc-imap");
    }
  }

  @Test
  void smtpWithProxyCredentials_sendsThemOnlyAfterJettys407() {
    try (CredentialStrategy credential = credential()) {
      smtp(credential, authenticating().withCredentials("svc-smtp", PROXY_PASSWORD::toCharArray))
          .send(message("SMTP through Jetty with credentials"));
      assertThat(sentSubjects()).contains("SMTP through Jetty with credentials");
      assertCredentialsOnlyAfterThe407(local(m365.smtpPort()), "svc-smtp");
    }
  }

  @Test
  void wrongProxyCredentials_forGraph_areDiagnosedAsTheNetworkStepNamingJetty() {
    try (CredentialStrategy credential = credential();
        GraphMailboxConnector graph = graph(credential,
            authenticating().withCredentials("svc-graph", "not-the-pass"::toCharArray))) {
      Throwable t = catchThrowable(graph::listFolders);
      assertRejectedCredentials(t);
      assertThat(jetty.connects(jetty.authenticatingPort())).isNotEmpty().extracting(Connect::status)
          .containsOnly(407);
    }
  }

  @Test
  void wrongProxyCredentials_forImap_areDiagnosedAsTheNetworkStepNamingJetty() {
    try (CredentialStrategy credential = credential();
        ImapMailboxConnector imap = imap(credential,
            authenticating().withCredentials("svc-wrong-imap", "not-the-pass"::toCharArray))) {
      assertRejectedCredentials(catchThrowable(imap::listFolders));
      assertThat(jetty.connects(jetty.authenticatingPort())).isNotEmpty().extracting(Connect::status)
          .containsOnly(407);
    }
  }

  static void assertRejectedCredentials(Throwable t) {
    Diagnosis d = diagnosisOf(t);
    assertThat(d.setupStep()).isEqualTo(SetupStep.TRUST);
    assertThat(d.serviceCode()).isEqualTo("proxy_407");
    assertThat(d.summary()).contains("HTTP proxy 127.0.0.1:" + jetty.authenticatingPort())
        .contains("rejected the configured proxy credentials");
    assertThat(t.getMessage()).doesNotContain("not-the-pass");
  }

  @Test
  void missingProxyCredentials_areDiagnosedAsTheNetworkStepNamingJetty() {
    String proxy = "HTTP proxy 127.0.0.1:" + jetty.authenticatingPort();
    try (CredentialStrategy credential = credential();
        ImapMailboxConnector imap = imap(credential, authenticating());
        GraphMailboxConnector graph = graph(credential, authenticating())) {
      for (Throwable t : List.of(catchThrowable(imap::listFolders), catchThrowable(graph::listFolders))) {
        Diagnosis d = diagnosisOf(t);
        assertThat(d.setupStep()).isEqualTo(SetupStep.TRUST);
        assertThat(d.serviceCode()).isEqualTo("proxy_407");
        assertThat(d.summary()).contains(proxy).contains("requires authentication");
      }
      assertThat(jetty.connects(jetty.authenticatingPort())).isNotEmpty()
          .allMatch(c -> c.proxyAuthorization().isEmpty() && c.status() == 407);
    }
  }

  @Test
  void aDestinationOutsideJettysWhiteList_isDiagnosedAsTheNetworkStepNamingJetty() {
    // the white list holds localhost:<port> of each endpoint; the same tenant named 127.0.0.1 is outside it
    String proxy = "HTTP proxy 127.0.0.1:" + jetty.openPort();
    String imapTarget = "127.0.0.1:" + m365.imapPort();
    String smtpTarget = "127.0.0.1:" + m365.smtpPort();
    try (CredentialStrategy credential = credential();
        ImapMailboxConnector imap = ImapMailboxConnector.builder().mailbox(inbox.address()).credential(credential)
            .host("127.0.0.1").port(m365.imapPort()).proxy(open()).maxAttempts(1).build()) {
      Diagnosis d = diagnosisOf(catchThrowable(imap::listFolders));
      assertThat(d.setupStep()).isEqualTo(SetupStep.TRUST);
      assertThat(d.serviceCode()).isEqualTo("proxy_403");
      assertThat(d.summary()).contains(proxy).contains(imapTarget);
      SmtpSender smtp = SmtpSender.builder().mailbox(inbox.address()).credential(credential)
          .host("127.0.0.1").port(m365.smtpPort()).proxy(open()).build();
      Diagnosis s = diagnosisOf(catchThrowable(() -> smtp.send(message("Refused by Jetty"))));
      assertThat(s.serviceCode()).isEqualTo("proxy_403");
      assertThat(s.summary()).contains(proxy).contains(smtpTarget);
      assertThat(connects(jetty.openPort(), imapTarget)).isNotEmpty().extracting(Connect::status).containsOnly(403);
      assertThat(connects(jetty.openPort(), smtpTarget)).isNotEmpty().extracting(Connect::status).containsOnly(403);
      assertThat(sentSubjects()).doesNotContain("Refused by Jetty");
    }
  }

  @Test
  void aSignInOutsideJettysWhiteList_isDiagnosedAsTheNetworkStepNamingJetty() {
    AppRegistration app = AppRegistration.builder()
        .clientId(daemon.clientId())
        .tenant(contoso.id())
        .authorityHost(java.net.URI.create("https://127.0.0.1:" + m365.identityPort()))
        .trust(m365.sslContext())
        .proxy(open())
        .build();
    try (CredentialStrategy credential = CredentialStrategy.clientCredentials(app)
        .secret(ClientSecret.of(secret.value())).maxAttempts(1).build()) {
      Diagnosis d = diagnosisOf(catchThrowable(() -> credential.token(TokenRequest.graph())));
      assertThat(d.setupStep()).isEqualTo(SetupStep.TRUST);
      assertThat(d.serviceCode()).isEqualTo("proxy_403");
      assertThat(d.summary()).contains("HTTP proxy 127.0.0.1:" + jetty.openPort());
      assertThat(jetty.connects(jetty.openPort())).isNotEmpty().extracting(Connect::status).containsOnly(403);
    }
  }

  static ProxySettings socks5() {
    return ProxySettings.socks5(socks.host(), socks.port());
  }

  @Test
  void imapReadSmtpSendAndGraphRead_goThroughNettysSocks5_withTheTokensNeverInClear() {
    try (CredentialStrategy credential = credential();
        ImapMailboxConnector imap = imap(credential, socks5());
        GraphMailboxConnector graph = graph(credential, socks5())) {
      assertThat(imap.listMessages(FolderRef.INBOX)).extracting(MessageSummary::subject).contains("Invoice 2026-001");
      smtp(credential, socks5()).send(message("SMTP through Netty's SOCKS5"));
      assertThat(sentSubjects()).contains("SMTP through Netty's SOCKS5");
      assertThat(graph.listFolders()).isNotEmpty();
      assertThat(socks.commands()).extracting(NettySocksProxy.Command::target)
          .contains(local(m365.imapPort()), local(m365.smtpPort()), local(m365.graphPort()));
      assertThat(socks.commands()).extracting(c -> c.status().byteValue()).containsOnly((byte) 0);
      assertThat(socks.relayedBytes()).isPositive();
      assertThat(socks.sawInClear(credential.token(TokenRequest.imap()).value())).isFalse();
      assertThat(socks.sawInClear(credential.token(TokenRequest.smtp()).value())).isFalse();
      assertThat(socks.sawInClear(credential.token(TokenRequest.graph()).value())).isFalse();
      assertThat(socks.sawInClear("XOAUTH2")).isFalse();
    }
  }

  @Test
  void aDestinationNettysSocks5Refuses_isDiagnosedAsTheNetworkStepNamingIt() {
    String target = "127.0.0.1:" + m365.imapPort();
    try (CredentialStrategy credential = credential();
        ImapMailboxConnector imap = ImapMailboxConnector.builder().mailbox(inbox.address()).credential(credential)
            .host("127.0.0.1").port(m365.imapPort()).proxy(socks5()).maxAttempts(1).build()) {
      Diagnosis d = diagnosisOf(catchThrowable(imap::listFolders));
      assertThat(d.setupStep()).isEqualTo(SetupStep.TRUST);
      assertThat(d.serviceCode()).startsWith("proxy_socks");
      assertThat(d.summary()).contains("SOCKS5 proxy 127.0.0.1:" + socks.port()).contains(target);
      assertThat(socks.commands()).containsExactly(new NettySocksProxy.Command(target,
          io.netty.handler.codec.socksx.v5.Socks5CommandStatus.FORBIDDEN));
    }
  }
}
