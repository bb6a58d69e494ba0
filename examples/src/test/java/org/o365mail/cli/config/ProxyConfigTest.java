package org.o365mail.cli.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.o365mail.ProxySettings;

/** The CLI's proxy keys: proxy, proxy.user, proxy.password (env: or file: only) and proxy.noProxy. */
class ProxyConfigTest {
  static final String PROXY_PASSWORD = "proxy-pass-0123456789";
  static final UnaryOperator<String> ENV = name -> switch (name) {
    case "INVOICES_SECRET" -> ConfigFileTest.SECRET;
    case "PROXY_PASSWORD" -> PROXY_PASSWORD;
    default -> null;
  };

  static ConfigFile parse(Map<String, String> extra) {
    Map<String, String> m = ConfigFileTest.valid();
    m.putAll(extra);
    String text = m.entrySet().stream().map(e -> e.getKey() + " = " + e.getValue()).collect(Collectors.joining("\n"));
    return ConfigFile.parse(text, Path.of("test.properties"), ENV);
  }

  @Test
  void anHttpProxyWithCredentialsAndANoProxyList() {
    ConnectionConfig c = parse(Map.of("invoices.proxy", "http://proxy.corp.example:3128",
        "invoices.proxy.user", "svc-mail", "invoices.proxy.password", "env:PROXY_PASSWORD",
        "invoices.proxy.noProxy", "*.corp.example, 10.0.0.7")).connection(null);
    ProxySettings p = c.proxy();
    assertThat(p.describe()).isEqualTo("HTTP proxy proxy.corp.example:3128");
    assertThat(p.username()).contains("svc-mail");
    assertThat(p.password()).containsExactly(PROXY_PASSWORD.toCharArray());
    assertThat(p.noProxy()).containsExactly("*.corp.example", "10.0.0.7");
    assertThat(p.toString()).doesNotContain(PROXY_PASSWORD);
  }

  @Test
  void withoutAProxyKeyTheJvmsSettingsApply_andSocks5Parses() {
    assertThat(parse(Map.of()).connection(null).proxy()).isSameAs(ProxySettings.system());
    assertThat(parse(Map.of("invoices.proxy", "socks5://127.0.0.1:1080")).connection(null).proxy().type())
        .isEqualTo(ProxySettings.Type.SOCKS5);
  }

  @Test
  void mistakesNameTheirKey_andNeverEchoASecret() {
    assertThatThrownBy(() -> parse(Map.of("invoices.proxy", "http://svc:" + PROXY_PASSWORD + "@proxy:3128")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("invoices.proxy")
        .hasMessageNotContaining(PROXY_PASSWORD);
    assertThatThrownBy(() -> parse(Map.of("invoices.proxy", "http://proxy:3128",
        "invoices.proxy.password", PROXY_PASSWORD)))
        .isInstanceOf(ConfigException.class).hasMessageContaining("invoices.proxy.password")
        .hasMessageNotContaining(PROXY_PASSWORD);
    assertThatThrownBy(() -> parse(Map.of("invoices.proxy", "http://proxy:3128", "invoices.proxy.user", "svc")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("invoices.proxy.password is missing");
    assertThatThrownBy(() -> parse(Map.of("invoices.proxy.noProxy", "localhost")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("invoices.proxy is missing");
    assertThatThrownBy(() -> parse(Map.of("invoices.proxy", "socks5://proxy:1080", "invoices.proxy.user", "svc",
        "invoices.proxy.password", "env:PROXY_PASSWORD")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("invoices.proxy.user");
  }
}
