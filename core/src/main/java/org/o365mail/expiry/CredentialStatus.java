package org.o365mail.expiry;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * One credential's expiry status in a report: which credential of which app, its end date, what is left, and
 * what to do. Holds no secret material.
 */
public final class CredentialStatus {
  private final String label;
  private final CredentialType type;
  private final String appId;
  private final String keyId;
  private final String description;
  private final Instant expiresAt;
  private final Duration remaining;
  private final ExpiryStatus status;
  private final String source;
  private final boolean configured;
  private final boolean inUse;
  private final String advice;

  CredentialStatus(String label, CredentialType type, String appId, String keyId, String description, Instant expiresAt,
      Duration remaining, ExpiryStatus status, String source, boolean configured, boolean inUse, String advice) {
    this.label = requireNonNull(label, "label");
    this.type = requireNonNull(type, "type");
    this.appId = requireNonNull(appId, "appId");
    this.keyId = keyId;
    this.description = description;
    this.expiresAt = expiresAt;
    this.remaining = remaining;
    this.status = requireNonNull(status, "status");
    this.source = requireNonNull(source, "source");
    this.configured = configured;
    this.inUse = inUse;
    this.advice = requireNonNull(advice, "advice");
  }

  /** "client secret abc... (key id)" or "certificate 3F2A...". */
  public String label() {
    return label;
  }

  public CredentialType type() {
    return type;
  }

  /** Client id of the app the credential belongs to. */
  public String appId() {
    return appId;
  }

  public Optional<String> keyId() {
    return Optional.ofNullable(keyId);
  }

  public Optional<String> description() {
    return Optional.ofNullable(description);
  }

  public Optional<Instant> expiresAt() {
    return Optional.ofNullable(expiresAt);
  }

  /** Time left (negative once expired), when the end date is known. */
  public Optional<Duration> remaining() {
    return Optional.ofNullable(remaining);
  }

  /** Whole days left, rounded down, when known. */
  public Optional<Long> daysLeft() {
    return remaining().map(Duration::toDays);
  }

  public ExpiryStatus status() {
    return status;
  }

  /** Where the end date came from: "configuration", "certificate", "app registration", or "unknown". */
  public String source() {
    return source;
  }

  /** Whether this SDK's configuration holds the credential (false: only the app registration lists it). */
  public boolean configured() {
    return configured;
  }

  /** Whether the credential strategy currently uses it. */
  public boolean inUse() {
    return inUse;
  }

  /** What to do, in one or two sentences. */
  public String advice() {
    return advice;
  }

  @Override
  public String toString() {
    return "CredentialStatus[" + label + " of app " + appId + ", " + status + ", expiresAt=" + expiresAt + "]";
  }

  boolean sameAs(CredentialStatus other) {
    return other != null && other.status == status && other.inUse == inUse;
  }
}
