package org.o365mail.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.Diagnosis;
import org.o365mail.FolderRef;
import org.o365mail.MailboxException;
import org.o365mail.MessageSummary;
import org.o365mail.ProxySettings;
import org.o365mail.SetupStep;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.TokenRequest;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testsupport.Secrets;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.LoopbackProxy;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;

/**
 * Graph through a real proxy on loopback: HTTP CONNECT with and without Basic credentials, and SOCKS5. The bearer
 * token never crosses the proxy in clear, the proxy's credentials go only in answer to its 407, and a proxy that
 * wants credentials or refuses the tunnel is diagnosed as the network step naming it.
 */
@Timeout(60)
@ExtendWith(LeakCheck.class)
class GraphProxyTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static LocalTenant m365;
  static Mailbox inbox;
  static CredentialStrategy credential;
  static String token;

  @BeforeAll
  static void model() {
    m365 = M365.tenant();
    Tenant contoso = m365.createTenant("contoso.com");
    inbox = contoso.addSharedMailbox("invoices@contoso.com");
    inbox.deliver(TestMessages.text("billing@fabrikam.com", inbox.address(), "Invoice 2026-001", "Amount due: 42"));
    credential = GraphApps.clientCredentials(m365, contoso, GraphApps.daemon(contoso, "Daemon", "Mail.ReadWrite"));
    token = credential.token(TokenRequest.graph()).value();
    Secrets.secret(token);
  }

  @AfterAll
  static void close() {
    credential.close();
  }

  static GraphMailboxConnector connector(ProxySettings proxy) {
    return GraphApps.connector(m365, credential, inbox.address()).proxy(proxy)
        .retryBudget(1, Duration.ofSeconds(1)).build();
  }

  static Diagnosis diagnosisOf(Throwable e) {
    assertThat(e).isInstanceOf(MailboxException.class);
    return ((MailboxException) e).diagnosis().orElseThrow();
  }

  @Test
  void listsMessagesThroughAnHttpProxysTunnel_withTheTokenNeverInClear() {
    try (LoopbackProxy proxy = LoopbackProxy.http();
        GraphMailboxConnector c = connector(ProxySettings.http(proxy.host(), proxy.port()))) {
      assertThat(c.listMessages(FolderRef.INBOX)).extracting(MessageSummary::subject).contains("Invoice 2026-001");
      assertThat(proxy.connectTargets()).isNotEmpty().allMatch(t -> t.equals("localhost:" + m365.graphPort()));
      assertThat(proxy.plainRequests()).isEmpty();
      assertThat(proxy.sawInClear(token)).isFalse();
      assertThat(proxy.sawInClear("Bearer")).isFalse();
      assertThat(proxy.sawInClear("Authorization")).isFalse();
    }
  }

  @Test
  void proxyCredentialsGoOnlyInAnswerToThe407() {
    try (LoopbackProxy proxy = LoopbackProxy.httpWithBasic("svc", "proxy-pass-1");
        GraphMailboxConnector c = connector(ProxySettings.http(proxy.host(), proxy.port())
            .withCredentials("svc", "proxy-pass-1"::toCharArray))) {
      assertThat(c.listMessages(FolderRef.INBOX)).isNotEmpty();
      assertThat(proxy.answers()).first().isEqualTo(407);
      assertThat(proxy.answers()).contains(200);
      assertThat(proxy.proxyAuthorizations()).isNotEmpty().allMatch(a -> a.startsWith("Basic "))
          .noneMatch(a -> a.contains(token));
      assertThat(proxy.sawInClear(token)).isFalse();
    }
  }

  @Test
  void proxyDemandingCredentialsIsDiagnosedAsTheNetworkStep() {
    try (LoopbackProxy proxy = LoopbackProxy.httpWithBasic("svc", "proxy-pass-1");
        GraphMailboxConnector c = connector(ProxySettings.http(proxy.host(), proxy.port()))) {
      assertThatThrownBy(() -> c.listFolders()).satisfies(e -> {
        Diagnosis d = diagnosisOf(e);
        assertThat(d.setupStep()).isEqualTo(SetupStep.TRUST);
        assertThat(d.serviceCode()).isEqualTo("proxy_407");
        assertThat(d.summary()).contains("HTTP proxy 127.0.0.1:" + proxy.port()).contains("requires authentication");
      });
      assertThat(proxy.proxyAuthorizations()).isEmpty();
    }
  }

  @Test
  void wrongProxyCredentialsAreDiagnosedAsRejected() {
    try (LoopbackProxy proxy = LoopbackProxy.httpWithBasic("svc", "proxy-pass-1");
        GraphMailboxConnector c = connector(ProxySettings.http(proxy.host(), proxy.port())
            .withCredentials("svc", "not-the-pass"::toCharArray))) {
      assertThatThrownBy(() -> c.listFolders()).satisfies(e -> {
        Diagnosis d = diagnosisOf(e);
        assertThat(d.serviceCode()).isEqualTo("proxy_407");
        assertThat(d.summary()).contains("rejected the configured proxy credentials");
        assertThat(e.getMessage()).doesNotContain("not-the-pass");
      });
      assertThat(proxy.proxyAuthorizations()).hasSize(1); // tried once, not again and again
    }
  }

  @Test
  void proxyRefusingTheTunnelIsDiagnosedAsTheNetworkStep() {
    try (LoopbackProxy proxy = LoopbackProxy.http().refuseWith(403);
        GraphMailboxConnector c = connector(ProxySettings.http(proxy.host(), proxy.port()))) {
      assertThatThrownBy(() -> c.listFolders()).satisfies(e -> {
        Diagnosis d = diagnosisOf(e);
        assertThat(d.setupStep()).isEqualTo(SetupStep.TRUST);
        assertThat(d.serviceCode()).isEqualTo("proxy_403");
        assertThat(d.summary()).contains("HTTP proxy 127.0.0.1:" + proxy.port());
      });
    }
  }

  @Test
  void worksThroughSocks5_andTheNoProxyListBypassesTheProxy() {
    try (LoopbackProxy socks = LoopbackProxy.socks5();
        GraphMailboxConnector c = connector(ProxySettings.socks5(socks.host(), socks.port()))) {
      assertThat(c.listFolders()).isNotEmpty();
      assertThat(socks.connectTargets()).isNotEmpty();
      assertThat(socks.sawInClear(token)).isFalse();
    }
    try (LoopbackProxy proxy = LoopbackProxy.http();
        GraphMailboxConnector c = connector(ProxySettings.http(proxy.host(), proxy.port())
            .withNoProxy(List.of("localhost")))) {
      assertThat(c.listFolders()).isNotEmpty();
      assertThat(proxy.connectTargets()).isEmpty();
    }
  }
}
