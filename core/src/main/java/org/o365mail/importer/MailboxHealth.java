package org.o365mail.importer;

/** The state of one mailbox's import, for dashboards and alerts. */
public enum MailboxHealth {
  /** Importing normally. */
  HEALTHY,
  /** The service asked to slow down; importing resumes by itself. */
  THROTTLED,
  /** A user must sign in again (refresh token expired or revoked, password changed). */
  AUTHENTICATION_REQUIRED,
  /** A permission or consent is missing. */
  CONSENT_REQUIRED,
  /** Importing, but a credential expires soon. */
  SECRET_EXPIRING,
  /** The client secret or certificate expired or was rejected. */
  SECRET_EXPIRED,
  /** The identity may not open this mailbox (Exchange service principal, mailbox permission, access policy). */
  MAILBOX_ACCESS_DENIED,
  /** Network or service failures, or the checkpoint store failing; retried with back-off. */
  DEGRADED,
  /** The importer was closed. */
  STOPPED
}
