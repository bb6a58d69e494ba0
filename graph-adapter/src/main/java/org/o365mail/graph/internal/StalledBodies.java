package org.o365mail.graph.internal;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.time.Duration;

/**
 * Streamed Graph bodies ({@code $value}) as handed to callers: when Graph goes silent for longer than the
 * connector's timeout, OkHttp gives up with a bare {@code SocketTimeoutException: timeout}; this says what stalled
 * and for how long, so the {@code MailboxException} a caller ends up with explains itself. Stateless; each guarded
 * stream is used by one thread at a time, like the stream it wraps.
 */
public final class StalledBodies {
  private StalledBodies() {}

  /** {@code in}, whose read timeouts name {@code what} ("the MIME of message ...") and {@code timeout}. */
  public static InputStream guard(InputStream in, String what, Duration timeout) {
    return new FilterInputStream(in) {
      @Override
      public int read() throws IOException {
        try {
          return super.read();
        } catch (SocketTimeoutException e) {
          throw stalled(e, what, timeout);
        }
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        try {
          return super.read(b, off, len);
        } catch (SocketTimeoutException e) {
          throw stalled(e, what, timeout);
        }
      }

      @Override
      public long skip(long n) throws IOException {
        try {
          return super.skip(n);
        } catch (SocketTimeoutException e) {
          throw stalled(e, what, timeout);
        }
      }
    };
  }

  static SocketTimeoutException stalled(SocketTimeoutException cause, String what, Duration timeout) {
    long millis = timeout.toMillis();
    String span = millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
    SocketTimeoutException e = new SocketTimeoutException("Graph sent no bytes of " + what + " for " + span
        + " (the connector's timeout) and the stream was abandoned; read it again");
    e.initCause(cause);
    return e;
  }
}
