package org.o365mail.testkit;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

/**
 * The SASL XOAUTH2 initial response IMAP and SMTP clients send: base64 of
 * {@code user=<mailbox>^Aauth=Bearer <token>^A^A}. {@link #toString()} leaves the token out.
 */
final class Xoauth2 {
  private static final String BEARER = "Bearer ";

  private final String user;
  private final String token;

  private Xoauth2(String user, String token) {
    this.user = user;
    this.token = token;
  }

  /** Decodes a client response; empty when it is not base64 or not an XOAUTH2 message. */
  static Optional<Xoauth2> decode(String base64) {
    byte[] raw;
    try {
      raw = Base64.getMimeDecoder().decode(base64.trim());
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    String message = new String(raw, StandardCharsets.UTF_8);
    if (!message.endsWith("\u0001\u0001")) {
      return Optional.empty();
    }
    String user = null;
    String token = null;
    for (String pair : message.substring(0, message.length() - 2).split("\u0001", -1)) {
      if (pair.startsWith("user=") && user == null) {
        user = pair.substring("user=".length());
      } else if (pair.startsWith("auth=") && token == null) {
        String auth = pair.substring("auth=".length());
        if (auth.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
          token = auth.substring(BEARER.length()).trim();
        }
      } else if (!pair.contains("=")) {
        return Optional.empty();
      }
    }
    if (user == null || user.isBlank() || token == null || token.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new Xoauth2(user.trim(), token));
  }

  /** The {@code user=} value: the mailbox to open. */
  String user() {
    return user;
  }

  /** The bearer token; never log it. */
  String token() {
    return token;
  }

  @Override
  public String toString() {
    return "Xoauth2[user=" + user + "]";
  }
}
