package org.o365mail.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.o365mail.testsupport.Secrets.secret;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.MailboxException;
import org.o365mail.ProxySettings;
import org.o365mail.SetupStep;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testsupport.Tenants;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.LoopbackProxy;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.Tenant;

/**
 * Client-credentials sign-in through a real HTTP proxy on loopback: the token request crosses it only inside a
 * {@code CONNECT} tunnel (the client secret and the token never in clear at the proxy), the no-proxy list bypasses
 * it, and a proxy that wants credentials (407) or refuses the tunnel (403) is diagnosed as the network step naming
 * the proxy.
 */
@Timeout(60)
@ExtendWith(LeakCheck.class)
class SignInProxyTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static LocalTenant m365;
  static Tenant contoso;
  static Application daemon;
  static PasswordCredential secret;

  @BeforeAll
  static void model() {
    m365 = M365.tenant();
    contoso = m365.createTenant("contoso.com");
    daemon = contoso.registerApp("Daemon");
    secret = daemon.addClientSecret("prod", Duration.ofDays(180));
    secret(secret.value());
    daemon.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp").grantAdminConsent();
  }

  static CredentialStrategy strategy(ProxySettings proxy) {
    return CredentialStrategy.clientCredentials(Tenants.app(m365, contoso, daemon))
        .secret(ClientSecret.of(secret.value())).proxy(proxy).maxAttempts(1).build();
  }

  @Test
  void tokenRequestGoesThroughTheProxysConnectTunnel_andNothingSecretCrossesItInClear() {
    try (LoopbackProxy proxy = LoopbackProxy.http();
        CredentialStrategy s = strategy(ProxySettings.http(proxy.host(), proxy.port()))) {
      AccessToken token = s.token(TokenRequest.imap());
      secret(token.value());
      assertThat(proxy.connectTargets()).isNotEmpty().allMatch(t -> t.equals("localhost:" + m365.identityPort()));
      assertThat(proxy.tunnels()).isPositive();
      assertThat(proxy.plainRequests()).isEmpty();
      assertThat(proxy.sawInClear(token.value())).isFalse();
      assertThat(proxy.sawInClear(secret.value())).isFalse();
      assertThat(proxy.sawInClear("client_secret")).isFalse();
      assertThat(s.registration().proxy().describe()).isEqualTo("HTTP proxy 127.0.0.1:" + proxy.port());
    }
  }

  @Test
  void noProxyListBypassesTheProxy() {
    try (LoopbackProxy proxy = LoopbackProxy.http();
        CredentialStrategy s = strategy(ProxySettings.http(proxy.host(), proxy.port())
            .withNoProxy(List.of("localhost")))) {
      secret(s.token(TokenRequest.imap()).value());
      assertThat(proxy.connectTargets()).isEmpty();
    }
  }

  @Test
  void proxyDemandingCredentialsIsDiagnosedAsTheNetworkStepNamingTheProxy() {
    try (LoopbackProxy proxy = LoopbackProxy.httpWithBasic("svc", "proxy-pass-1");
        CredentialStrategy s = strategy(ProxySettings.http(proxy.host(), proxy.port()))) {
      assertThatThrownBy(() -> s.token(TokenRequest.imap()))
          .isInstanceOf(MailboxException.class)
          .satisfies(e -> {
            MailboxException m = (MailboxException) e;
            assertThat(m.diagnosis()).hasValueSatisfying(d -> {
              assertThat(d.setupStep()).isEqualTo(SetupStep.TRUST);
              assertThat(d.serviceCode()).isEqualTo("proxy_407");
              assertThat(d.summary()).contains("HTTP proxy 127.0.0.1:" + proxy.port()).contains("requires");
            });
          });
      assertThat(proxy.answers()).contains(407);
      assertThat(proxy.proxyAuthorizations()).isEmpty();
    }
  }

  @Test
  void proxyRefusingTheTunnelIsDiagnosedAsTheNetworkStep() {
    try (LoopbackProxy proxy = LoopbackProxy.http().refuseWith(403);
        CredentialStrategy s = strategy(ProxySettings.http(proxy.host(), proxy.port()))) {
      assertThatThrownBy(() -> s.token(TokenRequest.imap()))
          .isInstanceOf(MailboxException.class)
          .satisfies(e -> assertThat(((MailboxException) e).diagnosis()).hasValueSatisfying(d -> {
            assertThat(d.setupStep()).isEqualTo(SetupStep.TRUST);
            assertThat(d.serviceCode()).isEqualTo("proxy_403");
            assertThat(d.summary()).contains("HTTP proxy 127.0.0.1:" + proxy.port()).contains("localhost:");
          }));
    }
  }
}
