/**
 * When each client secret and certificate stops working, known weeks ahead: {@link
 * org.o365mail.expiry.SecretExpiryTracker} tracks the credentials a configuration uses, reads their end dates from
 * the configuration, the certificates and (through {@link org.o365mail.expiry.RegisteredCredentials}) the app
 * registration, and reports an {@link org.o365mail.expiry.ExpiryReport} of {@link
 * org.o365mail.expiry.CredentialStatus}es; {@link org.o365mail.expiry.ExpiryListener}s hear of each change.
 *
 * <p>The tracker is thread-safe and runs on an injected clock; reports and statuses are immutable and hold no
 * secret.
 */
package org.o365mail.expiry;
