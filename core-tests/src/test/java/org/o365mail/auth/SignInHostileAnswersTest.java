package org.o365mail.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.o365mail.MailboxException;
import org.o365mail.doctor.ConnectionDoctor;
import org.o365mail.doctor.DoctorCheck;
import org.o365mail.doctor.DoctorReport;
import org.o365mail.testing.InMemoryMailboxConnector;
import org.o365mail.testkit.internal.Pki;

/**
 * Sign-in endpoints that answer with hostile sizes and speeds: every answer is capped (1 MiB) and every exchange
 * ends within the credential's timeout, with an error naming the endpoint. Small TLS servers on loopback.
 */
@Timeout(120)
class SignInHostileAnswersTest {
  static final long TWO_GB = 2L * 1024 * 1024 * 1024;

  /** A 2 GB token answer, announced by Content-Length or streamed chunked, in a JVM with a 48 MB heap. */
  @Test
  void tokenAnswerOf2GB_announcedOrStreamed_isRefusedWithoutRunningOutOfMemory(@TempDir Path dir) throws Exception {
    for (String mode : List.of("announced", "chunked")) {
      Path log = dir.resolve(mode + ".log");
      Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Xmx48m", "-XX:+ExitOnOutOfMemoryError", "-cp", System.getProperty("java.class.path"),
          HugeAnswerChild.class.getName(), mode)
          .redirectErrorStream(true).redirectOutput(log.toFile()).start();
      boolean ended = child.waitFor(90, TimeUnit.SECONDS);
      if (!ended) {
        child.destroyForcibly();
      }
      String out = Files.readString(log);
      assertThat(ended).as(mode + ": " + out).isTrue();
      assertThat(child.exitValue()).as(mode + ": " + out).isZero();
      assertThat(out).contains("code=answer_too_large").contains("/oauth2/v2.0/token")
          .contains("more than " + (1 << 20) + " bytes");
    }
  }

  @Test
  void deviceCodeAnswerTrickledAByteASecond_failsWithinTheTimeout_namingTheEndpoint() throws Exception {
    try (HostileServer server = HostileServer.start(HostileServer.Mode.TRICKLE)) {
      Duration timeout = Duration.ofSeconds(3);
      try (DeviceCodeCredential login = CredentialStrategy.deviceCode(server.app()).timeout(timeout).maxAttempts(1)
          .build()) {
        long start = System.nanoTime();
        MailboxException e = assertTimeoutPreemptively(Duration.ofSeconds(30),
            () -> catchThrowableOfType(MailboxException.class, login::start));
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(e).isNotNull();
        assertThat(e.serviceErrorCode()).contains("timeout");
        assertThat(e.getMessage()).contains("/oauth2/v2.0/devicecode").contains("did not answer completely within");
        assertThat(took).as("the deadline covers the body, not only silence").isLessThan(timeout.plusSeconds(5));
        assertThat(server.bytesSent()).as("the server was still trickling").isGreaterThan(0);
      }
    }
  }

  @Test
  void tokenEndpointThatNeverAnswers_failsWithinTheTimeout() throws Exception {
    try (HostileServer server = HostileServer.start(HostileServer.Mode.SILENT)) {
      Duration timeout = Duration.ofSeconds(3);
      try (CredentialStrategy s = CredentialStrategy.clientCredentials(server.app())
          .secret(ClientSecret.of("hostile-test-secret")).timeout(timeout).maxAttempts(1).build()) {
        long start = System.nanoTime();
        MailboxException e = assertTimeoutPreemptively(Duration.ofSeconds(30),
            () -> catchThrowableOfType(MailboxException.class, () -> s.token(TokenRequest.graph())));
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(e).isNotNull();
        assertThat(e.serviceErrorCode()).contains("timeout");
        assertThat(e.getMessage()).doesNotContain("hostile-test-secret");
        assertThat(took).isLessThan(timeout.plusSeconds(5));
        assertThat(server.requests()).anyMatch(r -> r.contains("/oauth2/v2.0/token"));
      }
    }
  }

  /** The doctor's own metadata read is bounded the same way (15 s for the whole answer). */
  @Test
  void doctorAgainstATricklingAuthority_failsTheAuthorityCheckWithinItsDeadline() throws Exception {
    try (HostileServer server = HostileServer.start(HostileServer.Mode.TRICKLE);
        CredentialStrategy s = CredentialStrategy.clientCredentials(server.app())
            .secret(ClientSecret.of("hostile-test-secret")).maxAttempts(1).build()) {
      long start = System.nanoTime();
      DoctorReport report = assertTimeoutPreemptively(Duration.ofSeconds(60),
          () -> ConnectionDoctor.builder().credential(s)
              .connector(() -> InMemoryMailboxConnector.create("doctor@contoso.com"))
              .token(TokenRequest.graph(), TokenPreflight.Requirement.graphReadWrite()).build().examine());
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      assertThat(report.checks().get(0).status()).isEqualTo(DoctorCheck.Status.FAIL);
      assertThat(report.checks().get(0).detail()).contains("DeadlineException");
      assertThat(took).isLessThan(Duration.ofSeconds(15 + 10));
      assertThat(server.requests()).anyMatch(r -> r.contains("/.well-known/openid-configuration"));
    }
  }

  /** SIGTERM during a device-code request that trickles: the JVM ends at once (no thread or hook holds it). */
  @Test
  void sigtermDuringATrickledSignIn_endsTheProcessWithinSeconds(@TempDir Path dir) throws Exception {
    Path log = dir.resolve("child.log");
    Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx64m", "-cp", System.getProperty("java.class.path"), TrickledLoginChild.class.getName())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!Files.readString(log).contains("request sent") && System.nanoTime() < deadline && child.isAlive()) {
        Thread.onSpinWait();
      }
      assertThat(Files.readString(log)).contains("request sent");
      long start = System.nanoTime();
      child.destroy(); // SIGTERM
      assertThat(child.waitFor(20, TimeUnit.SECONDS)).as(Files.readString(log)).isTrue();
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      assertThat(took).as("stopped on SIGTERM").isLessThan(Duration.ofSeconds(5));
    } finally {
      child.destroyForcibly();
    }
  }

  /** The child of the 2 GB test: serves the answer itself and asks for a token, printing the outcome. */
  public static final class HugeAnswerChild {
    public static void main(String[] args) throws Exception {
      HostileServer.Mode mode = args[0].equals("announced") ? HostileServer.Mode.HUGE_ANNOUNCED
          : HostileServer.Mode.HUGE_CHUNKED;
      try (HostileServer server = HostileServer.start(mode);
          CredentialStrategy s = CredentialStrategy.clientCredentials(server.app())
              .secret(ClientSecret.of("hostile-test-secret")).timeout(Duration.ofSeconds(60)).maxAttempts(1).build()) {
        try {
          s.token(TokenRequest.graph());
          System.out.println("unexpected: a token");
          System.exit(3);
        } catch (MailboxException e) {
          System.out.println("code=" + e.serviceErrorCode().orElse("none") + " message=" + e.getMessage()
              + " sent=" + server.bytesSent());
          System.exit(e.serviceErrorCode().orElse("").equals("answer_too_large") ? 0 : 4);
        }
      }
    }
  }

  /** The child of the SIGTERM test: a device-code start against a server that trickles, with a long timeout. */
  public static final class TrickledLoginChild {
    public static void main(String[] args) throws Exception {
      HostileServer server = HostileServer.start(HostileServer.Mode.TRICKLE);
      server.onRequest = () -> {
        System.out.println("request sent");
        System.out.flush();
      };
      DeviceCodeCredential login = CredentialStrategy.deviceCode(server.app()).timeout(Duration.ofMinutes(10)).build();
      login.start();
      System.out.println("unexpected: start returned");
      System.exit(3);
    }
  }

  /** A TLS server on loopback that reads one request per connection and answers it in a hostile way. */
  static final class HostileServer implements AutoCloseable {
    enum Mode { HUGE_ANNOUNCED, HUGE_CHUNKED, TRICKLE, SILENT }

    private final Mode mode;
    private final ServerSocket socket;
    private final SSLContext clientTrust;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();
    volatile Runnable onRequest = () -> { };

    private HostileServer(Mode mode) throws IOException {
      this.mode = mode;
      KeyPair keys = Pki.rsaKeyPair();
      X509Certificate cert = Pki.serverCertificate(keys, Instant.now().minusSeconds(60),
          Instant.now().plus(Duration.ofDays(1)));
      SSLContext serverTls = Pki.serverContext(keys.getPrivate(), cert);
      this.clientTrust = Pki.clientContext(Pki.trustStore(cert));
      this.socket = serverTls.getServerSocketFactory().createServerSocket(0, 50, InetAddress.getLoopbackAddress());
      Thread acceptor = new Thread(this::acceptLoop, "hostile-accept");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    static HostileServer start(Mode mode) throws IOException {
      return new HostileServer(mode);
    }

    AppRegistration app() {
      return AppRegistration.builder().clientId("11111111-2222-3333-4444-555555555555").tenant("contoso.com")
          .authorityHost(URI.create("https://localhost:" + socket.getLocalPort())).trust(clientTrust).build();
    }

    List<String> requests() {
      return requests;
    }

    long bytesSent() {
      return sent.get();
    }

    private void acceptLoop() {
      while (!socket.isClosed()) {
        try {
          Socket s = socket.accept();
          Thread t = new Thread(() -> serve(s), "hostile-conn");
          t.setDaemon(true);
          t.start();
        } catch (IOException e) {
          return;
        }
      }
    }

    private void serve(Socket s) {
      try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
        String head = readHead(in);
        requests.add(head.lines().findFirst().orElse(""));
        long length = head.lines().filter(l -> l.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:"))
            .mapToLong(l -> Long.parseLong(l.substring(15).trim())).findFirst().orElse(0);
        in.readNBytes((int) length);
        onRequest.run();
        switch (mode) {
          case SILENT -> in.read(); // until the client gives up and closes
          case TRICKLE -> {
            write(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{");
            while (true) {
              write(out, " ");
              sleepOneSecond();
            }
          }
          case HUGE_ANNOUNCED -> {
            write(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + TWO_GB
                + "\r\n\r\n{\"access_token\":\"");
            stream(out, false);
          }
          case HUGE_CHUNKED -> {
            write(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
            stream(out, true);
          }
          default -> throw new IllegalStateException(mode.name());
        }
      } catch (IOException e) {
        // the client hung up: what a refused answer looks like from here
      }
    }

    /** Up to 2 GB of token characters, until the client stops reading. */
    private void stream(OutputStream out, boolean chunked) throws IOException {
      byte[] block = new byte[64 * 1024];
      java.util.Arrays.fill(block, (byte) 'a');
      byte[] chunkHead = (Integer.toHexString(block.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
      for (long n = 0; n < TWO_GB; n += block.length) {
        if (chunked) {
          out.write(chunkHead);
        }
        out.write(block);
        if (chunked) {
          out.write(new byte[] {'\r', '\n'});
        }
        sent.addAndGet(block.length);
      }
    }

    private void write(OutputStream out, String text) throws IOException {
      byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
      out.write(bytes);
      out.flush();
      sent.addAndGet(bytes.length);
    }

    private static void sleepOneSecond() throws IOException {
      try {
        Thread.sleep(1000); // the hostile server's pace, not a test's wait
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
    }

    private static String readHead(InputStream in) throws IOException {
      StringBuilder head = new StringBuilder();
      int c;
      while ((c = in.read()) >= 0) {
        head.append((char) c);
        if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
          break;
        }
      }
      return head.toString();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
