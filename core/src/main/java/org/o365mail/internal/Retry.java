package org.o365mail.internal;

import java.time.Duration;
import java.util.function.Supplier;
import org.o365mail.MailboxException;
import org.o365mail.ThrottledException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Bounded retry of transient failures: Retry-After when the service gave one, else 0.5 s, 1 s, 2 s ... */
public final class Retry {
  private static final Logger logger = LoggerFactory.getLogger(Retry.class);
  private static final Duration MAX_WAIT = Duration.ofSeconds(60);

  private Retry() {}

  public static <T> T run(Supplier<T> action, int maxAttempts, Sleeper sleeper, String what) {
    Duration backoff = Duration.ofMillis(500);
    for (int attempt = 1; ; attempt++) {
      try {
        return action.get();
      } catch (MailboxException e) {
        if (!e.retryable() || attempt >= maxAttempts) {
          throw e;
        }
        Duration wait = backoff;
        if (e instanceof ThrottledException t && t.retryAfter().isPresent()) {
          wait = t.retryAfter().get();
        }
        if (wait.compareTo(MAX_WAIT) > 0) {
          throw e;
        }
        logger.debug("{} failed with {} (attempt {} of {}); retrying in {} ms", what,
            e.serviceErrorCode().orElse(e.getClass().getSimpleName()), attempt, maxAttempts, wait.toMillis());
        try {
          sleeper.sleep(wait);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new MailboxException("interrupted while waiting to retry " + what, e);
        }
        backoff = backoff.multipliedBy(2);
      }
    }
  }
}
