package org.o365mail.graph.internal;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import okhttp3.Call;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.AsyncTimeout;
import okio.Buffer;
import okio.ForwardingSource;
import okio.Okio;

/**
 * Bounds every Graph answer the adapter holds in memory (pages, {@code $batch} answers, folder and attachment lists,
 * the JSON of a send or an upload session, error bodies) in size and in total time, as the OkHttp interceptor each
 * attempt passes (inside the {@link Governor}, so that a refused answer is not asked for again). Streamed bodies
 * (a message's or an attachment's {@code $value} answered 2xx) are left alone: they go to the caller as a stream,
 * may be up to 150 MB and may take as long as their bytes keep flowing; the connector's inactivity timeout bounds
 * them ({@link StalledBodies}).
 *
 * <ul>
 *   <li><b>Size.</b> A {@code Content-Length} above the limit is refused before a byte of the body is read; a body
 *       without one (chunked) fails as soon as it passes the limit. Either way the call is cancelled, which closes
 *       the connection rather than draining it.
 *       {@link #MAX_ANSWER_BYTES} for successful answers, {@link #MAX_ERROR_BYTES} for error bodies.
 *   <li><b>Time.</b> From the moment the request is sent until its answer's body is read or closed, an attempt may
 *       take at most the answer timeout; then the call is cancelled: a server that trickles a page a byte a second
 *       never lets the inactivity timeout fire, but cannot hold a sync for longer than this. This is OkHttp's call
 *       timeout, per attempt instead of per call, so that the governor's waits for {@code Retry-After} do not count.
 * </ul>
 *
 * Both failures are a {@link Exceeded}, which the governor does not retry and {@link GraphErrors} reports naming the
 * request and the limit. Thread-safe.
 */
public final class BoundedAnswers implements Interceptor {
  /**
   * The most bytes of a successful answer held in memory: 16 MiB. The adapter asks for at most 200 messages a page
   * (delta's {@code odata.maxpagesize}) and for the summary properties only ({@code $select}); Graph's {@code $top}
   * goes up to 1,000 (reference.md, Graph mail API facts: paging, microsoft-graph-docs-contrib {@code
   * api-reference/v1.0/api/user-list-messages.md}). 16 MiB holds 1,000 summaries of 16 KiB each (a summary with a
   * few recipients is about 1.5 KiB; 16 KiB is a hundred recipients or a subject of escaped characters), or 200 with
   * 80 KiB each; and a {@code $batch} of its most, 20 items (microsoft-graph-docs-contrib {@code
   * concepts/json-batching.md}), of message bodies of at most 256 KiB (the largest the connector reads through a
   * batch) in base64, 6.7 MiB; a batch of messages of unknown size that passes it is read again one message at a
   * time, streamed ({@link Batcher}). Large pages with full payloads already risk a {@code 504} from Graph
   * (reference.md, paging).
   */
  public static final long MAX_ANSWER_BYTES = 16L * 1024 * 1024;
  /**
   * The most bytes of an error body read: 1 MiB. Graph's error bodies are an {@code error} object with a code, a
   * message and an {@code innerError} of ids and a date: some hundred bytes.
   */
  public static final long MAX_ERROR_BYTES = 1024L * 1024;
  /**
   * The default total time of one attempt at an answer held in memory: 5 minutes, in which a 16 MiB answer arrives
   * at 0.45 Mbit/s; a Graph page of 200 summaries is some 300 KB. (Kiota's own total call timeout, 100 s, is left
   * out of the client for the streams' sake.)
   */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

  /** An answer broke a bound; the request is not sent again. */
  public static sealed class Exceeded extends IOException permits TooLarge {
    private static final long serialVersionUID = 1L;

    Exceeded(String message) {
      super(message);
    }
  }

  /** An answer larger than the connector reads into memory. */
  public static final class TooLarge extends Exceeded {
    private static final long serialVersionUID = 1L;

    TooLarge(String message) {
      super(message);
    }
  }

  private final long maxAnswerBytes;
  private final long maxErrorBytes;
  private final Duration timeout;

  /** The limits above, with {@code timeout} as the total time of an attempt. */
  public BoundedAnswers(Duration timeout) {
    this(MAX_ANSWER_BYTES, MAX_ERROR_BYTES, timeout);
  }

  BoundedAnswers(long maxAnswerBytes, long maxErrorBytes, Duration timeout) {
    this.maxAnswerBytes = maxAnswerBytes;
    this.maxErrorBytes = maxErrorBytes;
    this.timeout = timeout;
  }

  /**
   * Whether a request's 2xx answer is a stream for the caller ({@code $value}): neither capped nor timed. Its error
   * body is read whole, and bounded like any other from the moment its headers arrive.
   */
  static boolean streamed(Request request) {
    return "GET".equals(request.method()) && request.url().encodedPath().endsWith("/$value");
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    String what = request.method() + " " + Governor.path(request);
    Deadline deadline = streamed(request) ? null : new Deadline(chain.call(), timeout);
    if (deadline != null) {
      deadline.enter();
    }
    Response response;
    try {
      response = chain.proceed(request);
    } catch (IOException | RuntimeException e) {
      if (deadline != null && deadline.stop()) {
        throw deadline.exceeded(what, e);
      }
      throw e;
    }
    ResponseBody body = response.body();
    boolean ok = response.isSuccessful();
    if (body == null || ok && streamed(request)) {
      if (deadline != null) {
        deadline.stop();
      }
      return response;
    }
    if (deadline == null) {
      // the error body of a stream's request is read whole: it gets its own deadline from here
      deadline = new Deadline(chain.call(), timeout);
      deadline.enter();
    }
    Deadline timer = deadline;
    long limit = ok ? maxAnswerBytes : maxErrorBytes;
    String kind = ok ? "answer" : "error body (HTTP " + response.code() + ")";
    long length = body.contentLength();
    Call call = chain.call();
    if (length > limit) {
      call.cancel(); // closes the connection: closing the answer alone would first drain it for up to 100 ms
      response.close();
      timer.stop();
      throw new TooLarge("Graph's " + kind + " to " + what + " announced " + length + " bytes, more than the "
          + bytes(limit) + " the connector reads into memory; refused without reading it");
    }
    AtomicBoolean done = new AtomicBoolean();
    Runnable finish = () -> {
      if (done.compareAndSet(false, true)) {
        timer.stop();
      }
    };
    ForwardingSource bounded = new ForwardingSource(body.source()) {
      private long read;

      @Override
      public long read(Buffer sink, long byteCount) throws IOException {
        long n;
        try {
          n = super.read(sink, Math.min(byteCount, limit + 1 - read));
        } catch (IOException | RuntimeException e) {
          boolean late = timer.fired();
          finish.run();
          if (late) {
            throw timer.exceeded(what, e);
          }
          throw e;
        }
        if (n == -1) {
          finish.run();
          return n;
        }
        read += n;
        if (read > limit) {
          finish.run();
          call.cancel();
          throw new TooLarge("Graph's " + kind + " to " + what + " went on past " + bytes(limit) + ", the most the"
              + " connector reads into memory; cut there");
        }
        return n;
      }

      @Override
      public void close() throws IOException {
        try {
          super.close();
        } finally {
          finish.run();
        }
      }
    };
    return response.newBuilder()
        .body(ResponseBody.create(Okio.buffer(bounded), body.contentType(), length))
        .build();
  }

  static String bytes(long n) {
    return n % (1024 * 1024) == 0 ? n / (1024 * 1024) + " MiB (" + n + " bytes)" : n + " bytes";
  }

  /** Cancels the call when an attempt outlasts the timeout (OkHttp's own call timeout works the same way). */
  private static final class Deadline extends AsyncTimeout {
    private final Call call;
    private final Duration timeout;
    private volatile boolean fired;

    Deadline(Call call, Duration timeout) {
      this.call = call;
      this.timeout = timeout;
      timeout(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    protected void timedOut() {
      fired = true;
      call.cancel();
    }

    /** Whether the deadline has passed (and the call was cancelled). */
    boolean fired() {
      return fired;
    }

    /** Stops the watch; whether the deadline had passed. */
    boolean stop() {
      return exit() || fired;
    }

    Exceeded exceeded(String what, Throwable cause) {
      long millis = timeout.toMillis();
      String span = millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
      Exceeded e = new Exceeded("Graph's answer to " + what + " took longer than " + span + " (the connector's"
          + " answer timeout) and was abandoned");
      e.initCause(cause);
      return e;
    }
  }
}
