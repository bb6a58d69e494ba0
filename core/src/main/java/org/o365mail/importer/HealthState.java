package org.o365mail.importer;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.o365mail.Diagnosis;

/**
 * A mailbox's health, since when, and why. Immutable and thread-safe; equal when every property is.
 */
public final class HealthState {
  private final String mailbox;
  private final MailboxHealth health;
  private final Instant since;
  private final Diagnosis diagnosis;
  private final Instant retryAt;

  /**
   * @param mailbox the mailbox
   * @param health the state
   * @param since when it entered this state
   * @param diagnosis why, or null when not known (and for HEALTHY)
   * @param retryAt for THROTTLED, when the service said to come back, or null when it did not say (and for any
   *     other state)
   */
  public HealthState(String mailbox, MailboxHealth health, Instant since, Diagnosis diagnosis, Instant retryAt) {
    this.mailbox = requireNonNull(mailbox, "mailbox");
    this.health = requireNonNull(health, "health");
    this.since = requireNonNull(since, "since");
    this.diagnosis = diagnosis;
    this.retryAt = retryAt;
  }

  /** The mailbox. */
  public String mailbox() {
    return mailbox;
  }

  /** The state. */
  public MailboxHealth health() {
    return health;
  }

  /** When it entered this state. */
  public Instant since() {
    return since;
  }

  /** Why, for anything but HEALTHY, when known. */
  public Optional<Diagnosis> diagnosis() {
    return Optional.ofNullable(diagnosis);
  }

  /** When a THROTTLED mailbox is to be tried again (the importer's next pass is then), as the service asked. */
  public Optional<Instant> retryAt() {
    return Optional.ofNullable(retryAt);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HealthState other && mailbox.equals(other.mailbox) && health == other.health
        && since.equals(other.since) && Objects.equals(diagnosis, other.diagnosis)
        && Objects.equals(retryAt, other.retryAt);
  }

  @Override
  public int hashCode() {
    return Objects.hash(mailbox, health, since, diagnosis, retryAt);
  }

  @Override
  public String toString() {
    return "HealthState[mailbox=" + mailbox + ", health=" + health + ", since=" + since + ", diagnosis=" + diagnosis
        + ", retryAt=" + retryAt + "]";
  }
}
