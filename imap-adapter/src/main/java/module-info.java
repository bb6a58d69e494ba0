/**
 * {@link org.o365mail.MailboxConnector} over IMAP with SASL XOAUTH2, and an SMTP XOAUTH2 sender, on Angus Mail.
 * Only {@code org.o365mail.imap} is exported: Jakarta Mail and Angus types never appear in its signatures.
 */
module org.o365mail.imap {
  requires transitive org.o365mail;
  requires jakarta.mail;
  requires org.eclipse.angus.mail;
  requires org.slf4j;

  exports org.o365mail.imap;
}
