package org.o365mail.auth;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import org.o365mail.internal.Arguments;
import org.o365mail.internal.Sleeper;

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

  /** Device code, in two steps for servers: show the code, then wait. Same as {@link DeviceCodeCredential#builder}. */
  static DeviceCodeCredential.Builder deviceCode(AppRegistration app) {
    return DeviceCodeCredential.builder(app);
  }

  /** Interactive sign-in in a browser with PKCE and a loopback redirect. Same as {@link InteractiveCredential#builder}. */
  static InteractiveCredential.Builder interactive(AppRegistration app) {
    return InteractiveCredential.builder(app);
  }

  /**
   * Settings every strategy builder has. Defaults: system UTC clock, renew 5 minutes before expiry, 60 s per
   * token request, 3 attempts for transient failures, the strategy's own threads. Builders are not thread-safe;
   * the strategies they build are.
   *
   * @param <B> the concrete builder
   */
  abstract class Builder<B extends Builder<B>> {
    AppRegistration app;
    private Clock clock = Clock.systemUTC();
    private Duration refreshAhead = Duration.ofMinutes(5);
    private ExecutorService executor;
    private Duration timeout = Duration.ofSeconds(60);
    private int maxAttempts = 3;
    private CredentialListener listener = CredentialListener.NONE;
    private TokenStore tokenStore;
    private Sleeper sleeper = Sleeper.REAL;

    Builder(AppRegistration app) {
      this.app = requireNonNull(app, "app");
    }

    @SuppressWarnings("unchecked")
    private B self() {
      return (B) this;
    }

    /** The clock expiry decisions use (tests inject one). */
    public B clock(Clock value) {
      this.clock = requireNonNull(value, "clock");
      return self();
    }

    /** How long before expiry a token is renewed (default 5 minutes). */
    public B refreshAhead(Duration value) {
      requireNonNull(value, "refreshAhead");
      if (value.isNegative()) {
        throw new IllegalArgumentException("refreshAhead must not be negative, was " + value);
      }
      this.refreshAhead = value;
      return self();
    }

    /**
     * The proxy for this strategy's sign-in, replacing the registration's {@link AppRegistration#proxy()}; {@link
     * #registration()} of the built strategy carries it, so connectors built on the strategy use it too unless
     * given their own.
     */
    public B proxy(org.o365mail.ProxySettings value) {
      this.app = app.toBuilder().proxy(requireNonNull(value, "proxy")).build();
      return self();
    }

    /** Threads for MSAL and HTTP calls; the caller keeps ownership. Default: the strategy's own (never the common pool). */
    public B executor(ExecutorService value) {
      this.executor = requireNonNull(value, "executor");
      return self();
    }

    /** Longest wait for one token request (default 60 s). */
    public B timeout(Duration value) {
      this.timeout = Arguments.positive(value, "timeout");
      return self();
    }

    /** Attempts for transient failures (503, 429, network), 1 to 10 (default 3). */
    public B maxAttempts(int value) {
      if (value < 1 || value > 10) {
        throw new IllegalArgumentException("maxAttempts must be 1 to 10, was " + value);
      }
      this.maxAttempts = value;
      return self();
    }

    /** Receives token, failure and failover events (a {@code SecretExpiryTracker}'s, say); default none. */
    public B listener(CredentialListener value) {
      this.listener = requireNonNull(value, "listener");
      return self();
    }

    B tokenStoreInternal(TokenStore value) {
      this.tokenStore = requireNonNull(value, "tokenStore");
      return self();
    }

    /** How retries wait; for tests. */
    B sleeper(Sleeper value) {
      this.sleeper = requireNonNull(value, "sleeper");
      return self();
    }

    StrategySettings settings() {
      return new StrategySettings(clock, refreshAhead, executor, timeout, maxAttempts, listener, tokenStore, sleeper);
    }
  }

  /**
   * Builds an app-only strategy. Several credentials may be given (a current and a new secret during rotation, or
   * a secret and a certificate): they are tried in the order given, and a rejected or expired one is skipped.
   */
  final class ClientCredentialsBuilder extends Builder<ClientCredentialsBuilder> {
    private final List<ClientCredentialsStrategy.Credential> credentials = new ArrayList<>();

    ClientCredentialsBuilder(AppRegistration app) {
      super(app);
    }

    /** A client secret (call again to add a second one for rotation). */
    public ClientCredentialsBuilder secret(ClientSecret secret) {
      credentials.add(new ClientCredentialsStrategy.Credential(requireNonNull(secret, "secret"), null));
      return this;
    }

    /** A certificate credential (recommended by Microsoft over secrets). */
    public ClientCredentialsBuilder certificate(CertificateCredential certificate) {
      credentials.add(new ClientCredentialsStrategy.Credential(null, requireNonNull(certificate, "certificate")));
      return this;
    }

    public CredentialStrategy build() {
      if (credentials.isEmpty()) {
        throw new IllegalStateException("missing required setting: secret(...) or certificate(...)");
      }
      if (!app.hasSpecificTenant()) {
        throw new IllegalStateException("client credentials need a specific tenant: set AppRegistration tenant() to"
            + " the Directory (tenant) ID or a domain; '" + app.authorityTenant() + "' cannot issue app-only tokens");
      }
      return new ClientCredentialsStrategy(app, credentials, settings());
    }
  }

  /** Builds a username/password (ROPC) strategy, public or (with {@link #clientSecret}) confidential. */
  final class UsernamePasswordBuilder extends Builder<UsernamePasswordBuilder> {
    private final String username;
    private final char[] password;
    private ClientSecret clientSecret;

    UsernamePasswordBuilder(AppRegistration app, String username, char[] password) {
      super(app);
      this.username = requireNonNull(username, "username").trim();
      this.password = requireNonNull(password, "password").clone();
      if (this.username.isEmpty() || !this.username.contains("@")) {
        throw new IllegalArgumentException("username must be the user's sign-in name (UPN) such as"
            + " queue@contoso.com");
      }
      if (password.length == 0) {
        throw new IllegalArgumentException("password must not be empty");
      }
    }

    /** Sign in as a confidential client with the app's secret (as the DocBits guide configures it). */
    public UsernamePasswordBuilder clientSecret(ClientSecret secret) {
      this.clientSecret = requireNonNull(secret, "clientSecret");
      return this;
    }

    /** Where the sign-in (refresh token) is kept; default memory. */
    public UsernamePasswordBuilder tokenStore(TokenStore store) {
      return tokenStoreInternal(store);
    }

    public CredentialStrategy build() {
      String t = app.authorityTenant();
      if (t.equals("common") || t.equals("consumers")) {
        throw new IllegalStateException("username/password cannot sign in through /" + t + ": set AppRegistration"
            + " tenant() to the tenant id or domain, or use accountTypes MULTI_TENANT (signs in through /organizations)");
      }
      return new UsernamePasswordStrategy(app, username, password, clientSecret, settings());
    }
  }

  /** Builds a strategy over a {@link TokenSource}. */
  final class TokenSourceBuilder extends Builder<TokenSourceBuilder> {
    private final CredentialKind kind;
    private final TokenSource source;
    private String label;

    TokenSourceBuilder(AppRegistration app, CredentialKind kind, TokenSource source) {
      super(app);
      this.kind = requireNonNull(kind, "kind");
      this.source = requireNonNull(source, "source");
      this.label = source.getClass().getSimpleName();
    }

    /** How the source is named in listener events and logs (default its class's simple name); no secrets. */
    public TokenSourceBuilder label(String value) {
      requireNonNull(value, "label");
      if (value.isBlank()) {
        throw new IllegalArgumentException("label must not be blank");
      }
      this.label = value;
      return this;
    }

    public CredentialStrategy build() {
      return new TokenSourceStrategy(app, source, kind, label, settings());
    }
  }
}
