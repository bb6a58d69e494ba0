package org.o365mail.imap.internal;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The waits of the adapter's own making (Exchange's {@code Suggested Backoff Time}, the pause before connecting
 * again) and the monotonic time they and the throttle budget are measured on. {@link #SYSTEM} in production; tests
 * pass one that records the waits asked for and moves its time on by them. Implementations are thread-safe.
 */
public interface Sleeper {
  /** {@link System#nanoTime()} and {@link TimeUnit#sleep}. */
  Sleeper SYSTEM = new Sleeper() {
    @Override
    public long nanoTime() {
      return System.nanoTime();
    }

    @Override
    public void sleep(Duration wait) throws InterruptedException {
      TimeUnit.NANOSECONDS.sleep(wait.toNanos());
    }

    @Override
    public String toString() {
      return "Sleeper.SYSTEM";
    }
  };

  /** Monotonic time in nanoseconds, as {@link System#nanoTime()}: only differences mean anything. */
  long nanoTime();

  /** Waits {@code wait}. */
  void sleep(Duration wait) throws InterruptedException;
}
