/**
 * The protocol-neutral mailbox API: {@link org.o365mail.MailboxConnector}, one Microsoft 365 mailbox over Graph or
 * IMAP, with the values it takes and returns ({@link org.o365mail.FolderRef}, {@link org.o365mail.MessageSummary},
 * {@link org.o365mail.OutgoingMessage}, {@link org.o365mail.Paged}, {@link org.o365mail.SyncState}, ...) and the
 * failures it throws, all unchecked below {@link org.o365mail.MailboxException} and carrying a {@link
 * org.o365mail.Diagnosis} that names the missed {@link org.o365mail.SetupStep}. The implementations live in the
 * adapters ({@code o365-mail-graph}, {@code o365-mail-imap}); no type of Graph, MSAL or Jakarta Mail appears here.
 *
 * <p>Values (records and the final classes with builders) are immutable and thread-safe; connectors are
 * thread-safe, block in their methods and must be closed.
 */
package org.o365mail;
