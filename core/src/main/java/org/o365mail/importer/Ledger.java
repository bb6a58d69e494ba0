package org.o365mail.importer;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.o365mail.FolderRef;
import org.o365mail.MailboxConnector;
import org.o365mail.MessageSummary;

/**
 * What the {@link CheckpointStore} knows of one mailbox's messages: the checkpoint key of a folder, the idempotency
 * key of a message, the seen records (a key and the Message-ID it starts with), and whether a message was handled
 * before. Thread-safe as far as the store is.
 */
final class Ledger {
  /** The prefix of a seen record that holds a Message-ID (recognised after a re-sync renumbered the messages). */
  private static final String MESSAGE_ID = "mid:";

  private final MailboxConnector connector;
  private final CheckpointStore store;

  Ledger(MailboxConnector connector, CheckpointStore store) {
    this.connector = connector;
    this.store = store;
  }

  CheckpointKey key(FolderRef folder) {
    return new CheckpointKey(connector.protocol().id(), connector.mailbox(), folder.toString());
  }

  String messageKey(MessageSummary m) {
    return MailImporter.idempotencyKey(connector.protocol().id(), m);
  }

  /** Records keys, and the Message-IDs they start with, as handed out and accepted for good; one append. */
  void recordSeen(CheckpointKey key, Collection<String> messageKeys) {
    if (messageKeys.isEmpty()) {
      return;
    }
    List<String> seen = new ArrayList<>(messageKeys.size() * 2);
    for (String k : messageKeys) {
      seen.add(k);
      int end = k.lastIndexOf('|');
      if (end > 0) {
        seen.add(MESSAGE_ID + k.substring(0, end));
      }
    }
    store.recordSeen(key, seen);
  }

  /** Whether the message was handled before: in this batch's checkpoint, seen, or (after a re-sync) its Message-ID. */
  boolean alreadyHandled(CheckpointKey key, Checkpoint checkpoint, MessageSummary m, String messageKey,
      boolean resynced) {
    if (checkpoint.handled().contains(messageKey) || store.seen(key, messageKey)) {
      return true;
    }
    return resynced && m.internetMessageId().isPresent() && store.seen(key, MESSAGE_ID + m.internetMessageId().get());
  }

  /** The keys from {@code from} on of messages not handled before, at most {@code limit}. */
  List<String> notHandled(CheckpointKey key, Checkpoint checkpoint, List<MessageSummary> messages, int from,
      boolean resynced, int limit) {
    List<String> keys = new ArrayList<>();
    for (int i = from; i < messages.size() && keys.size() < limit; i++) {
      MessageSummary m = messages.get(i);
      String k = messageKey(m);
      if (!alreadyHandled(key, checkpoint, m, k, resynced)) {
        keys.add(k);
      }
    }
    return keys;
  }
}
