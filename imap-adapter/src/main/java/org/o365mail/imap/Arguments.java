package org.o365mail.imap;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * Checks of builder arguments whose message names the setting: the adapter's own, so that it uses nothing of
 * core's implementation. Stateless.
 */
final class Arguments {
  private Arguments() {}

  /** {@code value}, if it is longer than zero. */
  static Duration positive(Duration value, String name) {
    requireNonNull(value, name);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, was " + value);
    }
    return value;
  }

  /** {@code value} without surrounding blanks, if it is not blank: a host name, say. */
  static String notBlank(String value, String name) {
    requireNonNull(value, name);
    if (value.isBlank()) {
      throw new IllegalArgumentException(name + " must not be blank");
    }
    return value.strip();
  }

  /** {@code value}, if it is a TCP port number. */
  static int port(int value, String name) {
    if (value < 1 || value > 65535) {
      throw new IllegalArgumentException(name + " must be 1 to 65535, was " + value);
    }
    return value;
  }
}
