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
}
