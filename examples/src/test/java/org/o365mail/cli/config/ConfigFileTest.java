package org.o365mail.cli.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.o365mail.auth.AccountTypes;
import org.o365mail.importer.PostAction;
import org.o365mail.setup.SetupGuide;

class ConfigFileTest {
  static final String SECRET = "Abc8Q~the-secret-value-0123456789abcdefgh";
  static final UnaryOperator<String> ENV = name -> switch (name) {
    case "INVOICES_SECRET" -> SECRET;
    case "SHORT_KEY" -> "c2hvcnQ=";
    default -> null;
  };

  static Map<String, String> valid() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("invoices.clientId", "1b2c3d4e-0000-1111-2222-333344445555");
    m.put("invoices.tenant", "contoso.onmicrosoft.com");
    m.put("invoices.flow", "client-secret");
    m.put("invoices.clientSecret", "env:INVOICES_SECRET");
    m.put("invoices.clientSecret.expiresAt", "2027-05-31");
    m.put("invoices.protocol", "imap");
    m.put("invoices.mailbox", "invoices@contoso.com");
    m.put("invoices.postAction", "move:Inbox/Imported");
    return m;
  }

  static ConfigFile parse(Map<String, String> values) {
    String text = values.entrySet().stream().map(e -> e.getKey() + " = " + e.getValue())
        .collect(Collectors.joining("\n"));
    return ConfigFile.parse(text, Path.of("test.properties"), ENV);
  }

  @Test
  void aValidConnection() {
    ConnectionConfig c = parse(valid()).connection(null);
    assertThat(c.flow()).isEqualTo(SetupGuide.Flow.CLIENT_SECRET);
    assertThat(c.clientSecrets()).singleElement().satisfies(s -> {
      assertThat(s.value()).isEqualTo(SECRET);
      assertThat(s.expiresAt()).isPresent();
    });
    assertThat(c.postAction().kind()).isEqualTo(PostAction.Kind.MOVE);
    assertThat(c.accountTypes()).isEqualTo(AccountTypes.SINGLE_TENANT);
    assertThat(c.toString()).doesNotContain(SECRET);
  }

  @Test
  void theReadmesExampleConfiguration_isValid() throws Exception {
    String readme = Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
    int start = readme.indexOf("```properties\n");
    assertThat(start).as("the README shows a configuration").isNotNegative();
    String text = readme.substring(start + "```properties\n".length(), readme.indexOf("```", start + 3));
    UnaryOperator<String> env = name -> name.equals("INVOICES_CLIENT_SECRET") ? SECRET : null;
    Path dir = Files.createTempDirectory("readme-config");
    Files.writeString(dir.resolve("next-secret"), "Xyz8Q~the-next-secret-0123456789abcdefgh");
    ConnectionConfig c = ConfigFile.parse(text, dir.resolve("o365mail.properties"), env).connection(null);
    assertThat(c.name()).isEqualTo("invoices");
    assertThat(c.clientSecrets()).hasSize(2);
    assertThat(c.postAction().kind()).isEqualTo(PostAction.Kind.MOVE);
  }

  /** Every key wrong in turn: the message names that key and what is allowed. */
  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource(delimiter = '|', value = {
      "invoices.clientId | LogicalDOC | invoices.clientId 'LogicalDOC' is not a GUID",
      "invoices.accountTypes | EVERYONE | invoices.accountTypes 'EVERYONE' is not one of [SINGLE_TENANT",
      "invoices.cloud | MARS | invoices.cloud 'MARS' is not one of [GLOBAL",
      "invoices.flow | oauth | invoices.flow: flow 'oauth' is not one of client-secret",
      "invoices.clientSecret | Abc8Q~literal-secret-value-0123456789abcd | invoices.clientSecret holds a literal secret",
      "invoices.clientSecret | env:NOT_SET | invoices.clientSecret refers to environment variable NOT_SET, which is not set",
      "invoices.clientSecret | file:/nonexistent/secret | invoices.clientSecret refers to file /nonexistent/secret",
      "invoices.clientSecret.expiresAt | next year | invoices.clientSecret.expiresAt 'next year' is not a date",
      "invoices.protocol | pop3 | invoices.protocol 'pop3' is not one of graph, imap",
      "invoices.mailbox | invoices | invoices.mailbox 'invoices' is not an email address",
      "invoices.postAction | archive | invoices.postAction 'archive' is not one of none, mark-read, move:<folder path>, delete, purge",
      "invoices.authorityHost | http://login.example | invoices.authorityHost 'http://login.example' must be an https URL",
      "invoices.graphBaseUrl | http://graph.example/v1.0 | invoices.graphBaseUrl 'http://graph.example/v1.0' must be an https URL",
      "invoices.imapPort | 99999 | invoices.imapPort '99999' is not a port number",
      "invoices.smtpPort | five | invoices.smtpPort 'five' is not a port number",
      "invoices.trustStore | /nonexistent/trust.p12 | invoices.trustStore: file /nonexistent/trust.p12 does not exist",
      "invoices.trustStore.password | changeit | invoices.trustStore.password holds a literal secret",
      "invoices.tokenStore.key | c2hvcnQ= | invoices.tokenStore.key holds a literal secret",
      "invoices.tokenStore.key | env:SHORT_KEY | invoices.tokenStore.key must decode (base64) to 32 bytes",
      "invoices.password | hunter2 | invoices.password holds a literal secret",
      "invoices.colour | blue | invoices.colour is not a known key",
  })
  void everyKeyWrongInTurn_isNamed(String key, String value, String message) {
    Map<String, String> values = valid();
    values.put(key, value);
    assertThatThrownBy(() -> parse(values))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(message)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(SECRET));
  }

  @ParameterizedTest(name = "without {0}")
  @CsvSource(delimiter = '|', value = {
      "invoices.clientId | invoices.clientId is required",
      "invoices.flow | invoices.flow is required",
      "invoices.protocol | invoices.protocol is required",
      "invoices.mailbox | invoices.mailbox is required",
      "invoices.clientSecret | invoices.clientSecret is required for flow client-secret",
      "invoices.tenant | invoices.tenant is required for flow client-secret",
  })
  void requiredKeys_areNamed(String key, String message) {
    Map<String, String> values = valid();
    values.remove(key);
    assertThatThrownBy(() -> parse(values)).isInstanceOf(ConfigException.class).hasMessageContaining(message);
  }

  @Test
  void flowSpecificRequirements() {
    Map<String, String> ropc = valid();
    ropc.put("invoices.flow", "username-password");
    ropc.remove("invoices.clientSecret");
    assertThatThrownBy(() -> parse(ropc)).hasMessageContaining("invoices.username is required")
        .hasMessageContaining("invoices.password is required");
    Map<String, String> cert = valid();
    cert.put("invoices.flow", "client-certificate");
    assertThatThrownBy(() -> parse(cert)).hasMessageContaining("invoices.certificate (a PKCS#12 file)");
    Map<String, String> device = valid();
    device.put("invoices.flow", "device-code");
    device.remove("invoices.tenant");
    assertThatThrownBy(() -> parse(device)).hasMessageContaining("invoices.tenant is required when accountTypes is SINGLE_TENANT");
    device.put("invoices.accountTypes", "MULTI_TENANT");
    assertThat(parse(device).connection("invoices").flow()).isEqualTo(SetupGuide.Flow.DEVICE_CODE);
  }

  @Test
  void severalConnections_andAllProblemsAtOnce(@TempDir Path dir) throws Exception {
    Path secret = dir.resolve("secret");
    Files.writeString(secret, SECRET + "\n", StandardCharsets.UTF_8);
    String text = "connections = a, b\n"
        + String.join("\n", List.of(
            "a.clientId = 1b2c3d4e-0000-1111-2222-333344445555", "a.tenant = contoso.com", "a.flow = client-secret",
            "a.clientSecret = file:secret", "a.protocol = graph", "a.mailbox = a@contoso.com",
            "b.clientId = nope", "b.flow = device-code", "b.protocol = imap", "b.mailbox = b@contoso.com"));
    Path file = dir.resolve("o365mail.properties");
    Files.writeString(file, text, StandardCharsets.UTF_8);
    assertThatThrownBy(() -> ConfigFile.load(file, ENV))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).hasSize(2)
            .anySatisfy(p -> assertThat(p).startsWith("b.clientId"))
            .anySatisfy(p -> assertThat(p).startsWith("b.tenant")));
    Files.writeString(file, text.replace("b.clientId = nope", "b.clientId = 2b2c3d4e-0000-1111-2222-333344445555")
        .replace("b.flow = device-code", "b.flow = device-code\nb.tenant = contoso.com"), StandardCharsets.UTF_8);
    ConfigFile config = ConfigFile.load(file, ENV);
    assertThat(config.connections()).containsOnlyKeys("a", "b");
    assertThat(config.connection("a").clientSecrets().get(0).value()).isEqualTo(SECRET);
    assertThatThrownBy(() -> config.connection(null)).hasMessageContaining("--connection");
    assertThatThrownBy(() -> config.connection("c")).hasMessageContaining("no connection 'c'");
  }
}
