package org.o365mail.testkit;

import static org.o365mail.testkit.IdentityRules.checkAudience;
import static org.o365mail.testkit.IdentityRules.required;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import org.o365mail.testkit.internal.HttpExchange;

/**
 * The resource owner password credentials grant (ROPC): a user's name and password, refused as Entra ID refuses them
 * (wrong password, disabled account, expired password, MFA required). Thread-safe: no state of its own.
 */
final class PasswordGrant implements TokenGrant {
  private final Directory directory;
  private final IdentityRules rules;
  private final ClientAuthentication clients;
  private final TokenIssuer issuer;

  PasswordGrant(Directory directory, IdentityRules rules, ClientAuthentication clients, TokenIssuer issuer) {
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
    String username = required(form, "username");
    String password = required(form, "password");
    Application app = rules.application(clientId, pathTenant);
    Tenant userTenant = pathTenant != null ? pathTenant : directory.tenantOfUser(username).orElse(null);
    String appidacr = clients.authenticateClient(ex, app, form, userTenant, false);
    checkAudience(app, tenantSegment, userTenant);
    if (userTenant == null) {
      throw AadError.invalidGrant(50034,
          "The user account {EUII Hidden} does not exist in the " + tenantSegment
              + " directory. To sign into this application, the account must be added to the directory.");
    }
    User user =
        userTenant
            .findUser(username)
            .orElseThrow(
                () -> AadError.invalidGrant(50034,
                    "The user account {EUII Hidden} does not exist in the " + userTenant.id()
                        + " directory. To sign into this application, the account must be added to the directory."));
    checkPasswordSignIn(user, password, userTenant);
    return issuer.delegatedTokens(ex, app, userTenant, user, form.getOrDefault("scope", ""), appidacr, null, "pwd");
  }

  private void checkPasswordSignIn(User user, String password, Tenant resource) throws AadError {
    if (!user.passwordMatches(password)) {
      throw AadError.invalidGrant(50126, "Error validating credentials due to invalid username or password.");
    }
    if (!user.enabled()) {
      throw AadError.invalidGrant(50057, "The user account is disabled.");
    }
    if (user.passwordExpired()) {
      throw new AadError(400, "invalid_grant", 50055, "The password is expired.", "user_password_expired");
    }
    if (user.mfaRequired()) {
      throw new AadError(400, "invalid_grant", 50076,
          "Due to a configuration change made by your administrator, or because you moved to a new location,"
              + " you must use multi-factor authentication to access '" + resource.id() + "'.",
          "basic_action");
    }
  }
}
