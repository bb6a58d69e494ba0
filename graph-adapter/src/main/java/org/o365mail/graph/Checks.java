package org.o365mail.graph;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.o365mail.MailboxException;

/**
 * Argument checks and waits the connector's parts share: this module's own, so that it uses only core's API.
 * Stateless.
 */
final class Checks {
  private Checks() {}

  /** {@code value}, if it is a positive duration. */
  static Duration positive(Duration value, String name) {
    requireNonNull(value, name);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, was " + value);
    }
    return value;
  }

  /**
   * The result of {@code future}. A runtime exception or error it ended with is thrown as it was; a checked one is
   * wrapped in a {@link MailboxException} saying what failed; an interrupt keeps the thread's flag.
   *
   * @param what what was waited for, for messages: {@code "fetching a page"}
   */
  static <T> T await(Future<T> future, String what) {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new MailboxException("interrupted while " + what, e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw new MailboxException(what + " failed", e.getCause());
    }
  }
}
