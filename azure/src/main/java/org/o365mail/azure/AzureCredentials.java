package org.o365mail.azure;

import static java.util.Objects.requireNonNull;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.o365mail.MailboxException;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.Cloud;
import org.o365mail.auth.CredentialKind;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.Resource;
import org.o365mail.auth.TokenRequest;
import reactor.core.publisher.Mono;

/**
 * The bridge to azure-core, the one place where azure-core types meet this SDK's API: any {@link
 * TokenCredential} (managed identity, workload identity: no secret to expire) as a {@link CredentialStrategy},
 * and any strategy as a {@link TokenCredential} (for the Graph SDK or other Azure clients). This module needs
 * azure-core only; add azure-identity (and one of its HTTP clients) to use its credentials. Stateless and
 * thread-safe; what it returns is thread-safe.
 */
public final class AzureCredentials {
  private AzureCredentials() {}

  /**
   * A strategy backed by {@code credential}, with this SDK's token cache in front of it.
   *
   * @param app the identity's registration (client id and tenant; for a managed identity its client id)
   * @param kind app-only for service identities, delegated for user credentials
   */
  public static CredentialStrategy fromTokenCredential(AppRegistration app, TokenCredential credential,
      CredentialKind kind) {
    requireNonNull(app, "app");
    requireNonNull(credential, "credential");
    requireNonNull(kind, "kind");
    return CredentialStrategy.tokenSource(app, kind, scopes -> {
      TokenRequestContext context = new TokenRequestContext().setScopes(new ArrayList<>(scopes));
      app.tenant().ifPresent(context::setTenantId);
      AccessToken token = credential.getTokenSync(context);
      if (token == null) {
        throw new MailboxException("the TokenCredential returned no token");
      }
      return new org.o365mail.auth.AccessToken(token.getToken(), token.getExpiresAt().toInstant());
    }).label(credential.getClass().getSimpleName()).build();
  }

  /**
   * {@code strategy} as an azure-core credential. Scopes ending in {@code /.default} select the resource
   * (Graph or Exchange Online); other scopes are taken as delegated permissions of one resource.
   */
  public static TokenCredential asTokenCredential(CredentialStrategy strategy) {
    requireNonNull(strategy, "strategy");
    return new TokenCredential() {
      @Override
      public Mono<AccessToken> getToken(TokenRequestContext context) {
        return Mono.fromCallable(() -> getTokenSync(context));
      }

      @Override
      public AccessToken getTokenSync(TokenRequestContext context) {
        org.o365mail.auth.AccessToken token = strategy.token(toRequest(context.getScopes(), strategy.registration().cloud()));
        return new AccessToken(token.value(), token.expiresAt().atOffset(ZoneOffset.UTC));
      }
    };
  }

  static TokenRequest toRequest(List<String> scopes, Cloud cloud) {
    Resource resource = null;
    Set<String> permissions = new LinkedHashSet<>();
    for (String scope : scopes) {
      String s = scope.trim();
      if (s.isEmpty() || s.equals("offline_access") || s.equals("openid") || s.equals("profile")) {
        continue;
      }
      int slash = s.lastIndexOf('/');
      String prefix = slash > 0 && s.contains("://") ? s.substring(0, slash).toLowerCase(Locale.ROOT) : "";
      String name = slash > 0 && s.contains("://") ? s.substring(slash + 1) : s;
      Resource r = prefix.isEmpty() || prefix.equals(cloud.graphEndpoint().toString().toLowerCase(Locale.ROOT))
          || prefix.equals("https://graph.microsoft.com")
          ? Resource.MICROSOFT_GRAPH : Resource.EXCHANGE_ONLINE;
      if (resource != null && resource != r) {
        throw new IllegalArgumentException("scopes " + scopes + " name more than one resource; ask for Graph and"
            + " Exchange Online separately");
      }
      resource = r;
      if (!name.equals(".default")) {
        permissions.add(name);
      }
    }
    if (resource == null) {
      throw new IllegalArgumentException("no resource scope in " + scopes);
    }
    return TokenRequest.of(resource, permissions.toArray(String[]::new));
  }
}
