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
   * through {@link #acquireLease} before every pass and releases it when closed; a store with fencing overrides
   * {@link #acquireLease} and the fenced writes rather than this.
   */
  default boolean tryLease(String mailbox, String owner, Duration ttl) {
    return true;
  }

  default void releaseLease(String mailbox, String owner) {}

  /**
   * Claims the mailbox for {@code owner} until {@code ttl} from now: a new {@link Lease} with a larger epoch than any
   * holder before, or the same epoch renewed when {@code owner} holds it already; empty when another owner holds a
   * live claim. The default grants what {@link #tryLease} grants, with epoch 0 (a store without fencing).
   */
  default Optional<Lease> acquireLease(String mailbox, String owner, Duration ttl) {
    return tryLease(mailbox, owner, ttl) ? Optional.of(new Lease(mailbox, owner, 0)) : Optional.empty();
  }

  /**
   * Extends {@code lease} until {@code ttl} from now, keeping its epoch; empty when it was taken over meanwhile (the
   * holder must stop writing). The default asks {@link #acquireLease} again.
   */
  default Optional<Lease> renewLease(Lease lease, Duration ttl) {
    return acquireLease(lease.mailbox(), lease.owner(), ttl).filter(l -> l.epoch() == lease.epoch());
  }

  /** Gives {@code lease} up, if still held, so another instance may take the mailbox at once. */
  default void releaseLease(Lease lease) {
    releaseLease(lease.mailbox(), lease.owner());
  }

  /**
   * Throws {@link LeaseLostException} unless {@code fence} is still the mailbox's lease; asked before a post-action
   * runs. The default (a store without fencing) always passes.
   */
  default void checkLease(Lease fence) {}

  /**
   * {@link #save(CheckpointKey, Checkpoint)}, atomically only while {@code fence} is still the mailbox's lease.
   *
   * @throws LeaseLostException if another holder took the lease over (nothing is written)
   */
  default void save(CheckpointKey key, Checkpoint checkpoint, Lease fence) {
    save(key, checkpoint);
  }

  /**
   * {@link #recordSeen(CheckpointKey, Collection)}, only while {@code fence} is still the mailbox's lease.
   *
   * @throws LeaseLostException if another holder took the lease over (nothing is written)
   */
  default void recordSeen(CheckpointKey key, Collection<String> messageKeys, Lease fence) {
    recordSeen(key, messageKeys);
  }

  static CheckpointStore inMemory() {
    return new InMemoryCheckpointStore();
  }
}
