package org.o365mail.imap.internal;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.function.BiFunction;
import javax.net.SocketFactory;
import javax.net.ssl.HandshakeCompletedListener;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.o365mail.ProxySettings;

/**
 * Socket factories that Angus Mail is given through its {@code mail.<protocol>.socketFactory} and {@code
 * mail.<protocol>.ssl.socketFactory} properties, whose sockets hand out their input as a {@link ServerReadGuard} of
 * one connection's {@link ServerReadGuard.Budget}, and whose output gives up a write the server has not taken within
 * the read timeout. Angus makes every socket through them: with implicit TLS it
 * connects a plain socket and layers TLS on it with the SSL factory; with STARTTLS it connects through the plain
 * factory and later layers TLS with the SSL factory, at which point the plain socket's guard lets the TLS records
 * through and the TLS socket's guard reads the plain text (see Angus's {@code SocketFetcher.getSocket} and {@code
 * startTLS}, https://github.com/eclipse-ee4j/angus-mail/blob/2.0.5/core/src/main/java/org/eclipse/angus/mail/util/
 * SocketFetcher.java; {@code socketFactory.fallback} is set false so that a failure never falls back to an unguarded
 * socket). Everything TLS does (the handshake, Angus's host name check) is the delegate's.
 */
final class GuardedSockets {
  private GuardedSockets() {}

  /** A factory of plain sockets, for PLAINTEXT and the first part of STARTTLS, connecting directly. */
  public static SocketFactory plain(ServerReadGuard.Budget budget) {
    return plain(budget, ProxySettings.none(), "", 0);
  }

  /**
   * A factory of plain sockets that reach their server through {@code proxy}: a SOCKS proxy through the JDK's SOCKS
   * client, an HTTP proxy through a {@link ProxyTunnel} opened before the socket is handed to Angus.
   */
  public static SocketFactory plain(ServerReadGuard.Budget budget, ProxySettings proxy, String host, int port) {
    requireNonNull(budget, "budget");
    requireNonNull(proxy, "proxy");
    return new SocketFactory() {
      @Override
      public Socket createSocket() {
        Proxy route = proxy.type() == ProxySettings.Type.DIRECT ? Proxy.NO_PROXY : proxy.route(host, port, false);
        return route.type() == Proxy.Type.SOCKS ? new PlainSocket(budget, proxy, route) : new PlainSocket(budget, proxy);
      }

      @Override
      public Socket createSocket(String host, int port) throws IOException {
        Socket s = createSocket();
        s.connect(new java.net.InetSocketAddress(host, port));
        return s;
      }

      @Override
      public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        Socket s = createSocket();
        s.bind(new java.net.InetSocketAddress(localHost, localPort));
        s.connect(new java.net.InetSocketAddress(host, port));
        return s;
      }

      @Override
      public Socket createSocket(InetAddress host, int port) throws IOException {
        Socket s = createSocket();
        s.connect(new java.net.InetSocketAddress(host, port));
        return s;
      }

      @Override
      public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
          throws IOException {
        Socket s = createSocket();
        s.bind(new java.net.InetSocketAddress(localAddress, localPort));
        s.connect(new java.net.InetSocketAddress(address, port));
        return s;
      }
    };
  }

  /** A factory layering TLS of {@code delegate} (null: the JVM default) on connected sockets, guarded. */
  public static SSLSocketFactory tls(SSLSocketFactory delegate, ServerReadGuard.Budget budget) {
    requireNonNull(budget, "budget");
    SSLSocketFactory d = delegate != null ? delegate : (SSLSocketFactory) SSLSocketFactory.getDefault();
    return new GuardedSslSocketFactory(d, budget);
  }

  /** A plain socket whose input is guarded until TLS is layered on it. */
  private static final class PlainSocket extends Socket {
    private final ServerReadGuard.Budget budget;
    private final ProxySettings proxy;
    private final boolean socks;
    private ServerReadGuard guard;

    PlainSocket(ServerReadGuard.Budget budget, ProxySettings proxy) {
      this.budget = budget;
      this.proxy = proxy;
      this.socks = false;
    }

    /** A socket through the JDK's SOCKS client (SOCKS5, the target's name resolved by the proxy). */
    PlainSocket(ServerReadGuard.Budget budget, ProxySettings proxy, Proxy socksRoute) {
      super(socksRoute);
      this.budget = budget;
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
      InetSocketAddress at = (InetSocketAddress) route.address();
      InetSocketAddress proxyAddress = at.isUnresolved() ? new InetSocketAddress(at.getHostString(), at.getPort()) : at;
      if (route.type() == Proxy.Type.SOCKS) {
        throw new IOException("a SOCKS route for a socket made without it"); // the factory decides, never here
      }
      super.connect(proxyAddress, timeout);
      ProxyTunnel.open(this, super.getInputStream(), super.getOutputStream(), routeSettings(route), host,
          target.getPort(), timeout);
    }

    private ProxySettings routeSettings(Proxy route) {
      if (proxy.type() == ProxySettings.Type.HTTP) {
        return proxy;
      }
      InetSocketAddress at = (InetSocketAddress) route.address();
      return ProxySettings.http(at.getHostString(), at.getPort()); // the JVM's https proxy
    }

    @Override
    public void connect(SocketAddress endpoint) throws IOException {
      connect(endpoint, 0);
    }

    private OutputStream output;
    private volatile boolean upgraded;

    @Override
    public synchronized InputStream getInputStream() throws IOException {
      if (guard == null) {
        guard = budget.guard(super.getInputStream());
      }
      return guard;
    }

    @Override
    public synchronized OutputStream getOutputStream() throws IOException {
      if (upgraded) {
        return super.getOutputStream(); // TLS records: the TLS socket's stream has the deadline
      }
      if (output == null) {
        output = budget.deadlined(super.getOutputStream(), this);
      }
      return output;
    }

    synchronized void upgrading() throws IOException {
      getInputStream();
      guard.passThrough();
      upgraded = true;
    }
  }

  private static final class GuardedSslSocketFactory extends SSLSocketFactory {
    private final SSLSocketFactory delegate;
    private final ServerReadGuard.Budget budget;

    GuardedSslSocketFactory(SSLSocketFactory delegate, ServerReadGuard.Budget budget) {
      this.delegate = delegate;
      this.budget = budget;
    }

    @Override
    public String[] getDefaultCipherSuites() {
      return delegate.getDefaultCipherSuites();
    }

    @Override
    public String[] getSupportedCipherSuites() {
      return delegate.getSupportedCipherSuites();
    }

    @Override
    public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws IOException {
      if (s instanceof PlainSocket plain) {
        plain.upgrading();
      }
      return wrap(delegate.createSocket(s, host, port, autoClose), s);
    }

    // Angus layers TLS on sockets it connected itself (the methods below are never its way); they are guarded too

    @Override
    public Socket createSocket(String host, int port) throws IOException {
      return wrap(delegate.createSocket(host, port), null);
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
      return wrap(delegate.createSocket(host, port, localHost, localPort), null);
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
      return wrap(delegate.createSocket(host, port), null);
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
        throws IOException {
      return wrap(delegate.createSocket(address, port, localAddress, localPort), null);
    }

    /** {@code s} guarded; a stalled write closes {@code under} (the TCP socket TLS is layered on) or else it. */
    private Socket wrap(Socket s, Socket under) throws IOException {
      if (!(s instanceof SSLSocket ssl)) {
        s.close();
        throw new IOException("the TLS socket factory made a socket without TLS");
      }
      return new GuardedSslSocket(ssl, under != null ? under : ssl, budget);
    }
  }

  /**
   * For implicit TLS through a proxy: a factory that Angus takes for a plain one (it is no {@link SSLSocketFactory}),
   * whose sockets are already TLS sockets, so Angus connects them itself and layers nothing on them. Connecting one
   * connects a plain guarded socket through the proxy (SOCKS, or a {@link ProxyTunnel}) and layers {@code delegate}'s
   * TLS (null: the JVM default) on it, guarded as {@link #tls} does. Angus's own path for implicit TLS connects a
   * plain {@code java.net.Socket} it makes itself, which no proxy of ours could reach.
   */
  public static SocketFactory tunnelledTls(SSLSocketFactory delegate, ServerReadGuard.Budget budget,
      ProxySettings proxy, String host, int port) {
    requireNonNull(budget, "budget");
    SSLSocketFactory d = delegate != null ? delegate : (SSLSocketFactory) SSLSocketFactory.getDefault();
    SocketFactory plain = plain(budget, proxy, host, port);
    return new SocketFactory() {
      @Override
      public Socket createSocket() {
        return new TunnelledTlsSocket(plain, d, budget);
      }

      @Override
      public Socket createSocket(String h, int p) throws IOException {
        Socket s = createSocket();
        s.connect(new java.net.InetSocketAddress(h, p));
        return s;
      }

      @Override
      public Socket createSocket(String h, int p, InetAddress localHost, int localPort) throws IOException {
        return createSocket(h, p);
      }

      @Override
      public Socket createSocket(InetAddress address, int p) throws IOException {
        Socket s = createSocket();
        s.connect(new java.net.InetSocketAddress(address, p));
        return s;
      }

      @Override
      public Socket createSocket(InetAddress address, int p, InetAddress localAddress, int localPort)
          throws IOException {
        return createSocket(address, p);
      }
    };
  }

  /** A TLS socket whose TCP connection is made, through the proxy, only when it is connected. */
  private static final class TunnelledTlsSocket extends GuardedSslSocket {
    private final SocketFactory plain;
    private final SSLSocketFactory tls;
    /** A read timeout Angus sets before connecting, applied once connected. */
    private int soTimeout = -1;

    TunnelledTlsSocket(SocketFactory plain, SSLSocketFactory tls, ServerReadGuard.Budget budget) {
      super(null, null, budget);
      this.plain = plain;
      this.tls = tls;
    }

    @Override
    public void connect(SocketAddress endpoint, int timeout) throws IOException {
      if (!(endpoint instanceof InetSocketAddress target)) {
        throw new IOException("cannot connect to " + endpoint);
      }
      Socket tcp = plain.createSocket();
      try {
        tcp.connect(target, timeout);
        if (tcp instanceof PlainSocket p) {
          p.upgrading();
        }
        Socket s = tls.createSocket(tcp, target.getHostString(), target.getPort(), true);
        if (!(s instanceof SSLSocket ssl)) {
          throw new IOException("the TLS socket factory made a socket without TLS");
        }
        if (soTimeout >= 0) {
          ssl.setSoTimeout(soTimeout);
        }
        attach(ssl, tcp);
      } catch (IOException | RuntimeException e) {
        tcp.close();
        throw e;
      }
    }

    @Override
    public void connect(SocketAddress endpoint) throws IOException {
      connect(endpoint, 0);
    }

    @Override
    public void setSoTimeout(int timeout) throws SocketException {
      if (attached()) {
        super.setSoTimeout(timeout);
      } else {
        soTimeout = timeout;
      }
    }

    @Override
    public int getSoTimeout() throws SocketException {
      return attached() ? super.getSoTimeout() : Math.max(soTimeout, 0);
    }

    @Override
    public boolean isConnected() {
      return attached() && super.isConnected();
    }

    @Override
    public boolean isClosed() {
      return attached() && super.isClosed();
    }

    @Override
    public void close() throws IOException {
      if (attached()) {
        super.close(); // unconnected, there is nothing to close: connect closed its own TCP socket on failure
      }
    }

    @Override
    public String toString() {
      return attached() ? super.toString() : "unconnected tunnelled TLS socket";
    }
  }

  /** An SSL socket handing out its plain text input through a guard; everything else is the delegate's. */
  private static class GuardedSslSocket extends SSLSocket {
    private SSLSocket d;
    private Socket tcp;
    private final ServerReadGuard.Budget budget;
    private ServerReadGuard guard;
    private OutputStream output;

    GuardedSslSocket(SSLSocket delegate, Socket tcp, ServerReadGuard.Budget budget) {
      this.d = delegate;
      this.tcp = tcp;
      this.budget = budget;
    }

    /** Sets the delegate of a socket made without one (see {@link TunnelledTlsSocket}). */
    final synchronized void attach(SSLSocket delegate, Socket tcpSocket) {
      this.d = delegate;
      this.tcp = tcpSocket;
    }

    final synchronized boolean attached() {
      return d != null;
    }

    @Override
    public synchronized InputStream getInputStream() throws IOException {
      if (guard == null) {
        guard = budget.guard(d.getInputStream());
      }
      return guard;
    }

    @Override
    public synchronized OutputStream getOutputStream() throws IOException {
      if (output == null) {
        // closing the TCP socket ends a write blocked under TLS (closing the TLS socket would wait to write too)
        output = budget.deadlined(d.getOutputStream(), tcp);
      }
      return output;
    }

    @Override
    public void connect(SocketAddress endpoint, int timeout) throws IOException {
      d.connect(endpoint, timeout);
    }

    @Override
    public void connect(SocketAddress endpoint) throws IOException {
      d.connect(endpoint);
    }

    @Override
    public void bind(SocketAddress bindpoint) throws IOException {
      d.bind(bindpoint);
    }

    @Override
    public InetAddress getInetAddress() {
      return d.getInetAddress();
    }

    @Override
    public InetAddress getLocalAddress() {
      return d.getLocalAddress();
    }

    @Override
    public int getPort() {
      return d.getPort();
    }

    @Override
    public int getLocalPort() {
      return d.getLocalPort();
    }

    @Override
    public SocketAddress getRemoteSocketAddress() {
      return d.getRemoteSocketAddress();
    }

    @Override
    public SocketAddress getLocalSocketAddress() {
      return d.getLocalSocketAddress();
    }

    @Override
    public SocketChannel getChannel() {
      return d.getChannel();
    }

    @Override
    public void setTcpNoDelay(boolean on) throws SocketException {
      d.setTcpNoDelay(on);
    }

    @Override
    public boolean getTcpNoDelay() throws SocketException {
      return d.getTcpNoDelay();
    }

    @Override
    public void setSoLinger(boolean on, int linger) throws SocketException {
      d.setSoLinger(on, linger);
    }

    @Override
    public int getSoLinger() throws SocketException {
      return d.getSoLinger();
    }

    @Override
    public void setSoTimeout(int timeout) throws SocketException {
      d.setSoTimeout(timeout);
    }

    @Override
    public int getSoTimeout() throws SocketException {
      return d.getSoTimeout();
    }

    @Override
    public void setSendBufferSize(int size) throws SocketException {
      d.setSendBufferSize(size);
    }

    @Override
    public int getSendBufferSize() throws SocketException {
      return d.getSendBufferSize();
    }

    @Override
    public void setReceiveBufferSize(int size) throws SocketException {
      d.setReceiveBufferSize(size);
    }

    @Override
    public int getReceiveBufferSize() throws SocketException {
      return d.getReceiveBufferSize();
    }

    @Override
    public void setKeepAlive(boolean on) throws SocketException {
      d.setKeepAlive(on);
    }

    @Override
    public boolean getKeepAlive() throws SocketException {
      return d.getKeepAlive();
    }

    @Override
    public void close() throws IOException {
      d.close();
    }

    @Override
    public void shutdownInput() throws IOException {
      d.shutdownInput();
    }

    @Override
    public void shutdownOutput() throws IOException {
      d.shutdownOutput();
    }

    @Override
    public boolean isConnected() {
      return d.isConnected();
    }

    @Override
    public boolean isBound() {
      return d.isBound();
    }

    @Override
    public boolean isClosed() {
      return d.isClosed();
    }

    @Override
    public boolean isInputShutdown() {
      return d.isInputShutdown();
    }

    @Override
    public boolean isOutputShutdown() {
      return d.isOutputShutdown();
    }

    @Override
    public String[] getSupportedCipherSuites() {
      return d.getSupportedCipherSuites();
    }

    @Override
    public String[] getEnabledCipherSuites() {
      return d.getEnabledCipherSuites();
    }

    @Override
    public void setEnabledCipherSuites(String[] suites) {
      d.setEnabledCipherSuites(suites);
    }

    @Override
    public String[] getSupportedProtocols() {
      return d.getSupportedProtocols();
    }

    @Override
    public String[] getEnabledProtocols() {
      return d.getEnabledProtocols();
    }

    @Override
    public void setEnabledProtocols(String[] protocols) {
      d.setEnabledProtocols(protocols);
    }

    @Override
    public SSLSession getSession() {
      return d.getSession();
    }

    @Override
    public SSLSession getHandshakeSession() {
      return d.getHandshakeSession();
    }

    @Override
    public void addHandshakeCompletedListener(HandshakeCompletedListener listener) {
      d.addHandshakeCompletedListener(listener);
    }

    @Override
    public void removeHandshakeCompletedListener(HandshakeCompletedListener listener) {
      d.removeHandshakeCompletedListener(listener);
    }

    @Override
    public void startHandshake() throws IOException {
      d.startHandshake();
    }

    @Override
    public void setUseClientMode(boolean mode) {
      d.setUseClientMode(mode);
    }

    @Override
    public boolean getUseClientMode() {
      return d.getUseClientMode();
    }

    @Override
    public void setNeedClientAuth(boolean need) {
      d.setNeedClientAuth(need);
    }

    @Override
    public boolean getNeedClientAuth() {
      return d.getNeedClientAuth();
    }

    @Override
    public void setWantClientAuth(boolean want) {
      d.setWantClientAuth(want);
    }

    @Override
    public boolean getWantClientAuth() {
      return d.getWantClientAuth();
    }

    @Override
    public void setEnableSessionCreation(boolean flag) {
      d.setEnableSessionCreation(flag);
    }

    @Override
    public boolean getEnableSessionCreation() {
      return d.getEnableSessionCreation();
    }

    @Override
    public SSLParameters getSSLParameters() {
      return d.getSSLParameters();
    }

    @Override
    public void setSSLParameters(SSLParameters params) {
      d.setSSLParameters(params);
    }

    @Override
    public String getApplicationProtocol() {
      return d.getApplicationProtocol();
    }

    @Override
    public String getHandshakeApplicationProtocol() {
      return d.getHandshakeApplicationProtocol();
    }

    @Override
    public void setHandshakeApplicationProtocolSelector(BiFunction<SSLSocket, List<String>, String> selector) {
      d.setHandshakeApplicationProtocolSelector(selector);
    }

    @Override
    public BiFunction<SSLSocket, List<String>, String> getHandshakeApplicationProtocolSelector() {
      return d.getHandshakeApplicationProtocolSelector();
    }

    @Override
    public String toString() {
      return "guarded " + d;
    }
  }
}
