package org.o365mail.importer;

import static org.o365mail.ServiceText.printable;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.o365mail.FolderRef;
import org.o365mail.MailboxConnector;
import org.o365mail.MailboxException;
import org.o365mail.MessageId;
import org.o365mail.MessageSummary;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The parked messages: a message the handler refused on every attempt is moved to the park folder (when one is set),
 * written into the checkpoint as a {@link DeadLetter} and recorded as seen, so that it never blocks the rest; a
 * parked message can be handed out again on request. Used by one pass (or retry) at a time.
 */
final class DeadLetters {
  private static final Logger logger = LoggerFactory.getLogger(MailImporter.class);

  private final MailboxConnector connector;
  private final CheckpointStore store;
  private final Clock clock;
  private final FolderRef parkFolder;
  private final Ledger ledger;
  private final Handoff handoff;
  private final PostActions postActions;
  private final ImportHealth health;

  /** @param parkFolder where refused messages go, or null to leave them in place */
  DeadLetters(MailboxConnector connector, CheckpointStore store, Clock clock, FolderRef parkFolder, Ledger ledger,
      Handoff handoff, PostActions postActions, ImportHealth health) {
    this.connector = connector;
    this.store = store;
    this.clock = clock;
    this.parkFolder = parkFolder;
    this.ledger = ledger;
    this.handoff = handoff;
    this.postActions = postActions;
    this.health = health;
  }

  /** The parked messages of {@code folders}. */
  List<DeadLetter> list(List<FolderRef> folders) {
    List<DeadLetter> all = new ArrayList<>();
    for (FolderRef f : folders) {
      store.load(ledger.key(f)).ifPresent(c -> all.addAll(c.deadLetters()));
    }
    return all;
  }

  /** Parks a message the handler refused on every attempt; returns the checkpoint written. */
  Checkpoint park(CheckpointKey key, Checkpoint checkpoint, MessageSummary m, String messageKey,
      Handoff.Outcome outcome) {
    String where = m.id().value();
    if (parkFolder != null) {
      try {
        where = connector.move(m.id(), parkFolder).value();
      } catch (MailboxException e) {
        logger.warn("Could not move refused message {} of {} to {}: {}", printable(messageKey), connector.mailbox(),
            printable(parkFolder.toString()), printable(e.serviceErrorCode().orElse(e.getClass().getSimpleName())));
      }
    }
    DeadLetter letter = new DeadLetter(messageKey, where, m.subject(), outcome.attempts(),
        Handoff.describe(outcome.error()), clock.instant());
    Checkpoint next = checkpoint.withDeadLetter(letter, clock.instant());
    store.save(key, next);
    store.recordSeen(key, messageKey);
    // the key (Message-ID) and the subject are the sender's text: escaped, so that a CR/LF or an escape sequence
    // in them can neither forge a log line nor reach a terminal
    logger.warn("Parked message {} of {} ({}) after {} refused attempts{}", printable(messageKey), connector.mailbox(),
        printable(m.subject()), outcome.attempts(),
        parkFolder == null ? "" : "; moved to " + printable(parkFolder.toString()));
    health.parked(letter);
    return next;
  }

  /**
   * Hands the parked message with {@code messageKey} of one of {@code folders} to the handler again; see {@link
   * MailImporter#retryDeadLetter}.
   *
   * @return whether the handler accepted it
   * @throws IllegalArgumentException if no parked message has this key
   */
  boolean retry(List<FolderRef> folders, String messageKey) {
    for (FolderRef folder : folders) {
      CheckpointKey key = ledger.key(folder);
      Optional<DeadLetter> letter = store.load(key).flatMap(cp -> cp.deadLetters().stream()
          .filter(d -> d.messageKey().equals(messageKey)).findFirst());
      if (letter.isEmpty()) {
        continue;
      }
      DeadLetter parked = letter.get();
      MessageSummary m = connector.message(new MessageId(parked.messageId()));
      Handoff.Outcome outcome = handoff.deliver(folder, m, messageKey, false, null);
      if (outcome.accepted() && handoff.handler() instanceof BatchingMessageHandler batching) {
        // accepted once durable: a flush that fails leaves it parked, its failure the last error
        Exception failure = Handoff.flush(batching);
        if (failure != null) {
          outcome = outcome.failedAfter(failure);
        }
      }
      Checkpoint now = store.load(key).orElseThrow();
      if (outcome.accepted()) {
        PendingAction action = postActions.pendingFor(messageKey, m);
        Checkpoint next = now.withoutDeadLetter(messageKey, action, clock.instant());
        store.save(key, next);
        logger.info("Parked message {} of {} accepted on retry", printable(messageKey), connector.mailbox());
        if (action != null) {
          postActions.run(key, next, List.of(action));
        }
        return true;
      }
      if (!outcome.stopped()) {
        String lastError = outcome.error() == null ? parked.lastError() : Handoff.describe(outcome.error());
        int attempts = parked.attempts() + outcome.attempts();
        store.save(key, now.withDeadLetterReplaced(new DeadLetter(messageKey, parked.messageId(), parked.subject(),
            attempts, lastError, parked.parkedAt()), clock.instant()));
        logger.warn("Parked message {} of {} refused again ({} attempts in all); it stays parked",
            printable(messageKey), connector.mailbox(), attempts);
      }
      return false;
    }
    throw new IllegalArgumentException("no dead letter with key " + printable(messageKey));
  }
}
