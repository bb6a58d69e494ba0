package org.o365mail.graph.internal;

import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * How the governor waits: for a {@code Retry-After}, a back-off, a mailbox's pause or the request window's pacing.
 * The system's sleeps in production; a test's own, which records the waits asked for and moves its clock, so that
 * nothing needs to measure wall time. Implementations are thread-safe.
 */
@FunctionalInterface
public interface Sleeper {
  /** Sleeps on the thread's own time. */
  Sleeper SYSTEM = d -> {
    try {
      TimeUnit.NANOSECONDS.sleep(d.toNanos());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting to retry a Graph request");
    }
  };

  /** Waits {@code duration} (never negative). */
  void sleep(Duration duration) throws InterruptedIOException;
}
