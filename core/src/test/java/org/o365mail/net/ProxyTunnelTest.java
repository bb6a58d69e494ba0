package org.o365mail.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.o365mail.ProxyFailures;
import org.o365mail.ProxySettings;
import org.o365mail.testkit.LoopbackProxy;

/**
 * The {@code CONNECT} tunnel against the testkit's proxy (200; 407 and then the credentials; 403) and against
 * scripted proxies on loopback whose answers pass a bound of size, or come so slowly that only the bound of the whole
 * exchange ends them.
 */
@Timeout(20)
class ProxyTunnelTest {
  private static final Duration SECONDS_5 = Duration.ofSeconds(5);

  /** Opens a tunnel to {@code target} through the proxy at {@code proxyPort}, on a socket of the caller. */
  private static void open(Socket s, int proxyPort, ProxySettings proxy, int target, Duration read, Duration total)
      throws IOException {
    s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), proxyPort), 5_000);
    ProxyTunnel.open(s, s.getInputStream(), s.getOutputStream(), proxy, "127.0.0.1", target, read, total,
        System::nanoTime);
  }

  @Test
  void a200OpensTheTunnel_andWhatFollowsReachesTheTarget() throws Exception {
    try (EchoServer echo = new EchoServer(); LoopbackProxy proxy = LoopbackProxy.http(); Socket s = new Socket()) {
      s.setSoTimeout(4_321);
      open(s, proxy.port(), ProxySettings.http(proxy.host(), proxy.port()), echo.port(), SECONDS_5, SECONDS_5);
      assertThat(s.getSoTimeout()).as("the caller's read timeout, back").isEqualTo(4_321);
      s.getOutputStream().write("ping\n".getBytes(StandardCharsets.US_ASCII));
      assertThat(new String(s.getInputStream().readNBytes(5), StandardCharsets.US_ASCII)).isEqualTo("ping\n");
      assertThat(proxy.connectTargets()).containsExactly("127.0.0.1:" + echo.port());
      assertThat(proxy.answers()).containsExactly(200);
      assertThat(proxy.proxyAuthorizations()).isEmpty();
    }
  }

  @Test
  void a407IsAnsweredWithTheCredentials_onlyThen_andOnceAskedTheyGoWithTheFirstRequest() throws Exception {
    try (EchoServer echo = new EchoServer(); LoopbackProxy proxy = LoopbackProxy.httpWithBasic("svc", "proxy-pw-1")) {
      ProxySettings settings = ProxySettings.http(proxy.host(), proxy.port())
          .withCredentials("svc", "proxy-pw-1"::toCharArray);
      try (Socket s = new Socket()) {
        open(s, proxy.port(), settings, echo.port(), SECONDS_5, SECONDS_5);
        s.getOutputStream().write("x\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(s.getInputStream().readNBytes(2)).hasSize(2);
      }
      assertThat(proxy.answers()).containsExactly(407, 200);
      assertThat(proxy.proxyAuthorizations()).hasSize(1);
      try (Socket s = new Socket()) {
        open(s, proxy.port(), settings, echo.port(), SECONDS_5, SECONDS_5);
      }
      assertThat(proxy.answers()).containsExactly(407, 200, 200);
      assertThat(proxy.proxyAuthorizations()).hasSize(2);
    }
  }

  @Test
  void a407WithoutCredentialsToGive_isARefusalNamingTheProxy() throws Exception {
    try (LoopbackProxy proxy = LoopbackProxy.httpWithBasic("svc", "proxy-pw-1"); Socket s = new Socket()) {
      Throwable t = catchThrowable(() -> open(s, proxy.port(), ProxySettings.http(proxy.host(), proxy.port()), 993,
          SECONDS_5, SECONDS_5));
      assertThat(t).isInstanceOf(ProxyFailures.RefusedException.class)
          .hasMessage("HTTP proxy 127.0.0.1:" + proxy.port() + " refused the tunnel to 127.0.0.1:993: HTTP 407");
      assertThat(((ProxyFailures.RefusedException) t).credentialsSent()).isFalse();
      assertThat(proxy.proxyAuthorizations()).isEmpty();
    }
  }

  @Test
  void a403IsARefusalWithItsStatus() throws Exception {
    try (LoopbackProxy proxy = LoopbackProxy.http().refuseWith(403); Socket s = new Socket()) {
      Throwable t = catchThrowable(() -> open(s, proxy.port(), ProxySettings.http(proxy.host(), proxy.port()), 993,
          SECONDS_5, SECONDS_5));
      assertThat(t).isInstanceOf(ProxyFailures.RefusedException.class);
      assertThat(((ProxyFailures.RefusedException) t).status()).isEqualTo(403);
      assertThat(((ProxyFailures.RefusedException) t).proxy()).isEqualTo("HTTP proxy 127.0.0.1:" + proxy.port());
    }
  }

  @Test
  void aStatusLineLongerThan8KiB_isRefusedAtTheBound() throws Exception {
    byte[] endless = new byte[200_000];
    java.util.Arrays.fill(endless, (byte) 'a');
    try (ScriptedProxy proxy = new ScriptedProxy(0, endless); Socket s = new Socket()) {
      Throwable t = catchThrowable(() -> open(s, proxy.port(), ProxySettings.http("127.0.0.1", proxy.port()), 993,
          SECONDS_5, SECONDS_5));
      assertThat(t).isInstanceOf(IOException.class).hasMessage("the HTTP proxy 127.0.0.1:" + proxy.port()
          + "'s answer to CONNECT has a line longer than 8192 bytes");
    }
  }

  @Test
  void moreThan64Headers_areRefused() throws Exception {
    String answer = "HTTP/1.1 200 OK\r\n" + "X-Filler: 1\r\n".repeat(65) + "\r\n";
    try (ScriptedProxy proxy = new ScriptedProxy(0, answer.getBytes(StandardCharsets.US_ASCII));
        Socket s = new Socket()) {
      Throwable t = catchThrowable(() -> open(s, proxy.port(), ProxySettings.http("127.0.0.1", proxy.port()), 993,
          SECONDS_5, SECONDS_5));
      assertThat(t).isInstanceOf(IOException.class).hasMessageEndingWith("has more than 64 headers");
    }
  }

  @Test
  void a407BodyAbove64KiB_isNotRead_andTheCredentialsWaitForTheNextConnection() throws Exception {
    String answer = "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"x\"\r\n"
        + "Content-Length: 10000000\r\n\r\n";
    try (ScriptedProxy proxy = new ScriptedProxy(0, answer.getBytes(StandardCharsets.US_ASCII));
        Socket s = new Socket()) {
      ProxySettings settings = ProxySettings.http("127.0.0.1", proxy.port())
          .withCredentials("svc", "proxy-pw-2"::toCharArray);
      Throwable t = catchThrowable(() -> open(s, proxy.port(), settings, 993, SECONDS_5, SECONDS_5));
      assertThat(t).isInstanceOf(ProxyFailures.RefusedException.class).hasMessageContaining("HTTP 407")
          .hasMessageContaining("the next connection sends them").hasMessageNotContaining("proxy-pw-2");
      assertThat(proxy.requests()).hasSize(1).allMatch(r -> !r.contains("Proxy-Authorization"));
    }
  }

  @Test
  @Timeout(10)
  void aProxyDrippingItsAnswerWithinEachReadTimeout_isGivenUpAtTheTotal() throws Exception {
    String answer = "HTTP/1.1 200 Connection established\r\n" + "X-Drip: 1\r\n".repeat(64);
    try (ScriptedProxy proxy = new ScriptedProxy(100, answer.getBytes(StandardCharsets.US_ASCII));
        Socket s = new Socket()) {
      Throwable t = catchThrowable(() -> open(s, proxy.port(), ProxySettings.http("127.0.0.1", proxy.port()), 993,
          Duration.ofSeconds(1), Duration.ofMillis(1500)));
      assertThat(t).isInstanceOf(SocketTimeoutException.class).hasMessage("the HTTP proxy 127.0.0.1:"
          + proxy.port() + " did not answer the CONNECT to 127.0.0.1:993 within 1500 ms");
    }
  }

  @Test
  void aProxySilentForTheReadTimeout_isGivenUpNamingIt() throws Exception {
    try (ScriptedProxy proxy = new ScriptedProxy(0, new byte[0]); Socket s = new Socket()) {
      Throwable t = catchThrowable(() -> open(s, proxy.port(), ProxySettings.http("127.0.0.1", proxy.port()), 993,
          Duration.ofMillis(200), SECONDS_5));
      assertThat(t).isInstanceOf(SocketTimeoutException.class).hasMessage("the HTTP proxy 127.0.0.1:"
          + proxy.port() + " sent nothing for 200 ms while answering the CONNECT to 127.0.0.1:993");
    }
  }

  /** Echoes what it is sent, on loopback. */
  static final class EchoServer implements AutoCloseable {
    private final ServerSocket server;
    private final Thread thread;

    EchoServer() throws IOException {
      server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
      thread = new Thread(() -> {
        while (!server.isClosed()) {
          try {
            Socket s = server.accept();
            Thread echo = new Thread(() -> {
              try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                s.setSoTimeout(10_000);
                byte[] b = new byte[8192];
                for (int n; (n = in.read(b)) > 0; ) {
                  out.write(b, 0, n);
                  out.flush();
                }
              } catch (IOException e) {
                // the client went away
              }
            });
            echo.setDaemon(true);
            echo.start();
          } catch (IOException e) {
            return; // closed
          }
        }
      });
      thread.setDaemon(true);
      thread.start();
    }

    int port() {
      return server.getLocalPort();
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }

  /**
   * A proxy that reads each request's head and answers with {@code answer}, a byte every {@code dripMillis} (0: all
   * at once), then holds the connection until the client closes it.
   */
  static final class ScriptedProxy implements AutoCloseable {
    private final ServerSocket server;
    private final Thread thread;
    private final List<String> requests = new CopyOnWriteArrayList<>();

    ScriptedProxy(long dripMillis, byte[] answer) throws IOException {
      server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
      thread = new Thread(() -> {
        try (Socket s = server.accept(); InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
          s.setSoTimeout(10_000);
          ByteArrayOutputStream head = new ByteArrayOutputStream();
          while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n") && head.size() < 65_536) {
            int c = in.read();
            if (c < 0) {
              return;
            }
            head.write(c);
          }
          requests.add(head.toString(StandardCharsets.ISO_8859_1));
          if (dripMillis == 0) {
            out.write(answer);
            out.flush();
          } else {
            for (byte b : answer) {
              out.write(b);
              out.flush();
              Thread.sleep(dripMillis);
            }
          }
          while (in.read() >= 0) {
            // hold the connection until the client is done
          }
        } catch (IOException | InterruptedException e) {
          // the client gave up: what the tests expect
        }
      });
      thread.setDaemon(true);
      thread.start();
    }

    int port() {
      return server.getLocalPort();
    }

    List<String> requests() {
      return List.copyOf(requests);
    }

    @Override
    public void close() throws IOException {
      server.close();
      thread.interrupt();
    }
  }
}
