package org.o365mail.cli;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * What a command does when the process is told to stop (SIGTERM, or Ctrl-C's SIGINT): its stop action runs at once
 * on a thread of its own, and the JVM waits for the command to end (print its summary, close its files) for at most
 * {@link #GRACE}, then halts whatever is still running. Every wait of a command is then bounded by the grace,
 * whatever a server does: a socket read that ignores interrupts, an IMAP IDLE or a handler in its back-off does not
 * hold the process.
 *
 * <p>Halting in the middle of an import is what a crash does, and the importer's checkpoint (written, synced and
 * renamed after each message) is made for that: a restarted import delivers every message exactly once. The exit
 * code is the JVM's for the signal, 143 after SIGTERM and 130 after SIGINT (128 + the signal's number), as for any
 * process ended by a signal.
 *
 * <p>Install one per command run, and close it when the command is done (normally it then never runs). Thread-safe.
 */
final class StopSignal implements AutoCloseable {
  /** How long the JVM waits for a stopping command before it halts: "within a second or two" of the signal. */
  static final Duration GRACE = Duration.ofMillis(1500);

  private final String name;
  private final CountDownLatch requested = new CountDownLatch(1);
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final CountDownLatch finished = new CountDownLatch(1);
  private final Thread hook;
  private volatile Runnable action = () -> { };

  private StopSignal(String name) {
    this.name = name;
    this.hook = new Thread(this::onSignal, name + "-shutdown");
  }

  /** Installs a shutdown hook for the command {@code name}, with no stop action yet. */
  static StopSignal install(String name) {
    StopSignal s = new StopSignal(name);
    Runtime.getRuntime().addShutdownHook(s.hook);
    return s;
  }

  /** The action to run when the process is told to stop, e.g. closing an importer so that its pass ends. */
  void onStop(Runnable value) {
    this.action = value;
  }

  /** Whether the process was told to stop. */
  boolean requested() {
    return requested.getCount() == 0;
  }

  /** Waits until the process is told to stop. */
  void awaitRequested() throws InterruptedException {
    requested.await();
  }

  /** Waits at most {@code timeout} for the stop action to end; returns whether it did. */
  boolean awaitStopped(Duration timeout) throws InterruptedException {
    return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void onSignal() {
    requested.countDown();
    Thread stopper = new Thread(() -> {
      try {
        action.run();
      } finally {
        stopped.countDown();
      }
    }, name + "-stop");
    stopper.setDaemon(true);
    stopper.start();
    try {
      // the command's own thread finishes (summary printed, files closed) or the JVM halts without it
      finished.await(GRACE.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The command is done: a signal from now on ends the process at once, and a normal exit runs no hook. */
  @Override
  public void close() {
    finished.countDown();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // the JVM is already shutting down: the hook has run, or runs now and returns at once
    }
  }
}
