package org.o365mail.importer;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * One importer's view of its {@link CheckpointStore}: every write is fenced with the mailbox's {@link Lease} this
 * importer holds, and the lease is renewed on the first write once a third of its time to live has passed (a pass
 * renews it while it works; a handler stuck past the whole time loses it, and its next write is refused). Reads go
 * straight to the store. Thread-safe: one pass writes at a time; the lease is volatile.
 */
final class FencedStore implements CheckpointStore {
  private final CheckpointStore store;
  private final String mailbox;
  private final String owner;
  private final Duration ttl;
  private final Clock clock;
  private volatile Lease lease;
  private volatile Instant renewAt = Instant.MAX;

  FencedStore(CheckpointStore store, String mailbox, String owner, Duration ttl, Clock clock) {
    this.store = requireNonNull(store, "store");
    this.mailbox = requireNonNull(mailbox, "mailbox");
    this.owner = requireNonNull(owner, "owner");
    this.ttl = requireNonNull(ttl, "ttl");
    this.clock = requireNonNull(clock, "clock");
  }

  /** Takes (or renews) the lease before a pass; false when another instance holds it. */
  synchronized boolean acquire() {
    Optional<Lease> granted = store.acquireLease(mailbox, owner, ttl);
    lease = granted.orElse(null);
    renewAt = clock.instant().plus(ttl.dividedBy(3));
    return granted.isPresent();
  }

  /** Gives the lease back (on close), or the claim of this owner when none is in hand. */
  synchronized void release() {
    Lease held = lease;
    lease = null;
    if (held != null) {
      store.releaseLease(held);
    } else {
      store.releaseLease(mailbox, owner);
    }
  }

  /** Forgets a lease that was taken over: the next pass asks for a new one. */
  void lost() {
    lease = null;
  }

  /** Throws {@link LeaseLostException} unless this importer still holds the lease; before a post-action runs. */
  void check() {
    store.checkLease(current());
  }

  /** The lease to fence a write with, renewed first when due. */
  private Lease current() {
    Lease held = lease;
    if (held == null) {
      throw new IllegalStateException("no lease of " + mailbox + " is held: a write outside a pass");
    }
    if (!clock.instant().isBefore(renewAt)) {
      synchronized (this) {
        Optional<Lease> renewed = store.renewLease(held, ttl);
        if (renewed.isEmpty()) {
          lease = null;
          throw new LeaseLostException(held);
        }
        lease = renewed.get();
        renewAt = clock.instant().plus(ttl.dividedBy(3));
        return lease;
      }
    }
    return held;
  }

  @Override
  public Optional<Checkpoint> load(CheckpointKey key) {
    return store.load(key);
  }

  @Override
  public void save(CheckpointKey key, Checkpoint checkpoint) {
    store.save(key, checkpoint, current());
  }

  @Override
  public void recordSeen(CheckpointKey key, String messageKey) {
    store.recordSeen(key, List.of(messageKey), current());
  }

  @Override
  public void recordSeen(CheckpointKey key, Collection<String> messageKeys) {
    store.recordSeen(key, messageKeys, current());
  }

  @Override
  public boolean seen(CheckpointKey key, String messageKey) {
    return store.seen(key, messageKey);
  }
}
