package org.o365mail.testkit;

import static org.o365mail.testkit.ClientAuthentication.hasClientCredential;
import static org.o365mail.testkit.IdentityRules.TIMESTAMP;
import static org.o365mail.testkit.IdentityRules.required;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.o365mail.testkit.internal.HttpExchange;

/**
 * The refresh token grant: a refresh token {@link TokenIssuer} issued, for the same client, refused once inactive
 * longer than the tenant allows, after the user's password changed, with the user disabled, or once redeemed while
 * refresh tokens are single-use ({@link Faults#refreshTokenRotation(boolean)}). Thread-safe: the
 * last use of each token is volatile.
 */
final class RefreshTokenGrant implements TokenGrant {
  private final Directory directory;
  private final IdentityRules rules;
  private final ClientAuthentication clients;
  private final TokenIssuer issuer;

  RefreshTokenGrant(Directory directory, IdentityRules rules, ClientAuthentication clients, TokenIssuer issuer) {
    this.directory = directory;
    this.rules = rules;
    this.clients = clients;
    this.issuer = issuer;
  }

  @Override
  public ObjectNode redeem(
      HttpExchange ex, String tenantSegment, Tenant pathTenant, String clientId, Map<String, String> form)
      throws AadError {
    String token = required(form, "refresh_token");
    Application app = rules.application(clientId, pathTenant);
    TokenIssuer.RefreshGrant grant = issuer.refreshGrant(token).orElse(null);
    if (grant == null || !grant.clientId.equals(app.clientId())) {
      throw AadError.invalidGrant(9002313, "Invalid request. Request is malformed or invalid: the refresh token"
          + " was not issued to this client or is not known.");
    }
    if (pathTenant != null && pathTenant != grant.tenant) {
      throw AadError.invalidGrant(50173, "The provided grant is not valid for tenant '" + pathTenant.id() + "'.");
    }
    Instant now = directory.clock().instant();
    Duration inactivity = Duration.between(grant.lastUsed, now);
    if (inactivity.compareTo(directory.faults().refreshTokenInactivityLifetime()) > 0) {
      throw AadError.invalidGrant(700082, "The refresh token has expired due to inactivity. The token was issued on "
          + TIMESTAMP.format(grant.issuedAt) + " and was inactive for " + inactivity.toDays() + " days.");
    }
    if (grant.user.passwordChangedAfter(grant.issuedAt)) {
      throw AadError.invalidGrant(50173, "The provided grant has expired due to it being revoked, a fresh auth"
          + " token is needed. The user might have changed or reset their password.");
    }
    if (!grant.user.enabled()) {
      throw AadError.invalidGrant(50057, "The user account is disabled.");
    }
    String appidacr =
        hasClientCredential(form) || !app.allowPublicClientFlows() && app.hasCredentials()
            ? clients.authenticateClient(ex, app, form, grant.tenant, false)
            : "0";
    boolean rotate = directory.faults().refreshTokenRotation();
    if (rotate && !grant.redeemed.compareAndSet(false, true)) {
      // single-use (Faults#refreshTokenRotation, sources there): redeemed before, or by a request racing this one
      throw AadError.invalidGrant(70000,
          "The provided value for the input parameter 'refresh_token' or 'assertion' is not valid.");
    }
    grant.lastUsed = now;
    try {
      return issuer.delegatedTokens(
          ex, app, grant.tenant, grant.user, form.getOrDefault("scope", ""), appidacr, null, "pwd");
    } catch (AadError | RuntimeException e) {
      if (rotate) {
        grant.redeemed.set(false); // nothing was issued in its place: the token stays usable
      }
      throw e;
    }
  }
}
