package org.o365mail.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;
import java.net.SocketAddress;
import java.time.Duration;
import org.o365mail.ProxySettings;

/**
 * A plain socket that reaches its server as its {@link ProxySettings} say (directly, through the JDK's SOCKS client,
 * or through a {@link ProxyTunnel}) and hands out its streams through a {@link StreamGuard} until TLS is layered on
 * it; from then on its bytes are TLS records, read and written past the guard. Not thread-safe beyond what {@link
 * Socket} is; its stream accessors are synchronized.
 */
final class RoutedSocket extends Socket {
  /** The per-read timeout of a tunnel opened by a socket connected without a timeout. */
  private static final Duration UNBOUNDED_CONNECT = Duration.ofSeconds(30);

  private final StreamGuard guard;
  private final ProxySettings proxy;
  private final boolean socks;
  private InputStream input;
  private OutputStream output;
  private volatile boolean layered;

  /** A socket that connects directly, or through an HTTP proxy's tunnel. */
  RoutedSocket(StreamGuard guard, ProxySettings proxy) {
    this.guard = guard;
    this.proxy = proxy;
    this.socks = false;
  }

  /** A socket through the JDK's SOCKS client (SOCKS5, the target's name resolved by the proxy). */
  RoutedSocket(StreamGuard guard, ProxySettings proxy, Proxy socksRoute) {
    super(socksRoute);
    this.guard = guard;
    this.proxy = proxy;
    this.socks = true;
  }

  @Override
  public void connect(SocketAddress endpoint, int timeout) throws IOException {
    if (!(endpoint instanceof InetSocketAddress target) || proxy.type() == ProxySettings.Type.DIRECT) {
      super.connect(endpoint, timeout);
      return;
    }
    String host = target.getHostString();
    if (socks) {
      super.connect(InetSocketAddress.createUnresolved(host, target.getPort()), timeout);
      return;
    }
    Proxy route = proxy.route(host, target.getPort(), false);
    if (route.type() == Proxy.Type.DIRECT) {
      super.connect(endpoint, timeout);
      return;
    }
    if (route.type() == Proxy.Type.SOCKS) {
      throw new IOException("a SOCKS route for a socket made without it"); // the factory decides, never here
    }
    InetSocketAddress at = (InetSocketAddress) route.address();
    InetSocketAddress proxyAddress = at.isUnresolved() ? new InetSocketAddress(at.getHostString(), at.getPort()) : at;
    // one deadline for all of it: the probe of a proxy with credentials, the connection to the proxy and its answer
    Duration bound = timeout > 0 ? Duration.ofMillis(timeout) : UNBOUNDED_CONNECT;
    long deadline = System.nanoTime() + bound.toNanos();
    ProxySettings settings = routeSettings(at);
    ProxyTunnel.learn(proxyAddress, settings, host, target.getPort(), deadline, System::nanoTime);
    super.connect(proxyAddress, ProxyTunnel.remainingMillis(settings, deadline, System::nanoTime));
    try {
      Duration left = Duration.ofMillis(ProxyTunnel.remainingMillis(settings, deadline, System::nanoTime));
      ProxyTunnel.open(this, super.getInputStream(), super.getOutputStream(), settings, host, target.getPort(), left,
          left, System::nanoTime);
    } catch (IOException | RuntimeException e) {
      close(); // the caller (Angus's SocketFetcher) does not close a socket whose connect failed
      throw e;
    }
  }

  /** The settings of the HTTP proxy the route goes through: the configured one, else the JVM's. */
  private ProxySettings routeSettings(InetSocketAddress at) {
    return proxy.type() == ProxySettings.Type.HTTP ? proxy : ProxySettings.http(at.getHostString(), at.getPort());
  }

  @Override
  public void connect(SocketAddress endpoint) throws IOException {
    connect(endpoint, 0);
  }

  @Override
  public synchronized InputStream getInputStream() throws IOException {
    if (input == null) {
      InputStream raw = super.getInputStream();
      InputStream guarded = guard.input(raw);
      input = new InputStream() {
        @Override
        public int read() throws IOException {
          return (layered ? raw : guarded).read();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
          return (layered ? raw : guarded).read(b, off, len);
        }

        @Override
        public long skip(long n) throws IOException {
          return (layered ? raw : guarded).skip(n);
        }

        @Override
        public int available() throws IOException {
          return (layered ? raw : guarded).available();
        }

        @Override
        public void close() throws IOException {
          guarded.close();
          raw.close();
        }
      };
    }
    return input;
  }

  @Override
  public synchronized OutputStream getOutputStream() throws IOException {
    if (layered) {
      return super.getOutputStream(); // TLS records: the TLS socket's stream has the guard
    }
    if (output == null) {
      output = guard.output(super.getOutputStream(), this);
    }
    return output;
  }

  /** TLS is being layered on this socket: from now on its bytes pass the guard. */
  void tlsLayered() {
    layered = true;
  }
}
