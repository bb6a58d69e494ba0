package org.o365mail.graph.internal;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * What Exchange counts per app and mailbox, and so what every connector of that app on that mailbox must share: its
 * request slots (at most {@code maxConcurrent} in flight), the pause a {@code Retry-After} put on it and its request
 * window. Made by the first connector of the mailbox with that connector's settings and clock; held by {@link
 * MailboxStates}. Thread-safe.
 */
public final class MailboxState {
  private final int maxConcurrent;
  private final Semaphore slots;
  private final LongSupplier nanoTime;
  private final AtomicLong pausedUntil;
  private final RequestWindow window;

  /**
   * @param windowRequests requests the mailbox's request window allows
   * @param window the window's period
   * @param nanoTime the clock pauses and pacing are measured on, in nanoseconds
   */
  public MailboxState(int maxConcurrent, int windowRequests, Duration window, LongSupplier nanoTime) {
    if (maxConcurrent < 1) {
      throw new IllegalArgumentException("maxConcurrent must be at least 1");
    }
    this.maxConcurrent = maxConcurrent;
    this.slots = new Semaphore(maxConcurrent, true);
    this.nanoTime = nanoTime;
    this.pausedUntil = new AtomicLong(nanoTime.getAsLong());
    this.window = new RequestWindow(windowRequests, window, nanoTime);
  }

  int maxConcurrent() {
    return maxConcurrent;
  }

  Semaphore slots() {
    return slots;
  }

  LongSupplier nanoTime() {
    return nanoTime;
  }

  AtomicLong pausedUntil() {
    return pausedUntil;
  }

  RequestWindow window() {
    return window;
  }

  /**
   * Whether forgetting this state changes nothing: no slot held, no pause pending and the request window's bucket
   * full again, so that a new state made in its place behaves the same.
   */
  boolean settled() {
    return slots.availablePermits() == maxConcurrent && pausedUntil.get() - nanoTime.getAsLong() <= 0
        && window.quiet();
  }
}
