package org.o365mail;

/** The message no longer exists where it was (deleted or moved by someone else). */
public final class MessageNotFoundException extends MailboxException {
  private static final long serialVersionUID = 1L;

  public MessageNotFoundException(String message, Diagnosis diagnosis, Throwable cause) {
    super(message, diagnosis, cause);
  }
}
