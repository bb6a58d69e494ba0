package org.o365mail.graph.internal;

import java.util.HashSet;
import java.util.Set;
import org.o365mail.Diagnosis;
import org.o365mail.MailboxException;
import org.o365mail.SetupStep;

/**
 * Keeps one listing's paging ({@code @odata.nextLink} after {@code @odata.nextLink}) from going on forever: a next
 * link the listing was given before is a loop and ends it at once; so do {@link DeltaSync#MAX_EMPTY_PAGES} empty
 * pages in a row, each with a next link. Delta sync keeps the same count in its stored state across calls
 * ({@link SyncCursor}); a listing lives in memory, so this does. Thread-safe.
 */
public final class PagingGuard {
  private final String what;
  private final Set<String> links = new HashSet<>();
  private int empty;

  /** @param what the listing, for the message ("listing messages of Inbox") */
  public PagingGuard(String what) {
    this.what = what;
  }

  /** Starts over (the listing is walked again from its first page). */
  public synchronized void reset() {
    links.clear();
    empty = 0;
  }

  /**
   * Counts a page of {@code entries} entries followed by {@code nextLink} (null at the end).
   *
   * @throws MailboxException if the link was given before in this listing, or too many empty pages came in a row
   */
  public synchronized void page(int entries, String nextLink) {
    if (nextLink == null) {
      return;
    }
    if (!links.add(SyncCursor.hash(nextLink))) {
      throw loop("Graph answered " + what + " with an @odata.nextLink it had already given (after " + links.size()
          + " page(s)): a paging loop, stopped");
    }
    empty = entries == 0 ? empty + 1 : 0;
    if (empty >= DeltaSync.MAX_EMPTY_PAGES) {
      throw loop("Graph answered " + what + " with " + DeltaSync.MAX_EMPTY_PAGES + " empty pages in a row, each with"
          + " a new @odata.nextLink (the connector's limit): a paging loop, stopped");
    }
  }

  private static MailboxException loop(String message) {
    return new MailboxException(message, Diagnosis.builder(SetupStep.SERVICE, "PagingLoop").summary(message)
        .fix("Retry later; the service may have recovered").retryable(true).build(), null);
  }
}
