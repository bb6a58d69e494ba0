package org.o365mail.importer;

import static org.o365mail.ServiceText.printable;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.o365mail.FolderRef;
import org.o365mail.MailboxException;
import org.o365mail.MessageNotFoundException;
import org.o365mail.MessageSummary;
import org.o365mail.SyncBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pass over one folder with group commit (a {@link BatchingMessageHandler}): the keys of a group written before
 * its first message is handed out, the group made durable by one flush and one checkpoint, the seen keys appended
 * once. See {@link MailImporter} for the crash windows. One instance per pass, used by its thread only.
 */
final class GroupPass {
  private static final Logger logger = LoggerFactory.getLogger(MailImporter.class);

  private final FolderPass pass;
  private final FolderRef folder;
  private final CheckpointKey key;
  private final Checkpoint start;
  private final BatchingMessageHandler batching;
  private Checkpoint checkpoint;
  /** The messages accepted by {@code handle} and not yet flushed; null between groups. */
  private Group group;
  private int imported;
  private int skipped;
  private int parked;

  GroupPass(FolderPass pass, FolderRef folder, CheckpointKey key, Checkpoint start,
      BatchingMessageHandler batching) {
    this.pass = pass;
    this.folder = folder;
    this.key = key;
    this.start = start;
    this.checkpoint = start;
    this.batching = batching;
  }

  /** The messages of a group accepted by {@code handle} and not yet flushed. */
  private static final class Group {
    final List<String> keys = new ArrayList<>();
    final List<IncomingMessage> messages = new ArrayList<>();
    final long startedMillis;

    Group(long startedMillis) {
      this.startedMillis = startedMillis;
    }
  }

  /** The handler's flush failed: the group is not durable. */
  private static final class GroupNotDurable extends RuntimeException {
    private static final long serialVersionUID = 1L;

    GroupNotDurable(Throwable cause) {
      super(cause);
    }
  }

  /** Thrown out of {@code forEachMime}'s consumer when the pass ends early (stopped). */
  private static final class EndOfPass extends RuntimeException {
    private static final long serialVersionUID = 1L;

    EndOfPass() {
      super(null, null, false, false);
    }
  }

  private ImportResult result(boolean completed) {
    return new ImportResult(imported, skipped, parked, completed);
  }

  ImportResult run() {
    try {
      while (true) {
        SyncBatch batch = pass.connector.sync(folder, checkpoint.state(), pass.batchSize);
        List<MessageSummary> messages = batch.messages();
        group = null;
        int from = 0;
        while (from < messages.size()) {
          List<Integer> todo = new ArrayList<>();
          for (int i = from; i < messages.size(); i++) {
            MessageSummary m = messages.get(i);
            if (pass.ledger.alreadyHandled(key, checkpoint, m, pass.ledger.messageKey(m), batch.resynced())) {
              skipped++;
            } else {
              todo.add(i);
            }
          }
          int[] at = {0};
          boolean[] inStep = {false};
          try {
            // the MIME fetched ahead as the connector does best (Graph: $batch requests, several in flight) while
            // the handler writes; each message's stream is handed to the handler's first attempt
            pass.connector.forEachMime(todo.stream().map(messages::get).toList(), (m, in) -> {
              inStep[0] = true;
              boolean goOn = step(batch, messages, todo.get(at[0]), in);
              inStep[0] = false;
              at[0]++;
              if (!goOn) {
                throw new EndOfPass();
              }
            });
            from = messages.size();
          } catch (EndOfPass e) {
            return result(false);
          } catch (MessageNotFoundException e) {
            if (inStep[0]) {
              throw e;
            }
            // gone from the mailbox before its turn: handed over without a stream, the handler's read fails and it
            // is parked like any message the handler cannot take; the rest of the batch goes on
            int i = todo.get(at[0]);
            if (!step(batch, messages, i, null)) {
              return result(false);
            }
            from = i + 1;
          }
        }
        commitGroup(List.of());
        checkpoint = pass.endBatch(key, checkpoint, batch);
        if (!batch.hasMore()) {
          return result(true);
        }
      }
    } catch (GroupNotDurable e) {
      // as if the process had died before the flush returned: the group is handed out again, flagged
      Checkpoint durable = pass.store.load(key).orElse(start);
      pass.store.save(key, durable.afterCrash(pass.clock.instant()));
      logger.warn("The handler could not make the messages of {} durable ({}); they will be handed out again",
          pass.connector.mailbox(), printable(Handoff.describe(e.getCause())));
      pass.health.set(MailboxHealth.DEGRADED, null);
      return result(false);
    }
  }

  /**
   * One message of a group pass: skipped, handed out (its group's keys written first), committed with its group
   * when the group is full, or parked; false when the pass ends here (stopped).
   *
   * @param mime the message's MIME, fetched ahead, for the handler's first attempt; null to read it on demand
   */
  private boolean step(SyncBatch batch, List<MessageSummary> messages, int i, InputStream mime) {
    MessageSummary m = messages.get(i);
    if (pass.stopping.get()) {
      commitGroup(List.of());
      return false;
    }
    String messageKey = pass.ledger.messageKey(m);
    if (pass.ledger.alreadyHandled(key, checkpoint, m, messageKey, batch.resynced())) {
      skipped++; // a repeat within the batch
      return true;
    }
    if (group == null) {
      // written before the first of them is handed out: a crash from here on flags each of them
      checkpoint = checkpoint.withInFlightGroup(upcoming(messages, i, batch.resynced()), pass.clock.instant());
      pass.store.save(key, checkpoint);
      group = new Group(pass.clock.millis());
    }
    boolean redelivery = checkpoint.possiblyDelivered(messageKey);
    Handoff.Outcome outcome;
    try {
      outcome = pass.handoff.deliver(folder, m, messageKey, redelivery, mime);
    } catch (MailboxException e) {
      // the service failed the handler's read: the handler did not take this one; those before it are kept
      commitGroup(List.of());
      throw e;
    }
    if (outcome.accepted()) {
      checkpoint = checkpoint.withHandled(messageKey, pass.postActions.pendingFor(messageKey, m),
          pass.clock.instant());
      group.keys.add(messageKey);
      group.messages.add(outcome.message());
    } else if (outcome.stopped()) {
      commitGroup(List.of());
      return false;
    } else {
      // the group before it is committed first: a parked message's checkpoint must not claim unflushed ones
      commitGroup(List.of());
      checkpoint = pass.deadLetters.park(key, checkpoint, m, messageKey, outcome);
      parked++;
      return true;
    }
    boolean last = i == messages.size() - 1;
    if (!last && (group.keys.size() >= pass.groupMessages
        || pass.clock.millis() - group.startedMillis >= pass.groupDelay.toMillis())) {
      // the next group's keys go into the same write as this one's commit
      List<String> next = upcoming(messages, i + 1, batch.resynced());
      commitGroup(next);
      if (!next.isEmpty()) {
        group = new Group(pass.clock.millis());
      }
    }
    return true;
  }

  /** The keys of the next group: from {@code from} on, those not handled yet, at most a group's worth. */
  private List<String> upcoming(List<MessageSummary> messages, int from, boolean resynced) {
    return pass.ledger.notHandled(key, checkpoint, messages, from, resynced, pass.groupMessages);
  }

  /**
   * Makes the group in hand durable and counts it imported: the handler's flush, then one checkpoint with its keys
   * handled (and {@code next}, the next group's keys, in flight), then their seen records in one append, then the
   * listeners. Afterwards no group is in hand.
   *
   * @throws GroupNotDurable if the flush failed (the checkpoint is not written)
   */
  private void commitGroup(List<String> next) throws GroupNotDurable {
    Group committing = group;
    group = null;
    if (committing == null && next.isEmpty() && checkpoint.inFlightGroup().isEmpty()) {
      return;
    }
    if (committing != null && !committing.keys.isEmpty()) {
      Exception failure = Handoff.flush(batching);
      if (failure != null) {
        throw new GroupNotDurable(failure);
      }
    }
    checkpoint = checkpoint.withInFlightGroup(next, pass.clock.instant());
    pass.store.save(key, checkpoint);
    if (committing == null) {
      return;
    }
    pass.ledger.recordSeen(key, committing.keys);
    for (IncomingMessage message : committing.messages) {
      pass.health.imported(message);
    }
    imported += committing.keys.size();
  }
}
