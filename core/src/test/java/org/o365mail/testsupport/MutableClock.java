package org.o365mail.testsupport;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A UTC clock that stands still until the test moves it, for code that takes a {@link Clock}: no test waits or
 * races the wall clock. Thread-safe (the instant is volatile); moved by one thread at a time.
 */
public final class MutableClock extends Clock {
  private volatile Instant now;

  public MutableClock(Instant start) {
    this.now = requireNonNull(start, "start");
  }

  /** Moves the clock to {@code instant}. */
  public void set(Instant instant) {
    now = requireNonNull(instant, "instant");
  }

  /** Moves the clock forward (or back, for a negative amount). */
  public void advance(Duration amount) {
    now = now.plus(amount);
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }

  @Override
  public Instant instant() {
    return now;
  }
}
