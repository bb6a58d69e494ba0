package org.o365mail.testkit;

import static org.o365mail.testkit.ClientAuthentication.hasClientCredential;
import static org.o365mail.testkit.IdentityRules.checkAudience;
import static org.o365mail.testkit.IdentityRules.checkAudienceForAuthority;
import static org.o365mail.testkit.IdentityRules.consentMessage;
import static org.o365mail.testkit.IdentityRules.crossCloud;
import static org.o365mail.testkit.IdentityRules.isAlias;
import static org.o365mail.testkit.IdentityRules.parseScopes;
import static org.o365mail.testkit.IdentityRules.required;
import static org.o365mail.testkit.SignInPages.escape;
import static org.o365mail.testkit.SignInPages.page;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.o365mail.testkit.internal.HttpExchange;
import org.o365mail.testkit.internal.Json;

/**
 * The device code flow: the device authorization endpoint, the device login page where the user enters the code,
 * and the token request that polls for the outcome (pending, slow down, declined, expired, redeemed once). The
 * grants themselves are kept by {@link DeviceCodes}. Thread-safe: each grant is polled under its own lock.
 */
final class DeviceCodeGrant implements TokenGrant {
  private final Directory directory;
  private final IdentityRules rules;
  private final ClientAuthentication clients;
  private final TokenIssuer issuer;
  private final DeviceCodes deviceCodes;

  DeviceCodeGrant(Directory directory, IdentityRules rules, ClientAuthentication clients, TokenIssuer issuer, DeviceCodes deviceCodes) {
    this.directory = directory;
    this.rules = rules;
    this.clients = clients;
    this.issuer = issuer;
    this.deviceCodes = deviceCodes;
  }

  @Override
  public ObjectNode redeem(
      HttpExchange ex, String tenantSegment, Tenant pathTenant, String clientId, Map<String, String> form)
      throws AadError {
    String code = form.containsKey("device_code") ? form.get("device_code") : form.getOrDefault("code", "");
    if (code.isEmpty()) {
      throw AadError.missingParameter("device_code");
    }
    Application app = rules.application(clientId, pathTenant);
    String appidacr = clients.authenticateClient(ex, app, form, pathTenant, false);
    DeviceCodes.Grant grant =
        deviceCodes
            .byDeviceCode(code)
            .filter(g -> g.app == app)
            .orElseThrow(() -> new AadError(400, "bad_verification_code", 70018,
                "The provided value for the input parameter 'device_code' is not valid."));
    Instant now = directory.clock().instant();
    synchronized (grant) {
      if (grant.state == DeviceCodes.State.REDEEMED) {
        throw AadError.invalidGrant(54005, "OAuth2 Authorization code was already redeemed, please retry with a new"
            + " valid code or use an existing refresh token.");
      }
      if (grant.state == DeviceCodes.State.DECLINED) {
        if ("65001".equals(grant.declineCode)) {
          throw new AadError(400, "invalid_grant", 65001, consentMessage(app), "consent_required");
        }
        throw new AadError(400, "authorization_declined", 70000,
            "The end user denied the authorization request. Do not poll again; start a new sign-in.");
      }
      if (now.isAfter(grant.expiresAt)) {
        throw new AadError(400, "expired_token", 70019,
            "Verification code expired. The user did not sign in within 15 minutes; start a new sign-in.");
      }
      if (grant.state == DeviceCodes.State.PENDING) {
        Instant last = grant.lastPoll;
        grant.lastPoll = now;
        boolean early = deviceCodes.slowDownWhenPolledEarly() && last != null
            && Duration.between(last, now).compareTo(grant.interval.minusMillis(100)) < 0;
        if (early || deviceCodes.takeForcedSlowDown()) {
          grant.interval = grant.interval.plusSeconds(5);
          throw new AadError(400, "slow_down", 70016,
              "OAuth 2.0 device flow error. Polled sooner than the interval; wait "
                  + grant.interval.getSeconds() + " seconds between polls.");
        }
        throw new AadError(400, "authorization_pending", 70016,
            "OAuth 2.0 device flow error. Authorization is pending. Continue polling.");
      }
      grant.state = DeviceCodes.State.REDEEMED;
    }
    checkAudience(app, grant.tenantSegment, grant.userTenant);
    return issuer.delegatedTokens(ex, app, grant.userTenant, grant.user, grant.scope, appidacr, null, "pwd mfa");
  }

  /** The device authorization endpoint: issues a device code and the user code to enter on the login page. */
  int deviceCode(HttpExchange ex, String tenantSegment, Map<String, String> form) throws AadError {
    Tenant pathTenant = isAlias(tenantSegment) ? null : rules.resolveTenant(tenantSegment);
    String clientId = required(form, "client_id");
    if (pathTenant != null && pathTenant.nationalCloud() != NationalCloud.GLOBAL) {
      throw crossCloud(pathTenant, hasClientCredential(form));
    }
    Application app = rules.application(clientId, pathTenant);
    String scope = required(form, "scope");
    parseScopes(scope, pathTenant);
    checkAudienceForAuthority(app, tenantSegment);
    DeviceCodes.Grant grant = deviceCodes.issue(app, tenantSegment, scope);
    String verificationUri = issuer.base(ex) + "/devicelogin";
    ObjectNode response = Json.object();
    response.put("user_code", grant.userCode);
    response.put("device_code", grant.deviceCode);
    response.put("verification_uri", verificationUri);
    response.put("expires_in", Duration.between(grant.issuedAt, grant.expiresAt).getSeconds());
    response.put("interval", grant.interval.getSeconds());
    response.put("message", "To sign in, use a web browser to open the page " + verificationUri + " and enter the"
        + " code " + grant.userCode + " to authenticate.");
    ex.sendJson(200, response);
    return 200;
  }

  /** The device login page a user opens to enter the user code and sign in (or decline). */
  int deviceLoginPage(HttpExchange ex) {
    if (ex.method().equals("GET")) {
      ex.sendText(200, "text/html; charset=utf-8", page("Enter code",
          "<form method=\"post\" action=\"/devicelogin\">"
              + "<label>Code <input name=\"user_code\"></label>"
              + "<label>Email <input name=\"login\"></label>"
              + "<label>Password <input type=\"password\" name=\"passwd\"></label>"
              + "<label><input type=\"checkbox\" name=\"consent\" value=\"yes\" checked> Accept</label>"
              + "<button name=\"action\" value=\"approve\">Sign in</button>"
              + "<button name=\"action\" value=\"decline\">Cancel</button></form>"));
      return 200;
    }
    Map<String, String> form = ex.form();
    String userCode = form.getOrDefault("user_code", "");
    try {
      if ("decline".equals(form.get("action"))) {
        deviceCodes.decline(userCode);
        ex.sendText(200, "text/html; charset=utf-8", page("Declined", "<p>You declined the sign-in.</p>"));
      } else {
        deviceCodes.approve(userCode, form.getOrDefault("login", ""), form.getOrDefault("passwd", ""),
            "yes".equals(form.get("consent")));
        ex.sendText(200, "text/html; charset=utf-8", page("Signed in",
            "<p>You have signed in. You may now close this window.</p>"));
      }
      return 200;
    } catch (IllegalArgumentException e) {
      ex.sendText(400, "text/html; charset=utf-8", page("Sign-in failed", "<p id=\"error\">" + escape(e.getMessage()) + "</p>"));
      return 400;
    }
  }
}
