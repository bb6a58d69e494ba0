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
 */
public record HealthState(String mailbox, MailboxHealth health, Instant since, Diagnosis diagnosis) {
  public HealthState {
    requireNonNull(mailbox, "mailbox");
    requireNonNull(health, "health");
    requireNonNull(since, "since");
  }

  public Optional<Diagnosis> why() {
    return Optional.ofNullable(diagnosis);
  }
}
