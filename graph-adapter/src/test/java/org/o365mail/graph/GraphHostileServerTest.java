package org.o365mail.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.o365mail.FolderRef;
import org.o365mail.ListOptions;
import org.o365mail.MailboxException;
import org.o365mail.MessageId;
import org.o365mail.SyncBatch;
import org.o365mail.SyncState;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.importer.CheckpointStore;
import org.o365mail.importer.ImportResult;
import org.o365mail.importer.MailImporter;
import org.o365mail.importer.MailboxHealth;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testsupport.Secrets;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.internal.Pki;

/**
 * A hostile Graph: a raw HTTPS server on loopback, configured as the connector's Graph base URL (tokens come from the
 * local tenant), answering the folder requests like Graph and everything else out of bounds: pages larger than 16 MiB
 * (announced, and chunked without a length), a 100 MB error body, delta and listing pages that never end (empty
 * pages with new next links, a repeated next link), and a page trickled a byte a second. Each case ends in a clean
 * {@link MailboxException} naming the limit, within a time bound, after a bounded number of requests; the memory
 * cases run in a child JVM with a 64 MB heap. A second server on another port stands for any foreign place: no case
 * sends it anything, and every request carrying a token reached the configured origin.
 */
@Timeout(180)
@ExtendWith(LeakCheck.class)
class GraphHostileServerTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static final String FOLDER = "F1";
  static final String MAILBOX = "hostile@contoso.com";
  static final byte[] CHUNK = new byte[64 * 1024];

  static LocalTenant m365;
  static Tenant contoso;
  static Application app;
  static String secret;
  static CredentialStrategy credential;
  static SSLContext serverTls;
  static SSLContext trustBoth;
  static X509Certificate hostileCert;

  /** What the hostile server answers to anything but the folder requests. */
  interface Behaviour {
    void answer(HttpExchange exchange, int n) throws IOException;
  }

  HttpsServer hostile;
  HttpsServer foreign;
  ExecutorService threads;
  volatile Behaviour behaviour;
  final AtomicInteger requests = new AtomicInteger();
  final AtomicInteger hostileRequests = new AtomicInteger();
  final AtomicInteger tokensElsewhere = new AtomicInteger();
  final AtomicInteger foreignRequests = new AtomicInteger();
  final AtomicLong bytesSent = new AtomicLong();

  @BeforeAll
  static void model() throws Exception {
    m365 = M365.tenant();
    contoso = m365.createTenant("contoso.com");
    app = GraphApps.daemon(contoso, "Hostile", "Mail.ReadWrite");
    PasswordCredential s = app.addClientSecret("prod", Duration.ofDays(180));
    secret = s.value();
    Secrets.secret(secret);
    credential = GraphApps.clientCredentials(m365, contoso, app);
    KeyPair keys = Pki.rsaKeyPair();
    hostileCert = Pki.serverCertificate(keys, Instant.now().minus(Duration.ofDays(1)),
        Instant.now().plus(Duration.ofDays(1)));
    serverTls = Pki.serverContext(keys.getPrivate(), hostileCert);
    KeyStore both = KeyStore.getInstance("PKCS12");
    both.load(null, null);
    both.setCertificateEntry("tenant", m365.certificate());
    both.setCertificateEntry("hostile", hostileCert);
    trustBoth = Pki.clientContext(both);
  }

  @AfterAll
  static void close() {
    credential.close();
  }

  @BeforeEach
  void start() throws IOException {
    threads = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "hostile-graph");
      t.setDaemon(true);
      return t;
    });
    hostile = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    hostile.setHttpsConfigurator(new HttpsConfigurator(serverTls));
    hostile.setExecutor(threads);
    hostile.createContext("/", exchange -> {
      try (exchange) {
        requests.incrementAndGet();
        String host = exchange.getRequestHeaders().getFirst("Host");
        if (exchange.getRequestHeaders().containsKey("Authorization") && !origin().endsWith("//" + host)) {
          tokensElsewhere.incrementAndGet();
        }
        String path = exchange.getRequestURI().getRawPath();
        if (path.endsWith("/mailFolders/msgfolderroot")) {
          json(exchange, 200, "{\"id\":\"ROOT\",\"displayName\":\"Top of Information Store\"}");
        } else if (path.endsWith("/mailFolders/" + FOLDER)) {
          json(exchange, 200, "{\"id\":\"" + FOLDER + "\",\"displayName\":\"Inbox\",\"parentFolderId\":\"ROOT\"}");
        } else {
          behaviour.answer(exchange, hostileRequests.incrementAndGet());
        }
      } catch (IOException e) {
        // the client hung up on a hostile answer: what it is meant to do
      }
    });
    hostile.start();
    foreign = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    foreign.setHttpsConfigurator(new HttpsConfigurator(serverTls));
    foreign.createContext("/", exchange -> {
      foreignRequests.incrementAndGet();
      exchange.sendResponseHeaders(404, -1);
      exchange.close();
    });
    foreign.start();
  }

  @AfterEach
  void stop() {
    hostile.stop(0);
    foreign.stop(0);
    threads.shutdownNow();
    assertThat(foreignRequests.get()).as("requests to another origin").isZero();
    assertThat(tokensElsewhere.get()).as("tokens sent anywhere but the configured origin").isZero();
  }

  String origin() {
    return "https://" + m365.hostName() + ":" + hostile.getAddress().getPort();
  }

  String base() {
    return origin() + "/v1.0";
  }

  String deltaLink(String token) {
    return base() + "/users/" + MAILBOX + "/mailFolders/" + FOLDER + "/messages/delta?$skiptoken=" + token;
  }

  GraphMailboxConnector.Builder connector() {
    return GraphMailboxConnector.builder().mailbox(MAILBOX).credential(credential).baseUrl(base()).trust(trustBoth);
  }

  static void json(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
  }

  static String message(String id) {
    return "{\"id\":\"" + id + "\",\"subject\":\"s\",\"receivedDateTime\":\"2026-01-01T00:00:00Z\"}";
  }

  /** Writes {@code prefix}, then {@code filler} until {@code total} bytes or until the client hangs up. */
  void endless(HttpExchange exchange, int status, long length, String prefix, byte filler, long total)
      throws IOException {
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, length);
    OutputStream out = exchange.getResponseBody();
    byte[] head = prefix.getBytes(StandardCharsets.UTF_8);
    out.write(head);
    bytesSent.addAndGet(head.length);
    byte[] chunk = CHUNK.clone();
    Arrays.fill(chunk, filler);
    for (long sent = head.length; sent < total; sent += chunk.length) {
      out.write(chunk);
      bytesSent.addAndGet(chunk.length);
    }
  }

  /** A child JVM with a 64 MB heap syncing from the hostile server; its one line of output. */
  String child(Path dir) throws Exception {
    Path pem = dir.resolve("trust.pem");
    Files.writeString(pem, Pki.certificatePem(m365.certificate()) + Pki.certificatePem(hostileCert));
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx64m", "-cp", System.getProperty("java.class.path"), HostileGraphChild.class.getName(),
        m365.authorityHost().toString(), contoso.id(), app.clientId(), pem.toString(), base(), MAILBOX, FOLDER)
        .redirectError(ProcessBuilder.Redirect.DISCARD);
    pb.environment().put("O365MAIL_CHILD_SECRET", secret);
    Process p = pb.start();
    byte[] out;
    try (InputStream in = p.getInputStream()) {
      out = in.readAllBytes();
    }
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("child JVM ended").isTrue();
    String text = new String(out, StandardCharsets.UTF_8).trim();
    assertThat(p.exitValue()).as("child's exit code; its output: " + text).isZero();
    return text;
  }

  @Test
  void pageAnnouncedLargerThanTheCap_isRefusedBeforeReading_inA64MbHeap(@TempDir Path dir) throws Exception {
    behaviour = (exchange, n) -> endless(exchange, 200, 2L << 30, "{\"value\":[", (byte) ' ', 2L << 30);
    long started = System.nanoTime();
    String out = assertTimeoutPreemptively(Duration.ofSeconds(90), () -> child(dir));
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    assertThat(out).startsWith("CLEAN MailboxException").contains("announced 2147483648 bytes")
        .contains("16 MiB").contains("/messages/delta").doesNotContain("eyJ");
    assertThat(hostileRequests.get()).as("hostile requests").isEqualTo(1);
    assertThat(bytesSent.get()).as("bytes the server got out").isLessThan(8L << 20);
    System.out.printf("hostile graph: 2 GiB by Content-Length -> %s; %d request(s), %d bytes sent, child JVM %d ms%n",
        out, hostileRequests.get(), bytesSent.get(), took.toMillis());
  }

  @Test
  void chunkedPageWithoutLength_isCutAtTheCap_inA64MbHeap(@TempDir Path dir) throws Exception {
    // one message whose subject never ends: a parser would hold all of it
    behaviour = (exchange, n) -> endless(exchange, 200, 0, "{\"value\":[{\"id\":\"m1\",\"subject\":\"", (byte) 'A',
        2L << 30);
    long started = System.nanoTime();
    String out = assertTimeoutPreemptively(Duration.ofSeconds(90), () -> child(dir));
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    assertThat(out).startsWith("CLEAN MailboxException").contains("went on past 16 MiB").contains("/messages/delta")
        .doesNotContain("eyJ");
    assertThat(hostileRequests.get()).as("hostile requests").isEqualTo(1);
    assertThat(bytesSent.get()).as("bytes the server got out").isLessThan(24L << 20);
    System.out.printf("hostile graph: chunked 2 GiB page -> %s; %d request(s), %d bytes sent, child JVM %d ms%n", out,
        hostileRequests.get(), bytesSent.get(), took.toMillis());
  }

  @Test
  void errorBodyOf100Mb_isCutAtOneMib_inA64MbHeap(@TempDir Path dir) throws Exception {
    behaviour = (exchange, n) -> endless(exchange, 400, 0,
        "{\"error\":{\"code\":\"ErrorInvalidRequest\",\"message\":\"", (byte) 'E', 100L << 20);
    long started = System.nanoTime();
    String out = assertTimeoutPreemptively(Duration.ofSeconds(90), () -> child(dir));
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    assertThat(out).startsWith("CLEAN MailboxException").contains("error body (HTTP 400)").contains("1 MiB")
        .doesNotContain("eyJ");
    assertThat(hostileRequests.get()).as("hostile requests").isEqualTo(1);
    assertThat(bytesSent.get()).as("bytes the server got out").isLessThan(16L << 20);
    System.out.printf("hostile graph: 100 MB error body -> %s; %d request(s), %d bytes sent, child JVM %d ms%n", out,
        hostileRequests.get(), bytesSent.get(), took.toMillis());
  }

  @Test
  void deltaOfEndlessEmptyPages_stopsAfterFiftyInARow_andSoDoesTheNextCall() {
    behaviour = (exchange, n) -> json(exchange, 200, "{\"value\":[],\"@odata.nextLink\":\"" + deltaLink("e" + n)
        + "\"}");
    try (GraphMailboxConnector c = connector().build()) {
      for (int call = 1; call <= 2; call++) {
        int before = hostileRequests.get();
        long started = System.nanoTime();
        MailboxException e = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> catchSync(c, SyncState.BEGINNING));
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        assertThat(e).hasMessageContaining("50 empty pages in a row").hasMessageContaining("paging loop")
            .hasMessageContaining("not advanced");
        int delta = hostileRequests.get() - before;
        assertThat(delta).as("delta requests of call " + call).isEqualTo(50);
        assertThat(requests.get()).as("all requests so far").isLessThanOrEqualTo(60 * call);
        System.out.printf("hostile graph: endless empty delta pages, call %d -> %s after %d requests in %d ms%n",
            call, e.getClass().getSimpleName(), delta, millis);
      }
    }
  }

  /**
   * What the issue saw: an importer syncing a delta of endless empty pages (1,910 requests in 90 s, no end, as each
   * call came back after 50 pages with more to come). Each pass now ends after 50 delta requests, the mailbox
   * degraded with the loop's diagnosis; a second pass (what --follow does next) costs as much again, no more.
   */
  @Test
  void importerOnEndlessEmptyDeltaPages_endsEachPassAfterFiftyRequests() {
    behaviour = (exchange, n) -> json(exchange, 200, "{\"value\":[],\"@odata.nextLink\":\"" + deltaLink("e" + n)
        + "\"}");
    CheckpointStore store = CheckpointStore.inMemory();
    try (GraphMailboxConnector c = connector().build();
        MailImporter importer = MailImporter.builder().connector(c).folder(FolderRef.id(FOLDER)).checkpointStore(store)
            .handler(m -> { }).build()) {
      for (int pass = 1; pass <= 2; pass++) {
        int before = hostileRequests.get();
        long started = System.nanoTime();
        ImportResult r = assertTimeoutPreemptively(Duration.ofSeconds(30), importer::runOnce);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        assertThat(r.completed()).isFalse();
        assertThat(r.imported()).isZero();
        assertThat(hostileRequests.get() - before).as("delta requests of pass " + pass).isEqualTo(50);
        assertThat(importer.health().health()).isEqualTo(MailboxHealth.DEGRADED);
        assertThat(importer.health().diagnosis().orElseThrow().serviceCode()).isEqualTo("DeltaPagingLoop");
        System.out.printf("hostile graph: importer pass %d on endless empty pages -> %s after %d requests in %d ms%n",
            pass, importer.health().health(), hostileRequests.get() - before, millis);
      }
    }
  }

  @Test
  void deltaEmptyPagesCountAcrossCalls_theNextCallFailsOnItsFirstEmptyPage() {
    // one message, then empty pages: the first call stops after 50 pages (49 empty) and hands the message out
    behaviour = (exchange, n) -> json(exchange, 200, "{\"value\":[" + (n == 1 ? message("m1") : "")
        + "],\"@odata.nextLink\":\"" + deltaLink("p" + n) + "\"}");
    try (GraphMailboxConnector c = connector().build()) {
      SyncBatch first = c.sync(FolderRef.id(FOLDER), SyncState.BEGINNING, 100);
      assertThat(first.messages()).extracting(m -> m.id().value()).containsExactly("m1");
      assertThat(first.hasMore()).isTrue();
      assertThat(hostileRequests.get()).isEqualTo(50);
      MailboxException e = catchSync(c, first.next());
      assertThat(e).hasMessageContaining("50 empty pages in a row");
      assertThat(hostileRequests.get()).as("the second call's requests: one").isEqualTo(51);
    }
  }

  @Test
  void deltaRepeatingANextLink_stopsAtOnce_andHandsNothingOut() {
    // L1 -> L2 -> L1: each page has a message, so only the repeated link can tell the loop
    behaviour = (exchange, n) -> json(exchange, 200, "{\"value\":[" + message("m" + n) + "],\"@odata.nextLink\":\""
        + deltaLink(n % 2 == 1 ? "L1" : "L2") + "\"}");
    try (GraphMailboxConnector c = connector().build()) {
      long started = System.nanoTime();
      MailboxException e = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> catchSync(c, SyncState.BEGINNING));
      assertThat(e).hasMessageContaining("@odata.nextLink it had already given").hasMessageContaining("paging loop");
      assertThat(hostileRequests.get()).as("delta requests").isEqualTo(3);
      System.out.printf("hostile graph: repeated delta next link -> %s after %d requests in %d ms%n",
          e.getClass().getSimpleName(), hostileRequests.get(),
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    }
  }

  @Test
  void deltaRepeatedLinkAcrossCalls_isCaughtFromTheStoredState() {
    // every page points back at L1: the first call stops at its one message with L1 stored; the next call's page
    // names L1 again
    behaviour = (exchange, n) -> json(exchange, 200, "{\"value\":[" + message("m" + n) + "],\"@odata.nextLink\":\""
        + deltaLink("L1") + "\"}");
    try (GraphMailboxConnector c = connector().build()) {
      SyncBatch first = c.sync(FolderRef.id(FOLDER), SyncState.BEGINNING, 1);
      assertThat(first.messages()).hasSize(1);
      MailboxException e = catchSync(c, first.next());
      assertThat(e).hasMessageContaining("already given");
      assertThat(hostileRequests.get()).isEqualTo(2);
    }
  }

  @Test
  void listingRepeatingANextLink_stops() {
    behaviour = (exchange, n) -> json(exchange, 200, "{\"value\":[" + message("m" + n) + "],\"@odata.nextLink\":\""
        + base() + "/users/" + MAILBOX + "/mailFolders/" + FOLDER + "/messages?$skiptoken=same\"}");
    try (GraphMailboxConnector c = connector().build()) {
      assertThatThrownBy(() -> assertTimeoutPreemptively(Duration.ofSeconds(30),
          () -> c.listMessages(FolderRef.id(FOLDER), ListOptions.defaults()).stream().count()))
          .isInstanceOf(MailboxException.class).hasMessageContaining("already given");
      assertThat(hostileRequests.get()).isEqualTo(2);
    }
  }

  @Test
  void pageTrickledAByteASecond_endsAtTheAnswerTimeout_notAtTheInactivityTimeout() {
    behaviour = (exchange, n) -> {
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, 0);
      OutputStream out = exchange.getResponseBody();
      out.write('{');
      out.flush();
      for (int i = 0; i < 600; i++) {
        sleep(Duration.ofSeconds(1));
        out.write(' ');
        out.flush();
        bytesSent.incrementAndGet();
      }
    };
    try (GraphMailboxConnector c = connector().timeout(Duration.ofSeconds(10)).answerTimeout(Duration.ofSeconds(3))
        .build()) {
      long started = System.nanoTime();
      MailboxException e = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> catchSync(c, SyncState.BEGINNING));
      Duration took = Duration.ofNanos(System.nanoTime() - started);
      assertThat(e).hasMessageContaining("took longer than 3 s").hasMessageContaining("answer timeout");
      assertThat(took).isGreaterThanOrEqualTo(Duration.ofSeconds(3)).isLessThan(Duration.ofSeconds(30));
      assertThat(hostileRequests.get()).as("requests: not sent again").isEqualTo(1);
      System.out.printf("hostile graph: page trickled 1 byte/s -> %s after %d request(s) in %d ms%n",
          e.getClass().getSimpleName(), hostileRequests.get(), took.toMillis());
    }
  }

  @Test
  void streamedMimeLargerThanTheCap_isNotCapped() throws IOException {
    long size = 20L << 20;
    behaviour = (exchange, n) -> endless(exchange, 200, size, "", (byte) 'x', size);
    try (GraphMailboxConnector c = connector().build(); InputStream in = c.openMime(new MessageId("m1"))) {
      long read = assertTimeoutPreemptively(Duration.ofSeconds(60),
          () -> in.transferTo(OutputStream.nullOutputStream()));
      assertThat(read).isEqualTo(size);
    }
  }

  @Test
  void streamedMimesErrorBodyOf100Mb_isStillCutAtOneMib() {
    behaviour = (exchange, n) -> endless(exchange, 404, 0,
        "{\"error\":{\"code\":\"ErrorItemNotFound\",\"message\":\"", (byte) 'E', 100L << 20);
    try (GraphMailboxConnector c = connector().build()) {
      assertThatThrownBy(() -> assertTimeoutPreemptively(Duration.ofSeconds(30),
          () -> c.openMime(new MessageId("m1")).close())).isInstanceOf(MailboxException.class)
          .hasMessageContaining("error body (HTTP 404)").hasMessageContaining("past 1 MiB");
      assertThat(hostileRequests.get()).isEqualTo(1);
      assertThat(bytesSent.get()).as("bytes the server got out").isLessThan(16L << 20);
    }
  }

  MailboxException catchSync(GraphMailboxConnector c, SyncState state) {
    try {
      c.sync(FolderRef.id(FOLDER), state, 100);
    } catch (MailboxException e) {
      assertThat(e.getMessage()).doesNotContain("eyJ");
      return e;
    }
    throw new AssertionError("the sync ended without a failure");
  }

  static void sleep(Duration d) throws IOException {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }
}
