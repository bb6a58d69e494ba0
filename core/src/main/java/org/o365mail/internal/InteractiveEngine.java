package org.o365mail.internal;

import com.microsoft.aad.msal4j.AuthorizationCodeParameters;
import com.microsoft.aad.msal4j.AuthorizationRequestUrlParameters;
import com.microsoft.aad.msal4j.IAccount;
import com.microsoft.aad.msal4j.Prompt;
import com.microsoft.aad.msal4j.PublicClientApplication;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.Set;
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
 * Interactive sign-in with PKCE and a loopback redirect ({@code http://localhost}, any free port): the page is
 * opened by a {@link BrowserLauncher}, the redirect is taken by the SDK's own {@link RedirectListener} (so that an
 * {@code error=} from Entra ID is reported as itself), and MSAL redeems the code and keeps the tokens. Then silent
 * refresh from the token store.
 */
public final class InteractiveEngine extends AbstractStrategy {
  private static final SecureRandom RANDOM = new SecureRandom();

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
    Set<String> scopes = msal.scopes(request);
    String verifier = random(32);
    String state = random(16);
    RedirectListener.Result result;
    URI redirectUri;
    try (RedirectListener listener = RedirectListener.start()) {
      redirectUri = listener.redirectUri();
      AuthorizationRequestUrlParameters.Builder url = AuthorizationRequestUrlParameters
          .builder(redirectUri.toString(), scopes)
          .codeChallenge(challenge(verifier))
          .codeChallengeMethod("S256")
          .state(state)
          .prompt(Prompt.SELECT_ACCOUNT);
      if (loginHint != null) {
        url.loginHint(loginHint);
      }
      try {
        browser.open(pca.getAuthorizationRequestUrl(url.build()).toURI());
      } catch (IOException | URISyntaxException e) {
        throw new MailboxException("cannot open the sign-in page: " + e.getClass().getSimpleName(), e);
      }
      long waitStart = System.nanoTime();
      result = listener.await(signInTimeout).orElseThrow(() -> {
        // only a real timeout gets here (an error redirect is a result), with the time really waited
        long waited = (System.nanoTime() - waitStart) / 1_000_000;
        Diagnosis d = Diagnosis.builder(SetupStep.SIGN_IN_AGAIN, "interactive_timeout")
            .summary("The interactive sign-in did not complete: no redirect came back in " + waited / 1000 + "."
                + (waited % 1000) / 100 + " s (signInTimeout " + signInTimeout.toSeconds() + " s)")
            .fix("Sign in again and finish in the browser; on a machine without a browser use device code")
            .retryable(false)
            .build();
        return new MailboxAuthenticationException(d, null);
      });
    } catch (IOException e) {
      throw new MailboxException("cannot listen for the sign-in redirect on loopback: "
          + e.getClass().getSimpleName(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new MailboxException("interrupted while waiting for the interactive sign-in", e);
    }
    if (result.error() != null) {
      // Entra ID came back with error= and error_description= (the user declined, the account type does not fit,
      // ...): said at once, through the AADSTS catalogue, not as a sign-in that never completed
      throw AuthErrors.translate(new OAuthError(400, result.error(),
          result.errorDescription() == null ? "" : result.errorDescription(), null, null), context);
    }
    if (result.code() == null || !state.equals(result.state())) {
      Diagnosis d = Diagnosis.builder(SetupStep.SIGN_IN_AGAIN, "state_mismatch")
          .summary("The sign-in redirect did not answer this sign-in (its state does not match)")
          .fix("Sign in again; close other sign-in tabs of this app")
          .build();
      throw new MailboxAuthenticationException(d, null);
    }
    AuthorizationCodeParameters redeem = AuthorizationCodeParameters.builder(result.code(), redirectUri)
        .scopes(scopes).codeVerifier(verifier).build();
    return msal.signIn(() -> MsalApps.await(pca.acquireToken(redeem), settings.timeout(), context));
  }

  private static String random(int bytes) {
    byte[] b = new byte[bytes];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /** PKCE S256 (RFC 7636 section 4.2): BASE64URL(SHA256(ASCII(code_verifier))). */
  private static String challenge(String verifier) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
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
