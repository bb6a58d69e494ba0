package org.o365mail.importer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.o365mail.SyncState;
import org.o365mail.testsupport.MutableClock;

/** The importer's fenced view of its store: every write carries the lease, renewed at a third of its time to live. */
class FencedStoreTest {
  private static final Duration TTL = Duration.ofMinutes(3);
  private static final CheckpointKey KEY = new CheckpointKey("memory", "box@contoso.com", "Inbox");

  private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:00:00Z"));
  private final Recording store = new Recording();
  private final FencedStore fenced = new FencedStore(store, "box@contoso.com", "a", TTL, clock);

  /** An in-memory store with epochs that records what it is asked. */
  static final class Recording implements CheckpointStore {
    final CheckpointStore data = CheckpointStore.inMemory();
    final List<String> calls = new ArrayList<>();
    long epoch = 1;
    boolean takenOver;

    @Override
    public Optional<Lease> acquireLease(String mailbox, String owner, Duration ttl) {
      calls.add("acquire");
      return Optional.of(new Lease(mailbox, owner, epoch));
    }

    @Override
    public Optional<Lease> renewLease(Lease lease, Duration ttl) {
      calls.add("renew " + ttl);
      return takenOver ? Optional.empty() : Optional.of(lease);
    }

    @Override
    public void releaseLease(Lease lease) {
      calls.add("release " + lease.epoch());
    }

    @Override
    public void checkLease(Lease fence) {
      calls.add("check " + fence.epoch());
      if (takenOver) {
        throw new LeaseLostException(fence);
      }
    }

    @Override
    public void save(CheckpointKey key, Checkpoint checkpoint, Lease fence) {
      calls.add("save " + fence.epoch());
      data.save(key, checkpoint);
    }

    @Override
    public void recordSeen(CheckpointKey key, Collection<String> keys, Lease fence) {
      calls.add("seen " + fence.epoch());
      data.recordSeen(key, keys);
    }

    @Override
    public Optional<Checkpoint> load(CheckpointKey key) {
      return data.load(key);
    }

    @Override
    public void save(CheckpointKey key, Checkpoint checkpoint) {
      throw new AssertionError("an unfenced write");
    }

    @Override
    public void recordSeen(CheckpointKey key, String messageKey) {
      throw new AssertionError("an unfenced write");
    }

    @Override
    public boolean seen(CheckpointKey key, String messageKey) {
      return data.seen(key, messageKey);
    }
  }

  private static Checkpoint checkpoint() {
    return Checkpoint.initial(SyncState.BEGINNING, Instant.parse("2026-03-01T10:00:00Z"));
  }

  @Test
  void everyWrite_isFencedWithTheLease_andRenewsItOnceAThirdOfItsTimeHasPassed() {
    assertThat(fenced.acquire()).isTrue();
    fenced.save(KEY, checkpoint());
    clock.advance(TTL.dividedBy(3).minusSeconds(1));
    fenced.recordSeen(KEY, "k1");
    clock.advance(Duration.ofSeconds(1));
    fenced.recordSeen(KEY, List.of("k2"));
    fenced.save(KEY, checkpoint());
    assertThat(store.calls).containsExactly("acquire", "save 1", "seen 1", "renew PT3M", "seen 1", "save 1");
    assertThat(store.seen(KEY, "k2")).isTrue();
  }

  @Test
  void aLeaseTakenOver_refusesTheWriteThatFindsOut_andThePostActionCheck() {
    fenced.acquire();
    store.takenOver = true;
    clock.advance(TTL.dividedBy(3));
    assertThatThrownBy(() -> fenced.save(KEY, checkpoint())).isInstanceOf(LeaseLostException.class);
    assertThat(store.load(KEY)).isEmpty();
    fenced.acquire();
    assertThatThrownBy(fenced::check).isInstanceOf(LeaseLostException.class);
  }

  @Test
  void writesOutsideAHeldLease_areRefused_andReleaseGivesBackTheLeaseHeld() {
    assertThatThrownBy(() -> fenced.save(KEY, checkpoint())).isInstanceOf(IllegalStateException.class);
    store.epoch = 4;
    fenced.acquire();
    fenced.release();
    assertThat(store.calls).containsExactly("acquire", "release 4");
  }
}
