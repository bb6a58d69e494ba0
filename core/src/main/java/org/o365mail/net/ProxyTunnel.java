package org.o365mail.net;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import org.o365mail.ProxyFailures;
import org.o365mail.ProxySettings;

/**
 * An HTTP {@code CONNECT} tunnel, opened on a socket already connected to the proxy, before anything of the
 * protocol it carries is sent: what goes through it (a token, the mail) is never seen by the proxy in clear, and with
 * TLS layered on it not at all. The proxy's Basic credentials are sent only to the proxy, in {@code
 * Proxy-Authorization}, and only once it asked for them with a 407: on the same connection when it keeps it open,
 * else on the next connection (the proxy is then remembered as one that wants them).
 *
 * <p>The answer is bounded in size (a line of at most 8 KiB, at most 64 headers, a 407 body of at most 64 KiB) and
 * in time twice: each read within the read timeout, and the whole exchange within the total, so that a proxy
 * dripping a byte just within each read timeout is given up too. Thread-safe (stateless but for what it learnt of each
 * configured proxy).
 */
final class ProxyTunnel {
  private static final int MAX_LINE = 8192;
  private static final int MAX_HEADERS = 64;
  private static final int MAX_BODY = 64 << 10;
  /**
   * What was learnt of each configured proxy, by the {@link ProxySettings} instance (its identity: an application
   * configures one and every connection shares it; tests that each make their own never see another's): whether it
   * asked for credentials, and the probe of {@link #learn} once it read an answer. Weak keys: a configuration
   * thrown away takes its entry with it.
   */
  private static final Map<ProxySettings, Learnt> LEARNT = Collections.synchronizedMap(new WeakHashMap<>());

  private ProxyTunnel() {}

  /** What is known of one proxy. */
  private static final class Learnt {
    /** It answered 407: tunnels to it send the credentials at once. */
    volatile boolean asked;
    /** The probe under way or done; completed once it read the proxy's answer, removed if it read none. */
    CompletableFuture<Void> probe;
  }

  private static Learnt learnt(ProxySettings proxy) {
    return LEARNT.computeIfAbsent(proxy, p -> new Learnt());
  }

  /**
   * Before the first tunnel through a proxy that credentials are configured for: asks the proxy once, on a
   * connection of its own and without credentials, whether it wants them. A proxy may answer its 407 with {@code
   * Connection: close} and close (Jetty's {@code ConnectHandler} does; RFC 9112 section 9.6: a server that sends
   * "close" closes the connection after that response), and a connected {@link Socket} cannot connect again:
   * without this probe the first connection through such a proxy would fail although the credentials were at hand.
   * After a 407 here, every tunnel to the proxy sends the credentials at once; the credentials still go only to a
   * proxy that asked for them. The probe's own tunnel, if the proxy opens one, is closed unused. One probe per
   * proxy: connections made while it runs wait for it, within their own deadline; a probe that read no answer (the
   * proxy down or silent) is tried again by the next connection.
   *
   * @param deadline when, on {@code nanoTime}'s scale, the connection's whole connect must be done
   * @throws IOException when the proxy cannot be connected to (as the tunnel's own connection would fail), or the
   *     deadline passed waiting for another connection's probe
   */
  static void learn(InetSocketAddress proxyAddress, ProxySettings proxy, String host, int port, long deadline,
      LongSupplier nanoTime) throws IOException {
    if (!proxy.hasCredentials()) {
      return;
    }
    Learnt learnt = learnt(proxy);
    if (learnt.asked) {
      return;
    }
    CompletableFuture<Void> mine = new CompletableFuture<>();
    CompletableFuture<Void> running;
    synchronized (learnt) {
      running = learnt.probe;
      if (running == null) {
        learnt.probe = mine;
      }
    }
    if (running != null) {
      awaitProbe(running, proxy, deadline, nanoTime);
      return;
    }
    boolean answered = false;
    try (Socket probe = new Socket()) {
      probe.connect(proxyAddress, remainingMillis(proxy, deadline, nanoTime));
      String target = target(host, port);
      Duration left = Duration.ofMillis(remainingMillis(proxy, deadline, nanoTime));
      try {
        Answers answers = new Answers(probe, probe.getInputStream(), proxy.describe(), target, left, left, nanoTime);
        request(probe.getOutputStream(), target, null);
        Answer answer = answers.next();
        answered = true;
        if (answer.status == 407) {
          learnt.asked = true;
        }
      } catch (IOException e) {
        // the tunnel's own connection meets whatever this was, and reports it
      }
    } finally {
      if (!answered) {
        synchronized (learnt) {
          learnt.probe = null; // the next connection probes again
        }
      }
      mine.complete(null); // the waiting connections go on, and meet the proxy themselves if it read no answer
    }
  }

  private static void awaitProbe(CompletableFuture<Void> running, ProxySettings proxy, long deadline,
      LongSupplier nanoTime) throws IOException {
    try {
      running.get(remainingMillis(proxy, deadline, nanoTime), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new SocketTimeoutException("the " + proxy.describe() + " did not answer within the connect timeout");
    } catch (ExecutionException e) {
      // never completed exceptionally
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted waiting for the " + proxy.describe());
    }
  }

  /** What is left of the connect timeout, at least 1 ms; a timeout naming the proxy once it is over. */
  static int remainingMillis(ProxySettings proxy, long deadline, LongSupplier nanoTime) throws SocketTimeoutException {
    long left = TimeUnit.NANOSECONDS.toMillis(deadline - nanoTime.getAsLong());
    if (left <= 0) {
      throw new SocketTimeoutException("the " + proxy.describe() + " did not answer within the connect timeout");
    }
    return (int) Math.min(Integer.MAX_VALUE, left);
  }

  private static String target(String host, int port) {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  /**
   * Opens the tunnel to {@code host:port} over {@code socket}'s raw streams {@code in} and {@code out}, and leaves
   * the socket's read timeout as it was.
   *
   * @param readTimeout the longest wait for the proxy's next bytes
   * @param total the longest the whole exchange may take, from the first byte written to the end of the answer
   * @param nanoTime the clock of {@code total} ({@code System::nanoTime})
   * @throws ProxyFailures.RefusedException when the proxy answers anything but 200
   * @throws SocketTimeoutException when the proxy's answer outlasts a timeout; the message names the proxy
   */
  static void open(Socket socket, InputStream in, OutputStream out, ProxySettings proxy, String host, int port,
      Duration readTimeout, Duration total, LongSupplier nanoTime) throws IOException {
    String target = target(host, port);
    int previousTimeout = socket.getSoTimeout();
    Answers answers = new Answers(socket, in, proxy.describe(), target, readTimeout, total, nanoTime);
    boolean sent = proxy.hasCredentials() && learnt(proxy).asked;
    request(out, target, sent ? proxy : null);
    Answer answer = answers.next();
    if (answer.status == 407 && proxy.hasCredentials() && !sent) {
      learnt(proxy).asked = true;
      if (answer.close) {
        throw new ProxyFailures.RefusedException(proxy.describe(), 407, false, target + " (the proxy closed the"
            + " connection after asking for credentials; the next connection sends them)");
      }
      answers.skip(answer.contentLength);
      sent = true;
      request(out, target, proxy);
      answer = answers.next();
    }
    if (answer.status != 200) {
      throw new ProxyFailures.RefusedException(proxy.describe(), answer.status, sent, target);
    }
    socket.setSoTimeout(previousTimeout);
  }

  private static void request(OutputStream out, String target, ProxySettings credentials) throws IOException {
    String head = "CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n";
    out.write(head.getBytes(StandardCharsets.ISO_8859_1));
    if (credentials != null) {
      char[] password = credentials.password();
      String user = credentials.username().orElseThrow();
      CharBuffer pair = CharBuffer.allocate(user.length() + 1 + password.length);
      pair.put(user).put(':').put(password).flip();
      var utf8 = StandardCharsets.UTF_8.encode(pair);
      byte[] raw = new byte[utf8.remaining()];
      utf8.get(raw);
      byte[] encoded = Base64.getEncoder().encode(raw);
      try {
        out.write("Proxy-Authorization: Basic ".getBytes(StandardCharsets.ISO_8859_1));
        out.write(encoded);
        out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
      } finally {
        Arrays.fill(password, '\0');
        Arrays.fill(pair.array(), '\0');
        Arrays.fill(raw, (byte) 0);
        if (utf8.hasArray()) {
          Arrays.fill(utf8.array(), (byte) 0);
        }
        Arrays.fill(encoded, (byte) 0);
      }
    }
    out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }

  private record Answer(int status, long contentLength, boolean close) {}

  /** The proxy's answers on one connection, read within the read timeout each and the total all together. */
  private static final class Answers {
    private final Socket socket;
    private final InputStream in;
    private final String proxy;
    private final String target;
    private final long readMillis;
    private final Duration total;
    private final LongSupplier nanoTime;
    private final long end;

    Answers(Socket socket, InputStream in, String proxy, String target, Duration readTimeout, Duration total,
        LongSupplier nanoTime) {
      this.socket = socket;
      this.in = in;
      this.proxy = proxy;
      this.target = target;
      this.readMillis = Math.max(1, readTimeout.toMillis());
      this.total = total;
      this.nanoTime = nanoTime;
      this.end = nanoTime.getAsLong() + total.toNanos();
    }

    Answer next() throws IOException {
      String status = line();
      String[] parts = status.split(" ", 3);
      if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
        throw new IOException("the " + proxy + " did not answer CONNECT with HTTP");
      }
      int code;
      try {
        code = Integer.parseInt(parts[1]);
      } catch (NumberFormatException e) {
        throw new IOException("the " + proxy + " answered CONNECT without a status code");
      }
      long length = 0;
      boolean close = parts[0].equals("HTTP/1.0");
      for (int i = 0; ; i++) {
        String h = line();
        if (h.isEmpty()) {
          break;
        }
        if (i >= MAX_HEADERS) {
          throw new IOException("the " + proxy + "'s answer to CONNECT has more than " + MAX_HEADERS + " headers");
        }
        int colon = h.indexOf(':');
        if (colon <= 0) {
          continue;
        }
        String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
        String value = h.substring(colon + 1).trim().toLowerCase(Locale.ROOT);
        if (name.equals("content-length")) {
          try {
            length = Long.parseLong(value);
          } catch (NumberFormatException e) {
            close = true;
          }
        } else if ((name.equals("connection") || name.equals("proxy-connection")) && value.contains("close")) {
          close = true;
        } else if (name.equals("transfer-encoding")) {
          close = true; // a chunked 407 body: not worth reading, the next connection sends the credentials
        }
      }
      return new Answer(code, length, close || length > MAX_BODY || length < 0);
    }

    /** Reads past {@code length} bytes of a body (at most 64 KiB: a longer one made the answer one that closes). */
    void skip(long length) throws IOException {
      byte[] buffer = new byte[8192];
      long left = length;
      while (left > 0) {
        int n = read(buffer, (int) Math.min(left, buffer.length));
        if (n < 0) {
          throw new IOException("the " + proxy + " closed the connection while answering CONNECT");
        }
        left -= n;
      }
    }

    private String line() throws IOException {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      byte[] one = new byte[1];
      while (true) {
        int n = read(one, 1);
        if (n < 0) {
          throw new IOException("the " + proxy + " closed the connection while answering CONNECT");
        }
        if (n == 0) {
          continue;
        }
        if (one[0] == '\n') {
          String s = b.toString(StandardCharsets.ISO_8859_1);
          return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
        }
        if (b.size() >= MAX_LINE) {
          throw new IOException("the " + proxy + "'s answer to CONNECT has a line longer than " + MAX_LINE
              + " bytes");
        }
        b.write(one[0]);
      }
    }

    /** One read, given at most the read timeout and what is left of the total. */
    private int read(byte[] buffer, int len) throws IOException {
      long left = end - nanoTime.getAsLong();
      if (left <= 0) {
        throw outlasted();
      }
      long leftMillis = Math.max(1, (left + 999_999) / 1_000_000);
      boolean lastRead = leftMillis < readMillis;
      socket.setSoTimeout((int) Math.min(Math.min(readMillis, leftMillis), Integer.MAX_VALUE));
      try {
        return in.read(buffer, 0, len);
      } catch (SocketTimeoutException e) {
        SocketTimeoutException named = lastRead ? outlasted()
            : new SocketTimeoutException("the " + proxy + " sent nothing for " + readMillis
                + " ms while answering the CONNECT to " + target);
        named.initCause(e);
        throw named;
      }
    }

    private SocketTimeoutException outlasted() {
      return new SocketTimeoutException("the " + proxy + " did not answer the CONNECT to " + target + " within "
          + total.toMillis() + " ms");
    }
  }
}
