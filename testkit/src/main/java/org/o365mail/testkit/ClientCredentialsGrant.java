package org.o365mail.testkit;

import static org.o365mail.testkit.IdentityRules.RESERVED_SCOPES;
import static org.o365mail.testkit.IdentityRules.appNotFound;
import static org.o365mail.testkit.IdentityRules.parseScopes;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.o365mail.testkit.IdentityRules.ScopeRequest;
import org.o365mail.testkit.internal.HttpExchange;
import org.o365mail.testkit.internal.Json;

/**
 * The client credentials grant: an app signs in as itself with a client secret or a certificate assertion ({@link
 * ClientAuthentication}), for {@code /.default} scopes, and gets an app-only access token with the app roles its
 * service principal was granted. Thread-safe: no state of its own.
 */
final class ClientCredentialsGrant implements TokenGrant {
  private final Directory directory;
  private final IdentityRules rules;
  private final ClientAuthentication clients;
  private final TokenIssuer issuer;

  ClientCredentialsGrant(Directory directory, IdentityRules rules, ClientAuthentication clients, TokenIssuer issuer) {
    this.directory = directory;
    this.rules = rules;
    this.clients = clients;
    this.issuer = issuer;
  }

  @Override
  public ObjectNode redeem(
      HttpExchange ex, String tenantSegment, Tenant pathTenant, String clientId, Map<String, String> form)
      throws AadError {
    TokenGrant.requireTenantEndpoint(tenantSegment);
    if (pathTenant == null) {
      throw AadError.invalidRequest(900023,
          "Specified tenant identifier '" + tenantSegment + "' is neither a valid DNS name, nor a valid external"
              + " domain. Client credentials need the tenant id or a domain of the tenant.");
    }
    Application app = rules.application(clientId, pathTenant);
    ServicePrincipal sp =
        pathTenant
            .servicePrincipal(clientId)
            .orElseThrow(() -> appNotFound(clientId, pathTenant));
    String appidacr = clients.authenticateClient(ex, app, form, pathTenant, true);
    String scopes = form.getOrDefault("scope", "");
    boolean any = false;
    for (String scope : scopes.trim().split("\\s+")) {
      if (scope.isEmpty() || RESERVED_SCOPES.contains(scope)) {
        continue;
      }
      any = true;
      if (!scope.endsWith("/.default")) {
        throw AadError.invalidScope(1002012,
            "The provided value for scope " + scope + " is not valid. Client credential flows must have a scope"
                + " value with /.default suffixed to the resource identifier (application ID URI).");
      }
    }
    if (!any) {
      throw AadError.invalidScope(70011, "The provided request must include a 'scope' input parameter.");
    }
    ScopeRequest request = parseScopes(scopes, pathTenant);
    Instant now = directory.clock().instant();
    Instant exp = now.plus(directory.faults().accessTokenLifetime());
    Map<String, Object> claims = issuer.baseAccessClaims(request.audience, pathTenant, app, now, exp);
    claims.put("appidacr", appidacr);
    claims.put("idtyp", "app");
    claims.put("oid", sp.objectId());
    claims.put("sub", sp.objectId());
    Set<String> roles = new TreeSet<>(sp.grantedAppRoles(request.resource));
    if (!roles.isEmpty()) {
      claims.put("roles", List.copyOf(roles));
    }
    ObjectNode response = Json.object();
    response.put("token_type", "Bearer");
    response.put("expires_in", Duration.between(now, exp).getSeconds());
    response.put("ext_expires_in", Duration.between(now, exp).getSeconds());
    response.put("access_token", issuer.sign(claims));
    return response;
  }
}
