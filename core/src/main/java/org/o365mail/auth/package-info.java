/**
 * OAuth 2.0 tokens for Microsoft 365: {@link org.o365mail.auth.CredentialStrategy}, with a static factory per
 * sign-in flow (client credentials with a secret or certificate, username and password, device code, interactive
 * loopback), built for an {@link org.o365mail.auth.AppRegistration} and asked for tokens with a {@link
 * org.o365mail.auth.TokenRequest}; {@link org.o365mail.auth.ClientSecret} and {@link
 * org.o365mail.auth.CertificateCredential} hold the secrets and never print them; {@link
 * org.o365mail.auth.TokenStore} keeps signed-in accounts across restarts; {@link
 * org.o365mail.auth.TokenPreflight} checks a token's claims against what a connector needs.
 *
 * <p>Strategies are thread-safe (one token request however many threads ask) and {@link AutoCloseable}; values are
 * immutable. No MSAL type appears in this package's signatures.
 */
package org.o365mail.auth;
