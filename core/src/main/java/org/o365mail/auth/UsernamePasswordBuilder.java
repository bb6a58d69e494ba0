package org.o365mail.auth;

import static java.util.Objects.requireNonNull;


/** Builds a username/password (ROPC) strategy, public or (with {@link #clientSecret}) confidential. */
public final class UsernamePasswordBuilder extends StrategyBuilder<UsernamePasswordBuilder> {
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
