package org.o365mail.testkit;

import static org.o365mail.testkit.ClientAuthentication.hasClientCredential;
import static org.o365mail.testkit.IdentityRules.checkAudience;
import static org.o365mail.testkit.IdentityRules.checkAudienceForAuthority;
import static org.o365mail.testkit.IdentityRules.crossCloud;
import static org.o365mail.testkit.IdentityRules.grantUserConsent;
import static org.o365mail.testkit.IdentityRules.isAlias;
import static org.o365mail.testkit.IdentityRules.isPublicRedirect;
import static org.o365mail.testkit.IdentityRules.matchesRedirect;
import static org.o365mail.testkit.IdentityRules.missingConsent;
import static org.o365mail.testkit.IdentityRules.parseScopes;
import static org.o365mail.testkit.IdentityRules.required;
import static org.o365mail.testkit.IdentityRules.s256;
import static org.o365mail.testkit.IdentityRules.userMayConsent;
import static org.o365mail.testkit.SignInPages.enc;
import static org.o365mail.testkit.SignInPages.escape;
import static org.o365mail.testkit.SignInPages.page;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.o365mail.testkit.internal.HttpExchange;

/**
 * The authorization code flow with PKCE: the authorize endpoint signs the user in (consenting as asked) and sends a
 * code to the app's redirect URI; the token request redeems it once, for the same client and redirect URI, with the
 * code verifier (S256 or plain) when a challenge was sent. Thread-safe: codes are held in a concurrent map.
 */
final class AuthorizationCodeGrant implements TokenGrant {
  private final Directory directory;
  private final IdentityRules rules;
  private final ClientAuthentication clients;
  private final TokenIssuer issuer;
  private final Map<String, AuthCode> authCodes = new ConcurrentHashMap<>();
  private static final Duration AUTH_CODE_LIFETIME = Duration.ofMinutes(10);

  private record AuthCode(
      String clientId,
      String redirectUri,
      String codeChallenge,
      String codeChallengeMethod,
      String scope,
      String nonce,
      Tenant tenant,
      User user,
      Instant expiresAt) {}

  AuthorizationCodeGrant(Directory directory, IdentityRules rules, ClientAuthentication clients, TokenIssuer issuer) {
    this.directory = directory;
    this.rules = rules;
    this.clients = clients;
    this.issuer = issuer;
  }

  @Override
  public ObjectNode redeem(
      HttpExchange ex, String tenantSegment, Tenant pathTenant, String clientId, Map<String, String> form)
      throws AadError {
    String code = required(form, "code");
    Application app = rules.application(clientId, pathTenant);
    AuthCode grant = authCodes.remove(code);
    if (grant == null || !grant.clientId().equals(app.clientId())) {
      throw AadError.invalidGrant(54005,
          "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing"
              + " refresh token.");
    }
    if (directory.clock().instant().isAfter(grant.expiresAt())) {
      throw AadError.invalidGrant(70008, "The provided authorization code or refresh token has expired due to"
          + " inactivity. Send a new interactive authorization request for this user and resource.");
    }
    String redirectUri = form.getOrDefault("redirect_uri", "");
    if (!redirectUri.equals(grant.redirectUri())) {
      throw AadError.invalidGrant(50011, "The redirect URI '" + redirectUri + "' specified in the request does not"
          + " match the redirect URI of the authorization request.");
    }
    boolean publicRedirect = isPublicRedirect(app, redirectUri);
    String appidacr;
    if (publicRedirect && !hasClientCredential(form)) {
      appidacr = "0";
    } else {
      appidacr = clients.authenticateClient(ex, app, form, grant.tenant(), true);
    }
    if (grant.codeChallenge() != null) {
      String verifier = form.getOrDefault("code_verifier", "");
      String expected =
          "S256".equals(grant.codeChallengeMethod()) ? s256(verifier) : verifier;
      if (verifier.isEmpty() || !expected.equals(grant.codeChallenge())) {
        throw AadError.invalidGrant(501481,
            "The Code_Verifier does not match the code_challenge supplied in the authorization request.");
      }
    }
    return issuer.delegatedTokens(ex, app, grant.tenant(), grant.user(), form.getOrDefault("scope", grant.scope()),
        appidacr, grant.nonce(), "pwd");
  }

  /**
   * The authorize endpoint: the sign-in page, then the code (or the error) delivered to the app's redirect URI;
   * codes live {@link #AUTH_CODE_LIFETIME} and are redeemed once.
   */
  int authorize(HttpExchange ex, String tenantSegment) throws AadError {
    Map<String, String> query = ex.query();
    String clientId = query.getOrDefault("client_id", "");
    String redirectUri = query.getOrDefault("redirect_uri", "");
    Tenant pathTenant = isAlias(tenantSegment) ? null : rules.resolveTenant(tenantSegment);
    Application app;
    try {
      app = rules.application(clientId, pathTenant);
      if (!matchesRedirect(app.redirectUris(Platform.MOBILE_AND_DESKTOP), redirectUri)
          && !matchesRedirect(app.redirectUris(Platform.WEB), redirectUri)
          && !matchesRedirect(app.redirectUris(Platform.SINGLE_PAGE_APPLICATION), redirectUri)) {
        throw AadError.invalidRequest(50011, "The redirect URI '" + redirectUri + "' specified in the request does"
            + " not match the redirect URIs configured for the application '" + clientId + "'. Make sure the"
            + " redirect URI sent in the request matches one added to your application in the Azure portal.");
      }
      if (!"code".equals(query.get("response_type"))) {
        throw AadError.invalidRequest(900144, "The request body must contain the following parameter:"
            + " 'response_type' with the value 'code'.");
      }
      parseScopes(query.getOrDefault("scope", ""), pathTenant);
      checkAudienceForAuthority(app, tenantSegment);
      if (pathTenant != null && pathTenant.nationalCloud() != NationalCloud.GLOBAL) {
        // "A cloud redirect error is returned" (reference-error-codes.md): shown on the page here, like the others
        throw crossCloud(pathTenant, false);
      }
    } catch (AadError thrown) {
      AadError e = rules.asEntraAnswers(thrown);
      ex.sendText(e.status, "text/html; charset=utf-8",
          page("Sign in", "<p id=\"error\">AADSTS" + e.code + ": " + escape(e.getMessage()) + "</p>"));
      return e.status;
    }
    if (ex.method().equals("GET")) {
      String hint = query.getOrDefault("login_hint", "");
      ex.sendText(200, "text/html; charset=utf-8", page("Sign in",
          "<form method=\"post\" action=\"" + escape(ex.rawPath() + "?" + ex.rawQuery()) + "\">"
              + "<label>Email <input name=\"login\" value=\"" + escape(hint) + "\"></label>"
              + "<label>Password <input type=\"password\" name=\"passwd\"></label>"
              + "<label><input type=\"checkbox\" name=\"consent\" value=\"yes\" checked> Accept the permissions"
              + " " + escape(app.displayName()) + " asks for</label>"
              + "<button>Sign in</button></form>"));
      return 200;
    }
    Map<String, String> form = ex.form();
    String login = form.getOrDefault("login", "");
    Tenant userTenant = pathTenant != null ? pathTenant : directory.tenantOfUser(login).orElse(null);
    Optional<User> user = userTenant == null ? Optional.empty() : userTenant.findUser(login);
    String failure = null;
    if (user.isEmpty()) {
      failure = "AADSTS50034: The user account does not exist in the directory.";
    } else if (!user.get().passwordMatches(form.getOrDefault("passwd", ""))) {
      failure = "AADSTS50126: Error validating credentials due to invalid username or password.";
    } else if (!user.get().enabled()) {
      failure = "AADSTS50057: The user account is disabled.";
    }
    if (failure != null) {
      ex.sendText(200, "text/html; charset=utf-8", page("Sign in", "<p id=\"error\">" + escape(failure) + "</p>"));
      return 200;
    }
    try {
      checkAudience(app, tenantSegment, userTenant);
    } catch (AadError e) {
      return redirectError(ex, redirectUri, query, e.error, "AADSTS" + e.code + ": " + e.getMessage());
    }
    String scope = query.getOrDefault("scope", "");
    Optional<String> missing = missingConsent(userTenant, app, user.get(), scope);
    if (missing.isPresent()) {
      if (!"yes".equals(form.get("consent"))) {
        return redirectError(ex, redirectUri, query, "access_denied",
            "AADSTS65004: User declined to consent to access the app.");
      }
      if (!userMayConsent(missing.get())) {
        return redirectError(ex, redirectUri, query, "access_denied",
            "AADSTS90094: The grant requires admin permission.");
      }
      grantUserConsent(userTenant, app, user.get(), scope);
    }
    String code = "1.AX" + Application.randomToken(64);
    authCodes.put(code, new AuthCode(app.clientId(), redirectUri, query.get("code_challenge"),
        query.getOrDefault("code_challenge_method", "plain"), scope, query.get("nonce"), userTenant, user.get(),
        directory.clock().instant().plus(AUTH_CODE_LIFETIME)));
    Map<String, String> result = new LinkedHashMap<>();
    result.put("code", code);
    if (query.containsKey("state")) {
      result.put("state", query.get("state"));
    }
    result.put("session_state", UUID.randomUUID().toString());
    return respondToRedirect(ex, redirectUri, query, result);
  }

  private static int redirectError(
      HttpExchange ex, String redirectUri, Map<String, String> query, String error, String description) {
    Map<String, String> result = new LinkedHashMap<>();
    result.put("error", error);
    result.put("error_description", description);
    if (query.containsKey("state")) {
      result.put("state", query.get("state"));
    }
    return respondToRedirect(ex, redirectUri, query, result);
  }

  /**
   * Delivers the authorization result to the redirect URI: a 302 with a query ({@code response_mode=query}, the
   * default) or an auto-submitting HTML form ({@code response_mode=form_post}, which MSAL4J uses).
   */
  private static int respondToRedirect(
      HttpExchange ex, String redirectUri, Map<String, String> query, Map<String, String> result) {
    if ("form_post".equals(query.get("response_mode"))) {
      StringBuilder form = new StringBuilder("<form method=\"post\" action=\"" + escape(redirectUri) + "\">");
      result.forEach((k, v) -> form.append("<input type=\"hidden\" name=\"").append(escape(k)).append("\" value=\"")
          .append(escape(v)).append("\"/>"));
      form.append("<noscript><button>Continue</button></noscript></form>");
      ex.sendText(200, "text/html; charset=utf-8", "<!DOCTYPE html><html><head><title>Working...</title></head>"
          + "<body onload=\"document.forms[0].submit()\">" + form + "</body></html>");
      return 200;
    }
    StringBuilder location = new StringBuilder(redirectUri);
    char sep = redirectUri.contains("?") ? '&' : '?';
    for (Map.Entry<String, String> e : result.entrySet()) {
      location.append(sep).append(enc(e.getKey())).append('=').append(enc(e.getValue()));
      sep = '&';
    }
    ex.setHeader("Location", location.toString());
    ex.sendEmpty(302);
    return 302;
  }
}
