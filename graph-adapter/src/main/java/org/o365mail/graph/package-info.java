/**
 * Microsoft 365 mailboxes over Microsoft Graph: {@link org.o365mail.graph.GraphMailboxConnector}, the {@link
 * org.o365mail.MailboxConnector} over {@code /users/{mailbox}} (immutable ids, streamed MIME, delta sync, {@code
 * $batch}, upload sessions), with {@link org.o365mail.graph.GraphMailboxes} for the per-mailbox state connectors
 * may share; {@link org.o365mail.graph.GraphDoctorProbe}, the doctor's second look through Graph; and {@link
 * org.o365mail.graph.GraphRegisteredCredentials}, an app registration's secrets and certificates for the expiry
 * tracker. Tokens come from a {@link org.o365mail.auth.CredentialStrategy}; no Graph SDK, Kiota or OkHttp type
 * appears in this package's signatures.
 *
 * <p>Logging (SLF4J): {@code org.o365mail.graph.internal.Governor} logs each request (method, path with the mailbox
 * left out, status, time, attempt, request id) and each retry at DEBUG; {@code org.o365mail.graph.internal.DeltaSync}
 * a discarded or expired sync state; {@code org.o365mail.graph.internal.SizeExpansion} a refused size {@code
 * $expand}; {@code org.o365mail.graph.internal.Sender} a draft it could not delete. Tokens and message content are
 * never logged.
 */
package org.o365mail.graph;
