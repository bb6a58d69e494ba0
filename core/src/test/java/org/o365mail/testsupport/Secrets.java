package org.o365mail.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The leak check: every secret, password and token a test handled is registered here, and no log line,
 * exception message or toString may contain one. JWTs and refresh tokens are also found by shape.
 */
public final class Secrets {
  private static final Set<String> KNOWN = ConcurrentHashMap.newKeySet();
  private static final Pattern JWT = Pattern.compile("eyJ[A-Za-z0-9_-]{10,}\\.eyJ[A-Za-z0-9_-]{10,}");
  private static final Pattern REFRESH = Pattern.compile("0\\.AX[A-Za-z0-9_-]{20,}");

  private Secrets() {}

  /** Registers values that must never appear in output. */
  public static <T extends CharSequence> T secret(T value) {
    if (value != null && value.length() >= 6) {
      KNOWN.add(value.toString());
    }
    return value;
  }

  /** Fails if {@code text} holds a registered secret or something shaped like a token. */
  public static void assertClean(String what, String text) {
    if (text == null) {
      return;
    }
    for (String s : KNOWN) {
      assertThat(text).as("%s contains a secret", what).doesNotContain(s);
    }
    assertThat(JWT.matcher(text).find()).as("%s contains a JWT: %s", what, text).isFalse();
    assertThat(REFRESH.matcher(text).find()).as("%s contains a refresh token", what).isFalse();
  }

  /** Checks an exception's messages and its toString, with causes and suppressed ones. */
  public static void assertClean(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      assertClean("exception message", c.getMessage());
      assertClean("exception toString", c.toString());
      for (Throwable s : c.getSuppressed()) {
        assertClean(s);
      }
      if (c.getCause() == c) {
        break;
      }
    }
  }

  /** Checks every log line captured so far. */
  public static void assertLogsClean() {
    List<String> lines = CapturingLoggerProvider.lines();
    for (String line : lines) {
      assertClean("log line", line);
    }
  }
}
