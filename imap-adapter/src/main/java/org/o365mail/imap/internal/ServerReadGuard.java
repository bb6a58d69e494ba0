package org.o365mail.imap.internal;

import static java.util.Objects.requireNonNull;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.o365mail.net.DeadlinedOutput;
import org.o365mail.net.StreamGuard;

/**
 * What a mail server sends, read through limits in size and in time, beneath Angus Mail's parsers. Angus reads
 * every IMAP response (its lines and the literals they announce) and every SMTP reply into memory whole, with no
 * limit: a {@code {2147483000}} literal, a line without CRLF or a reply that never ends would take the heap of the
 * whole JVM. This stream follows the framing Angus reads with and fails the read with a {@link
 * LimitExceededException} (an {@link IOException}, so Angus reports a lost connection) as soon as a line, an
 * announced literal or a whole response passes its limit, before Angus has asked for those bytes; and when a
 * response that has started trickles in slower than a minimum rate, or an operation outlasts its deadline. Once
 * failed it fails every later read the same way.
 *
 * <p>IMAP framing is Angus's own ({@code org.eclipse.angus.mail.iap.ResponseInputStream}, https://github.com/
 * eclipse-ee4j/angus-mail/blob/2.0.5/providers/imap/src/main/java/org/eclipse/angus/mail/iap/ResponseInputStream.java):
 * a line ends with CRLF
 * (the CR may be the last byte of a literal); a line ending {@code {n}} CRLF announces n literal bytes, after which
 * the same response goes on. Angus looks for the brace anywhere before the closing one, literal bytes included, and
 * takes a leading minus (a literal of no bytes); this stream does the same, and also counts {@code {n+}} (RFC 7888
 * LITERAL+, https://www.rfc-editor.org/rfc/rfc7888) and numbers too big for an int as literals, so it may count a
 * response longer than Angus does, never shorter. SMTP framing is Angus's {@code LineInputStream} and {@code
 * SMTPTransport.readServerResponse} (same repository and tag): lines end with LF, CR or CRLF; a reply goes on while a
 * line's fourth byte is {@code -} (https://www.rfc-editor.org/rfc/rfc5321#section-4.2.1).
 *
 * <p>Not thread-safe, like the socket stream it wraps; its {@link Budget} may be used from any thread.
 */
public final class ServerReadGuard extends FilterInputStream {
  /** How a server's answers are framed. */
  public enum Framing {
    /** IMAP responses: CRLF lines with literals. */
    IMAP,
    /** SMTP replies: lines, continued while the fourth byte is {@code -}. */
    SMTP
  }

  /**
   * Limits of one connection's reads.
   *
   * @param maxLine bytes of one line, without literals
   * @param maxLiteral bytes of one literal
   * @param maxResponse bytes of one response (its lines and literals) or one SMTP reply
   * @param responseTime how long a response may take from its first byte, before the allowance for its size
   * @param operationTime how long an operation may read, before the allowance for its size
   * @param minBytesPerSecond the rate that earns more time: each this many bytes add one second to both times, in
   *     the manner of Apache httpd's mod_reqtimeout {@code MinRate}
   *     (https://httpd.apache.org/docs/2.4/mod/mod_reqtimeout.html)
   */
  public record Limits(int maxLine, long maxLiteral, long maxResponse, Duration responseTime,
      Duration operationTime, long minBytesPerSecond) {
    public Limits {
      requireNonNull(responseTime, "responseTime");
      requireNonNull(operationTime, "operationTime");
      if (maxLine <= 0 || maxLiteral < 0 || maxResponse <= 0 || minBytesPerSecond <= 0) {
        throw new IllegalArgumentException("limits must be positive");
      }
    }

    /**
     * IMAP: lines and literals up to 16 MiB, responses up to 24 MiB. A literal is a body chunk of at most 8 MiB
     * (the partial fetches of {@link BodyStream}) or a message of about 1 MB read ahead, whose size Exchange
     * reports only roughly; everything else (ENVELOPE strings, headers fetched for Message-ID) is small. The longest
     * line is a {@code * SEARCH} answer: Exchange Online holds at most a million items per folder
     * (https://learn.microsoft.com/en-us/office365/servicedescriptions/exchange-online-service-description/exchange-online-limits#mailbox-folder-limits),
     * about 9 MB of UIDs. A response that has started must go on at 1 KiB/s after {@code readTimeout}; an
     * operation may read for ten read timeouts plus that allowance.
     */
    public static Limits imap(Duration readTimeout) {
      return new Limits(16 << 20, 16L << 20, 24L << 20, readTimeout, readTimeout.multipliedBy(10), 1024);
    }

    /**
     * SMTP: lines up to 64 KiB and replies up to 1 MiB. RFC 5321 section 4.5.3.1.5 allows 512 bytes a reply line;
     * the largest real replies are EHLO's few dozen lines. Rates and times as for IMAP.
     */
    public static Limits smtp(Duration readTimeout) {
      return new Limits(64 << 10, 0, 1L << 20, readTimeout, readTimeout.multipliedBy(10), 1024);
    }
  }

  /** A read refused because the server's answer passed a limit; its message names the server and the limit. */
  public static final class LimitExceededException extends IOException {
    private static final long serialVersionUID = 1L;

    /** Which limit was passed. */
    public enum Kind {
      LINE, LITERAL, RESPONSE, TOO_SLOW, DEADLINE, WRITE_STALLED;

      /** Whether the limit is one of time (the server may be sound but slow) rather than of size. */
      public boolean ofTime() {
        return this == TOO_SLOW || this == DEADLINE || this == WRITE_STALLED;
      }
    }

    private final Kind kind;
    private final long limit;

    LimitExceededException(Kind kind, long limit, String message) {
      super(message);
      this.kind = kind;
      this.limit = limit;
    }

    public Kind kind() {
      return kind;
    }

    /** The limit passed: bytes, or milliseconds for the limits of time. */
    public long limit() {
      return limit;
    }
  }

  /**
   * The limits and the running operation of one connection, shared by the streams of its sockets (the plain one
   * and the TLS one after STARTTLS): the {@link StreamGuard} of core's {@link org.o365mail.net.GuardedSockets}, whose
   * inputs are {@link #guard}ed and whose outputs {@link #deadlined}. Thread-safe.
   */
  public static final class Budget implements StreamGuard {
    private final String server;
    private final Framing framing;
    private final Limits limits;
    private final LongSupplier nanoTime;
    private final java.util.concurrent.ScheduledExecutorService watchdog;
    private volatile boolean operation;
    private volatile long operationStart;
    private volatile long operationBytes;
    private final java.util.List<java.net.Socket> sockets = new java.util.concurrent.CopyOnWriteArrayList<>();

    /**
     * @param server {@code host:port}, for messages
     * @param nanoTime the clock ({@code System::nanoTime})
     */
    public Budget(String server, Framing framing, Limits limits, LongSupplier nanoTime) {
      this(server, framing, limits, nanoTime, DefaultThreads.watchdog());
    }

    /**
     * @param server {@code host:port}, for messages
     * @param nanoTime the clock ({@code System::nanoTime})
     * @param watchdog where the deadlines of writes run (see {@link #deadlined})
     */
    public Budget(String server, Framing framing, Limits limits, LongSupplier nanoTime,
        java.util.concurrent.ScheduledExecutorService watchdog) {
      this.server = requireNonNull(server, "server");
      this.framing = requireNonNull(framing, "framing");
      this.limits = requireNonNull(limits, "limits");
      this.nanoTime = requireNonNull(nanoTime, "nanoTime");
      this.watchdog = requireNonNull(watchdog, "watchdog");
    }

    public Limits limits() {
      return limits;
    }

    /** Starts an operation: from now on, reads end with {@link Limits#operationTime} (plus the rate allowance). */
    public void startOperation() {
      operationBytes = 0;
      operationStart = nanoTime.getAsLong();
      operation = true;
    }

    /** Ends the operation; reads outside one are bounded per response only. */
    public void endOperation() {
      operation = false;
    }

    /** A guarded stream over {@code in}. */
    public ServerReadGuard guard(InputStream in) {
      return new ServerReadGuard(in, this);
    }

    @Override
    public InputStream input(InputStream in) {
      return guard(in);
    }

    @Override
    public OutputStream output(OutputStream out, java.net.Socket socket) {
      return deadlined(out, socket);
    }

    /**
     * {@code out} with a deadline on each write and flush: one that has not returned after {@link
     * Limits#responseTime} (the read timeout; the server stopped taking data, and its TCP window stays shut) closes
     * {@code socket}, which ends the write, and fails with a {@link LimitExceededException}.
     */
    public OutputStream deadlined(OutputStream out, java.net.Socket socket) {
      sockets.add(socket);
      long millis = limits.responseTime().toMillis();
      return new DeadlinedOutput(out, socket, limits.responseTime(), watchdog,
          () -> new LimitExceededException(LimitExceededException.Kind.WRITE_STALLED, millis, "the server at " + server
              + " took no data for " + millis + " ms; stopped writing"));
    }

    /**
     * Runs {@link #abort} after {@code millis} on this budget's watchdog, unless the returned future is cancelled
     * first: a goodbye that must not wait for the read timeout.
     */
    java.util.concurrent.ScheduledFuture<?> abortAfter(long millis) {
      return watchdog.schedule(this::abort, millis, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /**
     * Closes the sockets whose writes this budget bounds (see {@link #deadlined}), from any thread: a read or write
     * blocked on them ends at once with an exception. For a goodbye that must not wait for the read timeout.
     */
    public void abort() {
      for (java.net.Socket s : sockets) {
        try {
          s.close();
        } catch (java.io.IOException e) {
          // closing is all that was asked; a socket that fails to close is gone as far as this connection goes
        }
      }
    }
  }

  private static final int NO_BRACE = 0;
  private static final int OPEN = 1;
  private static final int CLOSED = 2;
  private static final int CLOSED_CR = 3;
  private static final long NANOS = 1_000_000_000L;

  private final Budget budget;
  private final Limits limits;
  private final boolean imap;
  private IOException failure;
  private final byte[] one = new byte[1];

  // framing state
  private long lineLength;
  private long responseLength;
  private long responseStart;
  private long literalLeft;
  private int previous = -1;
  private int brace = NO_BRACE;
  private boolean negative;
  private boolean plus;
  private int digits;
  private long announced;
  private final byte[] smtpHead = new byte[4];

  private ServerReadGuard(InputStream in, Budget budget) {
    super(requireNonNull(in, "in"));
    this.budget = budget;
    this.limits = budget.limits;
    this.imap = budget.framing == Framing.IMAP;
  }

  @Override
  public int read() throws IOException {
    int n;
    do {
      n = read(one, 0, 1);
    } while (n == 0);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (failure != null) {
      throw failure;
    }
    int n = in.read(b, off, len);
    if (n <= 0) {
      return n;
    }
    try {
      long now = budget.nanoTime.getAsLong();
      for (int i = 0; i < n; i++) {
        accept(b[off + i] & 0xff, now);
      }
      if (budget.operation) {
        budget.operationBytes += n;
      }
      checkTime(now);
    } catch (LimitExceededException e) {
      failure = e;
      throw e;
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    // every byte passes through the framing
    byte[] buffer = new byte[(int) Math.min(n, 8192)];
    int read = read(buffer, 0, buffer.length);
    return Math.max(read, 0);
  }

  @Override
  public boolean markSupported() {
    return false;
  }

  private void accept(int c, long now) throws LimitExceededException {
    if (responseLength == 0) {
      responseStart = now;
    }
    if (++responseLength > limits.maxResponse()) {
      throw exceeded(LimitExceededException.Kind.RESPONSE, limits.maxResponse(),
          (imap ? "a response" : "a reply") + " longer than " + size(limits.maxResponse()));
    }
    if (imap) {
      acceptImap(c);
    } else {
      acceptSmtp(c);
    }
  }

  private void acceptImap(int c) throws LimitExceededException {
    boolean inLiteral = literalLeft > 0;
    if (inLiteral) {
      literalLeft--;
    } else if (++lineLength > limits.maxLine()) {
      throw exceeded(LimitExceededException.Kind.LINE, limits.maxLine(),
          "a line longer than " + size(limits.maxLine()) + " without CRLF");
    }
    int before = previous;
    previous = c;
    boolean literalAnnounced = brace == CLOSED_CR && c == '\n';
    trackBrace(c);
    if (inLiteral || c != '\n' || before != '\r') {
      return; // bytes of a literal never end a line, though they count as the byte before one
    }
    lineLength = 0;
    if (!literalAnnounced) {
      endResponse();
      return;
    }
    long count = negative ? 0 : announced;
    if (count > limits.maxLiteral()) {
      throw exceeded(LimitExceededException.Kind.LITERAL, limits.maxLiteral(),
          "a literal of " + (announced == Long.MAX_VALUE ? "more than 2^63" : Long.toString(announced))
              + " bytes, more than " + size(limits.maxLiteral()));
    }
    if (responseLength + count > limits.maxResponse()) {
      throw exceeded(LimitExceededException.Kind.RESPONSE, limits.maxResponse(),
          "a response longer than " + size(limits.maxResponse()));
    }
    literalLeft = count;
  }

  /** Follows {@code {[-]digits[+]}} ending a line, over every byte of a response (literal bytes included). */
  private void trackBrace(int c) {
    if (c == '{') {
      brace = OPEN;
      negative = false;
      plus = false;
      digits = 0;
      announced = 0;
    } else if (brace == OPEN && c == '-' && digits == 0 && !negative) {
      negative = true;
    } else if (brace == OPEN && c >= '0' && c <= '9' && !plus) {
      digits++;
      announced = announced > (Long.MAX_VALUE - 9) / 10 ? Long.MAX_VALUE : announced * 10 + (c - '0');
    } else if (brace == OPEN && c == '+' && digits > 0 && !plus) {
      plus = true;
    } else if (brace == OPEN && c == '}' && digits > 0) {
      brace = CLOSED;
    } else if (brace == CLOSED && c == '\r') {
      brace = CLOSED_CR;
    } else {
      brace = NO_BRACE;
    }
  }

  private void acceptSmtp(int c) throws LimitExceededException {
    int before = previous;
    previous = c;
    if ((c == '\n' || c == '\r') && before == '\r') {
      return; // the LF of a CRLF (or a CR doubled, as Angus reads CRCRLF): the line ended at the first CR
    }
    if (c == '\n' || c == '\r') {
      // Angus reads the reply on while the line's fourth character is '-'; a line whose first four bytes are not
      // all ASCII may decode to other characters, so it is taken to go on (counted longer, never shorter)
      boolean goesOn = lineLength >= 4 && (smtpHead[3] == '-' || !ascii(smtpHead));
      lineLength = 0;
      if (!goesOn) {
        endResponse();
      }
      return;
    }
    if (lineLength < 4) {
      smtpHead[(int) lineLength] = (byte) c;
    }
    if (++lineLength > limits.maxLine()) {
      throw exceeded(LimitExceededException.Kind.LINE, limits.maxLine(),
          "a reply line longer than " + size(limits.maxLine()) + " without a line end");
    }
  }

  private static boolean ascii(byte[] head) {
    for (byte b : head) {
      if (b < 0) {
        return false;
      }
    }
    return true;
  }

  private void endResponse() {
    responseLength = 0;
    lineLength = 0;
    literalLeft = 0;
    previous = -1;
    brace = NO_BRACE;
  }

  private void checkTime(long now) throws LimitExceededException {
    if (responseLength > 0) {
      long allowed = limits.responseTime().toNanos() + allowance(responseLength);
      if (now - responseStart > allowed) {
        throw exceeded(LimitExceededException.Kind.TOO_SLOW, limits.responseTime().toMillis(),
            "an answer trickling in: " + responseLength + " bytes in " + (now - responseStart) / 1_000_000
                + " ms, slower than " + limits.minBytesPerSecond() + " bytes/s after the first "
                + limits.responseTime().toMillis() + " ms");
      }
    }
    if (budget.operation) {
      long allowed = limits.operationTime().toNanos() + allowance(budget.operationBytes);
      if (now - budget.operationStart > allowed) {
        throw exceeded(LimitExceededException.Kind.DEADLINE, limits.operationTime().toMillis(),
            "answers to one operation for " + (now - budget.operationStart) / 1_000_000 + " ms (at most "
                + limits.operationTime().toMillis() + " ms plus one second per " + limits.minBytesPerSecond()
                + " bytes)");
      }
    }
  }

  private long allowance(long bytes) {
    long seconds = bytes / limits.minBytesPerSecond();
    return seconds > Long.MAX_VALUE / NANOS ? Long.MAX_VALUE / 2 : seconds * NANOS;
  }

  private LimitExceededException exceeded(LimitExceededException.Kind kind, long limit, String what) {
    return new LimitExceededException(kind, limit, "the server at " + budget.server + " sent " + what
        + "; stopped reading");
  }

  private static String size(long bytes) {
    if (bytes >= (1 << 20) && bytes % (1 << 20) == 0) {
      return (bytes >> 20) + " MiB";
    }
    if (bytes >= 1024 && bytes % 1024 == 0) {
      return (bytes >> 10) + " KiB";
    }
    return bytes + " bytes";
  }
}
