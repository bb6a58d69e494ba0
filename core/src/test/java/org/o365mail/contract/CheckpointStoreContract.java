package org.o365mail.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.o365mail.SyncState;
import org.o365mail.importer.Checkpoint;
import org.o365mail.importer.CheckpointKey;
import org.o365mail.importer.CheckpointStore;
import org.o365mail.importer.DeadLetter;
import org.o365mail.importer.Lease;
import org.o365mail.importer.PendingAction;

/**
 * What every {@link CheckpointStore} does, whatever keeps its data: extended by the in-memory, file and PostgreSQL
 * stores' tests. A subclass gives a fresh, empty store and, for durable stores, a second store on the same storage
 * (as after a restart, or on another instance).
 */
public abstract class CheckpointStoreContract {
  /** Timestamps at millisecond precision: every store keeps at least that. */
  protected static final Instant T0 = Instant.parse("2026-03-01T10:15:30.123Z");
  protected static final Duration TTL = Duration.ofMinutes(5);

  protected final CheckpointKey key = new CheckpointKey("graph", "Box@Contoso.com", "Inbox");
  protected CheckpointStore store;

  /** A new store with nothing in it. */
  protected abstract CheckpointStore newStore() throws Exception;

  /** Another store on the same storage as {@code store} (the in-memory store: itself). */
  protected abstract CheckpointStore sameStorage(CheckpointStore store) throws Exception;

  /** Whether a live lease of one owner keeps every other owner out (the in-memory store grants every claim). */
  protected abstract boolean leasesExclude();

  /** Closes what {@link #newStore} opened. */
  protected void closeStore(CheckpointStore s) throws Exception {
    if (s instanceof AutoCloseable c) {
      c.close();
    }
  }

  @BeforeEach
  void open() throws Exception {
    store = newStore();
  }

  @AfterEach
  void close() throws Exception {
    closeStore(store);
  }

  protected static Checkpoint full() {
    return new Checkpoint(new SyncState("delta-link-2"), Set.of("k1|graph:1", "k2|graph:2"), "k3|graph:3",
        List.of(new PendingAction("k1|graph:1", "1"), new PendingAction("k2|graph:2", "2")),
        List.of(new DeadLetter("k9|graph:9", "9", "Invoice 9", 3, "IOException: disk full", T0.minusSeconds(60))),
        T0, List.of("k7|graph:7", "k8|graph:8"), List.of("k3|graph:3", "k4|graph:4"));
  }

  @Test
  void load_isEmptyForAFolderNeverSaved() {
    assertThat(store.load(key)).isEmpty();
  }

  @Test
  void save_thenLoad_givesBackEveryPartOfTheCheckpoint() throws Exception {
    store.save(key, full());
    assertThat(store.load(key)).contains(full());
    assertThat(sameStorage(store).load(key)).contains(full());
  }

  @Test
  void save_replacesTheWholeCheckpoint_pendingActionsAndDeadLettersIncluded() {
    store.save(key, full());
    Checkpoint next = new Checkpoint(new SyncState("delta-link-3"), Set.of(), null, List.of(), List.of(),
        T0.plusSeconds(1));
    store.save(key, next);
    Optional<Checkpoint> loaded = store.load(key);
    assertThat(loaded).contains(next);
    assertThat(loaded.orElseThrow().pending()).isEmpty();
    assertThat(loaded.orElseThrow().deadLetters()).isEmpty();
    assertThat(loaded.orElseThrow().interrupted()).isEmpty();
  }

  @Test
  void checkpointsOfDifferentFoldersAndProtocols_areKeptApart() {
    CheckpointKey archive = new CheckpointKey("graph", "box@contoso.com", "Archive");
    CheckpointKey imap = new CheckpointKey("imap", "box@contoso.com", "Inbox");
    store.save(key, full());
    Checkpoint other = Checkpoint.initial(new SyncState("1:42"), T0);
    store.save(imap, other);
    assertThat(store.load(archive)).isEmpty();
    assertThat(store.load(imap)).contains(other);
    assertThat(store.load(key)).contains(full());
  }

  @Test
  void recordSeen_isRememberedForThatFolderOnly_andSurvivesANewStore() throws Exception {
    store.recordSeen(key, "one");
    store.recordSeen(key, List.of("two", "three", "two"));
    store.recordSeen(key, List.of("one"));
    assertThat(store.seen(key, "one")).isTrue();
    assertThat(store.seen(key, "three")).isTrue();
    assertThat(store.seen(key, "four")).isFalse();
    assertThat(store.seen(new CheckpointKey("graph", "box@contoso.com", "Archive"), "one")).isFalse();
    CheckpointStore again = sameStorage(store);
    assertThat(again.seen(key, "two")).isTrue();
    assertThat(again.seen(key, "four")).isFalse();
  }

  @Test
  void aGrantedLease_fencesWritesThatSucceedWhileItIsHeld() {
    Lease lease = store.acquireLease("box@contoso.com", "instance-a", TTL).orElseThrow();
    assertThat(lease.owner()).isEqualTo("instance-a");
    store.checkLease(lease);
    store.save(key, full(), lease);
    store.recordSeen(key, List.of("fenced"), lease);
    assertThat(store.load(key)).contains(full());
    assertThat(store.seen(key, "fenced")).isTrue();
  }

  @Test
  void theOwnersLease_isRenewedWithItsEpoch() {
    Lease lease = store.acquireLease("box@contoso.com", "instance-a", TTL).orElseThrow();
    assertThat(store.renewLease(lease, TTL)).contains(lease);
    assertThat(store.acquireLease("box@contoso.com", "instance-a", TTL)).contains(lease);
  }

  @Test
  void aLiveLease_keepsOtherOwnersOut_untilReleased() {
    Lease lease = store.acquireLease("box@contoso.com", "instance-a", TTL).orElseThrow();
    if (leasesExclude()) {
      assertThat(store.acquireLease("box@contoso.com", "instance-b", TTL)).isEmpty();
      assertThat(store.tryLease("box@contoso.com", "instance-b", TTL)).isFalse();
    }
    store.releaseLease(lease);
    Lease next = store.acquireLease("box@contoso.com", "instance-b", TTL).orElseThrow();
    assertThat(next.owner()).isEqualTo("instance-b");
    assertThat(next.epoch()).isGreaterThanOrEqualTo(lease.epoch());
    assertThat(store.acquireLease("other@contoso.com", "instance-a", TTL)).isPresent();
  }
}
