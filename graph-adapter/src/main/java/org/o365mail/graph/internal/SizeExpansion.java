package org.o365mail.graph.internal;

import java.util.Locale;
import java.util.Optional;

/**
 * Whether one kind of request of a connector may ask for the message size with {@link Summaries#EXPAND}. Graph has
 * refused that {@code $expand} on {@code messages/delta} ({@code 500} "Value cannot be null", {@code 400} "Parsing
 * OData Select and Expand failed") and in a national cloud on listings ({@code 400} "Could not find a property named
 * 'singleValueExtendedProperties'"). Until a request with it has succeeded, it goes out without retries on 5xx (a
 * refusal must cost one request, not a retry budget); once refused, and the same request without it has succeeded,
 * the kind of request goes without it from then on, its summaries of unknown size (-1). Thread-safe.
 */
public final class SizeExpansion {
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
