package org.o365mail.graph.internal;

import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * Percent-encoding of path segments as Kiota does it ({@code @} becomes {@code %40}), and the Graph base URLs the
 * adapter's builders take. Stateless.
 */
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

  /**
   * A configured Graph base URL ({@code https://host[:port]/v1.0}) without its trailing slash.
   *
   * @throws IllegalArgumentException when it is not an https URL with a host: the token is only sent over HTTPS
   */
  public static URI httpsBase(String value) {
    URI uri = URI.create(value.endsWith("/") ? value.substring(0, value.length() - 1) : value);
    if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
      throw new IllegalArgumentException("baseUrl must be an https:// URL (the token is only sent over HTTPS), was "
          + value);
    }
    return uri;
  }
}
