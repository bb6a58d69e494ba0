package org.o365mail.jakarta;

import java.nio.charset.StandardCharsets;

/**
 * The size an IMAP line announces for the literal that follows it: {@code {n}} or the non-synchronizing {@code
 * {n+}} at the line's end, before its CR LF (RFC 9051 section 4.3). Read by the bounds on what the server sends and
 * by the check on what the client sends. Stateless.
 */
final class ImapLiteral {
  private ImapLiteral() {}

  /**
   * The literal announced by the last {@code length} bytes of a line kept in {@code tail} (up to, not including, its
   * LF; a CR before it is allowed), or -1 when the line announces none; {@link Long#MAX_VALUE} for 19 digits or
   * more.
   */
  static long announced(byte[] tail, int length) {
    int end = length;
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
    return Long.parseLong(new String(tail, i + 1, digitsEnd - (i + 1), StandardCharsets.US_ASCII));
  }
}
