package org.o365mail.graph.internal;

import static org.o365mail.ServiceText.printable;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import javax.net.ssl.SSLException;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.Buffer;
import okio.BufferedSource;
import okio.ForwardingSource;
import okio.Okio;
import org.o365mail.MailboxException;
import org.o365mail.graph.internal.GraphCall.Access;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-mailbox governor, as the OkHttp interceptor every Graph request of a connector passes: at most {@code
 * maxConcurrent} requests in flight (a slot is held until the response body is read or closed, as Exchange counts
 * it), {@code Retry-After} honoured on 429 and 503 by pausing the whole mailbox, bounded exponential back-off on
 * other 5xx and on connection failures, one fresh token after a 401, all within a retry budget (attempts and total
 * wait per request). When the budget would be exceeded, the last answer goes back to the caller (a 429 becomes a
 * {@code ThrottledException} with the wait); a pause longer than the budget fails with {@link Throttled}. It also
 * asserts that a bearer token only ever leaves over HTTPS to an allowed host. It replaces the Graph SDK's own
 * retry handler, which is left out of the client.
 *
 * <p>Each attempt is also paced under the mailbox's {@link RequestWindow request window} (a {@code $batch} counting
 * as its items): Exchange allows an app a number of requests per mailbox per period, and answers the one past it
 * with a {@code Retry-After} of up to the whole period (minutes). A 429 whose wait is longer than the request's
 * budget ends the request (a {@code ThrottledException} carrying the wait, for the importer to come back then) and
 * pauses the mailbox for that long, so its other requests fail at once instead of asking again.
 *
 * <p>The slots, the pause and the window are the mailbox's {@link MailboxState}, which every connector of the app on
 * that mailbox may share; the retry budget, the token and the count of retries are this governor's own. A request
 * waits for a slot at most {@code slotWait} (a stream never closed holds its slot for good), then fails with a {@link
 * MailboxException}. Every wait goes through the {@link Sleeper}, measured on the state's clock. Thread-safe.
 */
public final class Governor implements Interceptor {
  private static final Logger logger = LoggerFactory.getLogger(Governor.class);
  private static final Duration BACKOFF_BASE = Duration.ofMillis(200);
  private static final Duration BACKOFF_MAX = Duration.ofSeconds(8);

  /** How long a request waits for a slot unless told otherwise: the connector's default socket timeout. */
  public static final Duration DEFAULT_SLOT_WAIT = Duration.ofSeconds(100);

  private final MailboxState state;
  private final int maxConcurrent;
  private final Semaphore slots;
  private final int maxAttempts;
  private final Duration maxWait;
  private final GraphAuthentication auth;
  private final RequestWindow window;
  private final LongSupplier nanoTime;
  private final AtomicLong pausedUntil;
  private final Duration slotWait;
  private final Sleeper sleeper;
  private final AtomicLong retries = new AtomicLong();

  /** The wait the service asked for outlasts the retry budget. */
  public static final class Throttled extends IOException {
    private static final long serialVersionUID = 1L;
    private final transient Duration retryAfter;

    Throttled(String message, Duration retryAfter) {
      super(message);
      this.retryAfter = retryAfter;
    }

    public Duration retryAfter() {
      return retryAfter;
    }
  }

  /** What a request may still spend on retries. Not thread-safe: one per request or batch. */
  public final class Budget {
    private int attempts;
    private long waitedNanos;
    private long paidUntil = nanoTime.getAsLong();

    /** Whether one more attempt after waiting {@code wait} fits; if so, counts it. */
    public boolean spend(Duration wait) {
      if (attempts + 1 >= maxAttempts || waitedNanos + wait.toNanos() > maxWait.toNanos()) {
        return false;
      }
      attempts++;
      waitedNanos += wait.toNanos();
      retries.incrementAndGet();
      return true;
    }

    public int attempts() {
      return attempts;
    }

    Duration left() {
      return Duration.ofNanos(Math.max(0, maxWait.toNanos() - waitedNanos));
    }

    void waited(long nanos) {
      waitedNanos += nanos;
    }

    /** A pause until {@code wait} from now is already charged (the request's own 429). */
    public void prepaid(Duration wait) {
      paidUntil = Math.max(paidUntil, nanoTime.getAsLong() + wait.toNanos());
    }
  }

  /**
   * A governor of a mailbox state of its own, with Exchange's request window (10,000 requests per 10 minutes), on
   * the system's clock and sleeps.
   */
  public Governor(int maxConcurrent, int maxAttempts, Duration maxWait, GraphAuthentication auth) {
    this(new MailboxState(maxConcurrent, 10_000, Duration.ofMinutes(10), System::nanoTime), maxAttempts, maxWait,
        auth, DEFAULT_SLOT_WAIT, Sleeper.SYSTEM);
  }

  /**
   * @param state the mailbox's slots, pause and request window, perhaps shared with other connectors
   * @param slotWait the longest a request waits for a slot
   * @param sleeper how waits are waited
   */
  public Governor(MailboxState state, int maxAttempts, Duration maxWait, GraphAuthentication auth, Duration slotWait,
      Sleeper sleeper) {
    this.state = state;
    this.maxConcurrent = state.maxConcurrent();
    this.slots = state.slots();
    this.maxAttempts = Math.max(1, maxAttempts);
    this.maxWait = maxWait;
    this.auth = auth;
    this.nanoTime = state.nanoTime();
    this.pausedUntil = state.pausedUntil();
    this.window = state.window();
    this.slotWait = slotWait;
    this.sleeper = sleeper;
  }

  /** The mailbox's state this governor works on. */
  public MailboxState state() {
    return state;
  }

  /** The mailbox's request window the requests are paced under. */
  RequestWindow window() {
    return window;
  }

  public int maxConcurrent() {
    return maxConcurrent;
  }

  public Budget newBudget() {
    return new Budget();
  }

  /** Retries made so far (for tests and metrics). */
  public long retries() {
    return retries.get();
  }

  /** Holds every new request of the mailbox back for {@code wait} (from a 429 inside a {@code $batch}, say). */
  public void pause(Duration wait) {
    long until = nanoTime.getAsLong() + wait.toNanos();
    pausedUntil.accumulateAndGet(until, Math::max);
  }

  /** Exponential back-off with jitter for attempt {@code n} (1-based). */
  public static Duration backoff(int n) {
    long base = BACKOFF_BASE.toMillis() << Math.min(n - 1, 10);
    long capped = Math.min(base, BACKOFF_MAX.toMillis());
    return Duration.ofMillis(capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1));
  }

  /** The wait a 429/503 asks for: {@code Retry-After} in seconds or as an HTTP date. */
  public static Optional<Duration> retryAfter(String header) {
    if (header == null || header.isBlank()) {
      return Optional.empty();
    }
    String v = header.trim();
    try {
      return Optional.of(Duration.ofSeconds(Math.max(0, Long.parseLong(v))));
    } catch (NumberFormatException e) {
      try {
        ZonedDateTime at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
        Duration d = Duration.between(ZonedDateTime.now(at.getZone()), at);
        return Optional.of(d.isNegative() ? Duration.ZERO : d);
      } catch (DateTimeParseException e2) {
        return Optional.empty();
      }
    }
  }

  /** Waits out a mailbox pause, charging it to {@code budget}; fails when it outlasts the budget. */
  public void awaitPause(Budget budget) throws IOException {
    while (true) {
      long now = nanoTime.getAsLong();
      long until = pausedUntil.get();
      long remaining = until - now;
      if (remaining <= 0) {
        return;
      }
      long unpaid = Math.max(0, until - Math.max(now, budget.paidUntil));
      if (unpaid > budget.left().toNanos()) {
        throw new Throttled("Graph asked this mailbox to wait " + Duration.ofNanos(remaining).toMillis()
            + " ms, more than the retry budget has left", Duration.ofNanos(remaining));
      }
      sleep(Duration.ofNanos(remaining));
      budget.waited(unpaid);
      budget.prepaid(Duration.ZERO);
    }
  }

  /**
   * Takes {@code permits} slots (at most all of them), waiting at most the slot wait.
   *
   * @throws MailboxException if none came free in time: streams left open hold them, or requests that never end
   */
  public int acquire(int permits) throws IOException {
    int n = Math.min(permits, maxConcurrent);
    boolean taken;
    try {
      taken = slots.tryAcquire(n, slotWait.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for a Graph request slot");
    }
    if (!taken) {
      throw new MailboxException("no Graph request slot of the mailbox came free within " + seconds(slotWait)
          + ": all " + maxConcurrent + " are held, by requests in flight or by MIME or attachment streams not yet"
          + " closed; close every stream the connector hands out");
    }
    return n;
  }

  private static String seconds(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }

  public void release(int permits) {
    slots.release(permits);
  }

  /** Waits {@code d} through this governor's sleeper. */
  void sleep(Duration d) throws InterruptedIOException {
    sleeper.sleep(d);
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    GraphCall call = request.tag(GraphCall.class);
    if (call == null) {
      call = GraphCall.READ;
    }
    request = replayable(request);
    Budget budget = newBudget();
    boolean reauthorized = false;
    int attempt = 0;
    while (true) {
      attempt++;
      guard(request);
      awaitPause(budget);
      int held = acquire(call.permits());
      Duration pace = window.reserve(call.requests());
      if (!pace.isZero()) {
        try {
          sleep(pace);
        } catch (InterruptedIOException e) {
          release(held);
          throw e;
        }
        if (pausedUntil.get() - nanoTime.getAsLong() > 0) {
          // another request was told to wait while this one was paced: wait with the rest (or fail, if too long)
          release(held);
          continue;
        }
      }
      long started = System.nanoTime();
      Response response;
      try {
        response = chain.proceed(request);
      } catch (IOException e) {
        release(held);
        if (e instanceof InterruptedIOException && !(e instanceof java.net.SocketTimeoutException)) {
          throw e;
        }
        if (e instanceof BoundedAnswers.Exceeded) {
          throw e; // too large or too slow: asking again would only cost as much again
        }
        if (e instanceof SSLException || !call.idempotent()) {
          throw e;
        }
        Duration wait = backoff(attempt);
        if (!budget.spend(wait)) {
          throw e;
        }
        logger.debug("graph {} {}: {} on attempt {}; retrying in {} ms", request.method(), path(request),
            e.getClass().getSimpleName(), attempt, wait.toMillis());
        sleep(wait);
        continue;
      }
      int code = response.code();
      logger.debug("graph {} {} -> {} in {} ms (attempt {}, request-id {})", request.method(), path(request), code,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), attempt,
          printable(response.header("request-id", "")));
      if (code == 401 && !reauthorized && request.header("Authorization") != null) {
        response.close();
        release(held);
        reauthorized = true;
        auth.invalidate(call.access());
        request = request.newBuilder()
            .header("Authorization", "Bearer " + auth.bearer(request.url().uri(), call.access()))
            .build();
        continue;
      }
      if (code == 429 || code == 503) {
        Optional<Duration> asked = retryAfter(response.header("Retry-After"));
        Duration wait = asked.orElse(backoff(attempt));
        if (budget.spend(wait)) {
          response.close();
          release(held);
          budget.prepaid(wait);
          pause(wait);
          continue;
        }
        // longer than this request may wait: it fails with the wait, and the mailbox's other requests hold back
        // for it rather than ask again (a request refused by the window still counts against it)
        asked.ifPresent(this::pause);
      } else if ((code == 500 || code == 502 || code == 504) && call.idempotent() && call.retryServerErrors()) {
        Duration wait = backoff(attempt);
        if (budget.spend(wait)) {
          response.close();
          release(held);
          sleep(wait);
          continue;
        }
      }
      return releasingOnClose(response, held);
    }
  }

  /** Refuses to let a bearer token leave for anything but an allowed origin (scheme, host and port). */
  private void guard(Request request) {
    okhttp3.HttpUrl url = request.url();
    if (request.header("Authorization") != null && !auth.mayCarryToken(url.scheme(), url.host(), url.port())) {
      throw auth.refusal(GraphAuthentication.origin(url.scheme(), url.host(), url.port()));
    }
  }

  /** The body as bytes, so the request can be sent again (Kiota's bodies are one-shot streams). */
  private static Request replayable(Request request) throws IOException {
    RequestBody body = request.body();
    if (body == null) {
      return request;
    }
    if (body.contentLength() > 8L * 1024 * 1024) {
      return request;
    }
    Buffer buffer = new Buffer();
    body.writeTo(buffer);
    MediaType type = body.contentType();
    return request.newBuilder().method(request.method(), RequestBody.create(buffer.readByteArray(), type)).build();
  }

  private Response releasingOnClose(Response response, int held) {
    ResponseBody body = response.body();
    if (body == null || response.code() == 204 || body.contentLength() == 0) {
      // nothing to read, and Kiota does not close a response without content: its slot is free now
      release(held);
      return response;
    }
    AtomicBoolean released = new AtomicBoolean();
    Runnable releaseOnce = () -> {
      if (released.compareAndSet(false, true)) {
        release(held);
      }
    };
    BufferedSource source = Okio.buffer(new ForwardingSource(body.source()) {
      @Override
      public long read(Buffer sink, long byteCount) throws IOException {
        long n;
        try {
          n = super.read(sink, byteCount);
        } catch (IOException | RuntimeException e) {
          releaseOnce.run();
          throw e;
        }
        if (n == -1) {
          releaseOnce.run();
        }
        return n;
      }

      @Override
      public void close() throws IOException {
        try {
          super.close();
        } finally {
          releaseOnce.run();
        }
      }
    });
    return response.newBuilder().body(ResponseBody.create(source, body.contentType(), body.contentLength())).build();
  }

  /** The path with the mailbox segment left out (addresses are personal data). */
  static String path(Request request) {
    String p = request.url().encodedPath().replaceFirst("/users/[^/]+", "/users/{mailbox}");
    return p.length() > 200 ? p.substring(0, 200) : p;
  }

  /** The access class of a request, READ when untagged. */
  static Access accessOf(Request request) {
    GraphCall call = request.tag(GraphCall.class);
    return call == null ? Access.READ : call.access();
  }
}
