package org.o365mail.net;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import javax.net.ssl.SSLSocket;

/**
 * A TLS socket whose TCP connection is made, through the proxy, only when it is connected: a {@link RoutedSocket}
 * with TLS layered on it. Thread-safe as {@link GuardedSslSocket} is.
 */
final class TunnelledTlsSocket extends GuardedSslSocket {
  private final GuardedSockets sockets;
  /** A read timeout set before connecting, applied once connected. */
  private int soTimeout = -1;

  TunnelledTlsSocket(GuardedSockets sockets) {
    super(null, null, sockets.guard());
    this.sockets = sockets;
  }

  @Override
  public void connect(SocketAddress endpoint, int timeout) throws IOException {
    if (!(endpoint instanceof InetSocketAddress target)) {
      throw new IOException("cannot connect to " + endpoint);
    }
    RoutedSocket tcp = sockets.routed();
    try {
      tcp.connect(target, timeout);
      tcp.tlsLayered();
      SSLSocket ssl = sockets.layer(tcp, target.getHostString(), target.getPort());
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
