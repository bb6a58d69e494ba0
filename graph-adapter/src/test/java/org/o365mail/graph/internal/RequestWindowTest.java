package org.o365mail.graph.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The pacing arithmetic on a clock the test moves: nothing sleeps. */
class RequestWindowTest {
  private final AtomicLong now = new AtomicLong(1_000_000_000L);

  /** A client that sends each reservation the moment it is allowed, as fast as it can, for {@code span}. */
  private List<long[]> greedy(RequestWindow w, int perRequest, Duration span) {
    List<long[]> sent = new ArrayList<>();
    long end = now.get() + span.toNanos();
    while (now.get() < end) {
      Duration wait = w.reserve(perRequest);
      now.addAndGet(wait.toNanos());
      sent.add(new long[] {now.get(), perRequest});
    }
    return sent;
  }

  private static long busiest(List<long[]> sent, Duration window) {
    long most = 0;
    for (int i = 0; i < sent.size(); i++) {
      long sum = 0;
      for (int j = i; j < sent.size() && sent.get(j)[0] < sent.get(i)[0] + window.toNanos(); j++) {
        sum += sent.get(j)[1];
      }
      most = Math.max(most, sum);
    }
    return most;
  }

  @Test
  void aQuietMailbox_sendsItsBurstAtOnce_thenEvenlySpaced() {
    RequestWindow w = new RequestWindow(600, Duration.ofSeconds(60), now::get);
    assertThat(w.burst()).isEqualTo(30);
    assertThat(w.reserve(20)).isZero();
    assertThat(w.reserve(10)).isZero();
    Duration first = w.reserve(1);
    assertThat(first).isPositive().isEqualTo(w.spacing());
    assertThat(w.reserve(20)).isEqualTo(first.plus(w.spacing().multipliedBy(20)));
    assertThat(w.reserved()).isEqualTo(51);
  }

  @Test
  void noPeriodOfTheWindowEverHoldsTheLimit_andTheRateIsKeptForGood() {
    for (int perRequest : new int[] {1, 20}) {
      now.set(1_000_000_000L);
      RequestWindow w = new RequestWindow(600, Duration.ofSeconds(60), now::get);
      List<long[]> sent = greedy(w, perRequest, Duration.ofMinutes(10));
      assertThat(busiest(sent, Duration.ofSeconds(60))).as("batches of %d", perRequest).isLessThan(600)
          .isGreaterThanOrEqualTo(560);
      long total = sent.stream().mapToLong(s -> s[1]).sum();
      assertThat(total).as("ten windows' worth, at 0.9 of the limit or better").isGreaterThanOrEqualTo(5_400);
    }
  }

  @Test
  void exchangesWindow_leaves500AtOnce_thenAbout15ASecond() {
    RequestWindow w = new RequestWindow(10_000, Duration.ofMinutes(10), now::get);
    assertThat(w.burst()).isEqualTo(500);
    assertThat(1_000_000_000L / w.spacing().toNanos()).isBetween(15L, 16L);
    List<long[]> sent = greedy(w, 20, Duration.ofMinutes(30));
    assertThat(busiest(sent, Duration.ofMinutes(10))).isLessThan(10_000);
  }

  @Test
  void aWindowTooSmallForTwoBatches_isRefused() {
    assertThatThrownBy(() -> new RequestWindow(39, Duration.ofSeconds(1), now::get))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 40");
  }
}
