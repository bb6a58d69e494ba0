package org.o365mail.auth;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * An OAuth 2.0 access token and when it expires. {@link #toString()} never shows the value.
 *
 * @param value the bearer token
 * @param expiresAt when it stops being accepted
 */
public record AccessToken(String value, Instant expiresAt) {
  public AccessToken {
    requireNonNull(value, "value");
    requireNonNull(expiresAt, "expiresAt");
    if (value.isBlank()) {
      throw new IllegalArgumentException("value must not be blank");
    }
  }

  /** Time left before {@link #expiresAt()} (negative once expired). */
  public Duration remaining(Clock clock) {
    return Duration.between(clock.instant(), expiresAt);
  }

  public boolean isExpired(Clock clock) {
    return !clock.instant().isBefore(expiresAt);
  }

  /** The token's claims, decoded without validation (for pre-flight checks and diagnostics). */
  public TokenClaims claims() {
    return TokenClaims.decode(value);
  }

  @Override
  public String toString() {
    return "AccessToken[expiresAt=" + expiresAt + ", value=****]";
  }
}
