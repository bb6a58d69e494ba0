package org.o365mail.importer;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Optional;
import org.o365mail.Diagnosis;

/**
 * A mailbox's health, since when, and why.
 *
 * @param mailbox the mailbox
 * @param health the state
 * @param since when it entered this state
 * @param diagnosis why, for anything but HEALTHY, when known
 * @param retryAt for THROTTLED, when the service said to come back (the importer's next pass is then), when it
 *     said; otherwise null
 */
public record HealthState(String mailbox, MailboxHealth health, Instant since, Diagnosis diagnosis, Instant retryAt) {
  public HealthState {
    requireNonNull(mailbox, "mailbox");
    requireNonNull(health, "health");
    requireNonNull(since, "since");
  }

  /** A state with no time to come back at. */
  public HealthState(String mailbox, MailboxHealth health, Instant since, Diagnosis diagnosis) {
    this(mailbox, health, since, diagnosis, null);
  }

  public Optional<Diagnosis> why() {
    return Optional.ofNullable(diagnosis);
  }

  /** When a THROTTLED mailbox is to be tried again, as the service asked. */
  public Optional<Instant> until() {
    return Optional.ofNullable(retryAt);
  }
}
