package org.o365mail.imap.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.o365mail.ProxyFailures;
import org.o365mail.ProxySettings;

/**
 * An HTTP {@code CONNECT} tunnel for IMAP and SMTP, opened on a socket already connected to the proxy, before
 * anything of the mail protocol is sent: the token and the mail go only through the tunnel (and, with TLS, inside
 * TLS). The proxy's Basic credentials are sent only to the proxy, in {@code Proxy-Authorization}, and only once it
 * asked for them with a 407: on the same connection when it keeps it open, else on the next connection (the proxy
 * is then remembered as one that wants them). Angus Mail's own {@code mail.imap.proxy.*} properties are not used:
 * they send the credentials before the proxy asks, and their reads are not bounded.
 *
 * <p>Every read is bounded: a line of at most 8 KiB, at most 64 headers, a 407 body of at most 64 KiB, all within
 * the connect timeout. Thread-safe (stateless but for the set of proxies that asked for credentials).
 */
final class ProxyTunnel {
  private static final int MAX_LINE = 8192;
  private static final int MAX_HEADERS = 64;
  private static final int MAX_BODY = 64 << 10;
  /** Proxies ({@code host:port user}) that answered 407: later connections to them send the credentials at once. */
  private static final Set<String> ASKED = ConcurrentHashMap.newKeySet();

  private ProxyTunnel() {}

  /**
   * Opens the tunnel to {@code host:port} over {@code socket}'s raw streams.
   *
   * @throws ProxyFailures.RefusedException when the proxy answers anything but 200
   */
  static void open(Socket socket, InputStream in, OutputStream out, ProxySettings proxy, String host, int port,
      int timeoutMillis) throws IOException {
    String target = (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    String key = proxy.describe() + " " + proxy.username().orElse("");
    int previousTimeout = socket.getSoTimeout();
    socket.setSoTimeout(timeoutMillis > 0 ? timeoutMillis : 30_000);
    boolean sent = proxy.hasCredentials() && ASKED.contains(key);
    request(out, target, sent ? proxy : null);
    Answer answer = answer(in);
    if (answer.status == 407 && proxy.hasCredentials() && !sent) {
      ASKED.add(key);
      if (answer.close) {
        throw new ProxyFailures.RefusedException(proxy.describe(), 407, false, target + " (the proxy closed the"
            + " connection after asking for credentials; the next connection sends them)");
      }
      skip(in, answer.contentLength);
      sent = true;
      request(out, target, proxy);
      answer = answer(in);
    }
    if (answer.status != 200) {
      throw new ProxyFailures.RefusedException(proxy.describe(), answer.status, sent, target);
    }
    socket.setSoTimeout(previousTimeout);
  }

  private static void request(OutputStream out, String target, ProxySettings credentials) throws IOException {
    StringBuilder r = new StringBuilder("CONNECT ").append(target).append(" HTTP/1.1\r\nHost: ").append(target)
        .append("\r\n");
    byte[] head = r.toString().getBytes(StandardCharsets.ISO_8859_1);
    out.write(head);
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
        Arrays.fill(encoded, (byte) 0);
      }
    }
    out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }

  private record Answer(int status, long contentLength, boolean close) {}

  private static Answer answer(InputStream in) throws IOException {
    String status = line(in);
    String[] parts = status.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
      throw new IOException("the proxy did not answer CONNECT with HTTP");
    }
    int code;
    try {
      code = Integer.parseInt(parts[1]);
    } catch (NumberFormatException e) {
      throw new IOException("the proxy answered CONNECT without a status code");
    }
    long length = 0;
    boolean close = parts[0].equals("HTTP/1.0");
    for (int i = 0; ; i++) {
      String h = line(in);
      if (h.isEmpty()) {
        break;
      }
      if (i >= MAX_HEADERS) {
        throw new IOException("the proxy's answer to CONNECT has more than " + MAX_HEADERS + " headers");
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

  private static void skip(InputStream in, long length) throws IOException {
    if (length > 0) {
      in.readNBytes((int) length); // at most MAX_BODY: a longer body made the answer one that closes
    }
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    while (true) {
      int c = in.read();
      if (c < 0) {
        throw new IOException("the proxy closed the connection while answering CONNECT");
      }
      if (c == '\n') {
        String s = b.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
      }
      if (b.size() >= MAX_LINE) {
        throw new IOException("the proxy's answer to CONNECT has a line longer than " + MAX_LINE + " bytes");
      }
      b.write(c);
    }
  }
}
