package org.o365mail.auth;

import com.microsoft.aad.msal4j.AbstractClientApplicationBase;
import com.microsoft.aad.msal4j.IAccount;
import com.microsoft.aad.msal4j.IAuthenticationResult;
import com.microsoft.aad.msal4j.RefreshTokenParameters;
import com.microsoft.aad.msal4j.SilentParameters;
import java.net.MalformedURLException;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.o365mail.MailboxException;

/**
 * The MSAL side of a delegated strategy: one MSAL application whose token cache lives in a {@link TokenStore}
 * under one key, the signed-in account, silent refresh, and the hand-over of a refresh token obtained outside
 * MSAL. Every MSAL call runs under the store's lock for the key.
 */
final class DelegatedMsal {
  private final AppRegistration app;
  private final AbstractClientApplicationBase msal;
  private final MsalCacheBridge bridge;
  private final StrategySettings settings;
  private final String preferredUsername;

  public DelegatedMsal(AppRegistration app, AbstractClientApplicationBase msal, MsalCacheBridge bridge,
      StrategySettings settings, String preferredUsername) {
    this.app = app;
    this.msal = msal;
    this.bridge = bridge;
    this.settings = settings;
    this.preferredUsername = preferredUsername == null ? null : preferredUsername.toLowerCase(Locale.ROOT);
  }

  /** The store key for a strategy of this app, authority and (optional) account name. */
  public static String storeKey(AppRegistration app, String accountName) {
    return "o365mail|" + app.clientId() + "|" + app.authority() + "|" + (accountName == null ? "default" : accountName);
  }

  public AbstractClientApplicationBase msal() {
    return msal;
  }

  /** Scopes for MSAL: the request's delegated scopes without the ones MSAL adds itself. */
  public Set<String> scopes(TokenRequest request) {
    Set<String> scopes = new TreeSet<>(request.scopes(CredentialKind.DELEGATED, app.cloud()));
    scopes.remove("offline_access");
    return scopes;
  }

  /** The signed-in account in the cache (the preferred user's when one is configured). */
  public Optional<IAccount> account(AuthContext context) {
    return locked(() -> {
      Set<IAccount> accounts = MsalApps.await(msal.getAccounts(), settings.timeout(), context);
      IAccount chosen = null;
      for (IAccount a : accounts) {
        if (preferredUsername == null || preferredUsername.equalsIgnoreCase(a.username())) {
          chosen = a;
          break;
        }
      }
      return Optional.ofNullable(chosen);
    });
  }

  /** A new access token from the cached refresh token (always asks Entra ID). */
  public AccessToken refresh(TokenRequest request, IAccount account, AuthContext context) {
    Set<String> scopes = scopes(request);
    return locked(() -> {
      SilentParameters parameters;
      try {
        parameters = SilentParameters.builder(scopes, account).authorityUrl(app.authority()).forceRefresh(true).build();
      } catch (RuntimeException e) {
        throw new IllegalStateException("cannot build silent parameters", e);
      }
      try {
        return toToken(MsalApps.await(msal.acquireTokenSilently(parameters), settings.timeout(),
            context.withFlow(AuthFlow.REFRESH)));
      } catch (MalformedURLException e) {
        throw new IllegalArgumentException("authority " + app.authority() + " is not a URL", e);
      }
    });
  }

  /** Hands a refresh token obtained outside MSAL to MSAL, which redeems it and caches account and tokens. */
  public AccessToken adoptRefreshToken(String refreshToken, TokenRequest request, AuthContext context) {
    Set<String> scopes = scopes(request);
    return locked(() -> toToken(MsalApps.await(
        msal.acquireToken(RefreshTokenParameters.builder(scopes, refreshToken).build()), settings.timeout(), context)));
  }

  /** Runs an MSAL sign-in call (password, interactive) under the store lock and returns its token. */
  public AccessToken signIn(Supplier<IAuthenticationResult> call) {
    return locked(() -> toToken(call.get()));
  }

  /** Removes every account from the cache and the store. */
  public void signOut(AuthContext context) {
    locked(() -> {
      Set<IAccount> accounts = MsalApps.await(msal.getAccounts(), settings.timeout(), context);
      for (IAccount a : accounts) {
        MsalApps.await(msal.removeAccount(a), settings.timeout(), context);
      }
      bridge.store().delete(bridge.key());
      return null;
    });
  }

  public <T> T locked(Supplier<T> action) {
    return bridge.store().withLock(bridge.key(), action);
  }

  static AccessToken toToken(IAuthenticationResult result) {
    if (result == null || result.accessToken() == null) {
      throw new MailboxException("Entra ID returned no access token");
    }
    return new AccessToken(result.accessToken(), result.expiresOnDate().toInstant());
  }
}
