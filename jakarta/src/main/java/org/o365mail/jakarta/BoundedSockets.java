package org.o365mail.jakarta;

import static java.util.Objects.requireNonNull;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.function.BiFunction;
import java.util.function.LongSupplier;
import javax.net.SocketFactory;
import javax.net.ssl.HandshakeCompletedListener;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * Socket factories for Angus Mail whose sockets read what the server sends through bounds of size. Angus reads an
 * IMAP response line, the literal it announces, and an SMTP reply into memory whole and without a limit; these
 * streams follow that framing and fail the read with a {@link BoundExceededException} as soon as a line, an announced
 * literal or a reply passes its bound. The framing followed: IMAP lines end with LF (after CR); a line whose last
 * bytes before CRLF are {@code {n}} or {@code {n+}} announces n literal bytes, after which the response goes on with
 * another line. SMTP lines end with LF; a reply goes on while a line's fourth byte is {@code -}.
 *
 * <p>Time: Angus's own {@code connectiontimeout}, {@code timeout} (each read) and {@code writetimeout}, and here a
 * minimum rate: a response that has started may take {@link Limits#responseTime} and one more second for each {@link
 * Limits#minBytesPerSecond} bytes of it, so a server trickling a byte just within each read timeout is given up too
 * (in the manner of Apache httpd's mod_reqtimeout {@code MinRate}).
 *
 * <p>The factories are immutable and thread-safe; each socket, and its stream, belongs to one connection.
 */
final class BoundedSockets {
  private BoundedSockets() {}

  /**
   * Bounds of one connection's reads.
   *
   * @param imap IMAP framing (else SMTP)
   * @param maxLine bytes of one line, literals not counted
   * @param maxLiteral bytes one IMAP literal may announce
   * @param maxReply bytes of one SMTP reply, all its lines
   * @param responseTime how long a response (an IMAP line with its literals, an SMTP reply) may take from its first
   *     byte, before the allowance for its size
   * @param minBytesPerSecond the rate that earns more time: each this many bytes add a second to {@code
   *     responseTime}, so a server that has started to answer must go on at this rate
   */
  record Limits(boolean imap, int maxLine, long maxLiteral, long maxReply, Duration responseTime,
      long minBytesPerSecond) {
    /** IMAP: lines up to 16 MiB (a SEARCH answer of a folder of a million items is about 9 MB), literals as given. */
    static Limits imap(long maxLiteral, Duration responseTime) {
      return new Limits(true, 16 << 20, maxLiteral, Long.MAX_VALUE, responseTime, 1024);
    }

    /** SMTP: lines up to 64 KiB (RFC 5321 allows 512 bytes), replies up to 1 MiB (EHLO's are a few dozen lines). */
    static Limits smtp(Duration responseTime) {
      return new Limits(false, 64 << 10, 0, 1L << 20, responseTime, 1024);
    }
  }

  /** A read refused because the server's answer passed a bound; the message names the server and the bound. */
  static final class BoundExceededException extends IOException {
    private static final long serialVersionUID = 1L;

    BoundExceededException(String message) {
      super(message);
    }
  }

  /** The server's bytes, checked against {@link Limits} as they pass. Not thread-safe, like the stream it wraps. */
  static final class BoundedInput extends FilterInputStream {
    private final Limits limits;
    private final String server;
    private final byte[] tail = new byte[24];
    private int tailLength;
    private long lineBytes;
    private long replyBytes;
    private int fourth = -1;
    private long literalLeft;
    private volatile boolean passThrough;
    private BoundExceededException failure;
    private final LongSupplier nanoTime;
    private long responseStart = -1;
    private long responseBytes;

    BoundedInput(InputStream in, Limits limits, String server) {
      this(in, limits, server, System::nanoTime);
    }

    BoundedInput(InputStream in, Limits limits, String server, LongSupplier nanoTime) {
      super(in);
      this.limits = limits;
      this.server = server;
      this.nanoTime = nanoTime;
    }

    /** From now on the bytes are not framed (TLS records after STARTTLS, which the TLS socket's stream frames). */
    void passThrough() {
      passThrough = true;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n <= 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (failure != null) {
        throw failure;
      }
      int n = super.read(b, off, len);
      if (n > 0 && !passThrough) {
        long now = nanoTime.getAsLong();
        if (responseStart < 0) {
          responseStart = now;
        }
        responseBytes += n;
        long allowed = limits.responseTime().toNanos()
            + Math.min(responseBytes / limits.minBytesPerSecond(), Long.MAX_VALUE / 2_000_000_000L) * 1_000_000_000L;
        if (now - responseStart > allowed) {
          fail("an answer slower than " + limits.minBytesPerSecond() + " bytes/s after "
              + limits.responseTime().toSeconds() + " s");
        }
        check(b, off, n);
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      // skipped bytes would pass unframed: read them instead
      byte[] buffer = new byte[(int) Math.min(Math.max(n, 0), 8192)];
      int read = read(buffer, 0, buffer.length);
      return Math.max(read, 0);
    }

    private void check(byte[] b, int off, int n) throws BoundExceededException {
      int i = off;
      int end = off + n;
      while (i < end) {
        if (literalLeft > 0) {
          int take = (int) Math.min(literalLeft, end - i);
          literalLeft -= take;
          i += take;
          continue;
        }
        byte c = b[i++];
        if (c == '\n') {
          endOfLine();
          continue;
        }
        lineBytes++;
        if (lineBytes == 4) {
          fourth = c;
        }
        if (lineBytes > limits.maxLine()) {
          fail("a line longer than " + limits.maxLine() + " bytes");
        }
        if (!limits.imap()) {
          replyBytes++;
          if (replyBytes > limits.maxReply()) {
            fail("a reply longer than " + limits.maxReply() + " bytes");
          }
        }
        if (tailLength == tail.length) {
          System.arraycopy(tail, 1, tail, 0, tail.length - 1);
          tailLength--;
        }
        tail[tailLength++] = c;
      }
    }

    private void endOfLine() throws BoundExceededException {
      if (limits.imap()) {
        long announced = literal();
        if (announced > limits.maxLiteral()) {
          fail("a literal of " + announced + " bytes, more than " + limits.maxLiteral());
        }
        literalLeft = Math.max(announced, 0);
        if (announced < 0) {
          responseEnded();
        }
      } else if (fourth != '-') {
        replyBytes = 0;
        responseEnded();
      }
      lineBytes = 0;
      tailLength = 0;
      fourth = -1;
    }

    /** The next byte starts a new response, with a new allowance of time. */
    private void responseEnded() {
      responseStart = -1;
      responseBytes = 0;
    }

    /** The literal the line's tail announces ({@code {n}} or {@code {n+}} before an optional CR), or -1. */
    private long literal() {
      int end = tailLength;
      if (end > 0 && tail[end - 1] == '\r') {
        end--;
      }
      if (end < 3 || tail[end - 1] != '}') {
        return -1;
      }
      int i = end - 2;
      if (tail[i] == '+') {
        i--;
      }
      int digitsEnd = i + 1;
      while (i >= 0 && tail[i] >= '0' && tail[i] <= '9') {
        i--;
      }
      if (i < 0 || tail[i] != '{' || i + 1 == digitsEnd) {
        return -1;
      }
      if (digitsEnd - (i + 1) > 18) {
        return Long.MAX_VALUE;
      }
      return Long.parseLong(new String(tail, i + 1, digitsEnd - (i + 1), java.nio.charset.StandardCharsets.US_ASCII));
    }

    private void fail(String what) throws BoundExceededException {
      failure = new BoundExceededException(server + " sent " + what + "; the connection is given up");
      throw failure;
    }
  }

  /**
   * Plain sockets (SMTP before STARTTLS) whose input is bounded until TLS is layered over them. Angus wraps the
   * socket (in its write-timeout socket) before STARTTLS, so the TLS factory cannot tell its plain socket from what
   * it is given: the socket this thread created last is handed over to it, checked by its ports.
   */
  static final class Plain extends SocketFactory {
    private final Limits limits;
    private final String server;
    private final ThreadLocal<PlainSocket> created = new ThreadLocal<>();

    Plain(Limits limits, String server) {
      this.limits = requireNonNull(limits, "limits");
      this.server = requireNonNull(server, "server");
    }

    @Override
    public Socket createSocket() {
      PlainSocket s = new PlainSocket(limits, server);
      created.set(s);
      return s;
    }

    /** The plain socket under {@code layered} (itself, or wrapped by Angus on this thread), if it is one of ours. */
    PlainSocket under(Socket layered) {
      PlainSocket last = created.get();
      created.remove();
      if (layered instanceof PlainSocket p) {
        return p;
      }
      if (last != null && last.isConnected() && last.getLocalPort() == layered.getLocalPort()
          && last.getPort() == layered.getPort() && last.getInetAddress().equals(layered.getInetAddress())) {
        return last;
      }
      return null;
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
  }

  /** A plain socket with a bounded input stream. */
  static final class PlainSocket extends Socket {
    private final Limits limits;
    private final String server;
    private BoundedInput input;

    PlainSocket(Limits limits, String server) {
      this.limits = limits;
      this.server = server;
    }

    @Override
    public synchronized InputStream getInputStream() throws IOException {
      if (input == null) {
        input = new BoundedInput(super.getInputStream(), limits, server);
      }
      return input;
    }

    /** From now on TLS records pass, unframed: the TLS socket layered over this one frames what they carry. */
    synchronized void tlsLayeredOver() throws IOException {
      ((BoundedInput) getInputStream()).passThrough();
    }
  }

  /** TLS sockets (implicit TLS, or layered by STARTTLS) whose decrypted input is bounded. */
  static final class Tls extends SSLSocketFactory {
    private final SSLSocketFactory delegate;
    private final Limits limits;
    private final String server;
    private final Plain plain;

    /**
     * @param plain the factory of the plain sockets STARTTLS layers TLS over, or null for implicit TLS
     */
    Tls(SSLSocketFactory delegate, Limits limits, String server, Plain plain) {
      this.delegate = requireNonNull(delegate, "delegate");
      this.limits = requireNonNull(limits, "limits");
      this.server = requireNonNull(server, "server");
      this.plain = plain;
    }

    private Socket wrap(Socket s) {
      return new BoundedSslSocket((SSLSocket) s, limits, server);
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
    public Socket createSocket() throws IOException {
      return wrap(delegate.createSocket());
    }

    @Override
    public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws IOException {
      PlainSocket under = s instanceof PlainSocket p ? p : plain != null ? plain.under(s) : null;
      if (under != null) {
        under.tlsLayeredOver();
      }
      return wrap(delegate.createSocket(s, host, port, autoClose));
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
      return wrap(delegate.createSocket(host, port));
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
      return wrap(delegate.createSocket(host, port, localHost, localPort));
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
      return wrap(delegate.createSocket(host, port));
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
        throws IOException {
      return wrap(delegate.createSocket(address, port, localAddress, localPort));
    }
  }

  /**
   * An {@link SSLSocket} that is its delegate in everything but a bounded input stream and, for IMAP, an output that
   * refuses {@code LOGIN} ({@link LoginRefusingOutput}).
   */
  static final class BoundedSslSocket extends SSLSocket {
    private final SSLSocket d;
    private final Limits limits;
    private final String server;
    private BoundedInput input;
    private OutputStream output;

    BoundedSslSocket(SSLSocket delegate, Limits limits, String server) {
      this.d = delegate;
      this.limits = limits;
      this.server = server;
    }

    @Override
    public synchronized InputStream getInputStream() throws IOException {
      if (input == null) {
        input = new BoundedInput(d.getInputStream(), limits, server);
      }
      return input;
    }

    // ----- everything else is the delegate's -----

    @Override
    public synchronized OutputStream getOutputStream() throws IOException {
      if (output == null) {
        output = limits.imap() ? new LoginRefusingOutput(d.getOutputStream(), server) : d.getOutputStream();
      }
      return output;
    }

    @Override
    public void connect(SocketAddress endpoint) throws IOException {
      d.connect(endpoint);
    }

    @Override
    public void connect(SocketAddress endpoint, int timeout) throws IOException {
      d.connect(endpoint, timeout);
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
      return null;
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
    public synchronized void setSoTimeout(int timeout) throws SocketException {
      d.setSoTimeout(timeout);
    }

    @Override
    public synchronized int getSoTimeout() throws SocketException {
      return d.getSoTimeout();
    }

    @Override
    public synchronized void setSendBufferSize(int size) throws SocketException {
      d.setSendBufferSize(size);
    }

    @Override
    public synchronized int getSendBufferSize() throws SocketException {
      return d.getSendBufferSize();
    }

    @Override
    public synchronized void setReceiveBufferSize(int size) throws SocketException {
      d.setReceiveBufferSize(size);
    }

    @Override
    public synchronized int getReceiveBufferSize() throws SocketException {
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
    public synchronized void close() throws IOException {
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
    public void setHandshakeApplicationProtocolSelector(BiFunction<SSLSocket, java.util.List<String>, String> s) {
      d.setHandshakeApplicationProtocolSelector(s);
    }

    @Override
    public BiFunction<SSLSocket, java.util.List<String>, String> getHandshakeApplicationProtocolSelector() {
      return d.getHandshakeApplicationProtocolSelector();
    }

    @Override
    public String toString() {
      return d.toString();
    }
  }
}
