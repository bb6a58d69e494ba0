/**
 * The Jakarta Mail bridge: Sessions for Exchange Online's IMAP and SMTP with XOAUTH2 tokens from a {@code
 * CredentialStrategy}. Its API shows types of core and of Jakarta Mail, so both are required transitively; the
 * Angus Mail providers are found at run time through Jakarta Mail's service loader.
 */
module org.o365mail.jakarta {
  requires transitive org.o365mail;
  requires transitive jakarta.mail;

  exports org.o365mail.jakarta;
}
