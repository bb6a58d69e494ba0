package org.o365mail.importer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.o365mail.SyncState;

class CheckpointTest {
  private static Checkpoint withInterrupted(List<String> keys) {
    return new Checkpoint(SyncState.BEGINNING, Set.of(), null, List.of(), List.of(), Instant.EPOCH, keys);
  }

  @Test
  void interrupted_keepsFirstPlaceOfEachKeyInOrder() {
    Checkpoint c = withInterrupted(List.of("b", "a", "b", "c"));

    assertThat(c.interrupted()).containsExactly("b", "a", "c");
    assertThat(c.interrupted()).isEqualTo(List.of("b", "a", "c"));
  }

  @Test
  void interrupted_keepsTheNewestWhenOverTheCap() {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < Checkpoint.MAX_INTERRUPTED + 5; i++) {
      keys.add("k" + i);
    }
    Checkpoint c = withInterrupted(keys);

    assertThat(c.interrupted()).hasSize(Checkpoint.MAX_INTERRUPTED);
    assertThat(c.interrupted().get(0)).isEqualTo("k5");
    assertThat(c.possiblyDelivered("k4")).isFalse();
    assertThat(c.possiblyDelivered("k5")).isTrue();
    assertThat(c.possiblyDelivered("k" + (Checkpoint.MAX_INTERRUPTED + 4))).isTrue();
  }

  @Test
  void interrupted_isUnmodifiable() {
    Checkpoint c = withInterrupted(List.of("a"));

    assertThatThrownBy(() -> c.interrupted().add("b")).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void handlingAnInterruptedKey_removesItAndKeepsTheOthersInOrder() {
    Checkpoint c = withInterrupted(List.of("a", "b", "c")).withHandled("b", null, Instant.EPOCH);

    assertThat(c.interrupted()).containsExactly("a", "c");
    assertThat(c.possiblyDelivered("b")).isFalse();
    assertThat(c.possiblyDelivered("c")).isTrue();
  }

  @Test
  void afterCrash_addsTheKeyInFlightOnce() {
    Checkpoint c = withInterrupted(List.of("a")).withInFlight("x", Instant.EPOCH);

    Checkpoint once = c.afterCrash(Instant.EPOCH);
    Checkpoint twice = once.afterCrash(Instant.EPOCH);

    assertThat(once.interrupted()).containsExactly("a", "x");
    assertThat(twice).isSameAs(once);
  }
}
