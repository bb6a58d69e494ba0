package org.o365mail.importer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The seen records a pass writes: a key, and the Message-ID it starts with, together. */
class LedgerTest {
  private static final CheckpointKey KEY = new CheckpointKey("memory", "box@contoso.com", "Inbox");

  /** The store's calls, one list per call. */
  private static final class RecordingStore implements CheckpointStore {
    final CheckpointStore delegate = CheckpointStore.inMemory();
    final List<List<String>> calls = new ArrayList<>();

    @Override
    public Optional<Checkpoint> load(CheckpointKey key) {
      return delegate.load(key);
    }

    @Override
    public void save(CheckpointKey key, Checkpoint checkpoint) {
      delegate.save(key, checkpoint);
    }

    @Override
    public void recordSeen(CheckpointKey key, String messageKey) {
      calls.add(List.of(messageKey));
      delegate.recordSeen(key, messageKey);
    }

    @Override
    public void recordSeen(CheckpointKey key, Collection<String> messageKeys) {
      calls.add(List.copyOf(messageKeys));
      delegate.recordSeen(key, messageKeys);
    }

    @Override
    public boolean seen(CheckpointKey key, String messageKey) {
      return delegate.seen(key, messageKey);
    }
  }

  @Test
  void recordSeen_writesEachKeyAndTheMessageIdItStartsWith_inOneCallOfTheStore() {
    RecordingStore store = new RecordingStore();
    // the connector only names keys; recording them does not ask it
    Ledger ledger = new Ledger(null, store);

    ledger.recordSeen(KEY, List.of("<a@contoso.com>|memory:1", "|memory:2"));

    assertThat(store.calls).containsExactly(List.of("<a@contoso.com>|memory:1", "mid:<a@contoso.com>", "|memory:2"));
    assertThat(store.seen(KEY, "mid:<a@contoso.com>")).isTrue();
    assertThat(store.seen(KEY, "mid:")).as("a message without Message-ID has no such record").isFalse();
  }

  @Test
  void recordSeen_ofNothing_leavesTheStoreAlone() {
    RecordingStore store = new RecordingStore();

    new Ledger(null, store).recordSeen(KEY, List.of());

    assertThat(store.calls).isEmpty();
  }
}
