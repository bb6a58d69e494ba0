package org.o365mail.internal;

import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.o365mail.auth.AccessToken;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.CredentialKind;
import org.o365mail.auth.TokenRequest;

/** Any azure-core {@link TokenCredential} (managed identity, workload identity, ...) behind the SDK's cache. */
public final class TokenCredentialStrategy extends AbstractStrategy {
  private final TokenCredential credential;
  private final CredentialKind kind;

  public TokenCredentialStrategy(AppRegistration app, TokenCredential credential, CredentialKind kind,
      StrategySettings settings) {
    super(app, settings, "token-credential");
    this.credential = credential;
    this.kind = kind;
  }

  @Override
  protected AccessToken acquire(TokenRequest request) {
    Set<String> scopes = request.scopes(kind, app.cloud());
    List<String> list = new ArrayList<>(scopes);
    if (kind == CredentialKind.DELEGATED) {
      list.remove("offline_access");
    }
    TokenRequestContext context = new TokenRequestContext().setScopes(list);
    app.tenant().ifPresent(context::setTenantId);
    try {
      com.azure.core.credential.AccessToken token = credential.getTokenSync(context);
      if (token == null) {
        throw new org.o365mail.MailboxException("the TokenCredential returned no token");
      }
      return new AccessToken(token.getToken(), token.getExpiresAt().toInstant());
    } catch (RuntimeException e) {
      Throwable cause = e;
      while (cause.getCause() != null && !(cause instanceof com.microsoft.aad.msal4j.MsalException)) {
        cause = cause.getCause();
      }
      throw AuthErrors.translate(cause instanceof com.microsoft.aad.msal4j.MsalException ? cause : e,
          new AuthContext(app, AuthFlow.TOKEN_CREDENTIAL, scopes, null, null));
    }
  }

  @Override
  public CredentialKind kind() {
    return kind;
  }

  @Override
  public String credentialLabel() {
    return credential.getClass().getSimpleName();
  }
}
