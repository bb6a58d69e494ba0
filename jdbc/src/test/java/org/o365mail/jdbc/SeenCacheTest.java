package org.o365mail.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.o365mail.importer.CheckpointKey;
import org.o365mail.importer.Lease;

/** The seen records a PostgreSQL store keeps in memory: bounded for any number of mailboxes, the table behind it. */
class SeenCacheTest {

  @Test
  void aBoundedCache_staysBounded_whateverTheNumberOfMailboxesAndKeys() {
    SeenCache cache = new SeenCache(100);
    for (int box = 0; box < 50; box++) {
      CheckpointKey key = new CheckpointKey("graph", "box" + box + "@contoso.com", "Inbox");
      List<String> keys = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        keys.add("k" + i);
      }
      cache.addAll(key, keys);
      assertThat(cache.size()).isLessThanOrEqualTo(100);
    }
    assertThat(cache.size()).isEqualTo(100);
  }

  @Test
  void theLeastRecentlyUsedKey_isForgottenFirst() {
    SeenCache cache = new SeenCache(2);
    CheckpointKey key = new CheckpointKey("graph", "box@contoso.com", "Inbox");
    cache.addAll(key, List.of("a", "b"));
    assertThat(cache.contains(key, "a")).isTrue(); // now b is the least recently used
    cache.addAll(key, List.of("c"));
    assertThat(cache.contains(key, "a")).isTrue();
    assertThat(cache.contains(key, "b")).isFalse();
    assertThat(cache.contains(key, "c")).isTrue();
    assertThat(cache.contains(new CheckpointKey("graph", "other@contoso.com", "Inbox"), "a")).isFalse();
  }

  @Test
  void aKeyForgottenByTheCache_isStillSeen_theTableAnswers() {
    PostgresCheckpointStore store = PostgresCheckpointStore.builder(TestDatabase.freshDatabase())
        .seenCacheCapacity(2).build();
    CheckpointKey key = new CheckpointKey("graph", "box@contoso.com", "Inbox");
    Lease lease = store.acquireLease("box@contoso.com", "a", Duration.ofMinutes(5)).orElseThrow();
    store.recordSeen(key, List.of("k1", "k2", "k3"), lease);
    store.recordSeen(key, List.of("k4", "k5"));
    for (String k : List.of("k1", "k2", "k3", "k4", "k5")) {
      assertThat(store.seen(key, k)).as(k).isTrue();
    }
    assertThat(store.seen(key, "k6")).isFalse();
    assertThat(store.seen(new CheckpointKey("graph", "other@contoso.com", "Inbox"), "k1")).isFalse();
  }
}
