package org.o365mail.auth;

import java.util.List;
import java.util.Optional;

/**
 * Supplies OAuth 2.0 access tokens for one app registration, one resource at a time. Implementations cache
 * tokens, renew them ahead of expiry (five minutes by default) with one request however many threads ask,
 * retry transient failures with bounded back-off, run MSAL on their own threads, and are thread-safe.
 * Failures are {@link org.o365mail.MailboxAuthenticationException}s whose diagnosis names the missed setup
 * step.
 *
 * <pre>{@code
 * CredentialStrategy credential = CredentialStrategy.clientCredentials(app)
 *     .secret(ClientSecret.fromEnvironment("O365_CLIENT_SECRET"))
 *     .build();
 * AccessToken token = credential.token(TokenRequest.imap());   // https://outlook.office365.com/.default
 * }</pre>
 */
public interface CredentialStrategy extends AutoCloseable {
  /**
   * A token for {@code request}'s resource, valid for at least the refresh margin or, for short-lived tokens,
   * half their lifetime.
   *
   * @throws org.o365mail.MailboxAuthenticationException when Entra ID refuses (with the setup step to fix)
   * @throws org.o365mail.MailboxException for network and service failures that outlasted the retries
   */
  AccessToken token(TokenRequest request);

  /** App-only or delegated. */
  CredentialKind kind();

  /** The app registration the tokens are issued to. */
  AppRegistration registration();

  /** The signed-in user, when the strategy knows it up front (username/password). */
  default Optional<String> username() {
    return Optional.empty();
  }

  /**
   * The secrets and certificates this strategy signs in with, in the order it tries them; empty for strategies
   * that hold none (delegated sign-ins, token sources).
   */
  default List<AppCredential> appCredentials() {
    return List.of();
  }

  /**
   * The one of {@link #appCredentials()} in use now (after Entra ID rejected one, the next); empty for
   * strategies that hold none.
   */
  default Optional<AppCredential> appCredentialInUse() {
    return Optional.empty();
  }

  /** Drops the cached token for {@code request}, so the next call asks Entra ID (after a 401, say). */
  void invalidate(TokenRequest request);

  /** Releases threads; the strategy cannot be used afterwards. */
  @Override
  void close();

  /** Client credentials (app-only) with a client secret or certificate: for services. */
  static ClientCredentialsBuilder clientCredentials(AppRegistration app) {
    return new ClientCredentialsBuilder(app);
  }

  /**
   * Username and password (ROPC): deprecated by Microsoft, fails for MFA and federated users; here for the
   * guides that use it.
   */
  static UsernamePasswordBuilder usernamePassword(AppRegistration app, String username, char[] password) {
    return new UsernamePasswordBuilder(app, username, password);
  }

  /**
   * Tokens from {@code source} (a managed identity, another library's credential) with this SDK's cache,
   * retries, listener events and diagnoses in front of it.
   *
   * @param app the identity's registration (client id and tenant; for a managed identity its client id)
   * @param kind app-only for service identities, delegated for user credentials
   */
  static TokenSourceBuilder tokenSource(AppRegistration app, CredentialKind kind, TokenSource source) {
    return new TokenSourceBuilder(app, kind, source);
  }

  /** Device code, in two steps for servers: show the code, then wait. */
  static DeviceCodeCredential.Builder deviceCode(AppRegistration app) {
    return new DeviceCodeCredential.Builder(app);
  }

  /** Interactive sign-in in a browser with PKCE and a loopback redirect. */
  static InteractiveCredential.Builder interactive(AppRegistration app) {
    return new InteractiveCredential.Builder(app);
  }
}
