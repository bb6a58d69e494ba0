package org.o365mail.net;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.lang.ref.WeakReference;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;
import javax.net.SocketFactory;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.o365mail.ProxySettings;

/**
 * The socket factories of one server, reached as a {@link ProxySettings} says, whose sockets hand out their streams
 * through a {@link StreamGuard}: {@link #plain()} for plain connections (and the first part of an upgrade to TLS),
 * {@link #tls()} to layer TLS on a connected socket, and {@link #implicitTls()} for TLS from the first byte. A mail
 * library such as Angus Mail is given them as its socket factories and makes every socket through them.
 *
 * <ul>
 *   <li>Directly: plain sockets; TLS is the delegate {@link SSLSocketFactory}'s, layered on a connected socket.
 *   <li>SOCKS5: the JDK's SOCKS client ({@code new Socket(Proxy)}), the server's name resolved by the proxy.
 *   <li>HTTP: a {@code CONNECT} tunnel opened as soon as the socket is connected to the proxy, before the socket is
 *       handed back; Basic credentials only after a 407; the proxy's answer bounded in size and, all of it, by the
 *       connect timeout. For TLS from the first byte, {@link #implicitTls()} is a factory that is no {@link
 *       SSLSocketFactory}, whose sockets are TLS sockets already: connecting one opens the tunnel and layers TLS on
 *       it, so a library that would connect a plain socket of its own for implicit TLS uses the tunnel too.
 * </ul>
 *
 * <p>Once TLS is layered on a plain socket of {@link #plain()} (through {@link #tls()}, given that socket or a
 * wrapper of it made on the same thread), the plain socket's bytes are TLS records and pass its guard; the TLS
 * socket's streams are guarded instead. Everything TLS does (the handshake, the host name check the library asks
 * for) is the delegate's. Immutable and thread-safe; each socket belongs to one connection.
 *
 * <pre>{@code
 * GuardedSockets sockets = GuardedSockets.of(guard, trust.getSocketFactory(), ProxySettings.system(), host, port);
 * props.put(prefix + ".ssl.socketFactory", sockets.implicitTls());   // the library's TLS factory
 * props.put(prefix + ".socketFactory", sockets.plain());
 * }</pre>
 */
public final class GuardedSockets {
  private final StreamGuard guard;
  private final SSLSocketFactory delegate;
  private final ProxySettings proxy;
  private final String host;
  private final int port;
  private final Proxy route;
  /**
   * The plain socket this thread made last, for {@link #tls()} given a wrapper of it; weakly, so that a socket never
   * upgraded to TLS is not kept for the thread's life.
   */
  private final ThreadLocal<WeakReference<RoutedSocket>> created = new ThreadLocal<>();
  private final SocketFactory plain = new Plain();
  private final SSLSocketFactory tls = new Tls();
  private final SocketFactory tunnelled = new Tunnelled();

  private GuardedSockets(StreamGuard guard, SSLSocketFactory delegate, ProxySettings proxy, String host, int port) {
    this.guard = guard;
    this.delegate = delegate;
    this.proxy = proxy;
    this.host = host;
    this.port = port;
    this.route = proxy.type() == ProxySettings.Type.DIRECT ? Proxy.NO_PROXY : proxy.route(host, port, false);
  }

  /**
   * The factories of {@code host:port}.
   *
   * @param guard what each socket's streams go through
   * @param tls the TLS to layer (its trust, its protocols), or null for the JVM's default
   * @param proxy how {@code host} is reached ({@link ProxySettings#system()} for the JVM's settings)
   * @param host the server the sockets are for, whose route {@code proxy} decides once
   * @param port its port
   */
  public static GuardedSockets of(StreamGuard guard, SSLSocketFactory tls, ProxySettings proxy, String host,
      int port) {
    requireNonNull(guard, "guard");
    requireNonNull(proxy, "proxy");
    requireNonNull(host, "host");
    if (port < 1 || port > 65_535) {
      throw new IllegalArgumentException("port must be 1 to 65535, was " + port);
    }
    SSLSocketFactory d = tls != null ? tls : (SSLSocketFactory) SSLSocketFactory.getDefault();
    return new GuardedSockets(guard, d, proxy, host, port);
  }

  /** Whether the server is reached through a proxy (not directly, nor bypassing it by the no-proxy list). */
  public boolean proxied() {
    return route.type() != Proxy.Type.DIRECT;
  }

  /** Plain sockets, connected through the proxy when there is one. */
  public SocketFactory plain() {
    return plain;
  }

  /**
   * TLS layered on connected sockets ({@link SSLSocketFactory#createSocket(Socket, String, int, boolean)}); its other
   * methods connect directly, guarded too.
   */
  public SSLSocketFactory tls() {
    return tls;
  }

  /**
   * The factory for TLS from the first byte: {@link #tls()} when the server is reached directly; through a proxy, a
   * factory of TLS sockets that open the proxy's tunnel when they are connected (see the class description).
   */
  public SocketFactory implicitTls() {
    return proxied() ? tunnelled : tls;
  }

  StreamGuard guard() {
    return guard;
  }

  /** A new plain socket on the route. */
  RoutedSocket routed() {
    return route.type() == Proxy.Type.SOCKS ? new RoutedSocket(guard, proxy, route) : new RoutedSocket(guard, proxy);
  }

  /** TLS of the delegate layered on {@code tcp}, which this socket then belongs to. */
  SSLSocket layer(RoutedSocket tcp, String serverHost, int serverPort) throws IOException {
    Socket s = delegate.createSocket(tcp, serverHost, serverPort, true);
    if (!(s instanceof SSLSocket ssl)) {
      s.close();
      throw new IOException("the TLS socket factory made a socket without TLS");
    }
    return ssl;
  }

  @Override
  public String toString() {
    return "GuardedSockets[" + host + ":" + port + (proxied() ? " through " + proxy.describe() : "") + "]";
  }

  private static Socket connected(Socket s, InetSocketAddress at, InetSocketAddress local) throws IOException {
    try {
      if (local != null) {
        s.bind(local);
      }
      s.connect(at);
      return s;
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
  }

  private final class Plain extends SocketFactory {
    @Override
    public Socket createSocket() {
      RoutedSocket s = routed();
      created.set(new WeakReference<>(s));
      return s;
    }

    @Override
    public Socket createSocket(String h, int p) throws IOException {
      return connected(createSocket(), new InetSocketAddress(h, p), null);
    }

    @Override
    public Socket createSocket(String h, int p, InetAddress localHost, int localPort) throws IOException {
      return connected(createSocket(), new InetSocketAddress(h, p), new InetSocketAddress(localHost, localPort));
    }

    @Override
    public Socket createSocket(InetAddress address, int p) throws IOException {
      return connected(createSocket(), new InetSocketAddress(address, p), null);
    }

    @Override
    public Socket createSocket(InetAddress address, int p, InetAddress localAddress, int localPort)
        throws IOException {
      return connected(createSocket(), new InetSocketAddress(address, p),
          new InetSocketAddress(localAddress, localPort));
    }
  }

  private final class Tls extends SSLSocketFactory {
    @Override
    public String[] getDefaultCipherSuites() {
      return delegate.getDefaultCipherSuites();
    }

    @Override
    public String[] getSupportedCipherSuites() {
      return delegate.getSupportedCipherSuites();
    }

    @Override
    public Socket createSocket(Socket s, String h, int p, boolean autoClose) throws IOException {
      RoutedSocket under = under(s);
      if (under != null) {
        under.tlsLayered();
      }
      return wrap(delegate.createSocket(s, h, p, autoClose), s);
    }

    /**
     * The plain socket of ours under {@code layered}: itself, or the one made last on this thread when {@code
     * layered} wraps it (a library may wrap its socket, as Angus's write timeout does, before it layers TLS), told
     * by the same addresses and ports.
     */
    private RoutedSocket under(Socket layered) {
      WeakReference<RoutedSocket> made = created.get();
      RoutedSocket last = made == null ? null : made.get();
      created.remove();
      if (layered instanceof RoutedSocket r) {
        return r;
      }
      if (last != null && last.isConnected() && last.getLocalPort() == layered.getLocalPort()
          && last.getPort() == layered.getPort() && last.getInetAddress() != null
          && last.getInetAddress().equals(layered.getInetAddress())) {
        return last;
      }
      return null;
    }

    // the methods below connect directly; a library layering TLS on sockets of its own never uses them

    @Override
    public Socket createSocket(String h, int p) throws IOException {
      return wrap(delegate.createSocket(h, p), null);
    }

    @Override
    public Socket createSocket(String h, int p, InetAddress localHost, int localPort) throws IOException {
      return wrap(delegate.createSocket(h, p, localHost, localPort), null);
    }

    @Override
    public Socket createSocket(InetAddress address, int p) throws IOException {
      return wrap(delegate.createSocket(address, p), null);
    }

    @Override
    public Socket createSocket(InetAddress address, int p, InetAddress localAddress, int localPort)
        throws IOException {
      return wrap(delegate.createSocket(address, p, localAddress, localPort), null);
    }

    /** {@code s} guarded; a stalled write closes {@code under} (the TCP socket TLS is layered on) or else it. */
    private Socket wrap(Socket s, Socket under) throws IOException {
      if (!(s instanceof SSLSocket ssl)) {
        s.close();
        throw new IOException("the TLS socket factory made a socket without TLS");
      }
      return new GuardedSslSocket(ssl, under != null ? under : ssl, guard);
    }
  }

  private final class Tunnelled extends SocketFactory {
    @Override
    public Socket createSocket() {
      return new TunnelledTlsSocket(GuardedSockets.this);
    }

    @Override
    public Socket createSocket(String h, int p) throws IOException {
      return connected(createSocket(), new InetSocketAddress(h, p), null);
    }

    @Override
    public Socket createSocket(String h, int p, InetAddress localHost, int localPort) throws IOException {
      return createSocket(h, p); // the tunnel's socket is bound by the route, not by the caller
    }

    @Override
    public Socket createSocket(InetAddress address, int p) throws IOException {
      return connected(createSocket(), new InetSocketAddress(address, p), null);
    }

    @Override
    public Socket createSocket(InetAddress address, int p, InetAddress localAddress, int localPort)
        throws IOException {
      return createSocket(address, p);
    }
  }
}
