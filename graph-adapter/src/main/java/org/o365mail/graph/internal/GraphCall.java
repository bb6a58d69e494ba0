package org.o365mail.graph.internal;

import com.microsoft.kiota.RequestOption;

/**
 * What one Graph request is for, carried on the request (Kiota request option, OkHttp tag): which token it
 * needs, how many of the mailbox's concurrency slots it takes (a {@code $batch} runs up to four items at once at
 * Exchange), and whether it may be sent again after a connection failure. Immutable.
 *
 * @param access the permission class, which picks the token and the pre-flight requirement
 * @param permits slots of the mailbox governor it holds while in flight
 * @param idempotent whether a connection failure may be retried (a second {@code sendMail} would send twice)
 * @param requests how many requests it is against the mailbox's request window (a {@code $batch}: its items)
 */
public record GraphCall(Access access, int permits, boolean idempotent, int requests) implements RequestOption {
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

  /** A single request. */
  public GraphCall(Access access, int permits, boolean idempotent) {
    this(access, permits, idempotent, 1);
  }

  /** A {@code $batch} with items of {@code access}, holding {@code permits} slots. */
  public static GraphCall batch(Access access, int permits, boolean idempotent) {
    return new GraphCall(access, permits, idempotent, permits);
  }

  /** A {@code $batch} of {@code items} items of {@code access}, holding {@code permits} slots. */
  public static GraphCall batch(Access access, int permits, boolean idempotent, int items) {
    return new GraphCall(access, permits, idempotent, items);
  }

  @Override
  @SuppressWarnings("unchecked")
  public <T extends RequestOption> Class<T> getType() {
    return (Class<T>) GraphCall.class;
  }
}
