package org.o365mail.net;

import static java.util.Objects.requireNonNull;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.o365mail.internal.SdkThreads;

/**
 * An output stream whose writes and flushes each end within a timeout: one that has not returned by then (the server
 * stopped taking data and its TCP window stays shut, so the write blocks for ever) closes the socket, which ends the
 * write, and fails with the exception {@code stalled} makes; every later write fails the same way. A socket's read
 * timeout bounds its reads only, never its writes.
 *
 * <p>Not thread-safe, like the stream it wraps; the deadline runs on the watchdog's thread.
 */
public final class DeadlinedOutput extends FilterOutputStream {
  private final Socket socket;
  private final long timeoutNanos;
  private final ScheduledExecutorService watchdog;
  private final Supplier<? extends IOException> stalled;
  private volatile boolean expired;

  /**
   * @param out the socket's output
   * @param socket what is closed when a write outlasts {@code timeout} (the TCP socket under {@code out})
   * @param timeout how long one write or flush may take
   * @param watchdog where the deadlines run; each write schedules one short task and cancels it
   * @param stalled the failure of a write given up (its message should name the server and the timeout)
   */
  public DeadlinedOutput(OutputStream out, Socket socket, Duration timeout, ScheduledExecutorService watchdog,
      Supplier<? extends IOException> stalled) {
    super(requireNonNull(out, "out"));
    this.socket = requireNonNull(socket, "socket");
    requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive, was " + timeout);
    }
    this.timeoutNanos = timeout.toNanos();
    this.watchdog = requireNonNull(watchdog, "watchdog");
    this.stalled = requireNonNull(stalled, "stalled");
  }

  /**
   * As {@link #DeadlinedOutput(OutputStream, Socket, Duration, ScheduledExecutorService, Supplier)} with the SDK's
   * shared watchdog: one daemon thread ({@code o365mail-write-watchdog-1}), started on first use, never shut down.
   */
  public DeadlinedOutput(OutputStream out, Socket socket, Duration timeout, Supplier<? extends IOException> stalled) {
    this(out, socket, timeout, Watchdog.EXECUTOR, stalled);
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    ScheduledFuture<?> alarm = arm();
    try {
      out.write(b, off, len);
    } catch (IOException e) {
      throw failure(e);
    } finally {
      alarm.cancel(false);
    }
  }

  @Override
  public void flush() throws IOException {
    ScheduledFuture<?> alarm = arm();
    try {
      out.flush();
    } catch (IOException e) {
      throw failure(e);
    } finally {
      alarm.cancel(false);
    }
  }

  private ScheduledFuture<?> arm() throws IOException {
    if (expired) {
      throw failure(null);
    }
    return watchdog.schedule(this::expire, timeoutNanos, TimeUnit.NANOSECONDS);
  }

  private void expire() {
    expired = true;
    try {
      socket.close();
    } catch (IOException e) {
      // closing is all that was left to do
    }
  }

  private IOException failure(IOException cause) {
    if (!expired) {
      return cause;
    }
    IOException e = stalled.get();
    if (cause != null && e.getCause() == null) {
      try {
        e.initCause(cause);
      } catch (IllegalStateException alreadySet) {
        // made with a cause of its own (null included): kept as made
      }
    }
    return e;
  }

  private static final class Watchdog {
    static final ScheduledExecutorService EXECUTOR = timers();

    private static ScheduledExecutorService timers() {
      ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, SdkThreads.factory("write-watchdog"));
      executor.setRemoveOnCancelPolicy(true);
      return executor;
    }
  }
}
