package org.o365mail.graph;

import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.o365mail.graph.internal.Batcher;

/**
 * The threads a connector does its own work on, shared by a connector and those {@link
 * GraphMailboxConnector#forMailbox} made from it; the last to close shuts down the threads it started. By default
 * two read ahead for importers (one batch or page ahead each, however many mailboxes), and {@link
 * GraphMailboxConnector#forEachMime}, which keeps up to four batches of one mailbox in flight, has four of its own,
 * started when first needed; all are named daemon threads that end when idle. An executor the caller gave runs both
 * kinds of work instead and is never shut down here. Thread-safe.
 */
final class ConnectorThreads {
  /** The caller's executor, or null for the connector's own threads. */
  private final Executor given;
  private final ExecutorService readAhead;
  private ExecutorService bulk;
  private final AtomicInteger users = new AtomicInteger(1);

  /** @param given the caller's executor (not shut down by {@link #release()}), or null for threads of our own */
  ConnectorThreads(Executor given) {
    this.given = given;
    this.readAhead = given == null ? pool("o365mail-graph-prefetch-", 2) : null;
  }

  private static ExecutorService pool(String name, int size) {
    AtomicInteger threads = new AtomicInteger();
    ThreadPoolExecutor p = new ThreadPoolExecutor(size, size, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
        r -> {
          Thread t = new Thread(r, name + threads.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    p.allowCoreThreadTimeOut(true); // hundreds of idle mailboxes hold no thread
    return p;
  }

  /** Where reads ahead (of pages, of MIME for importers, of a folder look-up) run. */
  Executor readAhead() {
    return given != null ? given : readAhead;
  }

  /** Where the batches {@code forEachMime} keeps in flight run. */
  synchronized Executor bulk() {
    if (given != null) {
      return given;
    }
    if (bulk == null) {
      bulk = pool("o365mail-graph-bulk-", Batcher.SERVER_PARALLELISM);
    }
    return bulk;
  }

  /** One more connector using these threads. */
  ConnectorThreads share() {
    users.incrementAndGet();
    return this;
  }

  /** A connector closed: the last one shuts down the threads started here (never the caller's executor). */
  void release() {
    if (users.decrementAndGet() == 0 && given == null) {
      readAhead.shutdownNow();
      synchronized (this) {
        if (bulk != null) {
          bulk.shutdownNow();
        }
      }
    }
  }
}
