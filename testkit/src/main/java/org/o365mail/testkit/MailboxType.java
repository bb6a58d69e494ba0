package org.o365mail.testkit;

/** Recipient type of a mailbox, as {@code Get-Mailbox} shows it. */
public enum MailboxType {
  USER_MAILBOX,
  SHARED_MAILBOX
}
