package org.o365mail.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import javax.net.ssl.SSLSocket;
import org.o365mail.testkit.ExchangeServicePrincipal;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;

/**
 * The benchmarks' lower bound on IMAP: one TLS socket to the local tenant, {@code AUTHENTICATE XOAUTH2}, commands
 * read to their tagged {@code OK}, each FETCH literal handed to a sink. What a hand-written reader costs at best: no
 * parsing beyond the literal counts, no limits, no retries (none of the SDK's code).
 */
final class RawImap implements AutoCloseable {
  /** Receives each FETCH literal; it must consume exactly {@code length} bytes of {@code in}. */
  interface Literals {
    void literal(InputStream in, long length) throws IOException;
  }

  /** Counts literals and their bytes, and drops them. */
  static final class Counter implements Literals {
    long messages;
    long bytes;

    @Override
    public void literal(InputStream in, long length) throws IOException {
      messages++;
      bytes += length;
      in.skipNBytes(length);
    }
  }

  private final SSLSocket socket;
  private final InputStream in;
  private final OutputStream out;

  private RawImap(SSLSocket socket) throws IOException {
    this.socket = socket;
    this.in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
    this.out = socket.getOutputStream();
  }

  /** Connects to the tenant's IMAP port, reads the greeting and signs in to {@code address} with {@code token}. */
  static RawImap signIn(LocalTenant m365, String address, String token) throws IOException {
    SSLSocket socket = (SSLSocket) m365.sslContext().getSocketFactory().createSocket(m365.hostName(), m365.imapPort());
    try {
      socket.startHandshake();
      RawImap imap = new RawImap(socket);
      readLine(imap.in);
      String xoauth2 = Base64.getEncoder().encodeToString(("user=" + address + "\u0001auth=Bearer " + token
          + "\u0001\u0001").getBytes(StandardCharsets.UTF_8));
      imap.command("a AUTHENTICATE XOAUTH2 " + xoauth2, "a", null);
      return imap;
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  /** Sends a command and reads to its tagged answer, handing FETCH literals to {@code literals} (null: skipped). */
  void command(String command, String tag, Literals literals) throws IOException {
    out.write((command + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
    while (true) {
      String line = readLine(in);
      if (line.startsWith(tag + " ")) {
        if (!line.startsWith(tag + " OK")) {
          throw new IOException("the server refused the command: " + line);
        }
        return;
      }
      while (line.endsWith("}")) {
        long literal = Long.parseLong(line.substring(line.lastIndexOf('{') + 1, line.length() - 1));
        if (literals == null) {
          in.skipNBytes(literal);
        } else {
          literals.literal(in, literal);
        }
        line = readLine(in);
      }
    }
  }

  /** Logs out and closes the socket. */
  @Override
  public void close() throws IOException {
    try {
      command("l LOGOUT", "l", null);
    } finally {
      socket.close();
    }
  }

  /** A user mailbox of {@code count} messages of about {@code size} bytes that the app's principal may open. */
  static Mailbox mailbox(Tenant contoso, ExchangeServicePrincipal principal, String address, int count, int size) {
    Mailbox mailbox = contoso.addUser(address, "Bench-Pw-1!").mailbox();
    contoso.addMailboxPermission(address, principal.objectId(), "FullAccess");
    for (int i = 0; i < count; i++) {
      mailbox.deliver(TestMessages.ofSize("sender@fabrikam.com", address, "Message " + i, size));
    }
    return mailbox;
  }

  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(128);
    int b;
    while ((b = in.read()) != -1) {
      if (b == '\n') {
        byte[] bytes = line.toByteArray();
        int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, n, StandardCharsets.ISO_8859_1);
      }
      line.write(b);
    }
    throw new UncheckedIOException(new IOException("connection closed"));
  }
}
