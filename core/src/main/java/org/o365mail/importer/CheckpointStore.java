package org.o365mail.importer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
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

  /**
   * Claims up to {@code max} of {@code mailboxes} for {@code owner}, each free, released or expired; mailboxes another
   * instance holds (or is claiming at this moment) are skipped, not waited for. Each claim is a new {@link Lease}.
   * {@link ImportCoordinator} calls it with the mailboxes it does not hold. The default asks {@link #acquireLease}
   * for one mailbox after another; a store shared by several instances claims them together ({@code SELECT ... FOR
   * UPDATE SKIP LOCKED}).
   */
  default List<Lease> claimLeases(Collection<String> mailboxes, String owner, int max, Duration ttl) {
    List<Lease> claimed = new ArrayList<>();
    for (String mailbox : mailboxes) {
      if (claimed.size() >= max) {
        break;
      }
      acquireLease(mailbox, owner, ttl).ifPresent(claimed::add);
    }
    return claimed;
  }

  /**
   * Extends every lease of {@code leases} still held until {@code ttl} from now; returns those (the others were taken
   * over). The default asks {@link #renewLease} for each.
   */
  default List<Lease> renewLeases(Collection<Lease> leases, Duration ttl) {
    List<Lease> held = new ArrayList<>();
    for (Lease lease : leases) {
      renewLease(lease, ttl).ifPresent(held::add);
    }
    return held;
  }

  /**
   * Announces {@code owner} as a live instance until {@code ttl} from now and returns how many instances are live,
   * this one included, for {@link ImportCoordinator}'s fair share. The default (a store no other instance shares)
   * returns 1.
   */
  default int heartbeat(String owner, Duration ttl) {
    return 1;
  }

  /** Removes {@code owner} from the live instances at once (on a graceful stop), so the others rebalance. */
  default void leave(String owner) {}

  static CheckpointStore inMemory() {
    return new InMemoryCheckpointStore();
  }
}
