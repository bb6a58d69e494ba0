package org.o365mail.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.User;

/**
 * The tool's commands as real processes, stopped by SIGTERM while they wait: {@code login} for a user who never
 * comes, and {@code login}, {@code doctor} and {@code send} on an identity endpoint that accepts the connection and
 * never answers. Each ends within a bound with exit code 143.
 */
@Timeout(300)
class CommandsStopTest {
  static LocalTenant m365;
  static Tenant contoso;

  @BeforeAll
  static void start() {
    m365 = LocalTenant.start();
    contoso = m365.createTenant("contoso.com");
  }

  @AfterAll
  static void stop() {
    m365.close();
  }

  @Test
  void login_waitingForTheUser_stopsOnSigterm(@TempDir Path dir) throws Exception {
    Application app = contoso.registerApp("stop login app").allowPublicClientFlows(true);
    app.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read", "Mail.ReadWrite").grantAdminConsent();
    User user = contoso.addUser("stop-login@contoso.com", CommandsTest.PASSWORD);
    m365.writeTrustStore(dir.resolve("trust.p12"), "changeit".toCharArray());
    Files.writeString(dir.resolve("trust-password"), "changeit");
    Path config = Files.writeString(dir.resolve("c.properties"), String.join("\n",
        "c.clientId = " + app.clientId(), "c.tenant = " + contoso.id(), "c.flow = device-code", "c.protocol = graph",
        "c.mailbox = " + user.userPrincipalName(), "c.authorityHost = " + m365.authorityHost(),
        "c.trustStore = trust.p12", "c.trustStore.password = file:trust-password", "c.tokenStore = tokens", ""));
    Path log = dir.resolve("login.log");
    Process login = tool(log, "login", "--config", config.toString(), "--timeout", "PT15M");
    m365.deviceCodes().awaitPending(Duration.ofSeconds(60)); // shown to the user, who does not come
    awaitLog(login, log, "To sign in");

    ImportStopTest.Stopped s = ImportStopTest.stop(login, "TERM");
    System.out.printf("login waiting for the user: SIGTERM, exit %d after %d ms%n", s.exit(), s.millis());
    assertThat(s.exit()).as(ChildProcesses.log(log)).isEqualTo(143);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"login", "doctor", "send"})
  void aCommandWaitingOnAnIdentityEndpointThatNeverAnswers_stopsOnSigterm(String command, @TempDir Path dir)
      throws Exception {
    try (SilentServer silent = new SilentServer()) {
      Files.writeString(dir.resolve("secret"), "not-a-real-secret");
      m365.writeTrustStore(dir.resolve("trust.p12"), "changeit".toCharArray());
      Files.writeString(dir.resolve("trust-password"), "changeit");
      String flow = command.equals("login") ? "c.flow = device-code\nc.tokenStore = tokens"
          : "c.flow = client-secret\nc.clientSecret = file:secret";
      Path config = Files.writeString(dir.resolve("c.properties"), String.join("\n",
          "c.clientId = 00000000-0000-0000-0000-00000000abcd", "c.tenant = " + contoso.id(), flow, "c.protocol = graph",
          "c.mailbox = someone@contoso.com", "c.authorityHost = https://127.0.0.1:" + silent.port(),
          "c.graphBaseUrl = " + m365.graphBaseUrl(), "c.trustStore = trust.p12",
          "c.trustStore.password = file:trust-password", ""));
      List<String> args = new ArrayList<>(List.of(command, "--config", config.toString()));
      if (command.equals("send")) {
        args.addAll(List.of("--to", "someone@fabrikam.com", "--subject", "hello"));
      }
      Path log = dir.resolve(command + ".log");
      Process p = tool(log, args.toArray(String[]::new));
      assertThat(silent.awaitConnection(Duration.ofSeconds(60))).as(ChildProcesses.log(log)).isTrue();
      assertThat(p.isAlive()).as(ChildProcesses.log(log)).isTrue();

      ImportStopTest.Stopped s = ImportStopTest.stop(p, "TERM");
      System.out.printf("%s waiting on a silent identity endpoint: SIGTERM, exit %d after %d ms%n", command, s.exit(),
          s.millis());
      assertThat(s.exit()).as(ChildProcesses.log(log)).isEqualTo(143);
    }
  }

  @Test
  void login_onAnIdentityEndpointThatNeverAnswers_endsAtItsTimeout(@TempDir Path dir) throws Exception {
    try (SilentServer silent = new SilentServer()) {
      m365.writeTrustStore(dir.resolve("trust.p12"), "changeit".toCharArray());
      Files.writeString(dir.resolve("trust-password"), "changeit");
      Path config = Files.writeString(dir.resolve("c.properties"), String.join("\n",
          "c.clientId = 00000000-0000-0000-0000-00000000abcd", "c.tenant = " + contoso.id(), "c.flow = device-code",
          "c.tokenStore = tokens", "c.protocol = graph", "c.mailbox = someone@contoso.com",
          "c.authorityHost = https://127.0.0.1:" + silent.port(), "c.graphBaseUrl = " + m365.graphBaseUrl(),
          "c.trustStore = trust.p12", "c.trustStore.password = file:trust-password", ""));
      Path log = dir.resolve("login.log");
      long start = System.nanoTime();
      Process p = tool(log, "login", "--config", config.toString(), "--timeout", "PT3S");
      // the credential's own request timeout is 60 s: only --timeout can end this within the bound
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).as(ChildProcesses.log(log)).isTrue();
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      System.out.printf("login --timeout PT3S on a silent identity endpoint: exit %d after %d ms%n", p.exitValue(),
          millis);
      assertThat(p.exitValue()).as(ChildProcesses.log(log)).isEqualTo(O365Mail.FAILURES);
      assertThat(ChildProcesses.log(log)).contains("did not complete within --timeout PT3S");
      assertThat(silent.awaitConnection(Duration.ZERO)).isTrue();
    }
  }

  static Process tool(Path log, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), O365Mail.class.getName()));
    command.addAll(List.of(args));
    return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  static void awaitLog(Process p, Path log, String text) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (p.isAlive() && !ChildProcesses.log(log).contains(text) && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(ChildProcesses.log(log)).contains(text);
    assertThat(p.isAlive()).isTrue();
  }

  /** A server on loopback that accepts connections and never says a word (not even the TLS handshake). */
  static final class SilentServer implements AutoCloseable {
    private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    private final List<Socket> accepted = Collections.synchronizedList(new ArrayList<>());
    private final CountDownLatch connected = new CountDownLatch(1);
    private final Thread acceptor = new Thread(this::accept, "silent-server");

    SilentServer() throws IOException {
      acceptor.setDaemon(true);
      acceptor.start();
    }

    int port() {
      return server.getLocalPort();
    }

    boolean awaitConnection(Duration timeout) throws InterruptedException {
      return connected.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void accept() {
      try {
        while (true) {
          accepted.add(server.accept());
          connected.countDown();
        }
      } catch (IOException e) {
        // closed
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
      synchronized (accepted) {
        for (Socket s : accepted) {
          s.close();
        }
      }
    }
  }
}
