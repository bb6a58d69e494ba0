package org.o365mail;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Optional;

/**
 * The outcome of {@link MailboxConnector#checkConnection()}: whether a token was obtained and accepted and the
 * mailbox could be opened, and if not, why. Immutable.
 *
 * @param ok whether everything worked
 * @param detail what was checked and seen, for people ("INBOX of support@contoso.com: 12 messages")
 * @param diagnosis why it failed, present exactly when not ok
 * @param elapsed how long the check took
 */
public record ConnectionCheck(boolean ok, String detail, Optional<Diagnosis> diagnosis, Duration elapsed) {
  public ConnectionCheck {
    requireNonNull(detail, "detail");
    requireNonNull(diagnosis, "diagnosis");
    requireNonNull(elapsed, "elapsed");
    if (!ok && diagnosis.isEmpty()) {
      throw new IllegalArgumentException("a failed check needs its diagnosis");
    }
  }

  /** A check that passed. */
  public static ConnectionCheck ok(String detail, Duration elapsed) {
    return new ConnectionCheck(true, detail, Optional.empty(), elapsed);
  }

  /** A check that failed, for the reason {@code problem} gives. */
  public static ConnectionCheck failed(Diagnosis problem, Duration elapsed) {
    return new ConnectionCheck(false, problem.summary(), Optional.of(problem), elapsed);
  }

  @Override
  public String toString() {
    return "ConnectionCheck[ok=" + ok + ", detail=" + detail + ", problem=" + diagnosis.orElse(null) + ", elapsed="
        + elapsed + "]";
  }
}
