package org.o365mail.imap.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.angus.mail.iap.ResponseInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.o365mail.imap.internal.ServerReadGuard.Framing;
import org.o365mail.imap.internal.ServerReadGuard.LimitExceededException;
import org.o365mail.imap.internal.ServerReadGuard.LimitExceededException.Kind;
import org.o365mail.imap.internal.ServerReadGuard.Limits;

/**
 * The guard beneath Angus's parsers: IMAP framing (lines, {@code {n}} and {@code {n+}} literals, literals announced
 * across read boundaries and inside other literals), SMTP framing (continued replies), the limits at their exact
 * edge, and the limits of time on an injected clock.
 */
@Timeout(30)
class ServerReadGuardTest {
  private static final String SERVER = "imap.test:993";
  private static final Duration LONG = Duration.ofHours(1);

  private final AtomicLong nanos = new AtomicLong();

  private ServerReadGuard.Budget budget(Framing framing, int maxLine, long maxLiteral, long maxResponse) {
    return new ServerReadGuard.Budget(SERVER, framing, new Limits(maxLine, maxLiteral, maxResponse, LONG, LONG, 1024),
        nanos::get);
  }

  /** Hands out at most {@code step} bytes a read, advancing the clock by {@code tick} before each. */
  private InputStream chunked(byte[] bytes, int step, Duration tick) {
    return new InputStream() {
      private int position;

      @Override
      public int read() {
        throw new UnsupportedOperationException("Angus reads in blocks through its buffer");
      }

      @Override
      public int read(byte[] b, int off, int len) {
        nanos.addAndGet(tick.toNanos());
        if (position >= bytes.length) {
          return -1;
        }
        int n = Math.min(Math.min(len, step), bytes.length - position);
        System.arraycopy(bytes, position, b, off, n);
        position += n;
        return n;
      }
    };
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static byte[] readAll(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[2048];
    int n;
    while ((n = in.read(buffer, 0, buffer.length)) != -1) {
      out.write(buffer, 0, n);
    }
    return out.toByteArray();
  }

  private static LimitExceededException failure(ThrowingRead read) {
    try {
      read.run();
    } catch (LimitExceededException e) {
      return e;
    } catch (IOException e) {
      throw new AssertionError("not the guard's failure", e);
    }
    throw new AssertionError("the read was not refused");
  }

  @FunctionalInterface
  private interface ThrowingRead {
    void run() throws IOException;
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 7, 2048})
  void literals_areFollowedAcrossReadBoundaries_andTheirBytesAreNeverTakenForLines(int step) throws IOException {
    String literal = "x".repeat(40) + "\r\n{999999}\r\n" + "y".repeat(10); // 62 bytes: a line, a brace, no line end
    byte[] wire = ascii("* 1 FETCH (BODY[] {62}\r\n" + literal + ")\r\n"
        + "* 2 FETCH (BODY[] {62+}\r\n" + literal + ")\r\n"
        + "A1 OK done\r\n");
    ServerReadGuard guard = budget(Framing.IMAP, 30, 62, 200).guard(chunked(wire, step, Duration.ZERO));

    assertThat(readAll(guard)).isEqualTo(wire);
  }

  @Test
  void literalAtTheLimit_passes_andOneByteMore_isRefusedAtItsAnnouncement() throws IOException {
    byte[] atLimit = ascii("* 1 FETCH (BODY[] {64}\r\n" + "z".repeat(64) + ")\r\n");
    assertThat(readAll(budget(Framing.IMAP, 100, 64, 1000).guard(chunked(atLimit, 5, Duration.ZERO))))
        .isEqualTo(atLimit);

    // the 65 bytes are there to be read: the guard stops before them
    byte[] over = ascii("* 1 FETCH (BODY[] {65}\r\n" + "z".repeat(65) + ")\r\n");
    ServerReadGuard guard = budget(Framing.IMAP, 100, 64, 1000).guard(chunked(over, 5, Duration.ZERO));
    LimitExceededException e = failure(() -> readAll(guard));
    assertThat(e.kind()).isEqualTo(Kind.LITERAL);
    assertThat(e.limit()).isEqualTo(64);
    assertThat(e.getMessage()).contains(SERVER, "a literal of 65 bytes", "more than 64 bytes");
  }

  @Test
  void hugeAnnouncedLiteral_isRefusedAtTheLineThatAnnouncesIt() {
    byte[] wire = ascii("* 1 FETCH (UID 7 BODY[] {2147483000}\r\n");
    ServerReadGuard guard = budget(Framing.IMAP, 1 << 20, 16 << 20, 24 << 20).guard(chunked(wire, 2048,
        Duration.ZERO));

    LimitExceededException e = failure(() -> readAll(guard));
    assertThat(e.kind()).isEqualTo(Kind.LITERAL);
    assertThat(e.getMessage()).contains("2147483000", "16 MiB");
  }

  @Test
  void literalPlusAndAnOverflowingCount_areLiteralsToo() {
    LimitExceededException plus = failure(() -> readAll(budget(Framing.IMAP, 100, 64, 1000)
        .guard(chunked(ascii("* 1 FETCH (BODY[] {65+}\r\n"), 100, Duration.ZERO))));
    assertThat(plus.kind()).isEqualTo(Kind.LITERAL);

    LimitExceededException overflow = failure(() -> readAll(budget(Framing.IMAP, 100, 64, 1000)
        .guard(chunked(ascii("* 1 FETCH (BODY[] {99999999999999999999999}\r\n"), 100, Duration.ZERO))));
    assertThat(overflow.kind()).isEqualTo(Kind.LITERAL);
  }

  @Test
  void lineWithoutCrlf_isRefusedOneByteOverTheLimit_andABareLfDoesNotEndIt() throws IOException {
    byte[] atLimit = ascii("a".repeat(98) + "\r\n");
    assertThat(readAll(budget(Framing.IMAP, 100, 64, 1000).guard(chunked(atLimit, 9, Duration.ZERO))))
        .isEqualTo(atLimit);

    byte[] bareLf = ascii(("a".repeat(30) + "\n").repeat(4)); // Angus ends lines at CRLF only
    LimitExceededException e = failure(() -> readAll(budget(Framing.IMAP, 100, 64, 1000)
        .guard(chunked(bareLf, 9, Duration.ZERO))));
    assertThat(e.kind()).isEqualTo(Kind.LINE);
    assertThat(e.getMessage()).contains(SERVER, "a line longer than 100 bytes without CRLF");
  }

  @Test
  void manySmallLiteralsInOneResponse_areRefusedAtTheResponseLimit() {
    byte[] wire = ascii("* 1 FETCH (X " + "{1}\r\nx ".repeat(100));
    LimitExceededException e = failure(() -> readAll(budget(Framing.IMAP, 100, 64, 200)
        .guard(chunked(wire, 50, Duration.ZERO))));
    assertThat(e.kind()).isEqualTo(Kind.RESPONSE);
  }

  @Test
  void negativeLiterals_continueTheResponse_asAngusReadsThem() {
    // Angus parses {-1} as a literal of no bytes and reads the next line into the same response
    byte[] wire = ascii("* 1 FETCH (X {-1}\r\n".repeat(20));
    LimitExceededException e = failure(() -> readAll(budget(Framing.IMAP, 100, 64, 200)
        .guard(chunked(wire, 50, Duration.ZERO))));
    assertThat(e.kind()).isEqualTo(Kind.RESPONSE);
  }

  @Test
  void aBraceOpenedInsideALiteral_andClosedOnTheLineAfter_announcesALiteral_asForAngus() {
    byte[] wire = ascii("* 1 FETCH (BODY[] {3}\r\nx{1" + "234}\r\n");
    LimitExceededException e = failure(() -> readAll(budget(Framing.IMAP, 100, 1000, 100_000)
        .guard(chunked(wire, 4, Duration.ZERO))));
    assertThat(e.kind()).isEqualTo(Kind.LITERAL);
    assertThat(e.getMessage()).contains("a literal of 1234 bytes");
  }

  @Test
  void angusReadsTheSameResponses_throughTheGuard() throws IOException {
    String[] responses = {
      "* OK [CAPABILITY IMAP4rev1 AUTH=XOAUTH2] ready\r\n",
      "* 1 FETCH (UID 5 BODY[] {12}\r\nab\r\n{3}\r\ncdef)\r\n",
      "* 2 FETCH (ENVELOPE (\"d\" {5}\r\nsubj} \"x\"))\r\n",
      "* SEARCH 1 2 3\r\n",
      "A1 OK done\r\n",
    };
    byte[] wire = ascii(String.join("", responses));
    ResponseInputStream angus = new ResponseInputStream(budget(Framing.IMAP, 100, 64, 1000)
        .guard(chunked(wire, 3, Duration.ZERO)));
    List<String> read = new ArrayList<>();
    for (int i = 0; i < responses.length; i++) {
      org.eclipse.angus.mail.iap.ByteArray r = angus.readResponse();
      read.add(new String(r.getBytes(), r.getStart(), r.getCount(), StandardCharsets.ISO_8859_1));
    }
    assertThat(read).containsExactly(responses);
  }

  @Test
  void afterAFailure_everyReadFailsTheSameWay() throws IOException {
    ServerReadGuard guard = budget(Framing.IMAP, 10, 64, 1000).guard(chunked(ascii("x".repeat(50)), 50,
        Duration.ZERO));
    LimitExceededException first = failure(() -> guard.read(new byte[50], 0, 50));
    assertThat(failure(() -> guard.read(new byte[50], 0, 50))).isSameAs(first);
  }

  @Test
  void aResponseTricklingInAfterItsFirstByte_failsOnceItsTimeIsUp() throws IOException {
    ServerReadGuard.Budget budget = new ServerReadGuard.Budget(SERVER, Framing.IMAP,
        new Limits(1000, 1000, 10_000, Duration.ofSeconds(5), LONG, 1024), nanos::get);
    // a whole response arriving in one read is on time however long the wait before it (the read timeout's part)
    byte[] quick = ascii("* OK ready\r\n");
    assertThat(readAll(budget.guard(chunked(quick, 100, Duration.ofSeconds(50))))).isEqualTo(quick);

    // one byte a second: the first byte starts the clock, the read after five seconds fails
    ServerReadGuard trickle = budget.guard(chunked(ascii("* OK " + "x".repeat(100) + "\r\n"), 1,
        Duration.ofSeconds(1)));
    byte[] one = new byte[1];
    int bytes = 0;
    LimitExceededException e = null;
    try {
      while (trickle.read(one, 0, 1) == 1) {
        bytes++;
      }
    } catch (LimitExceededException refused) {
      e = refused;
    }
    assertThat(e).isNotNull();
    assertThat(e.kind()).isEqualTo(Kind.TOO_SLOW);
    assertThat(bytes).isEqualTo(6);
    assertThat(e.getMessage()).contains(SERVER, "trickling", "1024 bytes/s");
  }

  @Test
  void aResponseComingInAtTheMinimumRate_earnsTheTimeItNeeds() throws IOException {
    ServerReadGuard.Budget budget = new ServerReadGuard.Budget(SERVER, Framing.IMAP,
        new Limits(100_000, 100_000, 100_000, Duration.ofSeconds(5), LONG, 1024), nanos::get);
    // 2 KiB a second for 30 seconds: six times the response time, at twice the minimum rate
    byte[] wire = ascii("* 1 FETCH (BODY[] {61440}\r\n" + "b".repeat(61440) + ")\r\n");
    assertThat(readAll(budget.guard(chunked(wire, 2048, Duration.ofSeconds(1))))).isEqualTo(wire);
  }

  @Test
  void anOperation_failsAtItsDeadline_evenOfShortTimelyResponses_andNotAfterItEnds() throws IOException {
    ServerReadGuard.Budget budget = new ServerReadGuard.Budget(SERVER, Framing.IMAP,
        new Limits(1000, 1000, 10_000, Duration.ofSeconds(5), Duration.ofSeconds(10), 1024), nanos::get);
    byte[] chatter = ascii("* OK still here\r\n".repeat(30));
    budget.startOperation();
    ServerReadGuard during = budget.guard(chunked(chatter, 17, Duration.ofSeconds(1)));
    LimitExceededException e = failure(() -> readAll(during));
    assertThat(e.kind()).isEqualTo(Kind.DEADLINE);
    assertThat(e.getMessage()).contains(SERVER, "one operation");

    budget.endOperation();
    assertThat(readAll(budget.guard(chunked(chatter, 17, Duration.ofSeconds(1))))).isEqualTo(chatter);
  }

  @Test
  void smtp_continuedRepliesCountAsOne_untilTheLastLine_andBracesAreNoLiterals() throws IOException {
    byte[] fine = ascii("250-first {99999}\r\n250-second\r\n250 last\r\n220 ready\n");
    assertThat(readAll(budget(Framing.SMTP, 100, 0, 60).guard(chunked(fine, 3, Duration.ZERO)))).isEqualTo(fine);

    byte[] endless = ascii("250-more\r\n".repeat(20));
    LimitExceededException reply = failure(() -> readAll(budget(Framing.SMTP, 100, 0, 100)
        .guard(chunked(endless, 7, Duration.ZERO))));
    assertThat(reply.kind()).isEqualTo(Kind.RESPONSE);
    assertThat(reply.getMessage()).contains("a reply longer than 100 bytes");

    LimitExceededException line = failure(() -> readAll(budget(Framing.SMTP, 100, 0, 1000)
        .guard(chunked(ascii("220 " + "w".repeat(200)), 7, Duration.ZERO))));
    assertThat(line.kind()).isEqualTo(Kind.LINE);
  }

  @Test
  void defaults_fitTheLargestLegitimateAnswers() {
    Limits imap = Limits.imap(Duration.ofSeconds(60));
    assertThat(imap.maxLiteral()).isGreaterThanOrEqualTo(2L * 8 * 1024 * 1024); // twice BodyStream's largest chunk
    assertThat(imap.maxLine()).isGreaterThanOrEqualTo(9 * 1_000_000); // a million UIDs of eight digits
    assertThat(imap.operationTime()).isEqualTo(Duration.ofMinutes(10));
    assertThat(Limits.smtp(Duration.ofSeconds(60)).maxLine()).isGreaterThan(512);
  }
}
