package org.o365mail.graph.internal;

import java.nio.charset.StandardCharsets;

/** Percent-encoding of path segments as Kiota does it ({@code @} becomes {@code %40}). */
public final class Paths {
  private Paths() {}

  /** Encodes every character outside RFC 3986's unreserved set. */
  public static String segment(String s) {
    StringBuilder b = new StringBuilder();
    for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
      int c = x & 0xff;
      if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_'
          || c == '~') {
        b.append((char) c);
      } else {
        b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
      }
    }
    return b.toString();
  }
}
