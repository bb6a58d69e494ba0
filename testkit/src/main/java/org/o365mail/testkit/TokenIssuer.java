package org.o365mail.testkit;

import static org.o365mail.testkit.IdentityRules.consentMessage;
import static org.o365mail.testkit.IdentityRules.parseScopes;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;
import org.o365mail.testkit.IdentityRules.ScopeRequest;
import org.o365mail.testkit.internal.HttpExchange;
import org.o365mail.testkit.internal.Json;

/**
 * Issues the tokens of a signed-in user (access token, refresh token, id token, client info) once a grant has
 * established who and which app, and the claims every access token starts from; keeps what each refresh token it
 * issued stands for. Thread-safe: refresh tokens are held in a concurrent map.
 */
final class TokenIssuer {
  private final Directory directory;
  private final TokenService tokens;
  private final IntSupplier port;
  private final Map<String, RefreshGrant> refreshTokens = new ConcurrentHashMap<>();

  /** What a refresh token stands for. */
  static final class RefreshGrant {
    final String clientId;
    final Tenant tenant;
    final User user;
    final Instant issuedAt;
    volatile Instant lastUsed;
    /** Redeemed while refresh tokens were single-use ({@link Faults#refreshTokenRotation(boolean)}). */
    final java.util.concurrent.atomic.AtomicBoolean redeemed = new java.util.concurrent.atomic.AtomicBoolean();

    RefreshGrant(String clientId, Tenant tenant, User user, Instant issuedAt) {
      this.clientId = clientId;
      this.tenant = tenant;
      this.user = user;
      this.issuedAt = issuedAt;
      this.lastUsed = issuedAt;
    }
  }

  TokenIssuer(Directory directory, TokenService tokens, IntSupplier port) {
    this.directory = directory;
    this.tokens = tokens;
    this.port = port;
  }

  /** {@code https://<host>:<port>}: this endpoint as the request reached it. */
  String base(HttpExchange ex) {
    return "https://" + ex.host() + ":" + port.getAsInt();
  }

  /** A signed access token with {@code claims}. */
  String sign(Map<String, Object> claims) {
    return tokens.sign(claims);
  }

  /** What {@code token} was issued for, if this endpoint issued it. */
  Optional<RefreshGrant> refreshGrant(String token) {
    return Optional.ofNullable(refreshTokens.get(token));
  }

  /** Access token, refresh token, id token and client info for a signed-in user. */
  ObjectNode delegatedTokens(
      HttpExchange ex, Application app, Tenant userTenant, User user, String scope, String appidacr, String nonce,
      String amr) throws AadError {
    ServicePrincipal sp =
        userTenant
            .servicePrincipal(app.clientId())
            .orElseThrow(() -> new AadError(400, "invalid_grant", 65001, consentMessage(app), "consent_required"));
    ScopeRequest request = parseScopes(scope, userTenant);
    Set<String> granted = sp.grantedScopes(user, request.resource);
    Set<String> missing = new TreeSet<>(request.permissions);
    missing.removeAll(granted);
    if (!missing.isEmpty() || (request.dotDefault && granted.isEmpty())) {
      throw new AadError(400, "invalid_grant", 65001, consentMessage(app), "consent_required");
    }
    Instant now = directory.clock().instant();
    Instant exp = now.plus(directory.faults().accessTokenLifetime());
    Map<String, Object> claims = baseAccessClaims(delegatedAudience(request), userTenant, app, now, exp);
    claims.put("appidacr", appidacr);
    claims.put("idtyp", "user");
    claims.put("oid", user.objectId());
    claims.put("sub", pairwise(user, app));
    claims.put("upn", user.userPrincipalName());
    claims.put("unique_name", user.userPrincipalName());
    claims.put("preferred_username", user.userPrincipalName());
    claims.put("name", user.displayName());
    claims.put("amr", List.of(amr.split(" ")));
    Set<String> scp = new TreeSet<>(granted);
    if (scp.isEmpty()) {
      scp.addAll(request.permissions);
    }
    claims.put("scp", String.join(" ", scp));

    ObjectNode response = Json.object();
    response.put("token_type", "Bearer");
    Set<String> responseScopes = new LinkedHashSet<>();
    for (String s : scp) {
      responseScopes.add(request.resource == ApiResource.MICROSOFT_GRAPH ? s : request.audience + "/" + s);
    }
    responseScopes.addAll(request.reserved);
    response.put("scope", String.join(" ", responseScopes));
    response.put("expires_in", Duration.between(now, exp).getSeconds());
    response.put("ext_expires_in", Duration.between(now, exp).getSeconds());
    response.put("access_token", userTenant.isConsumers() ? tokens.opaque(claims) : tokens.sign(claims));
    if (request.reserved.contains("offline_access")) {
      String refresh = "0.AX" + Application.randomToken(96);
      refreshTokens.put(refresh, new RefreshGrant(app.clientId(), userTenant, user, now));
      response.put("refresh_token", refresh);
    }
    if (request.reserved.contains("openid") || request.reserved.contains("profile")) {
      response.put("id_token", idToken(ex, app, userTenant, user, now, nonce));
      response.put("client_info", clientInfo(user, userTenant));
    }
    return response;
  }

  /**
   * The {@code aud} of a delegated token: the identifier URI the scopes named, except that a Graph token may carry
   * Graph's application id instead, as {@link Faults#delegatedGraphAudience(Faults.GraphAudience)} says (sources
   * there).
   */
  private String delegatedAudience(ScopeRequest request) {
    if (request.resource != ApiResource.MICROSOFT_GRAPH) {
      return request.audience;
    }
    Faults faults = directory.faults();
    boolean appId = switch (faults.delegatedGraphAudience()) {
      case URI -> false;
      case APP_ID -> true;
      case SEEDED -> faults.nextInt(2) == 0;
    };
    return appId ? ApiResource.MICROSOFT_GRAPH.appId() : request.audience;
  }

  Map<String, Object> baseAccessClaims(String audience, Tenant tenantOfToken, Application app, Instant now, Instant exp) {
    Map<String, Object> claims = new LinkedHashMap<>();
    claims.put("aud", audience);
    claims.put("iss", "https://sts.windows.net/" + tenantOfToken.id() + "/");
    claims.put("iat", now.minusSeconds(1));
    claims.put("nbf", now.minusSeconds(1));
    claims.put("exp", exp);
    claims.put("app_displayname", app.displayName());
    claims.put("appid", app.clientId());
    claims.put("azp", app.clientId());
    claims.put("idp", "https://sts.windows.net/" + tenantOfToken.id() + "/");
    claims.put("tid", tenantOfToken.id());
    claims.put("uti", Application.randomToken(16));
    claims.put("ver", "1.0");
    return claims;
  }

  private String idToken(HttpExchange ex, Application app, Tenant userTenant, User user, Instant now, String nonce) {
    Map<String, Object> claims = new LinkedHashMap<>();
    claims.put("aud", app.clientId());
    claims.put("iss", base(ex) + "/" + userTenant.id() + "/v2.0");
    claims.put("iat", now.minusSeconds(1));
    claims.put("nbf", now.minusSeconds(1));
    claims.put("exp", now.plus(Duration.ofHours(1)));
    claims.put("name", user.displayName());
    claims.put("oid", user.objectId());
    claims.put("preferred_username", user.userPrincipalName());
    claims.put("sub", pairwise(user, app));
    claims.put("tid", userTenant.id());
    claims.put("ver", "2.0");
    if (nonce != null) {
      claims.put("nonce", nonce);
    }
    return tokens.sign(claims);
  }

  private static String clientInfo(User user, Tenant userTenant) {
    String json = "{\"uid\":\"" + user.objectId() + "\",\"utid\":\"" + userTenant.id() + "\"}";
    return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  private static String pairwise(User user, Application app) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest((user.objectId() + "|" + app.clientId()).getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(digest, 32));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
