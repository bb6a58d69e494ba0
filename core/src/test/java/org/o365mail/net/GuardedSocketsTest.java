package org.o365mail.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.SocketFactory;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.o365mail.ProxySettings;
import org.o365mail.testkit.LoopbackProxy;
import org.o365mail.testsupport.WrappingSocket;

/**
 * The socket factories on loopback: plain sockets directly, through the testkit's HTTP proxy and SOCKS5 proxy, and
 * past it by the no-proxy list, their streams through the guard; TLS layered on a plain socket (or on a wrapper of
 * it) lets the plain socket's bytes pass the guard and guards the TLS socket's streams; a write the server does not
 * take is given up at the deadline.
 */
@Timeout(20)
class GuardedSocketsTest {

  /** A guard that counts the bytes read through it and records the sockets its outputs were made for. */
  static final class CountingGuard implements StreamGuard {
    final AtomicLong bytesRead = new AtomicLong();
    final List<InputStream> inputs = new CopyOnWriteArrayList<>();
    final List<Socket> outputSockets = new CopyOnWriteArrayList<>();

    @Override
    public InputStream input(InputStream in) {
      InputStream counted = new FilterInputStream(in) {
        @Override
        public int read() throws IOException {
          int c = super.read();
          if (c >= 0) {
            bytesRead.incrementAndGet();
          }
          return c;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
          int n = super.read(b, off, len);
          if (n > 0) {
            bytesRead.addAndGet(n);
          }
          return n;
        }
      };
      inputs.add(counted);
      return counted;
    }

    @Override
    public OutputStream output(OutputStream out, Socket socket) {
      outputSockets.add(socket);
      return out;
    }
  }

  private static String echo(Socket s, String text) throws IOException {
    byte[] b = text.getBytes(StandardCharsets.US_ASCII);
    s.getOutputStream().write(b);
    s.getOutputStream().flush();
    return new String(s.getInputStream().readNBytes(b.length), StandardCharsets.US_ASCII);
  }

  @Test
  void plainSocketsThroughAnHttpProxy_openTheTunnelOnConnect_andReadThroughTheGuard() throws Exception {
    CountingGuard guard = new CountingGuard();
    try (ProxyTunnelTest.EchoServer target = new ProxyTunnelTest.EchoServer();
        LoopbackProxy proxy = LoopbackProxy.http()) {
      GuardedSockets sockets = GuardedSockets.of(guard, null, ProxySettings.http(proxy.host(), proxy.port()),
          "127.0.0.1", target.port());
      assertThat(sockets.proxied()).isTrue();
      try (Socket s = sockets.plain().createSocket()) {
        s.connect(new InetSocketAddress("127.0.0.1", target.port()), 5_000);
        assertThat(echo(s, "through the tunnel\n")).isEqualTo("through the tunnel\n");
        assertThat(guard.bytesRead).hasValue(19);
        assertThat(guard.outputSockets).containsExactly(s);
      }
      assertThat(proxy.connectTargets()).containsExactly("127.0.0.1:" + target.port());
    }
  }

  @Test
  void theFirstTunnelThroughAProxyThatClosesAfterIts407_isOpenedWithTheCredentials() throws Exception {
    // Jetty's ConnectHandler answers 407 with Connection: close and closes; a connected socket cannot connect
    // again, so the proxy is asked once on a connection of its own whether it wants the credentials
    CountingGuard guard = new CountingGuard();
    try (ProxyTunnelTest.EchoServer target = new ProxyTunnelTest.EchoServer();
        LoopbackProxy proxy = LoopbackProxy.httpWithBasic("closing-user", "Closing-Pw-1").closeAfter407()) {
      ProxySettings settings = ProxySettings.http(proxy.host(), proxy.port())
          .withCredentials("closing-user", () -> "Closing-Pw-1".toCharArray());
      GuardedSockets sockets = GuardedSockets.of(guard, null, settings, "127.0.0.1", target.port());
      try (Socket s = sockets.plain().createSocket()) {
        s.connect(new InetSocketAddress("127.0.0.1", target.port()), 5_000);
        assertThat(echo(s, "first try\n")).isEqualTo("first try\n");
      }
      assertThat(proxy.answers()).containsExactly(407, 200);
      assertThat(proxy.proxyAuthorizations()).as("no credentials before the proxy asked").hasSize(1);
      try (Socket s = sockets.plain().createSocket()) {
        s.connect(new InetSocketAddress("127.0.0.1", target.port()), 5_000);
        assertThat(echo(s, "again\n")).isEqualTo("again\n");
      }
      assertThat(proxy.answers()).as("asked once per proxy and user").containsExactly(407, 200, 200);
    }
  }

  @Test
  void connectionsMadeAtOnceThroughAProxyThatClosesAfterIts407_waitForOneProbe_andAllCarryTheCredentials()
      throws Exception {
    try (ProxyTunnelTest.EchoServer target = new ProxyTunnelTest.EchoServer();
        LoopbackProxy proxy = LoopbackProxy.httpWithBasic("many-user", "Many-Pw-1").closeAfter407()) {
      ProxySettings settings = ProxySettings.http(proxy.host(), proxy.port())
          .withCredentials("many-user", () -> "Many-Pw-1".toCharArray());
      GuardedSockets sockets = GuardedSockets.of(StreamGuard.none(), null, settings, "127.0.0.1", target.port());
      int threads = 6;
      java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads);
      java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
      try {
        List<java.util.concurrent.Future<String>> echoes = new java.util.ArrayList<>();
        for (int i = 0; i < threads; i++) {
          String text = "connection " + i + "\n";
          echoes.add(pool.submit(() -> {
            start.await();
            try (Socket s = sockets.plain().createSocket()) {
              s.connect(new InetSocketAddress("127.0.0.1", target.port()), 10_000);
              return echo(s, text);
            }
          }));
        }
        for (int i = 0; i < threads; i++) {
          assertThat(echoes.get(i).get()).isEqualTo("connection " + i + "\n");
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(proxy.answers()).as("one probe answered 407, then only tunnels with the credentials")
          .containsOnlyOnce(407).filteredOn(a -> a == 200).hasSize(threads);
      assertThat(proxy.proxyAuthorizations()).hasSize(threads);
    }
  }

  @Test
  void theProbeAndTheTunnel_shareOneConnectTimeout() throws Exception {
    // a proxy that takes connections and never answers: the probe waits out the whole connect timeout, and the
    // tunnel's own connection is then not even made (before, each had the full timeout: twice as long)
    ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    AtomicLong accepted = new AtomicLong();
    List<Socket> held = new CopyOnWriteArrayList<>();
    Thread acceptor = new Thread(() -> {
      try {
        while (true) {
          held.add(silent.accept());
          accepted.incrementAndGet();
        }
      } catch (IOException e) {
        // closed
      }
    });
    acceptor.start();
    try {
      ProxySettings settings = ProxySettings.http("127.0.0.1", silent.getLocalPort())
          .withCredentials("silent-user", () -> "Silent-Pw-1".toCharArray());
      GuardedSockets sockets = GuardedSockets.of(StreamGuard.none(), null, settings, "127.0.0.1", 993);
      Socket s = sockets.plain().createSocket();
      Throwable failure = catchThrowable(() -> s.connect(new InetSocketAddress("127.0.0.1", 993), 500));
      assertThat(failure).isInstanceOf(java.net.SocketTimeoutException.class)
          .hasMessageContaining("HTTP proxy 127.0.0.1:" + silent.getLocalPort());
      assertThat(accepted).as("the probe's connection only").hasValue(1);
    } finally {
      silent.close();
      acceptor.join(5_000);
      for (Socket h : held) {
        h.close();
      }
    }
  }

  @Test
  void aSocketWhoseTunnelIsRefused_isClosed() throws Exception {
    // Angus's SocketFetcher does not close a socket whose connect threw: an open one would hold the proxy connection
    try (LoopbackProxy proxy = LoopbackProxy.http().refuseWith(403)) {
      GuardedSockets sockets = GuardedSockets.of(StreamGuard.none(), null,
          ProxySettings.http(proxy.host(), proxy.port()), "127.0.0.1", 993);
      Socket s = sockets.plain().createSocket();
      Throwable failure = catchThrowable(() -> s.connect(new InetSocketAddress("127.0.0.1", 993), 5_000));
      assertThat(failure).isInstanceOf(org.o365mail.ProxyFailures.RefusedException.class);
      assertThat(s.isClosed()).isTrue();
    }
  }

  @Test
  void plainSocketsThroughSocks5_reachTheTargetByName() throws Exception {
    CountingGuard guard = new CountingGuard();
    try (ProxyTunnelTest.EchoServer target = new ProxyTunnelTest.EchoServer();
        LoopbackProxy socks = LoopbackProxy.socks5()) {
      GuardedSockets sockets = GuardedSockets.of(guard, null, ProxySettings.socks5(socks.host(), socks.port()),
          "localhost", target.port());
      try (Socket s = sockets.plain().createSocket("localhost", target.port())) {
        assertThat(echo(s, "socks\n")).isEqualTo("socks\n");
      }
      assertThat(socks.connectTargets()).containsExactly("localhost:" + target.port());
      assertThat(guard.bytesRead).hasValue(6);
    }
  }

  @Test
  void aHostOnTheNoProxyList_isReachedDirectly() throws Exception {
    try (ProxyTunnelTest.EchoServer target = new ProxyTunnelTest.EchoServer();
        LoopbackProxy proxy = LoopbackProxy.http()) {
      GuardedSockets sockets = GuardedSockets.of(StreamGuard.none(), null, ProxySettings.http(proxy.host(),
          proxy.port()).withNoProxy(List.of("127.0.0.1")), "127.0.0.1", target.port());
      assertThat(sockets.proxied()).isFalse();
      assertThat(sockets.implicitTls()).isSameAs(sockets.tls());
      try (Socket s = sockets.plain().createSocket("127.0.0.1", target.port())) {
        assertThat(echo(s, "direct\n")).isEqualTo("direct\n");
      }
      assertThat(proxy.connectTargets()).isEmpty();
    }
  }

  @Test
  void implicitTlsThroughAProxy_isAFactoryOfTlsSocketsThatAreNoSslSocketFactory() {
    GuardedSockets sockets = GuardedSockets.of(StreamGuard.none(), null, ProxySettings.http("127.0.0.1", 3128),
        "mail.test", 993);
    SocketFactory implicit = sockets.implicitTls();
    assertThat(implicit).isNotInstanceOf(SSLSocketFactory.class);
    assertThat(sockets.toString()).isEqualTo("GuardedSockets[mail.test:993 through HTTP proxy 127.0.0.1:3128]");
  }

  @Test
  void tlsLayeredOnAWrapperOfAPlainSocket_letsThePlainBytesPassTheGuard_andGuardsTheTlsStreams() throws Exception {
    byte[] records = new byte[100_000];
    java.util.Arrays.fill(records, (byte) 0x17);
    CountingGuard guard = new CountingGuard();
    try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Thread server = new Thread(() -> {
        try (Socket s = listener.accept(); OutputStream out = s.getOutputStream()) {
          out.write("ready\n".getBytes(StandardCharsets.US_ASCII));
          out.flush();
          s.getInputStream().read();
          out.write(records);
          out.flush();
          s.getInputStream().read();
        } catch (IOException e) {
          // the client went away
        }
      });
      server.setDaemon(true);
      server.start();
      GuardedSockets sockets = GuardedSockets.of(guard, null, ProxySettings.none(), "127.0.0.1",
          listener.getLocalPort());
      Socket plain = sockets.plain().createSocket();
      plain.connect(listener.getLocalSocketAddress(), 5_000);
      try (Socket wrapped = new WrappingSocket(plain)) {
        InputStream in = wrapped.getInputStream();
        assertThat(new String(in.readNBytes(6), StandardCharsets.US_ASCII)).isEqualTo("ready\n");
        Socket tls = sockets.tls().createSocket(wrapped, "127.0.0.1", listener.getLocalPort(), false);
        assertThat(tls).isInstanceOf(SSLSocket.class);
        wrapped.getOutputStream().write('.');
        wrapped.getOutputStream().flush();
        assertThat(in.readNBytes(records.length)).hasSize(records.length);
        assertThat(guard.bytesRead).as("the TLS records passed the plain socket's guard").hasValue(6);
        tls.getInputStream();
        tls.getOutputStream();
        assertThat(guard.inputs).hasSize(2);
        assertThat(guard.outputSockets).as("a stalled TLS write closes the socket TLS is layered on")
            .endsWith(wrapped);
        wrapped.getOutputStream().write('.');
      }
      server.join(5_000);
    }
  }

  @Test
  void aWriteTheServerDoesNotTake_isGivenUpAtTheDeadline_andTheSocketClosed() throws Exception {
    StreamGuard deadlined = new StreamGuard() {
      @Override
      public InputStream input(InputStream in) {
        return in;
      }

      @Override
      public OutputStream output(OutputStream out, Socket socket) {
        return new DeadlinedOutput(out, socket, Duration.ofMillis(300),
            () -> new IOException("the test server took no data for 300 ms"));
      }
    };
    try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      listener.setReceiveBufferSize(4096);
      GuardedSockets sockets = GuardedSockets.of(deadlined, null, ProxySettings.none(), "127.0.0.1",
          listener.getLocalPort());
      Socket s = sockets.plain().createSocket();
      s.setSendBufferSize(4096);
      s.connect(listener.getLocalSocketAddress(), 5_000);
      try (Socket accepted = listener.accept()) {
        OutputStream out = s.getOutputStream();
        byte[] chunk = new byte[1 << 20];
        Throwable t = catchThrowable(() -> {
          for (int i = 0; i < 256; i++) {
            out.write(chunk); // the server never reads: its window fills and the write blocks
          }
        });
        assertThat(t).isInstanceOf(IOException.class).hasMessage("the test server took no data for 300 ms");
        assertThat(s.isClosed()).isTrue();
        Throwable again = catchThrowable(() -> out.write(1));
        assertThat(again).hasMessage("the test server took no data for 300 ms");
        assertThat(accepted.isClosed()).isFalse();
      }
    }
  }
}
