package org.o365mail.internal;

import com.microsoft.aad.msal4j.IAccount;
import com.microsoft.aad.msal4j.InteractiveRequestParameters;
import com.microsoft.aad.msal4j.PublicClientApplication;
import com.microsoft.aad.msal4j.SystemBrowserOptions;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Optional;
import org.o365mail.Diagnosis;
import org.o365mail.MailboxAuthenticationException;
import org.o365mail.MailboxException;
import org.o365mail.SetupStep;
import org.o365mail.auth.AccessToken;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.BrowserLauncher;
import org.o365mail.auth.CredentialKind;
import org.o365mail.auth.TokenRequest;
import org.o365mail.auth.TokenStore;

/**
 * Interactive sign-in with PKCE and a loopback redirect ({@code http://localhost}, any free port), through
 * MSAL's system-browser flow; the page is opened by a {@link BrowserLauncher}. Then silent refresh from the
 * token store.
 */
public final class InteractiveEngine extends AbstractStrategy {
  private static final URI LOOPBACK = URI.create("http://localhost");

  private final DelegatedMsal msal;
  private final TokenRequest signInRequest;
  private final BrowserLauncher browser;
  private final Duration signInTimeout;
  private final String loginHint;
  private final boolean signInWhenNeeded;

  public InteractiveEngine(AppRegistration app, TokenRequest signInRequest, String accountName, BrowserLauncher browser,
      Duration signInTimeout, String loginHint, boolean signInWhenNeeded, StrategySettings settings) {
    super(app, settings, "interactive");
    this.signInRequest = signInRequest;
    this.browser = browser;
    this.signInTimeout = signInTimeout;
    this.loginHint = loginHint;
    this.signInWhenNeeded = signInWhenNeeded;
    TokenStore store = settings.tokenStore() != null ? settings.tokenStore() : TokenStore.inMemory();
    MsalCacheBridge bridge = new MsalCacheBridge(store, DelegatedMsal.storeKey(app, accountName));
    this.msal = new DelegatedMsal(app, MsalApps.publicClient(app, executor, settings.timeout(), bridge), bridge,
        settings, loginHint);
  }

  private AuthContext context(TokenRequest request) {
    return new AuthContext(app, AuthFlow.INTERACTIVE, msal.scopes(request), null, loginHint);
  }

  /** Opens the sign-in page and waits for the redirect, at most the configured timeout. */
  public AccessToken signIn() {
    AccessToken token = signInFor(signInRequest);
    return remember(signInRequest, token);
  }

  private AccessToken signInFor(TokenRequest request) {
    AuthContext context = context(request);
    PublicClientApplication pca = (PublicClientApplication) msal.msal();
    SystemBrowserOptions browserOptions = SystemBrowserOptions.builder()
        .openBrowserAction(url -> {
          try {
            browser.open(url.toURI());
          } catch (IOException | URISyntaxException e) {
            throw new MailboxException("cannot open the sign-in page: " + e.getClass().getSimpleName(), e);
          }
        })
        .build();
    InteractiveRequestParameters.InteractiveRequestParametersBuilder parameters =
        InteractiveRequestParameters.builder(LOOPBACK)
            .scopes(msal.scopes(request))
            .systemBrowserOptions(browserOptions)
            .httpPollingTimeoutInSeconds((int) Math.max(1, signInTimeout.toSeconds()));
    if (loginHint != null) {
      parameters.loginHint(loginHint);
    }
    try {
      return msal.signIn(() -> MsalApps.await(pca.acquireToken(parameters.build()),
          signInTimeout.plusSeconds(10), context));
    } catch (MailboxException e) {
      if (e.diagnosis().isEmpty() || e.diagnosis().get().setupStep() == SetupStep.UNKNOWN) {
        Diagnosis d = Diagnosis.builder(SetupStep.SIGN_IN_AGAIN, e.serviceErrorCode().orElse("interactive"))
            .summary("The interactive sign-in did not complete within " + signInTimeout.toSeconds() + " s ("
                + e.getClass().getSimpleName() + ")")
            .fix("Sign in again and finish in the browser; on a machine without a browser use device code")
            .build();
        throw new MailboxAuthenticationException(d, e);
      }
      throw e;
    }
  }

  public boolean isSignedIn() {
    return msal.account(context(signInRequest)).isPresent();
  }

  public void signOut() {
    msal.signOut(context(signInRequest));
    invalidate(signInRequest);
  }

  @Override
  protected AccessToken acquire(TokenRequest request) {
    AuthContext context = context(request);
    Optional<IAccount> account = msal.account(context);
    if (account.isPresent()) {
      return msal.refresh(request, account.get(), context);
    }
    if (!signInWhenNeeded) {
      Diagnosis d = Diagnosis.builder(SetupStep.SIGN_IN_AGAIN, "not_signed_in")
          .summary("No user has signed in interactively for app " + app.clientId() + " yet")
          .fix("Run the interactive sign-in (signIn() or 'o365mail login')")
          .build();
      throw new MailboxAuthenticationException(d, null);
    }
    return signInFor(request);
  }

  @Override
  public CredentialKind kind() {
    return CredentialKind.DELEGATED;
  }

  @Override
  public String credentialLabel() {
    return "interactive sign-in";
  }
}
