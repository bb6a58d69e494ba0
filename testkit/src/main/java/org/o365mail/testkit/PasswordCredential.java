package org.o365mail.testkit;

import java.time.Clock;
import java.time.Instant;
import java.util.Objects;

/**
 * A client secret under Certificates &amp; secrets: its id, description, the hint (first three characters of
 * the value, as Graph's {@code passwordCredentials} shows it), start and end. The value itself is what the
 * portal shows once; tests read it with {@link #value()}. {@link #toString()} never contains it.
 */
public final class PasswordCredential {
  private final String keyId;
  private final String displayName;
  private final String value;
  private final Instant startDateTime;
  private final Instant endDateTime;

  PasswordCredential(String keyId, String displayName, String value, Instant start, Instant end) {
    this.keyId = Objects.requireNonNull(keyId, "keyId");
    this.displayName = Objects.requireNonNull(displayName, "displayName");
    this.value = Objects.requireNonNull(value, "value");
    this.startDateTime = Objects.requireNonNull(start, "start");
    this.endDateTime = Objects.requireNonNull(end, "end");
  }

  /** The "Secret ID" column (a GUID): what admins paste by mistake instead of the value. */
  public String keyId() {
    return keyId;
  }

  public String displayName() {
    return displayName;
  }

  /** The secret value, shown once in the portal. */
  public String value() {
    return value;
  }

  /** The first three characters of the value. */
  public String hint() {
    return value.substring(0, 3);
  }

  public Instant startDateTime() {
    return startDateTime;
  }

  public Instant endDateTime() {
    return endDateTime;
  }

  public boolean isExpired(Clock clock) {
    return !clock.instant().isBefore(endDateTime);
  }

  @Override
  public String toString() {
    return "PasswordCredential[keyId=" + keyId + ", displayName=" + displayName + ", hint=" + hint()
        + ", endDateTime=" + endDateTime + ", value=****]";
  }
}
