package org.o365mail.imap.internal;

import static java.util.Objects.requireNonNull;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.o365mail.imap.internal.ServerReadGuard.Budget;
import org.o365mail.imap.internal.ServerReadGuard.LimitExceededException;

/** Writes that end within the read timeout, or close the socket (see {@link Budget#deadlined}). */
final class DeadlinedOutput extends FilterOutputStream {
  private final Socket socket;
  private final Budget budget;
  private volatile boolean expired;

  DeadlinedOutput(OutputStream out, Socket socket, Budget budget) {
    super(requireNonNull(out, "out"));
    this.socket = requireNonNull(socket, "socket");
    this.budget = budget;
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
      throw stalled(e);
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
      throw stalled(e);
    } finally {
      alarm.cancel(false);
    }
  }

  private ScheduledFuture<?> arm() throws IOException {
    if (expired) {
      throw stalled(null);
    }
    return budget.watchdog().schedule(this::expire, budget.limits().responseTime().toNanos(),
        TimeUnit.NANOSECONDS);
  }

  private void expire() {
    expired = true;
    try {
      socket.close();
    } catch (IOException e) {
      // closing is all that was left to do
    }
  }

  private IOException stalled(IOException cause) {
    if (!expired) {
      return cause;
    }
    LimitExceededException e = new LimitExceededException(LimitExceededException.Kind.WRITE_STALLED,
        budget.limits().responseTime().toMillis(), "the server at " + budget.server() + " took no data for "
            + budget.limits().responseTime().toMillis() + " ms; stopped writing");
    if (cause != null) {
      e.initCause(cause);
    }
    return e;
  }
}
