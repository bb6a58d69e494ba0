/**
 * Implementation of the IMAP connector and SMTP sender: the XOAUTH2-only connection on Angus Mail's protocol layer,
 * the session that re-logs in and retries, the diagnoses of Exchange's answers, the id and checkpoint formats, and
 * the streaming readers. Not API: anything here may change in any release.
 */
package org.o365mail.imap.internal;
