package org.o365mail.importer;

import java.time.Duration;
import java.util.Collection;
import java.util.Optional;

/**
 * Where import checkpoints live. Implementations must make {@link #save} atomic (a reader sees the old or the
 * new checkpoint, never a mix) and durable before it returns, and {@link #recordSeen} durable too. The SDK
 * ships {@link #inMemory()} and {@link FileCheckpointStore}; a database store (one row per folder, a seen table,
 * and a per-mailbox lease with {@code SELECT ... FOR UPDATE SKIP LOCKED}) implements the same methods, so that
 * several service instances can share many mailboxes, each mailbox polled by one instance at a time.
 */
public interface CheckpointStore {
  Optional<Checkpoint> load(CheckpointKey key);

  void save(CheckpointKey key, Checkpoint checkpoint);

  /** Remembers for good that a message (by idempotency key or Message-ID) was handed out and accepted. */
  void recordSeen(CheckpointKey key, String messageKey);

  /**
   * Remembers several keys at once, as durable as {@link #recordSeen(CheckpointKey, String)}; a store that can write
   * them together (one append, one fsync) overrides it.
   */
  default void recordSeen(CheckpointKey key, Collection<String> messageKeys) {
    for (String k : messageKeys) {
      recordSeen(key, k);
    }
  }

  boolean seen(CheckpointKey key, String messageKey);

  /**
   * Claims the mailbox for {@code owner} until {@code ttl} from now, renewing an existing claim of the same
   * owner; false when another owner holds a live claim. The in-memory store always grants it;
   * {@link FileCheckpointStore} holds a lock file until {@link #releaseLease}. {@link MailImporter} takes it
   * before every pass and releases it when closed.
   */
  default boolean tryLease(String mailbox, String owner, Duration ttl) {
    return true;
  }

  default void releaseLease(String mailbox, String owner) {}

  static CheckpointStore inMemory() {
    return new InMemoryCheckpointStore();
  }
}
