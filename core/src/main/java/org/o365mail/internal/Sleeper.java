package org.o365mail.internal;

import java.time.Duration;

/** Waits; injectable so retry and polling logic can be tested without real waits. */
@FunctionalInterface
public interface Sleeper {
  Sleeper REAL = d -> {
    if (!d.isNegative() && !d.isZero()) {
      Thread.sleep(d.toMillis(), (int) (d.toNanos() % 1_000_000));
    }
  };

  void sleep(Duration duration) throws InterruptedException;
}
