package org.o365mail.imap.internal;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * The threads a connector or sender uses when its builder is given no executor: one daemon thread that ends IDLE
 * cycles ({@code o365mail-imap-idle-N}) and one that ends writes a server stopped taking ({@code
 * o365mail-imap-watchdog-N}), each started on first use and shared by the connectors that were given none. They
 * only run short timer tasks, hold no state of any connector and are never shut down (they are daemons). Thread-safe.
 */
public final class DefaultThreads {
  private DefaultThreads() {}

  /** Timers of IDLE cycles. */
  public static ScheduledExecutorService idleTimers() {
    return Idle.EXECUTOR;
  }

  /** The write watchdog (see {@link ServerReadGuard.Budget#deadlined}). */
  public static ScheduledExecutorService watchdog() {
    return Watchdog.EXECUTOR;
  }

  private static ScheduledThreadPoolExecutor timers(String name) {
    ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, SdkThreads.factory(name));
    executor.setRemoveOnCancelPolicy(true);
    return executor;
  }

  private static final class Idle {
    static final ScheduledExecutorService EXECUTOR = timers("imap-idle");
  }

  private static final class Watchdog {
    static final ScheduledExecutorService EXECUTOR = timers("imap-watchdog");
  }
}
