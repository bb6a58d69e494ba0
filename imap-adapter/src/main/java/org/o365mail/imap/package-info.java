/**
 * Microsoft 365 mailboxes over IMAP and SMTP with OAuth 2.0 (SASL XOAUTH2): {@link
 * org.o365mail.imap.ImapMailboxConnector}, the {@link org.o365mail.MailboxConnector} for Exchange Online's IMAP
 * ({@code outlook.office365.com:993}), and {@link org.o365mail.imap.SmtpSender} for submission through {@code
 * smtp.office365.com:587}. Tokens come from a {@link org.o365mail.auth.CredentialStrategy} (app-only with {@code
 * IMAP.AccessAsApp}/{@code SMTP.SendAsApp}, or delegated with {@code IMAP.AccessAsUser.All}/{@code SMTP.Send}); no
 * Jakarta Mail type appears in this package's signatures.
 *
 * <p>Logging (SLF4J): {@code org.o365mail.imap.internal.MailboxSession} logs each IMAP command class, logins and
 * lost connections at DEBUG; {@code org.o365mail.imap.SmtpSender} each submission at DEBUG. Tokens, XOAUTH2
 * payloads and message content are never logged; mailbox addresses only with {@code logPii(true)}.
 */
package org.o365mail.imap;
