package org.o365mail.auth;

import com.microsoft.aad.msal4j.MsalException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.o365mail.MailboxException;

/** A {@link TokenSource} (managed identity, workload identity, ...) behind the SDK's cache. */
final class TokenSourceStrategy extends AbstractStrategy {
  private final TokenSource source;
  private final CredentialKind kind;
  private final String label;

  TokenSourceStrategy(AppRegistration app, TokenSource source, CredentialKind kind, String label,
      StrategySettings settings) {
    super(app, settings, "token-source");
    this.source = source;
    this.kind = kind;
    this.label = label;
  }

  @Override
  protected AccessToken acquire(TokenRequest request) {
    Set<String> scopes = request.scopes(kind, app.cloud());
    List<String> list = new ArrayList<>(scopes);
    if (kind == CredentialKind.DELEGATED) {
      list.remove("offline_access");
    }
    try {
      AccessToken token = source.fetch(List.copyOf(list));
      if (token == null) {
        throw new MailboxException("the token source returned no token");
      }
      return token;
    } catch (RuntimeException e) {
      Throwable cause = e;
      while (cause.getCause() != null && !(cause instanceof MsalException)) {
        cause = cause.getCause();
      }
      throw AuthErrors.translate(cause instanceof MsalException ? cause : e,
          new AuthContext(app, AuthFlow.TOKEN_CREDENTIAL, scopes, null, null));
    }
  }

  @Override
  public CredentialKind kind() {
    return kind;
  }

  @Override
  public String credentialLabel() {
    return label;
  }
}
