package org.o365mail;

/** The folder does not exist in the mailbox (or the identity may not see it). */
public final class FolderNotFoundException extends MailboxException {
  private static final long serialVersionUID = 1L;

  public FolderNotFoundException(String message, Diagnosis diagnosis, Throwable cause) {
    super(message, diagnosis, cause);
  }
}
