package org.o365mail;

import java.time.Duration;
import java.util.Optional;

/**
 * The service asked to slow down (HTTP 429/503 with Retry-After, IMAP "Suggested Backoff Time") and the retry
 * budget ran out before the operation could succeed. {@link #retryAfter()} is how long the service asked to
 * wait.
 */
public final class ThrottledException extends MailboxException {
  private static final long serialVersionUID = 1L;

  private final Duration retryAfter;

  public ThrottledException(String message, Duration retryAfter, Diagnosis diagnosis, Throwable cause) {
    super(message, diagnosis, cause);
    this.retryAfter = retryAfter;
  }

  /** The wait the service asked for, when it said. */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }

  @Override
  public boolean retryable() {
    return true;
  }
}
