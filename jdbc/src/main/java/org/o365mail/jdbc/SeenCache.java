package org.o365mail.jdbc;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import org.o365mail.importer.CheckpointKey;

/**
 * The seen records a {@link PostgresCheckpointStore} last found or wrote, so that asking again about one costs no
 * round trip: at most {@code capacity} of them for all mailboxes together, the least recently used forgotten first.
 * Only positive answers are kept (a seen record is never taken back; a key not seen yet may be recorded by another
 * instance at any time). Forgetting one costs one query the next time it is asked about. Thread-safe.
 */
final class SeenCache {
  /**
   * The default bound: about 3 MB of keys. The keys asked about again are recent ones (a pass after a crash, a
   * re-sync); the table answers for the rest.
   */
  static final int DEFAULT_CAPACITY = 10_000;

  private record SeenKey(CheckpointKey key, String messageKey) {}

  private final int capacity;
  private final LinkedHashMap<SeenKey, Boolean> entries;

  SeenCache(int capacity) {
    if (capacity < 0) {
      throw new IllegalArgumentException("capacity must be 0 or more, was " + capacity);
    }
    this.capacity = capacity;
    this.entries = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<SeenKey, Boolean> eldest) {
        return size() > SeenCache.this.capacity;
      }
    };
  }

  /** Whether {@code messageKey} of {@code key} is known to be seen; a hit makes it the most recently used. */
  synchronized boolean contains(CheckpointKey key, String messageKey) {
    return entries.get(new SeenKey(key, messageKey)) != null;
  }

  /** Remembers these keys as seen, the oldest forgotten beyond the capacity. */
  synchronized void addAll(CheckpointKey key, Collection<String> messageKeys) {
    if (capacity == 0) {
      return;
    }
    for (String k : messageKeys) {
      entries.put(new SeenKey(key, k), Boolean.TRUE);
    }
  }

  synchronized int size() {
    return entries.size();
  }
}
