package org.o365mail.graph.internal;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Paces one mailbox's requests under Exchange's request window (per app and mailbox, 10,000 requests in any 10
 * minutes by default; every {@code $batch} item is a request), so that a long import runs at the rate the window
 * allows instead of running into it and being told to wait for minutes.
 *
 * <p>A bucket of {@code burst} requests that refills at a steady rate: a quiet mailbox's next requests leave at once,
 * a busy one's leave evenly spaced. The two are sized so that the burst plus what the rate lets through in one window
 * stay under the limit by a margin ({@code headroom}: one in fifty, at least one) for the time between a request
 * leaving here and Exchange counting it. So no period of the window's length ever holds more than the limit, however
 * the requests come, and there is no stall at the end of a window: the rate is the one that can be kept for good.
 * Reservations are taken in order, each at the earliest time it fits. Thread-safe.
 */
final class RequestWindow {
  private final int limit;
  private final Duration window;
  private final long burst;
  private final long nanosPerRequest;
  private final LongSupplier nanoTime;
  /** The bucket as a time: when it would be full again (GCRA's theoretical arrival time). */
  private long full;
  private long reserved;

  /**
   * @param limit requests allowed in any period of {@code window} (at least 2 x 20, a {@code $batch}'s items twice)
   * @param window the period
   * @param nanoTime the clock reservations are made on, in nanoseconds
   */
  RequestWindow(int limit, Duration window, LongSupplier nanoTime) {
    if (limit < 2 * Batcher.MAX_ITEMS) {
      throw new IllegalArgumentException("a request window must allow at least " + 2 * Batcher.MAX_ITEMS
          + " requests, was " + limit);
    }
    if (window.isNegative() || window.isZero()) {
      throw new IllegalArgumentException("the request window must be positive, was " + window);
    }
    this.limit = limit;
    this.window = window;
    long headroom = Math.max(1, limit / 50);
    this.burst = Math.max(Batcher.MAX_ITEMS, limit / 20);
    long steady = Math.max(1, limit - headroom - burst);
    this.nanosPerRequest = Math.max(1, window.toNanos() / steady);
    this.nanoTime = nanoTime;
    this.full = nanoTime.getAsLong();
  }

  public int limit() {
    return limit;
  }

  public Duration window() {
    return window;
  }

  /** Requests that may leave at once from a quiet mailbox. */
  public long burst() {
    return burst;
  }

  /** The steady spacing of requests once the burst is spent. */
  public Duration spacing() {
    return Duration.ofNanos(nanosPerRequest);
  }

  /** Requests reserved so far (for tests and metrics). */
  public synchronized long reserved() {
    return reserved;
  }

  /**
   * Reserves {@code requests} requests (a {@code $batch}'s items, or 1) at the earliest time they fit, and returns how
   * long from now that is ({@link Duration#ZERO} for at once). The caller sends them no earlier.
   */
  public synchronized Duration reserve(int requests) {
    long now = nanoTime.getAsLong();
    long cost = requests * nanosPerRequest;
    long tolerance = burst * nanosPerRequest;
    long at = Math.max(now, full + cost - tolerance);
    full = Math.max(full, at) + cost;
    reserved += requests;
    return Duration.ofNanos(at - now);
  }

  /** Whether the bucket is full again: nothing reserved lately still counts, as for a new window. */
  synchronized boolean quiet() {
    return full - nanoTime.getAsLong() <= 0;
  }

  @Override
  public String toString() {
    return "RequestWindow[" + limit + " per " + window + ", burst " + burst + ", then one every "
        + spacing().toMillis() + " ms]";
  }
}
