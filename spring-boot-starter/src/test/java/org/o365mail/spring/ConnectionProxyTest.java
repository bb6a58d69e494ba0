package org.o365mail.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.o365mail.FolderRef;
import org.o365mail.MailboxConnector;
import org.o365mail.MessageSummary;
import org.o365mail.ProxySettings;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.TokenRequest;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LoopbackProxy;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * A connection's proxy keys ({@code proxy}, {@code proxy-user}, {@code proxy-password}, {@code proxy-no-proxy}, the
 * CLI's in Spring's form) become the registration's {@link ProxySettings}, which the connector beans take; each
 * mistake fails the start naming its key, and no message shows the proxy's password.
 */
@Timeout(60)
class ConnectionProxyTest {
  private static final String P = "o365mail.connections.invoices.";
  private static final String PROXY_PASSWORD = "Proxy-Pw-Spring-7";

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(O365MailAutoConfiguration.class));

  @Test
  void proxyKeys_makeTheRegistrationsProxy_withItsHostPortCredentialsAndNoProxyList(@TempDir Path dir)
      throws Exception {
    Application app = TestTenant.app("ProxyKeys", true);
    Path passwordFile = Files.writeString(dir.resolve("proxy-password"), PROXY_PASSWORD + "\n");
    List<String> props = TestTenant.graphConnection("invoices", app, "proxykeys@contoso.com");
    props.addAll(List.of(P + "proxy=http://127.0.0.1:3128", P + "proxy-user=svc-mail",
        P + "proxy-password=file:" + passwordFile, P + "proxy-no-proxy=*.corp.example, 10.1.2.3"));
    runner.withPropertyValues(props.toArray(String[]::new)).run(context -> {
      assertThat(context).hasNotFailed();
      ProxySettings proxy = context.getBean("invoicesCredentialStrategy", CredentialStrategy.class).registration()
          .proxy();
      assertThat(proxy.type()).isEqualTo(ProxySettings.Type.HTTP);
      assertThat(proxy.host()).contains("127.0.0.1");
      assertThat(proxy.port()).isEqualTo(3128);
      assertThat(proxy.username()).contains("svc-mail");
      assertThat(new String(proxy.password())).isEqualTo(PROXY_PASSWORD);
      assertThat(proxy.noProxy()).containsExactly("*.corp.example", "10.1.2.3");
    });
  }

  @Test
  void withoutProxyKeys_theRegistrationUsesTheJvmsProxySettings() {
    Application app = TestTenant.app("NoProxyKeys", true);
    runner.withPropertyValues(TestTenant.graphConnection("invoices", app, "noproxykeys@contoso.com")
        .toArray(String[]::new)).run(context -> assertThat(context.getBean("invoicesCredentialStrategy",
            CredentialStrategy.class).registration().proxy()).isSameAs(ProxySettings.system()));
  }

  /**
   * The connector bean reads the mailbox through an HTTP proxy demanding Basic credentials. The sign-in is kept off
   * the proxy with {@code proxy-no-proxy} (its host named 127.0.0.1, Graph's localhost): the JDK's HTTP client, which
   * the sign-in uses, sends Basic to a proxy for tunnels only when the JVM runs with {@code
   * -Djdk.http.auth.tunneling.disabledSchemes=} (see {@link ProxySettings}), which this test JVM does not.
   */
  @Test
  void theConnectorBean_readsTheMailboxThroughAnHttpProxyWithBasicCredentials_withTheTokenNeverInClear() {
    Application app = TestTenant.app("ProxyGraph", true);
    TestTenant.mailbox("proxygraph@contoso.com", 2);
    try (LoopbackProxy proxy = LoopbackProxy.httpWithBasic("svc-mail", PROXY_PASSWORD)) {
      List<String> props = TestTenant.graphConnection("invoices", app, "proxygraph@contoso.com");
      props.removeIf(p -> p.startsWith(P + "authority-host="));
      props.addAll(List.of(P + "authority-host=https://127.0.0.1:" + TestTenant.M365.identityPort(),
          P + "proxy=http://" + proxy.host() + ":" + proxy.port(), P + "proxy-user=svc-mail",
          P + "proxy-password=" + PROXY_PASSWORD, P + "proxy-no-proxy=127.0.0.1"));
      runner.withPropertyValues(props.toArray(String[]::new)).run(context -> {
        assertThat(context).hasNotFailed();
        MailboxConnector connector = context.getBean("invoicesMailboxConnector", MailboxConnector.class);
        assertThat(connector.listMessages(FolderRef.INBOX)).extracting(MessageSummary::subject)
            .contains("Invoice 0", "Invoice 1");
        String token = context.getBean("invoicesCredentialStrategy", CredentialStrategy.class)
            .token(TokenRequest.graph()).value();
        assertThat(proxy.connectTargets()).isNotEmpty()
            .allMatch(t -> t.equals("localhost:" + TestTenant.M365.graphPort()));
        assertThat(proxy.answers()).first().isEqualTo(407);
        assertThat(proxy.answers()).contains(200);
        assertThat(proxy.proxyAuthorizations()).isNotEmpty().allMatch(a -> a.startsWith("Basic "));
        assertThat(proxy.plainRequests()).isEmpty();
        assertThat(proxy.sawInClear("Bearer")).isFalse();
        assertThat(proxy.sawInClear(token)).isFalse();
      });
    }
  }

  /**
   * The application declares its own credential bean (its registration without a proxy); the connection's proxy keys
   * still route the starter's connector.
   */
  @Test
  void theConnectorBean_takesTheConnectionsProxy_evenWithTheApplicationsOwnCredentialBean() {
    Application app = TestTenant.app("ProxyOwnCredential", true);
    TestTenant.mailbox("proxyown@contoso.com", 1);
    List<String> plain = TestTenant.graphConnection("invoices", app, "proxyown@contoso.com");
    O365MailProperties.Connection own = new org.springframework.boot.context.properties.bind.Binder(
        new org.springframework.boot.context.properties.source.MapConfigurationPropertySource(plain.stream()
            .map(kv -> kv.split("=", 2)).collect(java.util.stream.Collectors.toMap(kv -> kv[0], kv -> kv[1]))))
        .bind("o365mail.connections.invoices", O365MailProperties.Connection.class).get();
    try (LoopbackProxy proxy = LoopbackProxy.http()) {
      List<String> props = new ArrayList<>(plain);
      props.add(P + "proxy=http://" + proxy.host() + ":" + proxy.port());
      runner.withPropertyValues(props.toArray(String[]::new))
          .withBean("invoicesCredentialStrategy", CredentialStrategy.class,
              () -> Connections.credential("invoices", own, org.o365mail.auth.CredentialListener.NONE))
          .run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean("invoicesCredentialStrategy", CredentialStrategy.class).registration().proxy())
                .isSameAs(ProxySettings.system());
            MailboxConnector connector = context.getBean("invoicesMailboxConnector", MailboxConnector.class);
            assertThat(connector.listMessages(FolderRef.INBOX)).extracting(MessageSummary::subject)
                .contains("Invoice 0");
            assertThat(proxy.connectTargets()).contains("localhost:" + TestTenant.M365.graphPort());
          });
    }
  }

  static Stream<Arguments> mistakes() {
    return Stream.of(
        Arguments.of("user without password", List.of(P + "proxy=http://127.0.0.1:3128", P + "proxy-user=svc"),
            P + "proxy-password is missing"),
        Arguments.of("password without user", List.of(P + "proxy=http://127.0.0.1:3128",
            P + "proxy-password=" + PROXY_PASSWORD), P + "proxy-user is missing"),
        Arguments.of("credentials with socks5", List.of(P + "proxy=socks5://127.0.0.1:1080", P + "proxy-user=svc",
            P + "proxy-password=" + PROXY_PASSWORD), P + "proxy-user: proxy credentials need an HTTP proxy"),
        Arguments.of("a bad URI", List.of(P + "proxy=ftp://127.0.0.1:21", P + "proxy-user=svc",
            P + "proxy-password=" + PROXY_PASSWORD), P + "proxy: proxy scheme must be http or socks5"),
        Arguments.of("credentials in the URI", List.of(P + "proxy=http://svc:" + PROXY_PASSWORD + "@127.0.0.1:3128"),
            P + "proxy: proxy must not hold credentials in its URI"),
        Arguments.of("a URI without a port", List.of(P + "proxy=http://127.0.0.1"),
            P + "proxy: proxy must be http://host:port"),
        Arguments.of("no-proxy without proxy", List.of(P + "proxy-no-proxy=localhost"),
            P + "proxy-no-proxy is set but " + P + "proxy is missing"),
        Arguments.of("credentials without proxy", List.of(P + "proxy-user=svc",
            P + "proxy-password=" + PROXY_PASSWORD), P + "proxy-user is set but " + P + "proxy is missing"),
        Arguments.of("a password variable not set", List.of(P + "proxy=http://127.0.0.1:3128", P + "proxy-user=svc",
            P + "proxy-password=env:O365MAIL_SPRING_PROXY_TEST_UNSET"), P + "proxy-password names the environment"
            + " variable O365MAIL_SPRING_PROXY_TEST_UNSET, which is not set"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("mistakes")
  void eachProxyMistake_failsTheStart_namingItsKey_withoutThePassword(String what, List<String> keys,
      String message) {
    Application app = TestTenant.app("ProxyMistake", true);
    List<String> props = new ArrayList<>(TestTenant.graphConnection("invoices", app, "proxymistake@contoso.com"));
    props.addAll(keys);
    runner.withPropertyValues(props.toArray(String[]::new)).run(context -> {
      assertThat(context).hasFailed();
      List<String> messages = new ArrayList<>();
      for (Throwable t = context.getStartupFailure(); t != null; t = t.getCause()) {
        messages.add(t.toString());
      }
      assertThat(messages).as(what).anyMatch(m -> m.contains(message));
      assertThat(messages).as(what).noneMatch(m -> m.contains(PROXY_PASSWORD));
    });
  }

  @Test
  void theConnectionsToString_neverShowsTheProxyPassword() {
    O365MailProperties.Connection c = new O365MailProperties.Connection();
    c.setProxy("http://127.0.0.1:3128");
    c.setProxyUser("svc");
    c.setProxyPassword(PROXY_PASSWORD);
    assertThat(c.toString()).doesNotContain(PROXY_PASSWORD);
  }
}
