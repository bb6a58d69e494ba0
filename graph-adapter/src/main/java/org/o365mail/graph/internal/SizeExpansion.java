package org.o365mail.graph.internal;

import static org.o365mail.ServiceText.printable;

import java.util.Locale;
import java.util.Optional;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether one kind of request of a connector may ask for the message size with {@link Summaries#EXPAND}. Graph has
 * refused that {@code $expand} on {@code messages/delta} ({@code 500} "Value cannot be null", {@code 400} "Parsing
 * OData Select and Expand failed") and in a national cloud on listings ({@code 400} "Could not find a property named
 * 'singleValueExtendedProperties'"). Until a request with it has succeeded, it goes out without the governor's
 * retries on 5xx (a refusal must cost one request, not a retry budget; another 5xx is sent again once, as a plain
 * read); once refused, and the same request without it has succeeded, the kind of request goes without it from then
 * on, its summaries of unknown size (-1). Thread-safe.
 */
public final class SizeExpansion {
  private static final Logger logger = LoggerFactory.getLogger(SizeExpansion.class);
  private enum State {
    UNKNOWN,
    WORKS,
    REFUSED
  }

  private volatile State state = State.UNKNOWN;

  /** Whether to ask for the size. */
  public boolean wanted() {
    return state != State.REFUSED;
  }

  /** The call options for a request that asks for the size: no 5xx retries until it is known to work. */
  public GraphCall call() {
    return state == State.WORKS ? GraphCall.READ : GraphCall.READ_ONCE_ON_SERVER_ERROR;
  }

  /** A request with the size expansion succeeded. */
  public void worked() {
    if (state == State.UNKNOWN) {
      state = State.WORKS;
    }
  }

  /** Graph refused the expansion and the request went through without it. */
  public void refused() {
    state = State.REFUSED;
  }

  /**
   * Runs a request that may ask for the size: {@code request} gets whether to expand and the call options. A refusal
   * is answered by the same request without the expansion, remembered; a plain 5xx of the first request with it
   * (not yet known to work, so not retried by the governor) is sent again as any read would be, and a 400 (or a
   * second 400/500) before the expansion ever worked is taken as a refusal in words not seen before when the same
   * request without it succeeds.
   */
  public <T> T run(BiFunction<Boolean, GraphCall, T> request) {
    if (!wanted()) {
      return request.apply(false, GraphCall.READ);
    }
    T result;
    try {
      result = request.apply(true, call());
    } catch (RuntimeException e) {
      Optional<GraphErrors.Failure> failure = GraphErrors.failureOf(e);
      if (failure.isPresent() && isRefusal(failure.get())) {
        logger.debug("graph: Graph refused $expand of the message size ({} {}); going on without it",
            failure.get().status(), printable(failure.get().code()));
        T without = request.apply(false, GraphCall.READ);
        refused();
        return without;
      }
      int status = failure.map(GraphErrors.Failure::status).orElse(0);
      if (state == State.WORKS || !(status == 400 || status == 500 || status == 502 || status == 504)) {
        throw e;
      }
      if (status != 400) {
        try {
          result = request.apply(true, GraphCall.READ);
          worked();
          return result;
        } catch (RuntimeException again) {
          int second = GraphErrors.failureOf(again).map(GraphErrors.Failure::status).orElse(0);
          if (second != 400 && second != 500) {
            throw again;
          }
        }
      }
      // a 400, or a 500 twice, where the expansion never worked, in words not seen before: Microsoft documents
      // none of these refusals, so the text cannot be relied on; the same request without the expansion decides
      // (if that fails too, its failure is the request's own and is thrown)
      logger.debug("graph: Graph answered {} to a request with $expand of the message size, which never worked;"
          + " trying it without", status);
      T without = request.apply(false, GraphCall.READ);
      refused();
      return without;
    }
    worked();
    return result;
  }

  /** Whether {@code e} is Graph refusing the {@code $expand}, as reported (status and message). */
  public static boolean isRefusal(Throwable e) {
    Optional<GraphErrors.Failure> failure = GraphErrors.failureOf(e);
    return failure.isPresent() && isRefusal(failure.get());
  }

  /** Whether a Graph error answer is a refusal of the {@code $expand}. */
  public static boolean isRefusal(GraphErrors.Failure f) {
    String message = f.message().toLowerCase(Locale.ROOT);
    if (f.status() == 500) {
      return message.contains("value cannot be null");
    }
    return f.status() == 400 && (message.contains("parsing odata select and expand failed")
        || message.contains("singlevalueextendedproperties"));
  }
}
