package org.o365mail.testkit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import org.o365mail.testkit.internal.HttpExchange;

/** One grant type of the token endpoint. Implementations are thread-safe. */
interface TokenGrant {
  /**
   * Answers a token request of this grant type with the token response, or throws what Entra ID answers instead.
   *
   * @param tenantSegment the authority's tenant as the path named it (a tenant id, a domain or an alias)
   * @param pathTenant the tenant it names, or null for {@code common}, {@code organizations} or {@code consumers}
   */
  ObjectNode redeem(HttpExchange ex, String tenantSegment, Tenant pathTenant, String clientId, Map<String, String> form)
      throws AadError;

  /**
   * Refuses the {@code /common} and {@code /consumers} endpoints, as Entra ID does for the client-credentials and
   * password grants (AADSTS9001023).
   */
  static void requireTenantEndpoint(String tenantSegment) throws AadError {
    if (tenantSegment.equalsIgnoreCase("common") || tenantSegment.equalsIgnoreCase("consumers")) {
      throw AadError.invalidRequest(9001023,
          "The grant type is not supported over the /common or /consumers endpoints. Please use the /organizations"
              + " or tenant-specific endpoint.");
    }
  }
}
