package org.o365mail.importer;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.o365mail.FolderRef;
import org.o365mail.MailboxConnector;
import org.o365mail.MailboxException;
import org.o365mail.MessageSummary;
import org.o365mail.SyncBatch;
import org.o365mail.SyncState;

/**
 * One pass over one folder: what a crash left (seen records, keys in flight, pending post-actions) put right first,
 * then sync batch by sync batch each new message handed out, checkpointed, its post-action run, and the checkpoint
 * advanced. A plain {@link MessageHandler} is checkpointed per message here; a {@link BatchingMessageHandler} by
 * groups ({@link GroupPass}). Failures of the connector are thrown, with the checkpoint consistent. Used by one pass
 * at a time.
 */
final class FolderPass {
  final MailboxConnector connector;
  final CheckpointStore store;
  final Clock clock;
  final Ledger ledger;
  final Handoff handoff;
  final PostActions postActions;
  final DeadLetters deadLetters;
  final ImportHealth health;
  final AtomicBoolean stopping;
  final int batchSize;
  final int groupMessages;
  final Duration groupDelay;
  private final SyncState startFrom;

  FolderPass(MailboxConnector connector, CheckpointStore store, Clock clock, Ledger ledger, Handoff handoff,
      PostActions postActions, DeadLetters deadLetters, ImportHealth health, AtomicBoolean stopping,
      SyncState startFrom, int batchSize, int groupMessages, Duration groupDelay) {
    this.connector = connector;
    this.store = store;
    this.clock = clock;
    this.ledger = ledger;
    this.handoff = handoff;
    this.postActions = postActions;
    this.deadLetters = deadLetters;
    this.health = health;
    this.stopping = stopping;
    this.startFrom = startFrom;
    this.batchSize = batchSize;
    this.groupMessages = groupMessages;
    this.groupDelay = groupDelay;
  }

  ImportResult run(FolderRef folder) {
    CheckpointKey key = ledger.key(folder);
    Checkpoint checkpoint = store.load(key).orElseGet(() -> Checkpoint.initial(startFrom, clock.instant()));
    // a crash may have come between the checkpoint and these records
    ledger.recordSeen(key, checkpoint.handled());
    Checkpoint recovered = checkpoint.afterCrash(clock.instant());
    if (recovered != checkpoint) {
      // a process died with this message (or group) in flight: whenever it comes back, in whatever order, it is flagged
      checkpoint = recovered;
      store.save(key, checkpoint);
    }
    checkpoint = postActions.runPending(key, checkpoint);
    if (handoff.handler() instanceof BatchingMessageHandler batching) {
      return new GroupPass(this, folder, key, checkpoint, batching).run();
    }
    int imported = 0;
    int skipped = 0;
    int parked = 0;
    while (true) {
      SyncBatch batch = connector.sync(folder, checkpoint.state(), batchSize);
      for (MessageSummary m : batch.messages()) {
        if (stopping.get()) {
          return new ImportResult(imported, skipped, parked, false);
        }
        String messageKey = ledger.messageKey(m);
        if (ledger.alreadyHandled(key, checkpoint, m, messageKey, batch.resynced())) {
          skipped++;
          continue;
        }
        boolean redelivery = checkpoint.possiblyDelivered(messageKey);
        checkpoint = checkpoint.withInFlight(messageKey, clock.instant());
        store.save(key, checkpoint);
        Handoff.Outcome outcome;
        try {
          outcome = handoff.deliver(folder, m, messageKey, redelivery, null);
        } catch (MailboxException e) {
          if (!redelivery) {
            // the service failed the handler's read, so the handler did not take it: it is not in flight any more,
            // and offering it again is not a possible redelivery (one left in flight by a dead process stays one)
            checkpoint = checkpoint.withInFlight(null, clock.instant());
            store.save(key, checkpoint);
          }
          throw e;
        }
        if (outcome.accepted()) {
          checkpoint = checkpoint.withHandled(messageKey, postActions.pendingFor(messageKey, m), clock.instant());
          store.save(key, checkpoint);
          // after the checkpoint: a crash in between leaves the key in 'handled', which the next pass records;
          // recorded first, the message would count as done while its post-action was never written down
          ledger.recordSeen(key, List.of(messageKey));
          imported++;
          health.imported(outcome.message());
        } else if (outcome.stopped()) {
          return new ImportResult(imported, skipped, parked, false);
        } else {
          checkpoint = deadLetters.park(key, checkpoint, m, messageKey, outcome);
          parked++;
        }
      }
      checkpoint = endBatch(key, checkpoint, batch);
      if (!batch.hasMore()) {
        return new ImportResult(imported, skipped, parked, true);
      }
    }
  }

  /**
   * A sync batch is handled (and, with group commit, committed): its post-actions run, one command per batch and not
   * one per message (each would be a round trip, and on IMAP a search), and the checkpoint moves to the next state.
   * Only messages the checkpoint has as handled are marked, moved or deleted.
   */
  Checkpoint endBatch(CheckpointKey key, Checkpoint checkpoint, SyncBatch batch) {
    Checkpoint next = postActions.runPending(key, checkpoint).advanced(batch.next(), clock.instant());
    store.save(key, next);
    return next;
  }
}
