package org.o365mail.imap;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.o365mail.imap.internal.Sleeper;

/**
 * A {@link Sleeper} that does not sleep: it records each wait asked for and moves its own time on by it, so that
 * tests assert the waits the connector asked for instead of the time that passed. Thread-safe.
 */
final class RecordingSleeper implements Sleeper {
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  private final List<Duration> waits = new CopyOnWriteArrayList<>();

  @Override
  public long nanoTime() {
    return nanos.get();
  }

  @Override
  public void sleep(Duration wait) {
    waits.add(wait);
    nanos.addAndGet(wait.toNanos());
  }

  /** The waits asked for, in order. */
  List<Duration> waits() {
    return List.copyOf(waits);
  }
}
