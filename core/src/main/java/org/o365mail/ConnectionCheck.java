package org.o365mail;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Optional;

/**
 * The outcome of {@link MailboxConnector#checkConnection()}: whether a token was obtained and accepted and the
 * mailbox could be opened, and if not, why.
 *
 * @param ok whether everything worked
 * @param detail what was checked and seen, for people ("INBOX of support@contoso.com: 12 messages")
 * @param problem the diagnosis when not ok
 * @param elapsed how long the check took
 */
public record ConnectionCheck(boolean ok, String detail, Diagnosis problem, Duration elapsed) {
  public ConnectionCheck {
    requireNonNull(detail, "detail");
    requireNonNull(elapsed, "elapsed");
    if (!ok && problem == null) {
      throw new IllegalArgumentException("a failed check needs its diagnosis");
    }
  }

  public static ConnectionCheck ok(String detail, Duration elapsed) {
    return new ConnectionCheck(true, detail, null, elapsed);
  }

  public static ConnectionCheck failed(Diagnosis problem, Duration elapsed) {
    return new ConnectionCheck(false, problem.summary(), problem, elapsed);
  }

  public Optional<Diagnosis> diagnosis() {
    return Optional.ofNullable(problem);
  }
}
