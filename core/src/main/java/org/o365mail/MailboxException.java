package org.o365mail;

import java.util.Optional;

/**
 * Base of every failure this SDK throws: unchecked, transport-neutral, and carrying a {@link Diagnosis} when
 * the cause is known. Callers catch the subtypes they act on differently ({@link
 * MailboxAuthenticationException}, {@link ThrottledException}, {@link FolderNotFoundException}, {@link
 * MessageNotFoundException}). Messages never contain a secret, password or token.
 */
public class MailboxException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient Diagnosis diagnosis;

  public MailboxException(String message) {
    this(message, null, null);
  }

  public MailboxException(String message, Throwable cause) {
    this(message, null, cause);
  }

  public MailboxException(String message, Diagnosis diagnosis, Throwable cause) {
    super(message, cause);
    this.diagnosis = diagnosis;
  }

  /** Why it failed and what to do, when known. */
  public Optional<Diagnosis> diagnosis() {
    return Optional.ofNullable(diagnosis);
  }

  /** The service's error code (AADSTS number, Graph code, IMAP answer), when known. */
  public Optional<String> serviceErrorCode() {
    return diagnosis().map(Diagnosis::serviceCode);
  }

  /** The request id (Entra trace id, Graph request-id) of the failed request, when known. */
  public Optional<String> requestId() {
    return diagnosis().flatMap(d -> d.traceId().or(d::correlationId));
  }

  /** Whether trying again unchanged may succeed. */
  public boolean retryable() {
    return diagnosis().map(Diagnosis::retryable).orElse(false);
  }
}
