package org.o365mail.importer;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * A message the handler refused every time it was offered: parked instead of blocking the rest, and kept here
 * for people to look at (and retry).
 *
 * @param messageKey the idempotency key
 * @param messageId the connector's message id (in the park folder, when one is configured)
 * @param subject the subject, for people
 * @param attempts how often the handler was called
 * @param lastError the last failure's class and message
 * @param parkedAt when it was parked
 */
public record DeadLetter(String messageKey, String messageId, String subject, int attempts, String lastError,
    Instant parkedAt) {
  public DeadLetter {
    requireNonNull(messageKey, "messageKey");
    requireNonNull(messageId, "messageId");
    requireNonNull(parkedAt, "parkedAt");
    subject = subject == null ? "" : subject;
    lastError = lastError == null ? "" : lastError;
  }
}
