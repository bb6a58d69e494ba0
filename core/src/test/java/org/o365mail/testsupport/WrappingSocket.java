package org.o365mail.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;

/**
 * A socket that only passes on to another, as a mail library's wrapper is (Angus's write-timeout socket wraps the
 * plain one before TLS is layered on it): for the tests of {@code org.o365mail.net.GuardedSockets} and of its users
 * in other modules (core's test jar). Not thread-safe beyond the inner socket.
 */
public final class WrappingSocket extends Socket {
  private final Socket inner;

  public WrappingSocket(Socket inner) {
    this.inner = inner;
  }

  @Override
  public InputStream getInputStream() throws IOException {
    return inner.getInputStream();
  }

  @Override
  public OutputStream getOutputStream() throws IOException {
    return inner.getOutputStream();
  }

  @Override
  public InetAddress getInetAddress() {
    return inner.getInetAddress();
  }

  @Override
  public int getPort() {
    return inner.getPort();
  }

  @Override
  public int getLocalPort() {
    return inner.getLocalPort();
  }

  @Override
  public boolean isConnected() {
    return inner.isConnected();
  }

  @Override
  public synchronized void close() throws IOException {
    inner.close();
  }
}
