package org.o365mail;

/**
 * No token could be obtained, or a service rejected it or the identity behind it (wrong secret, missing
 * permission or consent, Exchange service principal or mailbox permission missing). The {@link
 * #diagnosis()} names the setup step.
 */
public final class MailboxAuthenticationException extends MailboxException {
  private static final long serialVersionUID = 1L;

  public MailboxAuthenticationException(String message, Diagnosis diagnosis, Throwable cause) {
    super(message, diagnosis, cause);
  }

  public MailboxAuthenticationException(Diagnosis diagnosis, Throwable cause) {
    super(diagnosis.describe(), diagnosis, cause);
  }
}
