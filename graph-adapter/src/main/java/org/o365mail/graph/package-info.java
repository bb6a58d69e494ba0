/**
 * Microsoft 365 mailboxes over Microsoft Graph: {@link org.o365mail.graph.GraphMailboxConnector}, the {@link
 * org.o365mail.MailboxConnector} for {@code /users/{mailbox}} (immutable ids, delta sync, {@code $batch}, MIME
 * streams, upload sessions for large attachments), built with its {@link
 * org.o365mail.graph.GraphMailboxConnector.Builder}; {@link org.o365mail.graph.GraphDoctorProbe}, the doctor's
 * closer look at Graph failures; and {@link org.o365mail.graph.GraphRegisteredCredentials}, the app registration's
 * secrets and certificates for the expiry tracker. Tokens come from a {@link org.o365mail.auth.CredentialStrategy};
 * no Graph SDK, Kiota or OkHttp type appears in this package's signatures.
 *
 * <p>Connectors are thread-safe (share one per mailbox), pace their requests under Exchange's limits and must be
 * closed.
 */
package org.o365mail.graph;
