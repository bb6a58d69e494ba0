package org.o365mail.graph.internal;

import com.microsoft.kiota.RequestOption;

/**
 * What one Graph request is for, carried on the request (Kiota request option, OkHttp tag): which token it
 * needs, how many of the mailbox's concurrency slots it takes (a {@code $batch} runs up to four items at once at
 * Exchange), whether it may be sent again after a connection failure, and how many requests it is against the
 * mailbox's request window. Immutable.
 *
 * @param access the permission class, which picks the token and the pre-flight requirement
 * @param permits slots of the mailbox governor it holds while in flight
 * @param idempotent whether a connection failure may be retried (a second {@code sendMail} would send twice)
 * @param retryServerErrors whether an idempotent request answered 500, 502 or 504 is sent again after a back-off
 * @param requests how many requests it is against the mailbox's request window (a {@code $batch}: its items)
 */
public record GraphCall(Access access, int permits, boolean idempotent, boolean retryServerErrors, int requests)
    implements RequestOption {
  /** The permission class of a request. */
  public enum Access {
    /** Reading folders, summaries, MIME, attachments. */
    READ,
    /** Changing messages and folders. */
    WRITE,
    /** Sending mail. */
    SEND,
    /** Reading the directory (app registrations). */
    DIRECTORY,
    /** A pre-authenticated upload URL: never a bearer token. */
    NONE
  }

  public static final GraphCall READ = new GraphCall(Access.READ, 1, true);
  /**
   * A read whose 500 may be an answer, not a failure: Graph refusing an {@code $expand} with "Value cannot be null"
   * ({@link SizeExpansion}); it is not sent again on 5xx, so that the caller sees the refusal at once.
   */
  public static final GraphCall READ_ONCE_ON_SERVER_ERROR = new GraphCall(Access.READ, 1, true, false, 1);
  public static final GraphCall WRITE = new GraphCall(Access.WRITE, 1, true);
  public static final GraphCall WRITE_ONCE = new GraphCall(Access.WRITE, 1, false);
  public static final GraphCall SEND = new GraphCall(Access.SEND, 1, false);
  public static final GraphCall DIRECTORY = new GraphCall(Access.DIRECTORY, 1, true);
  public static final GraphCall UPLOAD = new GraphCall(Access.NONE, 1, true);

  public GraphCall {
    if (permits < 1) {
      throw new IllegalArgumentException("permits must be at least 1");
    }
    if (requests < 1) {
      throw new IllegalArgumentException("requests must be at least 1");
    }
  }

  /** A single request, sent again on 5xx when idempotent. */
  public GraphCall(Access access, int permits, boolean idempotent) {
    this(access, permits, idempotent, true, 1);
  }

  /** A {@code $batch} with items of {@code access}, holding {@code permits} slots. */
  public static GraphCall batch(Access access, int permits, boolean idempotent) {
    return new GraphCall(access, permits, idempotent, true, permits);
  }

  /** A {@code $batch} of {@code items} items of {@code access}, holding {@code permits} slots. */
  public static GraphCall batch(Access access, int permits, boolean idempotent, int items) {
    return new GraphCall(access, permits, idempotent, true, items);
  }

  @Override
  @SuppressWarnings("unchecked")
  public <T extends RequestOption> Class<T> getType() {
    return (Class<T>) GraphCall.class;
  }
}
