package org.o365mail.graph;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.o365mail.graph.internal.Sleeper;
import org.o365mail.testkit.TestClock;

/**
 * A sleeper that sleeps not at all: it records each wait the governor asks for and moves the clock the connector
 * measures on by as much, then runs an optional step (a fault lifted, say). Thread-safe.
 */
final class RecordingSleeper implements Sleeper {
  private final TestClock clock;
  private final List<Duration> waits = new ArrayList<>();
  private final Runnable onWait;

  RecordingSleeper(TestClock clock, Runnable onWait) {
    this.clock = clock;
    this.onWait = onWait;
  }

  RecordingSleeper(TestClock clock) {
    this(clock, () -> { });
  }

  @Override
  public void sleep(Duration duration) {
    synchronized (this) {
      waits.add(duration);
    }
    clock.advance(duration);
    onWait.run();
  }

  synchronized List<Duration> waits() {
    return List.copyOf(waits);
  }
}
