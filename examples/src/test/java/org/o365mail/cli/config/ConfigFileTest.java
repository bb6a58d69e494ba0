package org.o365mail.cli.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.o365mail.FolderRef;
import org.o365mail.auth.AccountTypes;
import org.o365mail.importer.PostAction;
import org.o365mail.setup.SetupGuide;
import org.o365mail.testkit.internal.Pki;

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

  /** The README's keys of a PostgreSQL store, added to its example configuration, are valid and resolved. */
  @Test
  void theReadmesStoreKeys_areValid() throws Exception {
    String readme = Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
    int start = readme.indexOf("```properties\n");
    String text = readme.substring(start + "```properties\n".length(), readme.indexOf("```", start + 3));
    int store = readme.indexOf("```ini\ninvoices.store.user");
    assertThat(store).as("the README shows the store's keys").isNotNegative();
    text += readme.substring(store + "```ini\n".length(), readme.indexOf("```", store + 3));
    String key = Base64.getEncoder().encodeToString(new byte[32]);
    UnaryOperator<String> env = name -> switch (name) {
      case "INVOICES_CLIENT_SECRET" -> SECRET;
      case "O365MAIL_DB_PASSWORD" -> "db-password";
      case "O365MAIL_TOKEN_KEY" -> key;
      default -> null;
    };
    Path dir = Files.createTempDirectory("readme-store");
    Files.writeString(dir.resolve("next-secret"), "Xyz8Q~the-next-secret-0123456789abcdefgh");
    ConnectionConfig c = ConfigFile.parse(text, dir.resolve("o365mail.properties"), env).connection(null);
    assertThat(c.storeUser()).contains("o365mail");
    assertThat(c.storePassword()).hasValueSatisfying(p -> assertThat(new String(p)).isEqualTo("db-password"));
    assertThat(c.tokenStoreUrl()).contains("jdbc:postgresql://db.contoso.com:5432/o365mail");
    assertThat(c.tokenStore()).isEmpty();
    assertThat(c.tokenStoreKey()).isPresent();
    assertThat(c.toString()).doesNotContain("db-password");
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
      "invoices.postAction | move:/ | invoices.postAction 'move:/' names no folder",
      "invoices.postAction | move: | invoices.postAction 'move:' names no folder",
      "invoices.parkFolder | / | invoices.parkFolder '/' is not a folder path",
      "invoices.folder | Inbox//Sub | invoices.folder: folder path 'Inbox//Sub' has an empty level",
      "invoices.graphBaseUrl | https:// | invoices.graphBaseUrl 'https://' is not a URL",
      "invoices.graphBaseUrl | /v1.0 | invoices.graphBaseUrl '/v1.0' must be an https URL with a host",
      "invoices.graphBaseUrl | https://graph.example/v1.0?tenant=x | invoices.graphBaseUrl 'https://graph.example/v1.0?tenant=x' must have no user, query",
      "invoices.authorityHost | https:// | invoices.authorityHost 'https://' is not a URL",
      "invoices.authorityHost | https://login.example/contoso.com | invoices.authorityHost 'https://login.example/contoso.com' must be only the scheme and host",
      "invoices.imapHost | imaps://outlook.office365.com | invoices.imapHost 'imaps://outlook.office365.com' is not a host name",
      "invoices.smtpHost | smtp.office365.com:587 | invoices.smtpHost 'smtp.office365.com:587' is not a host name",
      "invoices.imapPort | 0 | invoices.imapPort '0' is not a port number",
      "invoices.graphRequestWindow | 10/600 | invoices.graphRequestWindow '10/600' must be <requests>/<seconds>",
      "invoices.tenant | common | invoices.tenant: tenant 'common' is not a tenant",
      "invoices.accountTypes | PERSONAL_ONLY | invoices.accountTypes PERSONAL_ONLY: accountTypes PERSONAL_ONLY is not supported",
      "invoices.clientSecret | env: | invoices.clientSecret = env: names no environment variable",
      "invoices.tokenStore.key | env:NOT_SET | invoices.tokenStore.key refers to environment variable NOT_SET",
      "invoices.trustStore | /nonexistent/trust.pem | invoices.trustStore: file /nonexistent/trust.pem does not exist",
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

  @Test
  void aKeySetTwice_isNamedWithItsLines() {
    String text = String.join("\n", "# invoices", "invoices.clientId = 1b2c3d4e-0000-1111-2222-333344445555",
        "invoices.tenant = contoso.onmicrosoft.com", "invoices.flow = client-secret",
        "invoices.clientSecret = env:INVOICES_SECRET", "invoices.protocol = imap",
        "invoices.mailbox = invoices@contoso.com", "", "! later, by someone else",
        "invoices.mailbox = other@contoso.com");
    assertThatThrownBy(() -> ConfigFile.parse(text, Path.of("t.properties"), ENV))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
            .containsExactly("invoices.mailbox is set twice, on lines 7 and 10: keep one"));
  }

  @Test
  void continuationLines_areOneEntry_andLineNumbersCountThem() {
    String text = String.join("\r\n", "invoices.clientId = 1b2c3d4e-0000-1111-\\", "    2222-333344445555",
        "# a comment ending in a backslash does not continue \\", "invoices.tenant = contoso.onmicrosoft.com",
        "invoices.flow = client-secret", "invoices.clientSecret = env:INVOICES_SECRET", "invoices.protocol = imap",
        "invoices.mailbox = invoices@contoso.com", "invoices.folder = Inbox/\\", "  Orders\\\\",
        "invoices.tenant = again.onmicrosoft.com");
    assertThatThrownBy(() -> ConfigFile.parse(text, Path.of("t.properties"), ENV))
        .hasMessageContaining("invoices.tenant is set twice, on lines 4 and 11");
    ConnectionConfig c = ConfigFile.parse(text.substring(0, text.lastIndexOf("\r\n")), Path.of("t.properties"), ENV)
        .connection(null);
    assertThat(c.clientId()).isEqualTo("1b2c3d4e-0000-1111-2222-333344445555");
    assertThat(c.folder()).isEqualTo(FolderRef.path("Inbox/Orders\\"));
  }

  @Test
  void aHundredThousandUnknownKeys_giveAFewLinesNamingTenAndCountingTheRest() {
    StringBuilder text = new StringBuilder();
    valid().forEach((k, v) -> text.append(k).append(" = ").append(v).append('\n'));
    for (int i = 0; i < 100_000; i++) {
      text.append("invoices.unknown").append(i).append(" = x\n");
    }
    assertThatThrownBy(() -> ConfigFile.parse(text.toString(), Path.of("t.properties"), ENV))
        .isInstanceOfSatisfying(ConfigException.class, e -> {
          assertThat(e.problems()).singleElement().asString().startsWith("invoices.unknown0, invoices.unknown1")
              .contains("invoices.unknown9 (and 99990 more) are not known keys");
          assertThat(e.getMessage().length()).isLessThan(1000);
        });
  }

  @Test
  void aThousandBrokenConnections_listTwentyProblemsAndCountTheRest() {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 1000; i++) {
      text.append("c").append(i).append(".clientId = x").append(i).append('\n');
    }
    assertThatThrownBy(() -> ConfigFile.parse(text.toString(), Path.of("t.properties"), ENV))
        .isInstanceOfSatisfying(ConfigException.class, e -> {
          assertThat(e.problems()).hasSize(ConfigException.SHOWN + 1).last().asString()
              .startsWith("... and ").endsWith(" more problems");
          assertThat(e.getMessage()).startsWith("t.properties: 4000 problems:").hasSizeLessThan(8000);
        });
  }

  @Test
  void aLongValue_isShortenedAndEscapedInTheMessage() {
    Map<String, String> values = valid();
    values.put("invoices.mailbox", "a\\u001b[31m" + "x".repeat(100_000));
    assertThatThrownBy(() -> parse(values)).isInstanceOfSatisfying(ConfigException.class, e -> assertThat(
        e.getMessage()).contains("a\\u001b[31m").contains("... (100006 characters)").hasSizeLessThan(400)
        .doesNotContain("\u001b"));
  }

  static Path write(Path dir, Map<String, String> values) throws Exception {
    String text = values.entrySet().stream().map(e -> e.getKey() + " = " + e.getValue())
        .collect(Collectors.joining("\n"));
    return Files.writeString(dir.resolve("o365mail.properties"), text, StandardCharsets.UTF_8);
  }

  static ConfigException problems(Path dir, Map<String, String> values) throws Exception {
    Path file = write(dir, values);
    return assertThrows(ConfigException.class, () -> ConfigFile.load(file, ENV));
  }

  @Test
  void aFifoADeviceADirectoryOrAnOversizedFile_isRefusedAtOnceNamingItsKey(@TempDir Path dir) throws Exception {
    Path fifo = dir.resolve("fifo");
    assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0, "mkfifo");
    assumeTrue(Files.exists(Path.of("/dev/zero")), "/dev/zero");
    Path big = Files.write(dir.resolve("big"), new byte[64 * 1024 + 1]);
    Path empty = Files.createFile(dir.resolve("empty"));
    Path sub = Files.createDirectory(dir.resolve("sub"));
    Map<String, String> cases = new LinkedHashMap<>();
    cases.put("file:fifo", "invoices.clientSecret refers to file " + fifo + " is not a regular file");
    cases.put("file:/dev/zero", "invoices.clientSecret refers to file /dev/zero is not a regular file");
    cases.put("file:sub", "invoices.clientSecret refers to file " + sub + " is a directory");
    cases.put("file:big", "invoices.clientSecret refers to file " + big + " has 65537 bytes, more than the 65536");
    cases.put("file:empty", "invoices.clientSecret refers to file " + empty + ", which is empty");
    assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
      for (Map.Entry<String, String> c : cases.entrySet()) {
        Map<String, String> values = valid();
        values.put("invoices.clientSecret", c.getKey());
        assertThat(problems(dir, values).problems()).as(c.getKey()).singleElement().asString()
            .startsWith(c.getValue());
      }
      for (String trust : List.of("fifo", "/dev/zero", "sub")) {
        Map<String, String> values = valid();
        values.put("invoices.trustStore", trust);
        assertThat(problems(dir, values).problems()).as(trust).singleElement().asString()
            .startsWith("invoices.trustStore: file ");
      }
      assertThat(assertThrows(ConfigException.class, () -> ConfigFile.load(fifo, ENV)).problems())
          .containsExactly("--config: " + fifo + " is not a regular file (a FIFO, a device or a socket), which is"
              + " refused without reading it");
      assertThat(assertThrows(ConfigException.class, () -> ConfigFile.load(Path.of("/dev/zero"), ENV)).problems())
          .singleElement().asString().startsWith("--config: /dev/zero is not a regular file");
      assertThat(assertThrows(ConfigException.class, () -> ConfigFile.load(sub, ENV)).problems())
          .containsExactly("--config: " + sub + " is a directory, not a file");
    });
  }

  @Test
  void aConfigurationFileOverOneMebibyte_orNotUtf8_isRefused(@TempDir Path dir) throws Exception {
    Path big = Files.write(dir.resolve("big.properties"), new byte[(1 << 20) + 1]);
    assertThat(assertThrows(ConfigException.class, () -> ConfigFile.load(big, ENV)).problems())
        .containsExactly("--config: " + big + " has 1048577 bytes, more than the 1048576 allowed");
    Path latin = Files.write(dir.resolve("latin.properties"), "a.mailbox = m\u00fcller@contoso.com"
        .getBytes(StandardCharsets.ISO_8859_1));
    assertThat(assertThrows(ConfigException.class, () -> ConfigFile.load(latin, ENV)).problems())
        .containsExactly("--config: " + latin + " is not UTF-8 text");
  }

  @Test
  void trustStore_isReadAsPkcs12OrPem_andAWrongPasswordOrFileIsNamed(@TempDir Path dir) throws Exception {
    KeyPair keys = Pki.rsaKeyPair();
    X509Certificate cert = Pki.serverCertificate(keys, Instant.now().minusSeconds(60), Instant.now().plusSeconds(3600));
    Pki.writeTrustStore(dir.resolve("trust.p12"), Pki.trustStore(cert), "changeit".toCharArray());
    Files.writeString(dir.resolve("ca.pem"), Pki.certificatePem(cert));
    Files.writeString(dir.resolve("key.pem"), Pki.privateKeyPem(keys.getPrivate()));
    Files.write(dir.resolve("random.bin"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
    Files.writeString(dir.resolve("password"), "changeit");
    Files.writeString(dir.resolve("wrong"), "wrong-password");

    Map<String, String> values = valid();
    values.put("invoices.trustStore", "trust.p12");
    values.put("invoices.trustStore.password", "file:password");
    KeyStore p12 = ConfigFile.load(write(dir, values), ENV).connection(null).trustAnchors().orElseThrow();
    assertThat(p12.getCertificate(p12.aliases().nextElement())).isEqualTo(cert);

    values.put("invoices.trustStore", "ca.pem");
    values.remove("invoices.trustStore.password");
    KeyStore pem = ConfigFile.load(write(dir, values), ENV).connection(null).trustAnchors().orElseThrow();
    assertThat(pem.getCertificate(pem.aliases().nextElement())).isEqualTo(cert);

    values.put("invoices.trustStore", "trust.p12");
    values.put("invoices.trustStore.password", "file:wrong");
    assertThat(problems(dir, values).problems()).containsExactly("invoices.trustStore: cannot open "
        + dir.resolve("trust.p12") + ": the password of invoices.trustStore.password is wrong");
    values.put("invoices.trustStore", "key.pem");
    assertThat(problems(dir, values).problems()).singleElement().asString()
        .startsWith("invoices.trustStore: " + dir.resolve("key.pem") + " holds no");
    values.put("invoices.trustStore", "random.bin");
    assertThat(problems(dir, values).problems()).containsExactly("invoices.trustStore: cannot open "
        + dir.resolve("random.bin") + ": it is neither a PKCS#12 (.p12, .pfx) nor a PEM certificate file");
  }

  @Test
  void certificate_withoutItsPrivateKey_orWithAWrongPassword_isNamed(@TempDir Path dir) throws Exception {
    KeyPair keys = Pki.rsaKeyPair();
    X509Certificate cert = Pki.clientCertificate(keys, "invoices", Instant.now().minusSeconds(60),
        Instant.now().plusSeconds(3600));
    Pki.writePkcs12(dir.resolve("app.p12"), "app", keys.getPrivate(), cert, "changeit".toCharArray());
    Pki.writeTrustStore(dir.resolve("public-only.p12"), Pki.trustStore(cert), "changeit".toCharArray());
    Files.writeString(dir.resolve("cert.pem"), Pki.certificatePem(cert));
    Files.writeString(dir.resolve("password"), "changeit");
    Files.writeString(dir.resolve("wrong"), "wrong-password");
    Map<String, String> values = valid();
    values.put("invoices.flow", "client-certificate");
    values.remove("invoices.clientSecret");
    values.put("invoices.certificate", "app.p12");
    values.put("invoices.certificate.password", "file:password");
    assertThat(ConfigFile.load(write(dir, values), ENV).connection(null).certificateFile()).isPresent();

    values.put("invoices.certificate", "public-only.p12");
    assertThat(problems(dir, values).problems()).singleElement().asString()
        .startsWith("invoices.certificate: " + dir.resolve("public-only.p12")).contains("holds no private key");
    values.put("invoices.certificate", "app.p12");
    values.put("invoices.certificate.password", "file:wrong");
    assertThat(problems(dir, values).problems()).singleElement().asString()
        .startsWith("invoices.certificate: " + dir.resolve("app.p12")).contains("wrong password");
    values.remove("invoices.certificate");
    values.remove("invoices.certificate.password");
    values.put("invoices.certificate.key", "cert.pem");
    values.put("invoices.certificate.cert", "cert.pem");
    assertThat(problems(dir, values).problems()).singleElement().asString()
        .startsWith("invoices.certificate.key: ").contains("holds no PEM private key");
  }

  @Test
  void aSecretPastedOnALineOfItsOwn_isNamedByItsLineNotEchoed() {
    StringBuilder text = new StringBuilder();
    valid().forEach((k, v) -> text.append(k).append(" = ").append(v).append('\n'));
    text.append(SECRET).append('\n').append("Xyz8Q~second.secret-0123456789abcdefghijk\n");
    assertThatThrownBy(() -> ConfigFile.parse(text.toString(), Path.of("t.properties"), ENV))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).singleElement().asString()
            .startsWith("the key on line 9, the key on line 10 do not start with a connection name")
            .doesNotContain("Abc8Q").doesNotContain("Xyz8Q"));
  }

  @Test
  void aTenantTheAppCannotUse_isNamedAlongsideOtherProblems() {
    Map<String, String> values = valid();
    values.put("invoices.tenant", "organizations");
    values.put("invoices.protocol", "pop3");
    assertThatThrownBy(() -> parse(values)).isInstanceOfSatisfying(ConfigException.class, e -> assertThat(
        e.problems()).hasSize(2).anySatisfy(p -> assertThat(p).startsWith("invoices.protocol 'pop3'"))
        .anySatisfy(p -> assertThat(p).startsWith("invoices.tenant: tenant 'organizations' is not a tenant")));
  }

  @Test
  void aTokenStoreUnderAFile_isNamed(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("notes"), "not a directory");
    Map<String, String> values = valid();
    values.put("invoices.tokenStore", "notes/tokens");
    assertThat(problems(dir, values).problems()).containsExactly("invoices.tokenStore: " + dir.resolve("notes")
        + " is not a directory: name the directory that keeps the sign-in (it is created when missing)");
    values.put("invoices.tokenStore", "new/tokens");
    assertThat(ConfigFile.load(write(dir, values), ENV).connection(null).tokenStore())
        .contains(dir.resolve("new/tokens"));
  }

  @Test
  void warnings_secretFileOthersCanRead_unencryptedTokenStore_oneMailboxInTwoConnections(@TempDir Path dir)
      throws Exception {
    assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"), "POSIX permissions");
    Path key = Files.writeString(dir.resolve("token-key"), Base64.getEncoder().encodeToString(new byte[32]));
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
    Map<String, String> values = valid();
    values.put("invoices.flow", "device-code");
    values.remove("invoices.clientSecret");
    values.put("invoices.tokenStore", "tokens");
    assertThat(ConfigFile.load(write(dir, values), ENV).connection(null).warnings()).containsExactly(
        "invoices.tokenStore: refresh tokens will be stored unencrypted in " + dir.resolve("tokens") + "; set"
            + " invoices.tokenStore.key = env:NAME (base64 of 32 random bytes) to encrypt them");

    values.put("invoices.tokenStore.key", "file:token-key");
    assertThat(ConfigFile.load(write(dir, values), ENV).connection(null).warnings()).containsExactly(
        "invoices.tokenStore.key: " + key + " holds a secret and is readable by group and others (rw-r--r--):"
            + " chmod 600 it so only the user of this service can read it");
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    assertThat(ConfigFile.load(write(dir, values), ENV).connection(null).warnings()).isEmpty();

    values.put("connections", "invoices, copy");
    values.put("copy.clientId", "2b2c3d4e-0000-1111-2222-333344445555");
    values.put("copy.tenant", "contoso.onmicrosoft.com");
    values.put("copy.flow", "client-secret");
    values.put("copy.clientSecret", "env:INVOICES_SECRET");
    values.put("copy.protocol", "graph");
    values.put("copy.mailbox", "INVOICES@contoso.com");
    ConfigFile two = ConfigFile.load(write(dir, values), ENV);
    assertThat(two.connection("copy").warnings()).singleElement().asString()
        .startsWith("invoices.mailbox and copy.mailbox are both invoices@contoso.com");
    assertThat(two.connection("invoices").warnings()).isEqualTo(two.connection("copy").warnings());
    values.put("copy.folder", "Inbox/Other");
    assertThat(ConfigFile.load(write(dir, values), ENV).connection("copy").warnings()).isEmpty();
  }
}
