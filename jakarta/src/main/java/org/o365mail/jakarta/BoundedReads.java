package org.o365mail.jakarta;

import static java.util.Objects.requireNonNull;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.o365mail.net.DeadlinedOutput;
import org.o365mail.net.GuardedSockets;
import org.o365mail.net.StreamGuard;

/**
 * What Angus Mail reads from the server, through bounds of size. Angus reads an IMAP response line, the literal it
 * announces, and an SMTP reply into memory whole and without a limit; these streams follow that framing and fail the
 * read with a {@link BoundExceededException} as soon as a line, an announced literal or a reply passes its bound. The
 * framing followed: IMAP lines end with LF (after CR); a line whose last bytes before CRLF are {@code {n}} or {@code
 * {n+}} announces n literal bytes, after which the response goes on with another line. SMTP lines end with LF; a
 * reply goes on while a line's fourth byte is {@code -}.
 *
 * <p>Time: Angus's own {@code connectiontimeout}, {@code timeout} (each read) and {@code writetimeout}, and here a
 * minimum rate: a response that has started may take {@link Limits#responseTime} and one more second for each {@link
 * Limits#minBytesPerSecond} bytes of it, so a server trickling a byte just within each read timeout is given up too
 * (in the manner of Apache httpd's mod_reqtimeout {@code MinRate}).
 *
 * <p>The sockets are core's {@link GuardedSockets}, given a {@link Guard}. The limits and guards are immutable and
 * thread-safe; each stream belongs to one connection.
 */
final class BoundedReads {
  private BoundedReads() {}

  /**
   * The {@link StreamGuard} of a session's sockets: reads through a {@link BoundedInput}; for IMAP, writes through a
   * {@link LoginRefusingOutput}; and with a write deadline (where Angus's own {@code writetimeout} cannot be used),
   * each write given up after it.
   *
   * @param limits the bounds of the reads
   * @param server {@code host:port}, for messages
   * @param writeDeadline how long one write may take, or null when Angus's {@code writetimeout} bounds the writes
   */
  record Guard(Limits limits, String server, Duration writeDeadline) implements StreamGuard {
    Guard {
      requireNonNull(limits, "limits");
      requireNonNull(server, "server");
    }

    @Override
    public InputStream input(InputStream in) {
      return new BoundedInput(in, limits, server);
    }

    @Override
    public OutputStream output(OutputStream out, Socket socket) {
      OutputStream o = out;
      if (writeDeadline != null) {
        long millis = writeDeadline.toMillis();
        o = new DeadlinedOutput(o, socket, writeDeadline,
            () -> new IOException(server + " took no data for " + millis + " ms; the connection is given up"));
      }
      return limits.imap() ? new LoginRefusingOutput(o, server) : o;
    }
  }

  /**
   * Bounds of one connection's reads.
   *
   * @param imap IMAP framing (else SMTP)
   * @param maxLine bytes of one line, literals not counted
   * @param maxLiteral bytes one IMAP literal may announce
   * @param maxReply bytes of one SMTP reply, all its lines
   * @param responseTime how long a response (an IMAP line with its literals, an SMTP reply) may take from its first
   *     byte, before the allowance for its size
   * @param minBytesPerSecond the rate that earns more time: each this many bytes add a second to {@code
   *     responseTime}, so a server that has started to answer must go on at this rate
   */
  record Limits(boolean imap, int maxLine, long maxLiteral, long maxReply, Duration responseTime,
      long minBytesPerSecond) {
    /** IMAP: lines up to 16 MiB (a SEARCH answer of a folder of a million items is about 9 MB), literals as given. */
    static Limits imap(long maxLiteral, Duration responseTime) {
      return new Limits(true, 16 << 20, maxLiteral, Long.MAX_VALUE, responseTime, 1024);
    }

    /** SMTP: lines up to 64 KiB (RFC 5321 allows 512 bytes), replies up to 1 MiB (EHLO's are a few dozen lines). */
    static Limits smtp(Duration responseTime) {
      return new Limits(false, 64 << 10, 0, 1L << 20, responseTime, 1024);
    }
  }

  /** A read refused because the server's answer passed a bound; the message names the server and the bound. */
  static final class BoundExceededException extends IOException {
    private static final long serialVersionUID = 1L;

    BoundExceededException(String message) {
      super(message);
    }
  }

  /** The server's bytes, checked against {@link Limits} as they pass. Not thread-safe, like the stream it wraps. */
  static final class BoundedInput extends FilterInputStream {
    private final Limits limits;
    private final String server;
    private final byte[] tail = new byte[24];
    private int tailLength;
    private long lineBytes;
    private long replyBytes;
    private int fourth = -1;
    private long literalLeft;
    private BoundExceededException failure;
    private final LongSupplier nanoTime;
    private long responseStart = -1;
    private long responseBytes;

    BoundedInput(InputStream in, Limits limits, String server) {
      this(in, limits, server, System::nanoTime);
    }

    BoundedInput(InputStream in, Limits limits, String server, LongSupplier nanoTime) {
      super(in);
      this.limits = limits;
      this.server = server;
      this.nanoTime = nanoTime;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n <= 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (failure != null) {
        throw failure;
      }
      int n = super.read(b, off, len);
      if (n > 0) {
        long now = nanoTime.getAsLong();
        if (responseStart < 0) {
          responseStart = now;
        }
        responseBytes += n;
        long allowed = limits.responseTime().toNanos()
            + Math.min(responseBytes / limits.minBytesPerSecond(), Long.MAX_VALUE / 2_000_000_000L) * 1_000_000_000L;
        if (now - responseStart > allowed) {
          fail("an answer slower than " + limits.minBytesPerSecond() + " bytes/s after "
              + limits.responseTime().toSeconds() + " s");
        }
        check(b, off, n);
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      // skipped bytes would pass unframed: read them instead
      byte[] buffer = new byte[(int) Math.min(Math.max(n, 0), 8192)];
      int read = read(buffer, 0, buffer.length);
      return Math.max(read, 0);
    }

    private void check(byte[] b, int off, int n) throws BoundExceededException {
      int i = off;
      int end = off + n;
      while (i < end) {
        if (literalLeft > 0) {
          int take = (int) Math.min(literalLeft, end - i);
          literalLeft -= take;
          i += take;
          continue;
        }
        byte c = b[i++];
        if (c == '\n') {
          endOfLine();
          continue;
        }
        lineBytes++;
        if (lineBytes == 4) {
          fourth = c;
        }
        if (lineBytes > limits.maxLine()) {
          fail("a line longer than " + limits.maxLine() + " bytes");
        }
        if (!limits.imap()) {
          replyBytes++;
          if (replyBytes > limits.maxReply()) {
            fail("a reply longer than " + limits.maxReply() + " bytes");
          }
        }
        if (tailLength == tail.length) {
          System.arraycopy(tail, 1, tail, 0, tail.length - 1);
          tailLength--;
        }
        tail[tailLength++] = c;
      }
    }

    private void endOfLine() throws BoundExceededException {
      if (limits.imap()) {
        long announced = ImapLiteral.announced(tail, tailLength);
        if (announced > limits.maxLiteral()) {
          fail("a literal of " + announced + " bytes, more than " + limits.maxLiteral());
        }
        literalLeft = Math.max(announced, 0);
        if (announced < 0) {
          responseEnded();
        }
      } else if (fourth != '-') {
        replyBytes = 0;
        responseEnded();
      }
      lineBytes = 0;
      tailLength = 0;
      fourth = -1;
    }

    /** The next byte starts a new response, with a new allowance of time. */
    private void responseEnded() {
      responseStart = -1;
      responseBytes = 0;
    }

    private void fail(String what) throws BoundExceededException {
      failure = new BoundExceededException(server + " sent " + what + "; the connection is given up");
      throw failure;
    }
  }
}
