package org.o365mail.imap.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.o365mail.Diagnosis;
import org.o365mail.SetupStep;

/**
 * The network and TLS diagnoses, from failures of real loopback sockets where one can be had (a refused connect,
 * a read that times out) and from the exceptions the JDK throws otherwise (an unknown host, a TLS handshake).
 */
@Timeout(10)
class TransportDiagnosesTest {
  private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void stopWatchdog() {
    watchdog.shutdownNow();
  }

  private ImapEndpoint endpoint(int port, ImapEndpoint.Security security) {
    return new ImapEndpoint("127.0.0.1", port, security, null, Duration.ofMillis(1_500), Duration.ofMillis(250),
        watchdog);
  }

  @Test
  void refusedConnection_isANetworkFailure_andRetryable() throws IOException {
    int port;
    try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = closed.getLocalPort();
    }
    IOException refused = connectFailure(port);
    assertThat(refused).isInstanceOf(java.net.ConnectException.class);

    Diagnosis d = TransportDiagnoses.transport(endpoint(port, ImapEndpoint.Security.IMPLICIT_TLS), refused);

    assertThat(d.serviceCode()).isEqualTo("network");
    assertThat(d.setupStep()).isEqualTo(SetupStep.TRUST);
    assertThat(d.summary()).isEqualTo("Cannot reach 127.0.0.1:" + port + " (ConnectException)");
    assertThat(d.retryable()).isTrue();
  }

  @Test
  void unknownHost_isANetworkFailure() {
    Diagnosis d = TransportDiagnoses.transport(endpoint(993, ImapEndpoint.Security.IMPLICIT_TLS),
        new IOException("connect failed", new UnknownHostException("imap.contoso.invalid")));

    assertThat(d.serviceCode()).isEqualTo("network");
    assertThat(d.summary()).isEqualTo("Cannot reach 127.0.0.1:993 (UnknownHostException)");
  }

  @Test
  void otherIoFailure_isNamedByItsRootCause_andRetryable() {
    Diagnosis d = TransportDiagnoses.transport(endpoint(993, ImapEndpoint.Security.IMPLICIT_TLS),
        new IOException("write failed", new IOException("Broken pipe")));

    assertThat(d.serviceCode()).isEqualTo("io");
    assertThat(d.summary()).isEqualTo("The connection to 127.0.0.1:993 failed (IOException)");
    assertThat(d.retryable()).isTrue();
  }

  @Test
  void tlsFailureWithoutACertificateRefusal_isATrustStep_notRetryable() {
    Diagnosis d = TransportDiagnoses.transport(endpoint(143, ImapEndpoint.Security.PLAINTEXT),
        new IOException("handshake", new SSLHandshakeException("Remote host terminated the handshake")));

    assertThat(d.serviceCode()).isEqualTo("tls");
    assertThat(d.setupStep()).isEqualTo(SetupStep.TRUST);
    assertThat(d.summary()).contains("127.0.0.1:143").contains("SSLHandshakeException");
    assertThat(d.retryable()).isFalse();
  }

  @Test
  void readTimeout_isUnanswered_withTheEndpointsReadTimeout() throws IOException {
    try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Socket client = new Socket()) {
      client.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), silent.getLocalPort()), 1_000);
      client.setSoTimeout(50);
      SocketTimeoutException timeout = null;
      try {
        client.getInputStream().read();
      } catch (SocketTimeoutException e) {
        timeout = e;
      }
      assertThat(timeout).as("a server that never writes").isNotNull();

      Diagnosis d = TransportDiagnoses.unanswered(endpoint(silent.getLocalPort(), ImapEndpoint.Security.PLAINTEXT),
          new IOException("read failed", timeout));

      assertThat(d.serviceCode()).isEqualTo("timeout");
      assertThat(d.summary()).isEqualTo("The server at 127.0.0.1:" + silent.getLocalPort()
          + " did not answer within 250 ms (read timeout)");
      assertThat(d.retryable()).isTrue();
    }
  }

  @Test
  void unanswered_isNullForAFailureThatIsNoTimeoutOrLimit() {
    assertThat(TransportDiagnoses.unanswered(endpoint(993, ImapEndpoint.Security.IMPLICIT_TLS),
        new IOException("Broken pipe"))).isNull();
  }

  @Test
  void connectionLost_countsTheAttempts() {
    Diagnosis d = TransportDiagnoses.connectionLost(endpoint(993, ImapEndpoint.Security.IMPLICIT_TLS), 3,
        new IOException("gone", new java.net.SocketException("Connection reset")));

    assertThat(d.serviceCode()).isEqualTo("connection-lost");
    assertThat(d.summary()).isEqualTo("The connection to 127.0.0.1:993 was lost 3 times in a row (SocketException)");
  }

  private static IOException connectFailure(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1_000);
    } catch (IOException e) {
      return e;
    }
    throw new AssertionError("connected to a closed port");
  }
}
