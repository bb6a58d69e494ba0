package org.o365mail.importer;

import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.o365mail.internal.SdkThreads;

/**
 * The bounded set of threads that runs importers: one scheduler serves hundreds of mailboxes, each importer
 * running one cycle at a time and then scheduling its next. Thread-safe; close it after the importers.
 */
public final class ImportScheduler implements AutoCloseable {
  private final ScheduledThreadPoolExecutor executor;
  private final AtomicInteger peakActive = new AtomicInteger();
  private final AtomicInteger active = new AtomicInteger();

  private ImportScheduler(int threads) {
    this.executor = new ScheduledThreadPoolExecutor(threads, SdkThreads.factory("import"));
    this.executor.setRemoveOnCancelPolicy(true);
  }

  /** A scheduler with {@code threads} threads (1 to 256). */
  public static ImportScheduler create(int threads) {
    if (threads < 1 || threads > 256) {
      throw new IllegalArgumentException("threads must be 1 to 256, was " + threads);
    }
    return new ImportScheduler(threads);
  }

  void schedule(Runnable cycle, long delayMillis) {
    if (!executor.isShutdown()) {
      executor.schedule(() -> {
        int now = active.incrementAndGet();
        peakActive.accumulateAndGet(now, Math::max);
        try {
          cycle.run();
        } finally {
          active.decrementAndGet();
        }
      }, Math.max(0, delayMillis), TimeUnit.MILLISECONDS);
    }
  }

  /** The most cycles that ran at once. */
  public int peakActiveCycles() {
    return peakActive.get();
  }

  public int threads() {
    return executor.getCorePoolSize();
  }

  @Override
  public void close() {
    executor.shutdownNow();
    try {
      executor.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
