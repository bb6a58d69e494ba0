/**
 * The Jakarta Mail bridge: {@link org.o365mail.jakarta.JakartaMailSessions} builds Jakarta Mail sessions for
 * Exchange Online's IMAP and SMTP whose {@link org.o365mail.jakarta.OAuth2Authenticator} hands XOAUTH2 tokens of a
 * {@link org.o365mail.auth.CredentialStrategy} at each connect, and {@link
 * org.o365mail.jakarta.JakartaMailDiagnostics} names the setup step behind a refused login.
 */
package org.o365mail.jakarta;
