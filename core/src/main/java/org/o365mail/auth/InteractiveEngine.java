package org.o365mail.auth;

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
import org.o365mail.internal.SignInHttp;

/**
 * Interactive sign-in with PKCE and a loopback redirect ({@code http://localhost}, any free port): the page is
 * opened by a {@link BrowserLauncher}, the redirect is taken by the SDK's own {@link RedirectListener} (so that an
 * {@code error=} from Entra ID is reported as itself), and MSAL redeems the code and keeps the tokens. Then silent
 * refresh from the token store.
 */
final class InteractiveEngine extends AbstractStrategy {
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
      URI page;
      try {
        page = pca.getAuthorizationRequestUrl(url.build()).toURI();
        browser.open(page);
      } catch (IOException | URISyntaxException e) {
        throw new MailboxException("cannot open the sign-in page: " + e.getClass().getSimpleName(), e);
      }
      long waitStart = System.nanoTime();
      Optional<RedirectListener.Result> answered = listener.await(signInTimeout);
      if (answered.isEmpty()) {
        // only a real timeout gets here (an error redirect is a result), with the time really waited
        long waited = (System.nanoTime() - waitStart) / 1_000_000;
        throw timedOut(waited, page, context);
      }
      result = answered.get();
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

  /** How long the look at the sign-in page after a timeout may take, body included. */
  static final Duration PAGE_LOOK = Duration.ofSeconds(10);

  private static final java.util.regex.Pattern AADSTS = java.util.regex.Pattern.compile("AADSTS(\\d{5,6})\\b");

  /**
   * A sign-in that timed out: Entra ID shows some errors on its own page and never redirects. The redirect URI is
   * checked before anyone signs in (the page says "AADSTS50011: The redirect URI ... specified in the request does
   * not match the redirect URIs configured for the application", as in the transcript of
   * https://github.com/unoplatform/uno.todo/issues/180 and
   * https://learn.microsoft.com/en-us/troubleshoot/entra/entra-id/app-integration/error-code-aadsts50011-redirect-uri-mismatch),
   * so the same authorize URL is fetched once more, without cookies (no one is signed in, nothing is redeemed), and
   * an AADSTS code on that page is the diagnosis. What is shown only after the user signs in (AADSTS50057, the
   * account is disabled; AADSTS53003, Conditional Access blocked it:
   * https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes) cannot be seen that way: those
   * are the alternatives of the timeout.
   */
  private MailboxAuthenticationException timedOut(long waitedMillis, URI page, AuthContext context) {
    String waited = waitedMillis / 1000 + "." + (waitedMillis % 1000) / 100 + " s (signInTimeout "
        + signInTimeout.toSeconds() + " s)";
    String redirectCheck = "(Get-MgApplication -Filter \"appId eq '" + app.clientId()
        + "'\").PublicClient.RedirectUris";
    PageLook look = lookAtPage(page);
    if (look.code().isPresent()) {
      MailboxException named = AuthErrors.translate(new OAuthError(400, "invalid_request", "AADSTS"
          + look.code().get() + ": shown on the sign-in page", null, null), context);
      Optional<Diagnosis> d = named.diagnosis().filter(x -> x.setupStep() != SetupStep.UNKNOWN);
      if (d.isPresent()) {
        Diagnosis.Builder b = d.get().toBuilder().summary(d.get().summary() + " (AADSTS" + look.code().get()
            + " is on the sign-in page, which never redirects; no redirect came back in " + waited + ")");
        if (d.get().setupStep() == SetupStep.REDIRECT_URI && d.get().command().isEmpty()) {
          b.command(redirectCheck);
        }
        return new MailboxAuthenticationException(b.build(), null);
      }
    }
    String user = loginHint != null ? loginHint : "<user>";
    Diagnosis.Builder d = Diagnosis.builder(SetupStep.SIGN_IN_AGAIN, "interactive_timeout")
        .summary("The interactive sign-in did not complete: no redirect came back in " + waited + "; "
            + look.evidence())
        .fix("Sign in again and finish in the browser; on a machine without a browser use device code. If the"
            + " browser showed an error (AADSTS...), it names the step")
        .retryable(false)
        .alternative(Diagnosis.builder(SetupStep.USER_ACCOUNT, "interactive_timeout")
            .summary("The browser may show AADSTS50057: the account " + user + " is disabled (sign-in blocked)")
            .fix("Entra admin center > Users > " + user + " > Edit properties > Settings: allow sign-in")
            .command("Get-MgUser -UserId " + user + " -Property AccountEnabled").build())
        .alternative(Diagnosis.builder(SetupStep.CONDITIONAL_ACCESS, "interactive_timeout")
            .summary("The browser may show AADSTS53003: Conditional Access blocked the sign-in")
            .fix("Entra admin center > Monitoring > Sign-in logs: open the failed sign-in of " + user + ", tab"
                + " Conditional Access, and meet or exclude the policy that blocked it")
            .build());
    if (!look.checked()) {
      d.alternative(Diagnosis.builder(SetupStep.REDIRECT_URI, "interactive_timeout")
          .summary("The browser may show AADSTS50011: http://localhost is not a redirect URI of app "
              + app.clientId() + " under Mobile and desktop applications")
          .fix("Authentication > Add a platform > Mobile and desktop applications > http://localhost")
          .command(redirectCheck).build());
    }
    return new MailboxAuthenticationException(d.build(), null);
  }

  /**
   * What the sign-in page shows to someone not signed in.
   *
   * @param code the AADSTS code on the page, when there is one
   * @param checked whether the page was read
   * @param evidence what was seen, for the summary (no page text: it is the server's)
   */
  private record PageLook(Optional<String> code, boolean checked, String evidence) {}

  private PageLook lookAtPage(URI page) {
    SignInHttp http = new SignInHttp(app.trust().orElse(null), app.proxy(), executor, PAGE_LOOK);
    try {
      SignInHttp.Answer answer = http.send(java.net.http.HttpRequest.newBuilder(page).timeout(PAGE_LOOK).GET()
          .build());
      java.util.regex.Matcher m = AADSTS.matcher(answer.body());
      if (m.find()) {
        return new PageLook(Optional.of(m.group(1)), true, "the sign-in page shows AADSTS" + m.group(1));
      }
      return new PageLook(Optional.empty(), answer.status() == 200, "the sign-in page (HTTP " + answer.status()
          + ") shows no error before sign-in");
    } catch (IOException e) {
      return new PageLook(Optional.empty(), false, "the sign-in page could not be read again ("
          + e.getClass().getSimpleName() + ")");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new PageLook(Optional.empty(), false, "interrupted");
    }
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
