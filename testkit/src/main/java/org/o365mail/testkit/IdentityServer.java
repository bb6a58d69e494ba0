package org.o365mail.testkit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.o365mail.testkit.internal.HttpExchange;
import org.o365mail.testkit.internal.HttpService;
import org.o365mail.testkit.internal.Json;
import org.o365mail.testkit.internal.Pki;

/**
 * The Entra ID stand-in: token endpoint (client credentials with secret or certificate assertion, password,
 * device code, authorization code with PKCE, refresh token), the device-code and authorize endpoints, the
 * OpenID metadata, instance discovery, user realm and JWKS endpoints MSAL calls. Each misconfiguration is
 * answered with the AADSTS code and OAuth error Entra gives for it.
 */
final class IdentityServer implements AutoCloseable {
  private static final Pattern GUID =
      Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  private static final Pattern DOMAIN = Pattern.compile("[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+");
  private static final Set<String> RESERVED_SCOPES = Set.of("openid", "profile", "offline_access", "email");
  private static final Set<String> ADMIN_ONLY_SCOPES =
      Set.of("User.Read.All", "Application.Read.All", "Mail.ReadBasic.All");
  private static final DateTimeFormatter TIMESTAMP =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);
  private static final Duration AUTH_CODE_LIFETIME = Duration.ofMinutes(10);
  /** One token request, scopes of two resources: answered 700022 or 28000, see {@link #asEntraAnswers}. */
  private static final int MIXED_RESOURCES = 700022;

  private final LocalTenant tenant;
  private final Directory directory;
  private final TokenService tokens;
  private final DeviceCodes deviceCodes;
  private final HttpService http;
  private final Map<String, RefreshGrant> refreshTokens = new ConcurrentHashMap<>();
  private final Map<String, AuthCode> authCodes = new ConcurrentHashMap<>();

  /** What a refresh token stands for. */
  private static final class RefreshGrant {
    final String clientId;
    final Tenant tenant;
    final User user;
    final Instant issuedAt;
    volatile Instant lastUsed;

    RefreshGrant(String clientId, Tenant tenant, User user, Instant issuedAt) {
      this.clientId = clientId;
      this.tenant = tenant;
      this.user = user;
      this.issuedAt = issuedAt;
      this.lastUsed = issuedAt;
    }
  }

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

  /** The user a token is issued for, and the tenant it is issued in. */
  private record Subject(Tenant tenant, User user) {}

  IdentityServer(LocalTenant tenant, int port) {
    this.tenant = tenant;
    this.directory = tenant.directory();
    this.tokens = tenant.tokens();
    this.deviceCodes = new DeviceCodes(directory);
    this.http = new HttpService("identity", tenant.identityServerTls(), port, this::handle);
    http.start();
  }

  int port() {
    return http.port();
  }

  DeviceCodes deviceCodes() {
    return deviceCodes;
  }

  @Override
  public void close() {
    http.close();
  }

  // ----------------------------------------------------------------------------------------------
  // routing

  private void handle(HttpExchange ex) throws Exception {
    sleep(directory.faults().identityLatency());
    ex.header("client-request-id").ifPresent(id -> ex.setHeader("client-request-id", id));
    List<String> s = ex.segments();
    String method = ex.method();
    Map<String, String> attributes = new LinkedHashMap<>();
    int status;
    String[] errorCode = {""};
    boolean[] recorded = {false};
    // recorded as the answer leaves, not after: a test that counts requests once it has the answer sees this one
    ex.beforeResponse(sent -> {
      recorded[0] = true;
      tenant.record(new RecordedRequest("identity", method, ex.rawPath(), attributes, sent, errorCode[0],
          directory.clock().instant()));
    });
    try {
      if (s.size() == 1 && s.get(0).equals("devicelogin")) {
        status = deviceLoginPage(ex);
      } else if (s.size() >= 3 && s.get(1).equals("discovery") && s.get(s.size() - 1).equals("keys")) {
        ex.sendText(200, "application/json; charset=utf-8", tokens.jwksJson());
        status = 200;
      } else if (s.size() == 3 && s.get(1).equals("discovery") && s.get(2).equals("instance")) {
        status = instanceDiscovery(ex);
      } else if (isOpenIdConfiguration(s)) {
        status = openIdConfiguration(ex, s.get(0));
      } else if (s.size() == 3 && s.get(1).equals("userrealm")) {
        status = userRealm(ex, s.get(2));
      } else if (s.size() == 4 && s.get(1).equals("oauth2") && s.get(2).equals("v2.0")) {
        String tenantSegment = s.get(0);
        attributes.put("tenant", tenantSegment);
        switch (s.get(3)) {
          case "token" -> {
            requirePost(ex);
            Map<String, String> form = ex.form();
            attributes.put("grant_type", form.getOrDefault("grant_type", ""));
            attributes.put("client_id", form.getOrDefault("client_id", ""));
            attributes.put("scope", form.getOrDefault("scope", ""));
            status = token(ex, tenantSegment, form);
          }
          case "devicecode" -> {
            requirePost(ex);
            Map<String, String> form = ex.form();
            attributes.put("client_id", form.getOrDefault("client_id", ""));
            attributes.put("scope", form.getOrDefault("scope", ""));
            status = deviceCode(ex, tenantSegment, form);
          }
          case "authorize" -> status = authorize(ex, tenantSegment);
          case "logout" -> {
            ex.sendText(200, "text/html; charset=utf-8", "<html><body>Signed out.</body></html>");
            status = 200;
          }
          default -> status = notFound(ex);
        }
      } else {
        status = notFound(ex);
      }
    } catch (AadError thrown) {
      AadError e = asEntraAnswers(thrown);
      status = e.status;
      errorCode[0] = e.code > 0 ? "AADSTS" + e.code : e.error;
      attributes.put("error", e.error);
      sendError(ex, e);
    }
    if (!recorded[0]) {
      tenant.record(new RecordedRequest("identity", method, ex.rawPath(), attributes, status, errorCode[0],
          directory.clock().instant()));
    }
  }

  private static boolean isOpenIdConfiguration(List<String> s) {
    return (s.size() == 4 && s.get(1).equals("v2.0") && s.get(2).equals(".well-known")
            && s.get(3).equals("openid-configuration"))
        || (s.size() == 3 && s.get(1).equals(".well-known") && s.get(2).equals("openid-configuration"));
  }

  private static void requirePost(HttpExchange ex) throws AadError {
    if (!ex.method().equals("POST")) {
      throw AadError.invalidRequest(900561, "The endpoint only accepts POST requests. Received a " + ex.method() + " request.");
    }
  }

  private static int notFound(HttpExchange ex) {
    ex.sendText(404, "text/plain; charset=utf-8", "Not found: " + ex.rawPath());
    return 404;
  }

  private static void sleep(Duration d) throws InterruptedException {
    if (!d.isZero()) {
      Thread.sleep(d.toMillis());
    }
  }

  // ----------------------------------------------------------------------------------------------
  // metadata endpoints

  private String base(HttpExchange ex) {
    return "https://" + ex.host() + ":" + http.port();
  }

  private int openIdConfiguration(HttpExchange ex, String tenantSegment) throws AadError {
    String issuerTenant = tenantSegment;
    NationalCloud cloud = NationalCloud.GLOBAL;
    if (!isAlias(tenantSegment)) {
      Tenant tenant = resolveTenant(tenantSegment);
      issuerTenant = tenant.id();
      cloud = tenant.nationalCloud();
    } else {
      issuerTenant = "{tenantid}";
    }
    String b = base(ex);
    ObjectNode doc = Json.object();
    doc.put("issuer", b + "/" + issuerTenant + "/v2.0");
    doc.put("authorization_endpoint", b + "/" + tenantSegment + "/oauth2/v2.0/authorize");
    doc.put("token_endpoint", b + "/" + tenantSegment + "/oauth2/v2.0/token");
    doc.put("device_authorization_endpoint", b + "/" + tenantSegment + "/oauth2/v2.0/devicecode");
    doc.put("end_session_endpoint", b + "/" + tenantSegment + "/oauth2/v2.0/logout");
    doc.put("jwks_uri", b + "/" + tenantSegment + "/discovery/v2.0/keys");
    // The endpoints stay on this host for every cloud (nothing may leave loopback); the cloud fields name the tenant's
    // cloud as the global authority's metadata does (NationalCloud has the sources).
    doc.put("tenant_region_scope", cloud.tenantRegionScope());
    doc.put("cloud_instance_name", cloud.cloudInstanceName());
    doc.put("msgraph_host", cloud.graphHost());
    doc.set("response_types_supported", Json.array().add("code").add("id_token").add("code id_token").add("token id_token"));
    doc.set("scopes_supported", Json.array().add("openid").add("profile").add("email").add("offline_access"));
    doc.set("subject_types_supported", Json.array().add("pairwise"));
    doc.set("id_token_signing_alg_values_supported", Json.array().add("RS256"));
    doc.set("token_endpoint_auth_methods_supported",
        Json.array().add("client_secret_post").add("private_key_jwt").add("client_secret_basic"));
    doc.set("code_challenge_methods_supported", Json.array().add("plain").add("S256"));
    ex.sendJson(200, doc);
    return 200;
  }

  private int instanceDiscovery(HttpExchange ex) {
    String hostPort = ex.host() + ":" + http.port();
    ObjectNode doc = Json.object();
    String authority = ex.query().getOrDefault("authorization_endpoint", base(ex) + "/common/oauth2/v2.0/authorize");
    String tenantSegment = "common";
    try {
      List<String> parts = List.of(new URI(authority).getPath().split("/"));
      if (parts.size() > 1 && !parts.get(1).isEmpty()) {
        tenantSegment = parts.get(1);
      }
    } catch (URISyntaxException e) {
      // keep common
    }
    doc.put("tenant_discovery_endpoint", base(ex) + "/" + tenantSegment + "/v2.0/.well-known/openid-configuration");
    doc.put("api-version", "1.1");
    ObjectNode entry = Json.object();
    entry.put("preferred_network", hostPort);
    entry.put("preferred_cache", hostPort);
    entry.set("aliases", Json.array().add(hostPort));
    doc.set("metadata", Json.array().add(entry));
    ex.sendJson(200, doc);
    return 200;
  }

  private int userRealm(HttpExchange ex, String userName) {
    ObjectNode doc = Json.object();
    doc.put("ver", "1.0");
    Optional<Tenant> home = directory.tenantOfUser(userName);
    doc.put("account_type", home.isPresent() ? "Managed" : "Unknown");
    int at = userName.lastIndexOf('@');
    doc.put("domain_name", at < 0 ? "" : userName.substring(at + 1).toLowerCase(Locale.ROOT));
    doc.put("cloud_instance_name", "microsoftonline.com");
    doc.put("cloud_audience_urn", "urn:federation:MicrosoftOnline");
    ex.sendJson(200, doc);
    return 200;
  }

  // ----------------------------------------------------------------------------------------------
  // token endpoint

  private int token(HttpExchange ex, String tenantSegment, Map<String, String> form) throws AadError {
    Faults faults = directory.faults();
    if (faults.roll(faults.tokenEndpointUnavailableRate())) {
      ex.setHeader("Retry-After", "1");
      throw new AadError(503, "temporarily_unavailable", 90033,
          "A transient error has occurred. Please try again.");
    }
    Tenant pathTenant = isAlias(tenantSegment) ? null : resolveTenant(tenantSegment);
    String grantType = required(form, "grant_type");
    String clientId = required(form, "client_id");
    if (pathTenant != null && pathTenant.nationalCloud() != NationalCloud.GLOBAL) {
      throw crossCloud(pathTenant, grantType.equals("client_credentials") || hasClientCredential(form));
    }
    ObjectNode response =
        switch (grantType) {
          case "client_credentials" -> clientCredentials(ex, tenantSegment, pathTenant, clientId, form);
          case "password" -> password(ex, tenantSegment, pathTenant, clientId, form);
          case "device_code", "urn:ietf:params:oauth:grant-type:device_code" ->
              deviceCodeGrant(ex, tenantSegment, pathTenant, clientId, form);
          case "authorization_code" -> authorizationCode(ex, tenantSegment, pathTenant, clientId, form);
          case "refresh_token" -> refreshToken(ex, tenantSegment, pathTenant, clientId, form);
          default -> throw new AadError(400, "unsupported_grant_type", 70003,
              "The app requested an unsupported grant type '" + grantType + "'.");
        };
    ex.setHeader("Cache-Control", "no-store, no-cache");
    ex.sendJson(200, response);
    return 200;
  }

  private ObjectNode clientCredentials(
      HttpExchange ex, String tenantSegment, Tenant pathTenant, String clientId, Map<String, String> form)
      throws AadError {
    if (tenantSegment.equalsIgnoreCase("common") || tenantSegment.equalsIgnoreCase("consumers")) {
      throw AadError.invalidRequest(9001023,
          "The grant type is not supported over the /common or /consumers endpoints. Please use the /organizations"
              + " or tenant-specific endpoint.");
    }
    if (pathTenant == null) {
      throw AadError.invalidRequest(900023,
          "Specified tenant identifier '" + tenantSegment + "' is neither a valid DNS name, nor a valid external"
              + " domain. Client credentials need the tenant id or a domain of the tenant.");
    }
    Application app = application(clientId, pathTenant);
    ServicePrincipal sp =
        pathTenant
            .servicePrincipal(clientId)
            .orElseThrow(() -> appNotFound(clientId, pathTenant));
    String appidacr = authenticateClient(ex, app, form, pathTenant, true);
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
    Map<String, Object> claims = baseAccessClaims(request.audience, pathTenant, app, now, exp);
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
    response.put("access_token", tokens.sign(claims));
    return response;
  }

  private ObjectNode password(
      HttpExchange ex, String tenantSegment, Tenant pathTenant, String clientId, Map<String, String> form)
      throws AadError {
    if (tenantSegment.equalsIgnoreCase("common") || tenantSegment.equalsIgnoreCase("consumers")) {
      throw AadError.invalidRequest(9001023,
          "The grant type is not supported over the /common or /consumers endpoints. Please use the /organizations"
              + " or tenant-specific endpoint.");
    }
    String username = required(form, "username");
    String password = required(form, "password");
    Application app = application(clientId, pathTenant);
    Tenant userTenant = pathTenant != null ? pathTenant : directory.tenantOfUser(username).orElse(null);
    String appidacr = authenticateClient(ex, app, form, userTenant, false);
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
    return delegatedTokens(ex, app, userTenant, user, form.getOrDefault("scope", ""), appidacr, null, "pwd");
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

  private ObjectNode deviceCodeGrant(
      HttpExchange ex, String tenantSegment, Tenant pathTenant, String clientId, Map<String, String> form)
      throws AadError {
    String code = form.containsKey("device_code") ? form.get("device_code") : form.getOrDefault("code", "");
    if (code.isEmpty()) {
      throw AadError.missingParameter("device_code");
    }
    Application app = application(clientId, pathTenant);
    String appidacr = authenticateClient(ex, app, form, pathTenant, false);
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
    return delegatedTokens(ex, app, grant.userTenant, grant.user, grant.scope, appidacr, null, "pwd mfa");
  }

  private ObjectNode authorizationCode(
      HttpExchange ex, String tenantSegment, Tenant pathTenant, String clientId, Map<String, String> form)
      throws AadError {
    String code = required(form, "code");
    Application app = application(clientId, pathTenant);
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
      appidacr = authenticateClient(ex, app, form, grant.tenant(), true);
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
    return delegatedTokens(ex, app, grant.tenant(), grant.user(), form.getOrDefault("scope", grant.scope()),
        appidacr, grant.nonce(), "pwd");
  }

  private ObjectNode refreshToken(
      HttpExchange ex, String tenantSegment, Tenant pathTenant, String clientId, Map<String, String> form)
      throws AadError {
    String token = required(form, "refresh_token");
    Application app = application(clientId, pathTenant);
    RefreshGrant grant = refreshTokens.get(token);
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
            ? authenticateClient(ex, app, form, grant.tenant, false)
            : "0";
    grant.lastUsed = now;
    return delegatedTokens(ex, app, grant.tenant, grant.user, form.getOrDefault("scope", ""), appidacr, null, "pwd");
  }

  /** Access token, refresh token, id token and client info for a signed-in user. */
  private ObjectNode delegatedTokens(
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
    response.put("access_token", tokens.sign(claims));
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

  private Map<String, Object> baseAccessClaims(String audience, Tenant tenantOfToken, Application app, Instant now, Instant exp) {
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

  // ----------------------------------------------------------------------------------------------
  // client authentication

  private static boolean hasClientCredential(Map<String, String> form) {
    return form.containsKey("client_secret") || form.containsKey("client_assertion");
  }

  /**
   * Authenticates the client as Entra does and returns {@code appidacr}: "0" public client, "1" secret,
   * "2" certificate. {@code confidentialOnly} is true for grants a public client may not use.
   */
  private String authenticateClient(
      HttpExchange ex, Application app, Map<String, String> form, Tenant resourceTenant, boolean confidentialOnly)
      throws AadError {
    String secret = form.get("client_secret");
    String assertion = form.get("client_assertion");
    if (secret == null && assertion == null) {
      if (confidentialOnly || !app.allowPublicClientFlows()) {
        throw AadError.invalidClient(7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
      }
      return "0";
    }
    if (app.allowPublicClientFlows() && !app.hasCredentials()) {
      throw AadError.invalidClient(700025,
          "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.");
    }
    if (secret != null) {
      Optional<PasswordCredential> match = app.secretWithValue(secret);
      if (match.isEmpty()) {
        throw AadError.invalidClient(7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret"
                + " value, not the client secret ID, for a secret added to app '" + app.clientId() + "'.");
      }
      if (match.get().isExpired(directory.clock())) {
        throw AadError.invalidClient(7000222,
            "The provided client secret keys for app '" + app.clientId() + "' are expired. Visit the Azure portal"
                + " to create new keys for your app: https://aka.ms/NewClientSecret, or consider using"
                + " certificate credentials for added security: https://aka.ms/certCreds.");
      }
      return "1";
    }
    String assertionType = form.getOrDefault("client_assertion_type", "");
    if (!assertionType.equals("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")) {
      throw AadError.invalidRequest(50027,
          "Invalid JWT token: client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.");
    }
    verifyAssertion(ex, app, assertion);
    return "2";
  }

  @SuppressWarnings("deprecation") // x5t (SHA-1) is what MSAL sends alongside x5t#S256
  private void verifyAssertion(HttpExchange ex, Application app, String assertion) throws AadError {
    SignedJWT jwt;
    JWTClaimsSet claims;
    try {
      jwt = SignedJWT.parse(assertion);
      claims = jwt.getJWTClaimsSet();
    } catch (ParseException e) {
      throw AadError.invalidClient(50027, "Invalid JWT token. The token is malformed.");
    }
    JWSHeader header = jwt.getHeader();
    Optional<KeyCredential> key = matchingCertificate(app, header);
    if (key.isEmpty()) {
      throw AadError.invalidClient(700027,
          "The certificate with identifier used to sign the client assertion is not registered on application."
              + " [Reason - The key was not found., Thumbprint of key used by client: '"
              + Optional.ofNullable(header.getX509CertThumbprint()).map(Base64URL::toString).orElse("")
              + "', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys"
              + " for app Id '" + app.clientId() + "'.]");
    }
    JWSAlgorithm alg = header.getAlgorithm();
    if (!JWSAlgorithm.RS256.equals(alg) && !JWSAlgorithm.PS256.equals(alg)) {
      throw AadError.invalidClient(5002738, "Invalid JWT token. '" + alg + "' is not a supported signature algorithm.");
    }
    try {
      if (!jwt.verify(new RSASSAVerifier((RSAPublicKey) key.get().certificate().getPublicKey()))) {
        throw AadError.invalidClient(700027, "Client assertion failed signature validation.");
      }
    } catch (JOSEException e) {
      throw AadError.invalidClient(700027, "Client assertion failed signature validation.");
    }
    Instant now = directory.clock().instant();
    if (now.isAfter(key.get().endDateTime())) {
      throw AadError.invalidClient(700027,
          "Client assertion contains an invalid signature. [Reason - The key used is expired., Thumbprint of key"
              + " used by client: '" + key.get().thumbprint() + "']");
    }
    if (!app.clientId().equals(claims.getIssuer()) || !app.clientId().equals(claims.getSubject())) {
      throw AadError.invalidClient(700021, "Client assertion application identifier doesn't match"
          + " 'client_id' parameter: iss and sub must both be the client id.");
    }
    List<String> audience = claims.getAudience();
    String expectedPath = ex.rawPath();
    boolean audienceOk =
        audience != null && audience.stream().anyMatch(a -> a.endsWith(expectedPath) || a.endsWith(expectedPath + "/"));
    if (!audienceOk) {
      throw AadError.invalidClient(700212, "Client assertion audience claim does not match the token endpoint"
          + " (expected https://<authority host>" + expectedPath + ").");
    }
    Instant exp = claims.getExpirationTime() == null ? Instant.EPOCH : claims.getExpirationTime().toInstant();
    Instant nbf = claims.getNotBeforeTime() == null ? Instant.EPOCH : claims.getNotBeforeTime().toInstant();
    Duration skew = Duration.ofMinutes(5);
    if (now.isAfter(exp.plus(skew)) || now.plus(skew).isBefore(nbf)) {
      throw AadError.invalidClient(700024, "Client assertion is not within its valid time range. Current time: "
          + now + ", assertion valid from " + nbf + ", expiry time of assertion " + exp + ".");
    }
  }

  private static Optional<KeyCredential> matchingCertificate(Application app, JWSHeader header) {
    Base64URL s256 = header.getX509CertSHA256Thumbprint();
    @SuppressWarnings("deprecation")
    Base64URL sha1 = header.getX509CertThumbprint();
    for (KeyCredential key : app.certificates()) {
      if (s256 != null && Arrays.equals(s256.decode(), Pki.digest("SHA-256", key.certificate()))) {
        return Optional.of(key);
      }
      if (sha1 != null && Arrays.equals(sha1.decode(), Pki.digest("SHA-1", key.certificate()))) {
        return Optional.of(key);
      }
    }
    return Optional.empty();
  }

  // ----------------------------------------------------------------------------------------------
  // tenants, apps, account types, scopes, consent

  /**
   * The global authority's answer to a token request for a tenant of another cloud: AADSTS900432 "Confidential Client
   * isn't supported in Cross Cloud request." for a confidential client, AADSTS90038 NationalCloudTenantRedirection for
   * the others (MicrosoftDocs/entra-docs reference-error-codes.md gives both codes and texts; the statuses and OAuth
   * errors are assumed, as for the other 400 invalid_request answers).
   */
  private static AadError crossCloud(Tenant tenant, boolean confidential) {
    if (confidential) {
      return AadError.invalidRequest(900432, "Confidential Client is not supported in Cross Cloud request.");
    }
    return AadError.invalidRequest(90038, "Tenant '" + tenant.id() + "' belongs to the national cloud '"
        + tenant.nationalCloud().cloudInstanceName() + "'. Current cloud instance 'microsoftonline.com' does not"
        + " federate with '" + tenant.nationalCloud().cloudInstanceName() + "'. A cloud redirect error is returned.");
  }

  private static boolean isAlias(String tenantSegment) {
    String t = tenantSegment.toLowerCase(Locale.ROOT);
    return t.equals("common") || t.equals("organizations") || t.equals("consumers");
  }

  private Tenant resolveTenant(String tenantSegment) throws AadError {
    if (!GUID.matcher(tenantSegment).matches() && !DOMAIN.matcher(tenantSegment).matches()) {
      throw AadError.invalidRequest(900023,
          "Specified tenant identifier '" + tenantSegment + "' is neither a valid DNS name, nor a valid external"
              + " domain.");
    }
    return directory
        .tenant(tenantSegment)
        .orElseThrow(() -> AadError.invalidRequest(90002,
            "Tenant '" + tenantSegment + "' not found. Check to make sure you have the correct tenant ID and are"
                + " signing into the correct cloud. Check with your subscription administrator, this may happen if"
                + " there are no active subscriptions for the tenant."));
  }

  private Application application(String clientId, Tenant pathTenant) throws AadError {
    Application app = directory.application(clientId);
    if (app == null) {
      throw appNotFound(clientId, pathTenant);
    }
    if (!app.enabled()) {
      throw AadError.unauthorizedClient(7000112, "Application '" + app.clientId() + "'(" + app.displayName()
          + ") is disabled.");
    }
    if (pathTenant != null && pathTenant != app.homeTenant() && !app.accountTypes().allowsOtherTenants()) {
      throw appNotFound(clientId, pathTenant);
    }
    return app;
  }

  private static AadError appNotFound(String clientId, Tenant tenant) {
    String name = tenant == null ? "the directory" : "'" + tenant.primaryDomain() + "'";
    return AadError.unauthorizedClient(700016,
        "Application with identifier '" + clientId + "' was not found in the directory " + name + ". This can"
            + " happen if the application has not been installed by the administrator of the tenant or consented"
            + " to by any user in the tenant. You may have sent your authentication request to the wrong tenant.");
  }

  /** Authority versus "Supported account types", for user sign-ins. */
  private static void checkAudience(Application app, String tenantSegment, Tenant userTenant) throws AadError {
    String t = tenantSegment.toLowerCase(Locale.ROOT);
    SupportedAccountTypes types = app.accountTypes();
    if (types == SupportedAccountTypes.PERSONAL_ONLY) {
      throw AadError.unauthorizedClient(9002331, "Application '" + app.clientId() + "'(" + app.displayName()
          + ") is configured for use by Microsoft Account users only. Please use the /consumers endpoint to serve"
          + " this request.");
    }
    if ((t.equals("common") || t.equals("organizations")) && types == SupportedAccountTypes.SINGLE_TENANT) {
      throw AadError.unauthorizedClient(50194, "Application '" + app.clientId() + "'(" + app.displayName()
          + ") is not configured as a multi-tenant application. Usage of the /" + t + " endpoint is not supported"
          + " for such applications created after '10/15/2018'. Use a tenant-specific endpoint or configure the"
          + " application to be multi-tenant.");
    }
    if (t.equals("consumers") && types != SupportedAccountTypes.MULTI_TENANT_AND_PERSONAL) {
      throw AadError.unauthorizedClient(9002332, "Application '" + app.clientId() + "'(" + app.displayName()
          + ") is configured for use by Azure Active Directory users only. Please do not use the /consumers"
          + " endpoint to serve this request.");
    }
    if (t.equals("consumers")) {
      throw AadError.invalidGrant(50020, "User account from identity provider 'live.com' does not exist in this"
          + " directory: the local tenant has work accounts only.");
    }
    if (userTenant != null && userTenant != app.homeTenant() && types == SupportedAccountTypes.SINGLE_TENANT) {
      throw appNotFound(app.clientId(), userTenant);
    }
  }

  private static String consentMessage(Application app) {
    return "The user or administrator has not consented to use the application with ID '" + app.clientId()
        + "' named '" + app.displayName() + "'. Send an interactive authorization request for this user and"
        + " resource.";
  }

  /** The scopes of one token request, split into reserved OIDC scopes and one resource's permissions. */
  static final class ScopeRequest {
    final Set<String> reserved = new LinkedHashSet<>();
    final List<String> nonReserved = new ArrayList<>();
    final Set<String> permissions = new TreeSet<>();
    ApiResource resource = ApiResource.MICROSOFT_GRAPH;
    String audience = ApiResource.MICROSOFT_GRAPH.primaryUri();
    boolean dotDefault;
  }

  static ScopeRequest parseScopes(String scope, Tenant tenantForErrors) throws AadError {
    ScopeRequest request = new ScopeRequest();
    Set<String> audiences = new LinkedHashSet<>();
    for (String s : scope.trim().split("\\s+")) {
      if (s.isEmpty()) {
        continue;
      }
      if (RESERVED_SCOPES.contains(s)) {
        request.reserved.add(s);
        continue;
      }
      request.nonReserved.add(s);
      String prefix;
      String name;
      int slash = s.lastIndexOf('/');
      if (s.contains("://") && slash > s.indexOf("://") + 2) {
        prefix = s.substring(0, slash);
        name = s.substring(slash + 1);
      } else if (s.contains("://")) {
        prefix = s;
        name = "";
      } else {
        prefix = ApiResource.MICROSOFT_GRAPH.primaryUri();
        name = s;
      }
      String normalized = prefix.toLowerCase(Locale.ROOT);
      ApiResource resource =
          ApiResource.byIdentifier(normalized)
              .orElseThrow(() -> new AadError(400, "invalid_resource", 500011,
                  "The resource principal named " + prefix + " was not found in the tenant named "
                      + (tenantForErrors == null ? "the directory" : tenantForErrors.primaryDomain())
                      + ". This can happen if the application has not been installed by the administrator of the"
                      + " tenant or consented to by any user in the tenant."));
      audiences.add(normalized);
      request.resource = resource;
      request.audience = normalized;
      if (name.equals(".default")) {
        request.dotDefault = true;
      } else if (name.isEmpty() || !resource.delegatedPermissions().contains(name)) {
        throw AadError.invalidScope(70011,
            "The provided value for the input parameter 'scope' is not valid. The scope " + s + " is not valid.");
      } else {
        request.permissions.add(name);
      }
    }
    if (audiences.size() > 1) {
      throw AadError.invalidScope(MIXED_RESOURCES,
          "The provided value for the input parameter scope is not valid because it contains more than one"
              + " resource. Scope " + scope.trim() + " is not valid.");
    }
    return request;
  }

  /** Which requested delegated permissions the user has not consented to (empty when all are granted). */
  static Optional<String> missingConsent(Tenant tenant, Application app, User user, String scope) {
    ScopeRequest request;
    try {
      request = parseScopes(scope, tenant);
    } catch (AadError e) {
      return Optional.empty();
    }
    Set<String> granted =
        tenant.servicePrincipal(app).map(sp -> sp.grantedScopes(user, request.resource)).orElse(Set.of());
    Set<String> missing = new TreeSet<>(request.permissions);
    missing.removeAll(granted);
    return missing.isEmpty() ? Optional.empty() : Optional.of(String.join(" ", missing));
  }

  static boolean userMayConsent(String missingScopes) {
    for (String s : missingScopes.split(" ")) {
      if (ADMIN_ONLY_SCOPES.contains(s)) {
        return false;
      }
    }
    return true;
  }

  static void grantUserConsent(Tenant tenant, Application app, User user, String scope) {
    try {
      ScopeRequest request = parseScopes(scope, tenant);
      tenant.servicePrincipalOrCreate(app).grantUserConsent(user, request.resource, request.permissions);
    } catch (AadError e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  private static boolean isPublicRedirect(Application app, String redirectUri) {
    return matchesRedirect(app.redirectUris(Platform.MOBILE_AND_DESKTOP), redirectUri)
        || matchesRedirect(app.redirectUris(Platform.SINGLE_PAGE_APPLICATION), redirectUri);
  }

  /** Exact match, except that the port of a loopback redirect (http://localhost, http://127.0.0.1) is ignored. */
  static boolean matchesRedirect(Set<String> registered, String redirectUri) {
    if (registered.contains(redirectUri)) {
      return true;
    }
    URI requested;
    try {
      requested = new URI(redirectUri);
    } catch (URISyntaxException e) {
      return false;
    }
    if (!"http".equals(requested.getScheme())
        || !("localhost".equals(requested.getHost()) || "127.0.0.1".equals(requested.getHost()))) {
      return false;
    }
    for (String r : registered) {
      try {
        URI candidate = new URI(r);
        if ("http".equals(candidate.getScheme())
            && requested.getHost().equals(candidate.getHost())
            && normalizePath(requested.getPath()).equals(normalizePath(candidate.getPath()))) {
          return true;
        }
      } catch (URISyntaxException e) {
        // skip malformed registrations
      }
    }
    return false;
  }

  private static String normalizePath(String path) {
    return path == null || path.isEmpty() ? "/" : path;
  }

  private static String s256(String verifier) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String required(Map<String, String> form, String name) throws AadError {
    String value = form.get(name);
    if (value == null || value.isEmpty()) {
      throw AadError.missingParameter(name);
    }
    return value;
  }

  // ----------------------------------------------------------------------------------------------
  // device code endpoint and device login page

  private int deviceCode(HttpExchange ex, String tenantSegment, Map<String, String> form) throws AadError {
    Tenant pathTenant = isAlias(tenantSegment) ? null : resolveTenant(tenantSegment);
    String clientId = required(form, "client_id");
    if (pathTenant != null && pathTenant.nationalCloud() != NationalCloud.GLOBAL) {
      throw crossCloud(pathTenant, hasClientCredential(form));
    }
    Application app = application(clientId, pathTenant);
    String scope = required(form, "scope");
    parseScopes(scope, pathTenant);
    checkAudienceForAuthority(app, tenantSegment);
    DeviceCodes.Grant grant = deviceCodes.issue(app, tenantSegment, scope);
    String verificationUri = base(ex) + "/devicelogin";
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

  private static void checkAudienceForAuthority(Application app, String tenantSegment) throws AadError {
    String t = tenantSegment.toLowerCase(Locale.ROOT);
    if ((t.equals("common") || t.equals("organizations"))
        && app.accountTypes() == SupportedAccountTypes.SINGLE_TENANT) {
      checkAudience(app, tenantSegment, null);
    }
  }

  private int deviceLoginPage(HttpExchange ex) {
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

  // ----------------------------------------------------------------------------------------------
  // authorize endpoint (interactive sign-in with PKCE)

  private int authorize(HttpExchange ex, String tenantSegment) throws AadError {
    Map<String, String> query = ex.query();
    String clientId = query.getOrDefault("client_id", "");
    String redirectUri = query.getOrDefault("redirect_uri", "");
    Tenant pathTenant = isAlias(tenantSegment) ? null : resolveTenant(tenantSegment);
    Application app;
    try {
      app = application(clientId, pathTenant);
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
      AadError e = asEntraAnswers(thrown);
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

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static String page(String title, String body) {
    return "<!DOCTYPE html><html><head><title>" + escape(title) + "</title></head><body><h1>" + escape(title)
        + "</h1>" + body + "</body></html>";
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  // ----------------------------------------------------------------------------------------------
  // errors

  /**
   * The code Entra answers a scope naming more than one resource with: AADSTS700022 or AADSTS28000, as {@link
   * Faults#mixedResourceAnswer(Faults.MixedResourceAnswer)} says (sources there). Other errors pass unchanged.
   */
  private AadError asEntraAnswers(AadError e) {
    if (e.code != MIXED_RESOURCES) {
      return e;
    }
    Faults faults = directory.faults();
    boolean older = switch (faults.mixedResourceAnswer()) {
      case AADSTS700022 -> true;
      case AADSTS28000 -> false;
      case SEEDED -> faults.nextInt(2) == 0;
    };
    return older ? e : new AadError(e.status, e.error, 28000, e.getMessage(), e.suberror);
  }

  /**
   * Answers an {@link AadError} with the JSON body Entra ID sends. The {@code error_description} holds several lines
   * separated by CRLF: the AADSTS code and text, then {@code Trace ID: ...}, {@code Correlation ID: ...} and {@code
   * Timestamp: yyyy-MM-dd HH:mm:ssZ}, the same ids and time the body repeats as {@code trace_id}, {@code
   * correlation_id} and {@code timestamp}. Source: answers quoted verbatim in public issues, e.g. a 401 for
   * AADSTS7000215 in OfficeDev/microsoft-365-agents-toolkit issue #8621 (2023) and Azure/sap-automation issue #418
   * (2023), and a 400 for AADSTS65001 in microsoftgraph/microsoft-graph-docs issue #12893 (2021), each with {@code
   * \r\n} between the lines. Microsoft's error-code reference (entra-docs {@code
   * docs/identity-platform/reference-error-codes.md}) describes the fields but not this layout: the docs are silent
   * on it, so clients must not rely on it either, and this stand-in sends it because Entra does.
   */
  private void sendError(HttpExchange ex, AadError e) {
    Instant now = directory.clock().instant();
    String traceId = UUID.randomUUID().toString();
    String correlationId = ex.header("client-request-id").orElse(UUID.randomUUID().toString());
    String timestamp = TIMESTAMP.format(now);
    ObjectNode body = Json.object();
    body.put("error", e.error);
    String prefix = e.code > 0 ? "AADSTS" + e.code + ": " : "";
    body.put("error_description", prefix + e.getMessage() + "\r\nTrace ID: " + traceId + "\r\nCorrelation ID: "
        + correlationId + "\r\nTimestamp: " + timestamp);
    body.set("error_codes", e.code > 0 ? Json.array().add(e.code) : Json.array());
    body.put("timestamp", timestamp);
    body.put("trace_id", traceId);
    body.put("correlation_id", correlationId);
    if (e.code > 0) {
      body.put("error_uri", base(ex) + "/error?code=" + e.code);
    }
    if (e.suberror != null) {
      body.put("suberror", e.suberror);
    }
    ex.sendJson(e.status, body);
  }

  static Map<String, String> copy(Map<String, String> map) {
    return new HashMap<>(map);
  }
}
