package org.o365mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

/** The proxy value: parsing, the no-proxy list, the JVM's own settings, and no secret in what it shows. */
@Isolated // sets JVM proxy properties for one test, and restores them
class ProxySettingsTest {

  @Test
  void parsesTheCliForms_andRefusesCredentialsInTheUri() {
    assertThat(ProxySettings.parse("http://proxy.corp.example:3128").describe())
        .isEqualTo("HTTP proxy proxy.corp.example:3128");
    assertThat(ProxySettings.parse("socks5://10.0.0.5:1080").type()).isEqualTo(ProxySettings.Type.SOCKS5);
    assertThat(ProxySettings.parse("system")).isSameAs(ProxySettings.system());
    assertThat(ProxySettings.parse("none").type()).isEqualTo(ProxySettings.Type.DIRECT);
    assertThatThrownBy(() -> ProxySettings.parse("http://svc:hunter2@proxy:3128"))
        .hasMessageContaining("must not hold credentials").hasMessageNotContaining("hunter2");
    assertThatThrownBy(() -> ProxySettings.parse("http://proxy")).hasMessageContaining("with a port");
    assertThatThrownBy(() -> ProxySettings.parse("ftp://proxy:21")).hasMessageContaining("http or socks5");
  }

  @Test
  void noProxyMatchesHostsSuffixesAndIps() {
    ProxySettings p = ProxySettings.http("proxy", 3128)
        .withNoProxy(List.of("mail.contoso.com", "*.corp.example", ".intra", "10.1.2.3", "[::1]"));
    assertThat(p.bypasses("MAIL.contoso.com")).isTrue();
    assertThat(p.bypasses("a.b.corp.example")).isTrue();
    assertThat(p.bypasses("corp.example")).isTrue();
    assertThat(p.bypasses("x.intra")).isTrue();
    assertThat(p.bypasses("10.1.2.3")).isTrue();
    assertThat(p.bypasses("::1")).isTrue();
    assertThat(p.bypasses("login.microsoftonline.com")).isFalse();
    assertThat(p.bypasses("evilcorp.example")).isFalse();
    assertThat(p.route("login.microsoftonline.com", 443, true).type()).isEqualTo(Proxy.Type.HTTP);
    assertThat(p.route("mail.contoso.com", 993, false)).isEqualTo(Proxy.NO_PROXY);
    assertThat(p.selector().select(URI.create("https://graph.microsoft.com/v1.0/me"))).singleElement()
        .satisfies(x -> assertThat(((InetSocketAddress) x.address()).getHostString()).isEqualTo("proxy"));
  }

  @Test
  void toStringShowsTheUserButNeverThePassword() {
    ProxySettings p = ProxySettings.http("proxy", 3128).withCredentials("svc", "s3cret-value"::toCharArray);
    assertThat(p.toString()).contains("svc").contains("****").doesNotContain("s3cret-value");
    assertThat(p.password()).containsExactly("s3cret-value".toCharArray());
    assertThatThrownBy(() -> ProxySettings.socks5("proxy", 1080).withCredentials("svc", "x"::toCharArray))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void systemHonoursTheJvmsHttpsAndSocksProperties() {
    Map<String, String> saved = new HashMap<>();
    for (String k : List.of("https.proxyHost", "https.proxyPort", "http.nonProxyHosts", "socksProxyHost",
        "socksProxyPort")) {
      saved.put(k, System.getProperty(k));
    }
    try {
      System.setProperty("https.proxyHost", "proxy.corp.example");
      System.setProperty("https.proxyPort", "3128");
      System.setProperty("http.nonProxyHosts", "*.corp.example");
      ProxySettings system = ProxySettings.system();
      Proxy https = system.route("login.microsoftonline.com", 443, true);
      assertThat(https.type()).isEqualTo(Proxy.Type.HTTP);
      assertThat(((InetSocketAddress) https.address()).getHostString()).isEqualTo("proxy.corp.example");
      assertThat(((InetSocketAddress) https.address()).getPort()).isEqualTo(3128);
      assertThat(system.route("mail.corp.example", 443, true)).isEqualTo(Proxy.NO_PROXY);
      // IMAP and SMTP: through the https proxy's CONNECT, unless a SOCKS proxy is set
      assertThat(system.route("outlook.office365.com", 993, false).type()).isEqualTo(Proxy.Type.HTTP);
      System.setProperty("socksProxyHost", "socks.corp.example");
      System.setProperty("socksProxyPort", "1080");
      Proxy imap = system.route("outlook.office365.com", 993, false);
      assertThat(imap.type()).isEqualTo(Proxy.Type.SOCKS);
      assertThat(((InetSocketAddress) imap.address()).getHostString()).isEqualTo("socks.corp.example");
      assertThat(system.withNoProxy(List.of("outlook.office365.com")).route("outlook.office365.com", 993, false))
          .isEqualTo(Proxy.NO_PROXY);
    } finally {
      saved.forEach((k, v) -> {
        if (v == null) {
          System.clearProperty(k);
        } else {
          System.setProperty(k, v);
        }
      });
    }
  }
}
