package org.o365mail.testkit;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * A raw line-protocol client for the testkit's IMAP and SMTP tests: plain or TLS sockets, STARTTLS upgrades,
 * exact lines in and out. Reads time out after 10 s so a missing answer fails the test instead of hanging it.
 */
final class Wire implements AutoCloseable {
  private final LocalTenant m365;
  private final int port;
  private Socket socket;
  private InputStream in;
  private OutputStream out;

  private Wire(LocalTenant m365, int port, Socket socket) throws IOException {
    this.m365 = m365;
    this.port = port;
    bind(socket);
  }

  /** A TLS connection (implicit TLS) to {@code localhost:port}, trusting the tenant's certificate. */
  static Wire tls(LocalTenant m365, int port) {
    try {
      SSLSocket s = (SSLSocket) m365.sslContext().getSocketFactory().createSocket("localhost", port);
      s.startHandshake();
      return new Wire(m365, port, s);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A plain connection to {@code localhost:port}. */
  static Wire plain(LocalTenant m365, int port) {
    try {
      return new Wire(m365, port, new Socket("localhost", port));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Upgrades the connection to TLS (after the server agreed to STARTTLS). */
  void startTls() {
    try {
      SSLSocketFactory factory = m365.sslContext().getSocketFactory();
      SSLSocket s = (SSLSocket) factory.createSocket(socket, "localhost", port, true);
      s.setUseClientMode(true);
      s.startHandshake();
      bind(s);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void bind(Socket s) throws IOException {
    socket = s;
    s.setSoTimeout(10_000);
    in = new BufferedInputStream(s.getInputStream(), 65536);
    out = s.getOutputStream();
  }

  boolean isTls() {
    return socket instanceof SSLSocket;
  }

  /** Sends a line, CRLF appended. */
  Wire send(String line) {
    return sendRaw((line + "\r\n").getBytes(StandardCharsets.UTF_8));
  }

  Wire sendRaw(byte[] bytes) {
    try {
      out.write(bytes);
      out.flush();
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The next line without CRLF, or null when the server closed the connection. */
  String readLine() {
    try {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      int b;
      while ((b = in.read()) >= 0) {
        if (b == '\n') {
          byte[] bytes = line.toByteArray();
          int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
          return new String(bytes, 0, n, StandardCharsets.UTF_8);
        }
        line.write(b);
      }
      return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
    } catch (SocketTimeoutException e) {
      throw new AssertionError("no line from the server within 10 s", e);
    } catch (IOException e) {
      return null;
    }
  }

  /** Reads exactly {@code n} bytes. */
  byte[] readBytes(int n) {
    try {
      byte[] bytes = in.readNBytes(n);
      if (bytes.length != n) {
        throw new AssertionError("connection ended " + (n - bytes.length) + " bytes early");
      }
      return bytes;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Sends {@code tag command} and returns every line up to and including the tagged one; the bytes of IMAP
   * literals in responses are inlined into their line (as UTF-8 text).
   */
  List<String> imap(String tag, String command) {
    send(tag + " " + command);
    return untilTagged(tag);
  }

  List<String> untilTagged(String tag) {
    List<String> lines = new ArrayList<>();
    while (true) {
      String line = readLogicalLine();
      if (line == null) {
        throw new AssertionError("connection closed before the tagged answer to " + tag + "; got " + lines);
      }
      lines.add(line);
      if (line.startsWith(tag + " ")) {
        return lines;
      }
    }
  }

  /** A response line with its literals ({n}) inlined, or null at end of stream. */
  String readLogicalLine() {
    StringBuilder logical = new StringBuilder();
    while (true) {
      String line = readLine();
      if (line == null) {
        return logical.length() == 0 ? null : logical.toString();
      }
      logical.append(line);
      int brace = line.lastIndexOf('{');
      if (!line.endsWith("}") || brace < 0) {
        return logical.toString();
      }
      String digits = line.substring(brace + 1, line.length() - 1).replace("+", "");
      if (digits.isEmpty() || !digits.chars().allMatch(Character::isDigit)) {
        return logical.toString();
      }
      logical.append("\r\n").append(new String(readBytes(Integer.parseInt(digits)), StandardCharsets.UTF_8));
    }
  }

  /** Whether the server has closed the connection: the next read ends the stream (or is reset). */
  boolean closedByServer() {
    try {
      return in.read() < 0;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset or TLS failure: gone as well
    }
  }

  /** The XOAUTH2 initial client response for a mailbox and token. */
  static String xoauth2(String user, String token) {
    return Base64.getEncoder()
        .encodeToString(("user=" + user + "\u0001auth=Bearer " + token + "\u0001\u0001").getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // best effort
    }
  }
}
