package org.o365mail.testkit;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small forward proxy on 127.0.0.1 for tests of the SDK's proxy support: an HTTP proxy that only tunnels ({@code
 * CONNECT}, optionally demanding Basic credentials with a 407 first) or a SOCKS5 proxy (no authentication). It
 * opens tunnels to loopback addresses only and refuses any other target, so nothing a test does leaves the machine.
 * Written for the tests rather than taken from Jetty or Netty so that it can record what crossed it in clear: the
 * {@code CONNECT} targets, the {@code Proxy-Authorization} headers, any request that was not a {@code CONNECT}, and the
 * first megabyte of what clients sent into tunnels (for {@link #sawInClear}).
 *
 * <p>Every read is bounded: a request line or header of at most 8 KiB, at most 64 headers, 10 s to send them, and
 * tunnels idle for more than 2 minutes are closed. Thread-safe; {@link #close()} closes every connection.
 */
public final class LoopbackProxy implements AutoCloseable {
  /** The protocol the proxy speaks. */
  public enum Kind {
    /** HTTP, {@code CONNECT} only. */
    HTTP_CONNECT,
    /** SOCKS5, {@code CONNECT} command, no authentication. */
    SOCKS5
  }

  private static final int MAX_LINE = 8192;
  private static final int MAX_HEADERS = 64;
  private static final int HANDSHAKE_TIMEOUT_MS = 10_000;
  private static final int TUNNEL_IDLE_MS = 120_000;
  private static final int CAPTURE_LIMIT = 1 << 20;

  private final Kind kind;
  private final String user;
  private final String password;
  private final ServerSocket server;
  private final Thread acceptor;
  private final Set<Closeable> open = ConcurrentHashMap.newKeySet();
  private final List<Thread> threads = new CopyOnWriteArrayList<>();
  private final List<String> targets = new CopyOnWriteArrayList<>();
  private final List<String> proxyAuthorizations = new CopyOnWriteArrayList<>();
  private final List<String> plainRequests = new CopyOnWriteArrayList<>();
  private final List<Integer> answers = new CopyOnWriteArrayList<>();
  private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
  private final AtomicInteger tunnels = new AtomicInteger();
  private volatile int refuseWith;
  private volatile boolean closeAfter407;
  private volatile boolean closed;

  private LoopbackProxy(Kind kind, String user, String password) throws IOException {
    this.kind = kind;
    this.user = user;
    this.password = password;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.acceptor = new Thread(this::accept, "loopback-proxy-" + server.getLocalPort());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** An HTTP {@code CONNECT} proxy without authentication. */
  public static LoopbackProxy http() {
    return start(Kind.HTTP_CONNECT, null, null);
  }

  /** An HTTP {@code CONNECT} proxy that answers 407 until a request carries Basic {@code user:password}. */
  public static LoopbackProxy httpWithBasic(String user, String password) {
    return start(Kind.HTTP_CONNECT, java.util.Objects.requireNonNull(user, "user"),
        java.util.Objects.requireNonNull(password, "password"));
  }

  /** A SOCKS5 proxy without authentication. */
  public static LoopbackProxy socks5() {
    return start(Kind.SOCKS5, null, null);
  }

  private static LoopbackProxy start(Kind kind, String user, String password) {
    try {
      return new LoopbackProxy(kind, user, password);
    } catch (IOException e) {
      throw new IllegalStateException("cannot listen on the loopback interface", e);
    }
  }

  /**
   * From now on refuses every tunnel with {@code status} (an HTTP status such as 403, or for SOCKS5 its reply code
   * 1 to 8); 0 accepts again.
   */
  public LoopbackProxy refuseWith(int status) {
    this.refuseWith = status;
    return this;
  }

  /**
   * From now on answers a {@code CONNECT} without the right credentials with a 407 that says {@code Connection:
   * close}, and closes the connection, so that the client must send its credentials on a new one. That is what
   * Jetty 12's {@code ConnectHandler} does: its {@code sendConnectResponse} puts {@code Connection: close} on every
   * answer but 200 (jetty-server 12.1, org/eclipse/jetty/server/handler/ConnectHandler.java). By default the
   * connection stays open for the client's next try.
   */
  public LoopbackProxy closeAfter407() {
    this.closeAfter407 = true;
    return this;
  }

  public String host() {
    return "127.0.0.1";
  }

  public int port() {
    return server.getLocalPort();
  }

  public Kind kind() {
    return kind;
  }

  /** The targets ({@code host:port}) of every {@code CONNECT}, accepted or not, in order. */
  public List<String> connectTargets() {
    return List.copyOf(targets);
  }

  /** The tunnels opened. */
  public int tunnels() {
    return tunnels.get();
  }

  /** The HTTP statuses the proxy answered, in order (200, 407, 403, ...). */
  public List<Integer> answers() {
    return List.copyOf(answers);
  }

  /** Every {@code Proxy-Authorization} header received, as sent. */
  public List<String> proxyAuthorizations() {
    return List.copyOf(proxyAuthorizations);
  }

  /** Request lines of requests that were not a {@code CONNECT} (a client proxying plain HTTP); none expected. */
  public List<String> plainRequests() {
    return List.copyOf(plainRequests);
  }

  /**
   * Whether {@code text} appeared in clear in what crossed the proxy: request lines and headers, or the first
   * megabyte a client sent into its tunnels (TLS inside a tunnel hides it, a plain-text protocol does not).
   */
  public boolean sawInClear(String text) {
    byte[] all;
    synchronized (captured) {
      all = captured.toByteArray();
    }
    return new String(all, StandardCharsets.ISO_8859_1).contains(text);
  }

  /** Forgets what was recorded. */
  public void clear() {
    targets.clear();
    proxyAuthorizations.clear();
    plainRequests.clear();
    answers.clear();
    tunnels.set(0);
    synchronized (captured) {
      captured.reset();
    }
  }

  private void accept() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return;
      }
      open.add(client);
      spawn("loopback-proxy-conn", () -> serve(client));
    }
  }

  private void spawn(String name, Runnable r) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    threads.add(t);
    threads.removeIf(x -> !x.isAlive() && x != t);
    t.start();
  }

  private void serve(Socket client) {
    try {
      client.setSoTimeout(HANDSHAKE_TIMEOUT_MS);
      InputStream in = client.getInputStream();
      OutputStream out = client.getOutputStream();
      if (kind == Kind.SOCKS5) {
        socks(client, in, out);
      } else {
        http(client, in, out);
      }
    } catch (IOException | RuntimeException e) {
      closeQuietly(client);
    }
  }

  private void http(Socket client, InputStream in, OutputStream out) throws IOException {
    while (true) {
      String requestLine = line(in);
      if (requestLine == null) {
        closeQuietly(client);
        return;
      }
      capture(requestLine + "\r\n");
      List<String> headers = new ArrayList<>();
      for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
        capture(h + "\r\n");
        if (headers.size() >= MAX_HEADERS) {
          answer(out, 431, "Request Header Fields Too Large", true);
          closeQuietly(client);
          return;
        }
        headers.add(h);
      }
      String[] parts = requestLine.split(" ");
      if (parts.length != 3 || !parts[0].equals("CONNECT")) {
        plainRequests.add(requestLine);
        answer(out, 405, "Only CONNECT", true);
        closeQuietly(client);
        return;
      }
      String target = parts[1];
      targets.add(target);
      String auth = null;
      for (String h : headers) {
        int colon = h.indexOf(':');
        if (colon > 0 && h.substring(0, colon).trim().equalsIgnoreCase("Proxy-Authorization")) {
          auth = h.substring(colon + 1).trim();
          proxyAuthorizations.add(auth);
        }
      }
      if (user != null && !basic(user, password).equals(auth)) {
        answers.add(407);
        boolean close = closeAfter407;
        out.write(("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"loopback\"\r\n"
            + "Content-Length: 0\r\n" + (close ? "Connection: close\r\n" : "") + "\r\n")
            .getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        if (close) {
          closeQuietly(client);
          return;
        }
        continue; // the connection stays open for the client's next try
      }
      if (refuseWith != 0) {
        answer(out, refuseWith, "Refused", true);
        closeQuietly(client);
        return;
      }
      Socket upstream;
      try {
        upstream = connectLoopback(target);
      } catch (IOException e) {
        answer(out, 502, "Bad Gateway", true);
        closeQuietly(client);
        return;
      }
      answers.add(200);
      out.write("HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      relay(client, upstream);
      return;
    }
  }

  private void socks(Socket client, InputStream in, OutputStream out) throws IOException {
    if (in.read() != 5) {
      closeQuietly(client);
      return;
    }
    int methods = in.read();
    if (methods < 1) {
      closeQuietly(client);
      return;
    }
    byte[] offered = in.readNBytes(methods);
    boolean noAuth = false;
    for (byte m : offered) {
      noAuth |= m == 0;
    }
    out.write(new byte[] {5, (byte) (noAuth ? 0 : 0xFF)});
    out.flush();
    if (!noAuth) {
      closeQuietly(client);
      return;
    }
    byte[] head = in.readNBytes(4);
    if (head.length < 4 || head[0] != 5 || head[1] != 1) {
      out.write(new byte[] {5, 7, 0, 1, 0, 0, 0, 0, 0, 0});
      closeQuietly(client);
      return;
    }
    String host;
    switch (head[3]) {
      case 1 -> host = InetAddress.getByAddress(in.readNBytes(4)).getHostAddress();
      case 4 -> host = "[" + InetAddress.getByAddress(in.readNBytes(16)).getHostAddress() + "]";
      case 3 -> {
        int n = in.read();
        host = new String(in.readNBytes(Math.max(n, 0)), StandardCharsets.ISO_8859_1);
      }
      default -> {
        closeQuietly(client);
        return;
      }
    }
    byte[] p = in.readNBytes(2);
    int port = ((p[0] & 0xFF) << 8) | (p[1] & 0xFF);
    String target = host + ":" + port;
    targets.add(target);
    capture("SOCKS5 CONNECT " + target + "\r\n");
    int refusal = refuseWith;
    Socket upstream = null;
    if (refusal == 0) {
      try {
        upstream = connectLoopback(target);
      } catch (IOException e) {
        refusal = 5;
      }
    }
    if (upstream == null) {
      answers.add(refusal);
      out.write(new byte[] {5, (byte) refusal, 0, 1, 0, 0, 0, 0, 0, 0});
      out.flush();
      closeQuietly(client);
      return;
    }
    answers.add(0);
    out.write(new byte[] {5, 0, 0, 1, 127, 0, 0, 1, 0, 0});
    out.flush();
    relay(client, upstream);
  }

  /** Connects to {@code host:port} if it is a loopback address; refuses anything else. */
  private Socket connectLoopback(String target) throws IOException {
    int colon = target.lastIndexOf(':');
    if (colon <= 0) {
      throw new IOException("no port");
    }
    String host = target.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port = Integer.parseInt(target.substring(colon + 1));
    for (InetAddress a : InetAddress.getAllByName(host)) {
      if (a.isLoopbackAddress()) {
        Socket s = new Socket();
        open.add(s);
        s.connect(new InetSocketAddress(a, port), HANDSHAKE_TIMEOUT_MS);
        return s;
      }
    }
    throw new IOException("not a loopback target");
  }

  private void relay(Socket client, Socket upstream) throws IOException {
    tunnels.incrementAndGet();
    client.setSoTimeout(TUNNEL_IDLE_MS);
    upstream.setSoTimeout(TUNNEL_IDLE_MS);
    spawn("loopback-proxy-down", () -> pump(upstream, client, false));
    pump(client, upstream, true);
  }

  private void pump(Socket from, Socket to, boolean record) {
    byte[] buffer = new byte[16384];
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        if (record) {
          synchronized (captured) {
            captured.write(buffer, 0, Math.min(n, Math.max(0, CAPTURE_LIMIT - captured.size())));
          }
        }
        out.write(buffer, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      // closed or idle: end both directions
    } finally {
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  private void answer(OutputStream out, int status, String reason, boolean close) throws IOException {
    answers.add(status);
    out.write(("HTTP/1.1 " + status + " " + reason + "\r\nContent-Length: 0\r\n" + (close ? "Connection: close\r\n" : "")
        + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }

  private void capture(String text) {
    byte[] b = text.getBytes(StandardCharsets.ISO_8859_1);
    synchronized (captured) {
      captured.write(b, 0, Math.min(b.length, Math.max(0, CAPTURE_LIMIT - captured.size())));
    }
  }

  /** One CRLF-terminated line of at most {@link #MAX_LINE} bytes, or null at the end of the stream. */
  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    try {
      while ((c = in.read()) >= 0) {
        if (c == '\n') {
          String s = b.toString(StandardCharsets.ISO_8859_1);
          return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
        }
        if (b.size() >= MAX_LINE) {
          throw new IOException("line too long");
        }
        b.write(c);
      }
    } catch (SocketTimeoutException e) {
      return null;
    }
    return null;
  }

  static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  private void closeQuietly(Closeable c) {
    try {
      c.close();
    } catch (IOException e) {
      // closing
    }
    open.remove(c);
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      // closing
    }
    for (Closeable c : open) {
      closeQuietly(c);
    }
    try {
      acceptor.join(5000);
      for (Thread t : threads) {
        t.join(5000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "LoopbackProxy[" + kind.name().toLowerCase(Locale.ROOT) + " 127.0.0.1:" + port() + ", tunnels=" + tunnels
        + "]";
  }
}
