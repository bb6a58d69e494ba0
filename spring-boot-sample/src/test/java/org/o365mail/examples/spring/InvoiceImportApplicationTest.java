package org.o365mail.examples.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The sample application as it runs: its own {@code application.yml}, with the values it takes from the environment
 * given as properties, Tomcat on 127.0.0.1 and a free port, and the local Microsoft 365 tenant (the testkit) as the
 * tenant. The sample's connection {@code invoices} imports; a second connection, {@code unconsented}, has an app whose
 * Graph permission no admin consented. Actuator's health endpoint is read over real HTTP with the JDK's client.
 */
@SpringBootTest(classes = InvoiceImportApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@Timeout(60)
class InvoiceImportApplicationTest {
  private static final int MAX_BODY = 64 * 1024;
  static final LocalTenant M365 = LocalTenant.start();
  static final Tenant CONTOSO = M365.createTenant("contoso.com");
  static final Application CONSENTED = app("Invoices", true);
  static final Application UNCONSENTED = app("Unconsented", false);
  static final String SECRET = CONSENTED.addClientSecret("sample", Duration.ofDays(180)).value();
  static final String UNCONSENTED_SECRET = UNCONSENTED.addClientSecret("sample", Duration.ofDays(180)).value();
  static final Mailbox INVOICES = mailbox("invoices@contoso.com", 2);
  static final Mailbox UNCONSENTED_BOX = mailbox("unconsented@contoso.com", 1);
  static final Path DATA = tempDirectory();

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    registry.add("server.address", () -> "127.0.0.1");
    // what application.yml reads from the environment: property sources resolve ${...} alike
    registry.add("INVOICES_CLIENT_ID", CONSENTED::clientId);
    registry.add("INVOICES_TENANT", CONTOSO::id);
    registry.add("INVOICES_CLIENT_SECRET", () -> SECRET);
    registry.add("INVOICES_MAILBOX", INVOICES::address);
    registry.add("INVOICES_DATA", DATA::toString);
    registry.add("o365mail.import.invoices.poll-interval", () -> "200ms");
    local(registry, "invoices");

    String p = "o365mail.connections.unconsented.";
    registry.add(p + "client-id", UNCONSENTED::clientId);
    registry.add(p + "tenant", CONTOSO::id);
    registry.add(p + "flow", () -> "client-secret");
    registry.add(p + "client-secret", () -> UNCONSENTED_SECRET);
    registry.add(p + "protocol", () -> "graph");
    registry.add(p + "mailbox", UNCONSENTED_BOX::address);
    registry.add("o365mail.import.unconsented.enabled", () -> "true");
    registry.add("o365mail.import.unconsented.poll-interval", () -> "200ms");
    local(registry, "unconsented");
  }

  /** The local tenant's endpoints and its certificate authority instead of Microsoft's. */
  private static void local(DynamicPropertyRegistry registry, String name) {
    String p = "o365mail.connections." + name + ".";
    registry.add(p + "authority-host", () -> M365.authorityHost().toString());
    registry.add(p + "graph-base-url", () -> M365.graphBaseUrl().toString());
    registry.add(p + "trust-store", () -> DATA.resolve("trust.p12").toString());
    registry.add(p + "trust-store-password", () -> "changeit");
  }

  /** Set by Boot once the server listens (Boot 3's and 4's @LocalServerPort live in different packages). */
  @Value("${local.server.port}")
  int port;

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final ObjectMapper json = new ObjectMapper();

  @Test
  void healthOverHttp_showsTheImportingMailboxUp_andTheUnconsentedAppDownWithItsSetupStep_andNoSecret()
      throws Exception {
    Path eml = DATA.resolve("eml");
    await(() -> emlFiles(eml) == 2);
    assertThat(emlFiles(eml)).as("the sample's handler wrote each message of the mailbox").isEqualTo(2);
    await(() -> get("/actuator/health/o365mail/unconsented").body().contains("CONSENT_REQUIRED"));

    Reply mailbox = get("/actuator/health/o365mail/invoices");
    assertThat(mailbox.status()).isEqualTo(200);
    JsonNode up = json.readTree(mailbox.body());
    assertThat(up.path("status").asText()).isEqualTo("UP");
    assertThat(up.path("details").path("mailbox").asText()).isEqualTo("invoices@contoso.com");
    assertThat(up.path("details").path("state").asText()).isEqualTo("HEALTHY");

    Reply whole = get("/actuator/health");
    assertThat(whole.status()).as("Boot answers a DOWN health with 503").isEqualTo(503);
    JsonNode root = json.readTree(whole.body());
    assertThat(root.path("status").asText()).isEqualTo("DOWN");
    JsonNode o365mail = root.path("components").path("o365mail");
    assertThat(o365mail.path("status").asText()).isEqualTo("DOWN");
    assertThat(o365mail.path("components").path("invoices").path("status").asText()).isEqualTo("UP");
    JsonNode down = o365mail.path("components").path("unconsented");
    assertThat(down.path("status").asText()).isEqualTo("DOWN");
    JsonNode details = down.path("details");
    assertThat(details.path("mailbox").asText()).isEqualTo("unconsented@contoso.com");
    assertThat(details.path("state").asText()).isEqualTo("CONSENT_REQUIRED");
    assertThat(details.path("setupStep").asText()).isNotBlank();
    assertThat(details.path("fix").asText()).isNotBlank();
    assertThat(details.path("where").asText()).isNotBlank();

    Reply component = get("/actuator/health/o365mail");
    assertThat(component.status()).isEqualTo(503);
    for (Reply reply : new Reply[] {mailbox, whole, component}) {
      assertThat(reply.body()).doesNotContain(SECRET).doesNotContain(UNCONSENTED_SECRET)
          .as("no token (a JWT starts eyJ)").doesNotContain("eyJ");
    }
  }

  /** Status code and body (at most 64 KiB) of a GET, each bounded in time. */
  record Reply(int status, String body) {}

  private Reply get(String path) {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).GET().build();
    try {
      HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
      try (InputStream in = response.body()) {
        return new Reply(response.statusCode(), new String(in.readNBytes(MAX_BODY), StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static long emlFiles(Path dir) {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.getFileName().toString().endsWith(".eml")).count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
  }

  private static Application app(String name, boolean consented) {
    Application app = CONTOSO.registerApp(name);
    var permission = app.addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite");
    if (consented) {
      permission.grantAdminConsent();
    }
    return app;
  }

  private static Mailbox mailbox(String address, int messages) {
    Mailbox box = CONTOSO.addSharedMailbox(address);
    for (int i = 0; i < messages; i++) {
      box.deliver(TestMessages.text("sender@fabrikam.com", address, "Invoice " + i, "Body " + i));
    }
    return box;
  }

  @org.junit.jupiter.api.AfterAll
  static void cleanUp() throws IOException {
    M365.close();
    try (java.util.stream.Stream<Path> all = Files.walk(DATA)) {
      for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static Path tempDirectory() {
    try {
      Path dir = Files.createTempDirectory("o365mail-sample");
      M365.writeTrustStore(dir.resolve("trust.p12"), "changeit".toCharArray());
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
