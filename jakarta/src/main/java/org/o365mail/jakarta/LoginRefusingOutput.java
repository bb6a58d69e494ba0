package org.o365mail.jakarta;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * What the client writes to an IMAP server, stopped before a {@code LOGIN} command. Angus's IMAP store falls back to
 * {@code LOGIN user password} when the server offers none of the configured mechanisms (here only XOAUTH2) and does
 * not say {@code LOGINDISABLED}: the token would go as a password to a server that is not Exchange Online. The write
 * fails with an {@link IOException} before any byte of that command's arguments is passed on. Literals the client
 * sends ({@code {n}} or {@code {n+}} at a line's end, such as APPEND's message) are passed unread.
 *
 * <p>Not thread-safe, like the stream it wraps.
 */
final class LoginRefusingOutput extends FilterOutputStream {
  private static final byte[] LOGIN = " LOGIN ".getBytes(StandardCharsets.US_ASCII);
  private final String server;
  private final byte[] head = new byte[64];
  private int headLength;
  private final byte[] tail = new byte[24];
  private int tailLength;
  private long literalLeft;
  private boolean refused;

  LoginRefusingOutput(OutputStream out, String server) {
    super(out);
    this.server = server;
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    if (refused) {
      throw refusal();
    }
    int i = off;
    int end = off + len;
    while (i < end) {
      if (literalLeft > 0) {
        int take = (int) Math.min(literalLeft, end - i);
        literalLeft -= take;
        i += take;
        continue;
      }
      byte c = b[i++];
      if (c == '\n') {
        long announced = ImapLiteral.announced(tail, tailLength);
        literalLeft = announced == Long.MAX_VALUE ? 0 : Math.max(announced, 0); // 19 digits and more: no literal
        headLength = 0;
        tailLength = 0;
        continue;
      }
      if (headLength < head.length) {
        head[headLength++] = c;
        if (isLogin()) {
          refused = true;
          throw refusal();
        }
      }
      if (tailLength == tail.length) {
        System.arraycopy(tail, 1, tail, 0, tail.length - 1);
        tailLength--;
      }
      tail[tailLength++] = c;
    }
    out.write(b, off, len);
  }

  /** Whether the line so far is {@code <tag> LOGIN }: its first space, then {@code LOGIN } in any case. */
  private boolean isLogin() {
    int space = -1;
    for (int i = 0; i < headLength; i++) {
      if (head[i] == ' ') {
        space = i;
        break;
      }
    }
    if (space < 1 || headLength != space + LOGIN.length) {
      return false;
    }
    for (int i = 0; i < LOGIN.length; i++) {
      if (Character.toUpperCase(head[space + i]) != LOGIN[i]) {
        return false;
      }
    }
    return true;
  }

  private IOException refusal() {
    return new IOException(server + " does not offer AUTH=XOAUTH2; the token is never sent with LOGIN");
  }
}
