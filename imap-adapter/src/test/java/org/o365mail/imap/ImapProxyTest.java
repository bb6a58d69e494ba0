package org.o365mail.imap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

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
import org.o365mail.OutgoingMessage;
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
import org.o365mail.testkit.TestMessages;

/**
 * IMAP and SMTP through a real proxy on loopback: an HTTP {@code CONNECT} tunnel (with and without Basic
 * credentials) and SOCKS5. The XOAUTH2 token never crosses the proxy in clear, the proxy's credentials go only in
 * answer to its 407, the no-proxy list bypasses it, and a proxy that wants credentials or refuses the tunnel is
 * diagnosed as the network step naming it.
 */
@Timeout(60)
@ExtendWith({FreshLogs.class, LeakCheck.class})
class ImapProxyTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static LocalTenant m365;
  static Exchange contoso;
  static Mailbox inbox;
  static CredentialStrategy credential;
  static String imapToken;
  static String smtpToken;

  @BeforeAll
  static void tenant() {
    m365 = M365.tenant();
    contoso = new Exchange(m365, "contoso.com");
    inbox = contoso.mailbox("invoices");
    inbox.deliver(TestMessages.text("billing@fabrikam.com", inbox.address(), "Invoice 2026-001", "Amount due: 42"));
    credential = contoso.appOnly();
    imapToken = credential.token(TokenRequest.imap()).value();
    smtpToken = credential.token(TokenRequest.smtp()).value();
    Secrets.secret(imapToken);
    Secrets.secret(smtpToken);
  }

  @AfterAll
  static void close() {
    contoso.close();
  }

  static ImapMailboxConnector connector(ProxySettings proxy) {
    return contoso.connector(inbox, credential).proxy(proxy).maxAttempts(1).build();
  }

  static Diagnosis diagnosisOf(Throwable t) {
    assertThat(t).isInstanceOf(MailboxException.class);
    Secrets.assertClean(t);
    return ((MailboxException) t).diagnosis().orElseThrow();
  }

  @Test
  void readsThroughAnHttpConnectTunnel_withTheTokenNeverInClear() {
    try (LoopbackProxy proxy = LoopbackProxy.http();
        ImapMailboxConnector c = connector(ProxySettings.http(proxy.host(), proxy.port()))) {
      assertThat(c.listMessages(FolderRef.INBOX)).extracting(MessageSummary::subject).contains("Invoice 2026-001");
      assertThat(proxy.connectTargets()).isNotEmpty().allMatch(t -> t.equals("localhost:" + m365.imapPort()));
      assertThat(proxy.plainRequests()).isEmpty();
      assertThat(proxy.sawInClear(imapToken)).isFalse();
      assertThat(proxy.sawInClear("XOAUTH2")).isFalse();
    }
  }

  @Test
  void readsThroughSocks5() {
    try (LoopbackProxy socks = LoopbackProxy.socks5();
        ImapMailboxConnector c = connector(ProxySettings.socks5(socks.host(), socks.port()))) {
      assertThat(c.listMessages(FolderRef.INBOX)).extracting(MessageSummary::subject).contains("Invoice 2026-001");
      assertThat(socks.connectTargets()).isNotEmpty().allMatch(t -> t.equals("localhost:" + m365.imapPort()));
      assertThat(socks.tunnels()).isPositive();
      assertThat(socks.sawInClear(imapToken)).isFalse();
    }
  }

  @Test
  void sendsThroughAnHttpProxyWithCredentials_sentOnlyAfterThe407() {
    Mailbox bob = contoso.mailbox("bob");
    try (LoopbackProxy proxy = LoopbackProxy.httpWithBasic("svc", "proxy-pass-1")) {
      SmtpSender sender = SmtpSender.builder().mailbox(inbox.address()).credential(credential)
          .host(m365.hostName()).port(m365.smtpPort())
          .proxy(ProxySettings.http(proxy.host(), proxy.port()).withCredentials("svc", "proxy-pass-1"::toCharArray))
          .build();
      sender.send(OutgoingMessage.builder().to(bob.address()).subject("Through the proxy").text("Hello.").build());
      assertThat(m365.requests("smtp")).extracting(r -> r.method()).contains("DATA");
      assertThat(proxy.answers()).startsWith(407, 200);
      assertThat(proxy.proxyAuthorizations()).hasSize(1);
      assertThat(proxy.connectTargets()).allMatch(t -> t.equals("localhost:" + m365.smtpPort()));
      assertThat(proxy.sawInClear(smtpToken)).isFalse();
    }
  }

  @Test
  void noProxyListBypassesTheProxy() {
    try (LoopbackProxy proxy = LoopbackProxy.http();
        ImapMailboxConnector c = connector(ProxySettings.http(proxy.host(), proxy.port())
            .withNoProxy(List.of("localhost")))) {
      assertThat(c.listFolders()).isNotEmpty();
      assertThat(proxy.connectTargets()).isEmpty();
    }
  }

  @Test
  void proxyDemandingCredentialsIsDiagnosedAsTheNetworkStep() {
    try (LoopbackProxy proxy = LoopbackProxy.httpWithBasic("svc", "proxy-pass-1");
        ImapMailboxConnector c = connector(ProxySettings.http(proxy.host(), proxy.port()))) {
      Diagnosis d = diagnosisOf(catchThrowable(c::listFolders));
      assertThat(d.setupStep()).isEqualTo(SetupStep.TRUST);
      assertThat(d.serviceCode()).isEqualTo("proxy_407");
      assertThat(d.summary()).contains("HTTP proxy 127.0.0.1:" + proxy.port()).contains("requires authentication");
      assertThat(proxy.proxyAuthorizations()).isEmpty();
    }
  }

  @Test
  void wrongProxyCredentialsAreDiagnosedAsRejected() {
    try (LoopbackProxy proxy = LoopbackProxy.httpWithBasic("svc", "proxy-pass-1");
        ImapMailboxConnector c = connector(ProxySettings.http(proxy.host(), proxy.port())
            .withCredentials("svc", "not-the-pass"::toCharArray))) {
      Throwable t = catchThrowable(c::listFolders);
      Diagnosis d = diagnosisOf(t);
      assertThat(d.serviceCode()).isEqualTo("proxy_407");
      assertThat(d.summary()).contains("rejected the configured proxy credentials");
      assertThat(t.getMessage()).doesNotContain("not-the-pass");
    }
  }

  @Test
  void proxyRefusingTheTunnelIsDiagnosedAsTheNetworkStep() {
    try (LoopbackProxy proxy = LoopbackProxy.http().refuseWith(403);
        ImapMailboxConnector c = connector(ProxySettings.http(proxy.host(), proxy.port()))) {
      Diagnosis d = diagnosisOf(catchThrowable(c::listFolders));
      assertThat(d.setupStep()).isEqualTo(SetupStep.TRUST);
      assertThat(d.serviceCode()).isEqualTo("proxy_403");
      assertThat(d.summary()).contains("HTTP proxy 127.0.0.1:" + proxy.port()).contains("localhost:" + m365.imapPort());
    }
  }
}
