package org.o365mail.auth;

import com.microsoft.aad.msal4j.ClientCredentialFactory;
import com.microsoft.aad.msal4j.IAccount;
import com.microsoft.aad.msal4j.PublicClientApplication;
import com.microsoft.aad.msal4j.UserNamePasswordParameters;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.o365mail.MailboxAuthenticationException;
import org.o365mail.SetupStep;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Username and password (ROPC), as a public client (Sinch guide) or as a confidential client with a secret
 * (DocBits guide). Signs in with the password once, then refreshes silently; signs in again with the password
 * when the stored sign-in is gone or revoked. MSAL4J has no confidential-client ROPC, so that variant's first
 * sign-in is done by the SDK's own password grant and handed to MSAL as a refresh token.
 */
final class UsernamePasswordStrategy extends AbstractStrategy {
  private static final Logger logger = LoggerFactory.getLogger(UsernamePasswordStrategy.class);
  private static final AtomicBoolean WARNED = new AtomicBoolean();

  private final String username;
  private final char[] password;
  private final ClientSecret clientSecret;
  private final DelegatedMsal msal;
  private final OAuthHttp http;

  public UsernamePasswordStrategy(AppRegistration app, String username, char[] password, ClientSecret clientSecret,
      StrategySettings settings) {
    super(app, settings, "ropc");
    this.username = username;
    this.password = password.clone();
    this.clientSecret = clientSecret;
    TokenStore store = settings.tokenStore() != null ? settings.tokenStore() : TokenStore.inMemory();
    MsalCacheBridge bridge = new MsalCacheBridge(store, DelegatedMsal.storeKey(app, username));
    this.msal = new DelegatedMsal(app,
        clientSecret == null
            ? MsalApps.publicClient(app, executor, settings.timeout(), bridge)
            : MsalApps.confidentialClient(app, ClientCredentialFactory.createFromSecret(clientSecret.value()), executor,
                settings.timeout(), bridge),
        bridge, settings, username);
    this.http = new OAuthHttp(app, executor, settings.timeout());
    if (WARNED.compareAndSet(false, true)) {
      logger.warn("Username/password (ROPC) sign-in is deprecated by Microsoft and fails for users who need MFA and"
          + " for federated accounts; prefer device code for people and client credentials for services");
    }
  }

  @Override
  public CredentialKind kind() {
    return CredentialKind.DELEGATED;
  }

  @Override
  public Optional<String> username() {
    return Optional.of(username);
  }

  @Override
  public String credentialLabel() {
    return "password of " + username + (clientSecret == null ? "" : " with client secret " + clientSecret.hint() + "...");
  }

  @Override
  protected AccessToken acquire(TokenRequest request) {
    AuthContext context = new AuthContext(app, AuthFlow.PASSWORD, msal.scopes(request), clientSecret, username);
    Optional<IAccount> account = msal.account(context);
    if (account.isPresent()) {
      try {
        return msal.refresh(request, account.get(), context);
      } catch (MailboxAuthenticationException e) {
        if (e.diagnosis().map(d -> d.setupStep() != SetupStep.SIGN_IN_AGAIN).orElse(true)) {
          throw e;
        }
        logger.debug("The stored sign-in of {} cannot be refreshed ({}); signing in with the password again",
            username, e.serviceErrorCode().orElse(""));
      }
    }
    return signIn(request, context);
  }

  @SuppressWarnings("deprecation") // ROPC is deprecated in MSAL4J; this strategy exists for guides that use it
  private AccessToken signIn(TokenRequest request, AuthContext context) {
    Set<String> scopes = msal.scopes(request);
    if (clientSecret == null) {
      PublicClientApplication pca = (PublicClientApplication) msal.msal();
      return msal.signIn(() -> MsalApps.await(
          pca.acquireToken(UserNamePasswordParameters.builder(scopes, username, Arrays.copyOf(password, password.length))
              .build()),
          settings.timeout(), context));
    }
    OAuthHttp.TokenResponse response;
    try {
      response = http.passwordGrant(username, password, scopes, clientSecret);
    } catch (RuntimeException e) {
      throw AuthErrors.translate(e, context);
    }
    if (response.refreshToken() == null) {
      return new AccessToken(response.accessToken(), settings.clock().instant().plus(response.expiresIn()));
    }
    return msal.adoptRefreshToken(response.refreshToken(), request, context);
  }

  @Override
  public void close() {
    Arrays.fill(password, '\0');
    super.close();
  }
}
