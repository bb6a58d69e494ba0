package org.o365mail.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.function.BiFunction;
import javax.net.ssl.HandshakeCompletedListener;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;

/**
 * An SSL socket handing out its plain text streams through a {@link StreamGuard}; everything else is its delegate's.
 * Thread-safe as far as its delegate is; its stream accessors are synchronized.
 */
class GuardedSslSocket extends SSLSocket {
  private SSLSocket d;
  private Socket tcp;
  private final StreamGuard guard;
  private InputStream input;
  private OutputStream output;

  GuardedSslSocket(SSLSocket delegate, Socket tcp, StreamGuard guard) {
    this.d = delegate;
    this.tcp = tcp;
    this.guard = guard;
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
    if (input == null) {
      input = guard.input(d.getInputStream());
    }
    return input;
  }

  @Override
  public synchronized OutputStream getOutputStream() throws IOException {
    if (output == null) {
      // closing the TCP socket ends a write blocked under TLS (closing the TLS socket would wait to write too)
      output = guard.output(d.getOutputStream(), tcp);
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
    return null; // a channel would read and write past the guard
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
