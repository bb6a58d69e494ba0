package org.o365mail.internal;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.o365mail.MailboxException;

/** Waiting for work another thread does, with its failure thrown as that thread met it. */
public final class Futures {
  private Futures() {}

  /**
   * The result of {@code future}. A runtime exception or error it ended with is thrown as it was; a checked one is
   * wrapped in a {@link MailboxException} saying what failed; an interrupt keeps the thread's flag.
   *
   * @param what what was waited for, for messages: {@code "fetching a page"}
   */
  public static <T> T await(Future<T> future, String what) {
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
