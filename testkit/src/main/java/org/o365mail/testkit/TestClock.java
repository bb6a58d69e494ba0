package org.o365mail.testkit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The local tenant's clock: the system clock plus an adjustable offset. Everything the tenant decides by
 * time (token {@code iat}/{@code exp}, secret and certificate end dates, device-code expiry, refresh-token
 * inactivity, IMAP sessions ending with {@code AccessTokenExpired}) reads this clock, so a test moves the
 * tenant into the future with {@link #advance(Duration)} instead of sleeping. Thread-safe.
 */
public final class TestClock extends Clock {
  private final Clock base;
  private final AtomicReference<Duration> offset = new AtomicReference<>(Duration.ZERO);

  TestClock() {
    this(Clock.systemUTC());
  }

  TestClock(Clock base) {
    this.base = Objects.requireNonNull(base, "base");
  }

  /** Moves the tenant's time forward (or back, for a negative duration) by {@code amount}. */
  public void advance(Duration amount) {
    Objects.requireNonNull(amount, "amount");
    offset.updateAndGet(current -> current.plus(amount));
  }

  /** Sets the offset from the system clock; a non-zero offset is also how a skewed server clock is simulated. */
  public void setOffset(Duration newOffset) {
    offset.set(Objects.requireNonNull(newOffset, "newOffset"));
  }

  public Duration offset() {
    return offset.get();
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException("the tenant clock is always UTC");
  }

  @Override
  public Instant instant() {
    return base.instant().plus(offset.get());
  }

  @Override
  public long millis() {
    return instant().toEpochMilli();
  }

  @Override
  public String toString() {
    return "TestClock[offset=" + offset.get() + "]";
  }
}
