package org.o365mail.auth;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * Interactive sign-in in a browser (authorization code with PKCE, redirect to {@code http://localhost} on any
 * free port: register it under "Mobile and desktop applications"). Opens the system browser where there is
 * one, otherwise prints the address; gives up after the timeout (default 5 minutes). Afterwards tokens come
 * from the refresh token in the {@link TokenStore}. Thread-safe.
 */
public final class InteractiveCredential implements CredentialStrategy {
  private final InteractiveEngine engine;

  private InteractiveCredential(InteractiveEngine engine) {
    this.engine = engine;
  }

  /** Opens the sign-in page and waits for the user, at most the configured timeout. */
  public AccessToken signIn() {
    return engine.signIn();
  }

  public boolean isSignedIn() {
    return engine.isSignedIn();
  }

  public void signOut() {
    engine.signOut();
  }

  @Override
  public AccessToken token(TokenRequest request) {
    return engine.token(request);
  }

  @Override
  public CredentialKind kind() {
    return CredentialKind.DELEGATED;
  }

  @Override
  public AppRegistration registration() {
    return engine.registration();
  }

  @Override
  public void invalidate(TokenRequest request) {
    engine.invalidate(request);
  }

  @Override
  public void close() {
    engine.close();
  }

  @Override
  public String toString() {
    return "InteractiveCredential[" + engine.registration() + "]";
  }

  /** A builder for a sign-in with {@code app}'s registration. */
  public static Builder builder(AppRegistration app) {
    return new Builder(app);
  }

  /** Builds an {@link InteractiveCredential}. */
  public static final class Builder extends CredentialStrategy.Builder<Builder> {
    private TokenRequest signInRequest = TokenRequest.graph("User.Read");
    private BrowserLauncher browser = BrowserLauncher.system();
    private Duration signInTimeout = Duration.ofMinutes(5);
    private String loginHint;
    private String accountName;
    private boolean signInWhenNeeded = true;

    Builder(AppRegistration app) {
      super(app);
    }

    public Builder signInRequest(TokenRequest request) {
      this.signInRequest = requireNonNull(request, "signInRequest");
      return this;
    }

    /** How the sign-in page is opened (default: system browser, else print the address). */
    public Builder browser(BrowserLauncher launcher) {
      this.browser = requireNonNull(launcher, "browser");
      return this;
    }

    /** How long to wait for the user (default 5 minutes). */
    public Builder signInTimeout(Duration timeout) {
      requireNonNull(timeout, "signInTimeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("signInTimeout must be positive, was " + timeout);
      }
      this.signInTimeout = timeout;
      return this;
    }

    /** Pre-fills the user name on the sign-in page and picks that account from the store. */
    public Builder loginHint(String userPrincipalName) {
      this.loginHint = requireNonNull(userPrincipalName, "loginHint");
      return this;
    }

    public Builder tokenStore(TokenStore store) {
      return tokenStoreInternal(store);
    }

    public Builder accountName(String name) {
      this.accountName = requireNonNull(name, "accountName");
      return this;
    }

    /** Whether {@link #token} may open the browser when nobody is signed in (default true). */
    public Builder signInWhenNeeded(boolean value) {
      this.signInWhenNeeded = value;
      return this;
    }

    public InteractiveCredential build() {
      return new InteractiveCredential(new InteractiveEngine(app, signInRequest, accountName, browser, signInTimeout,
          loginHint, signInWhenNeeded, settings()));
    }
  }
}
