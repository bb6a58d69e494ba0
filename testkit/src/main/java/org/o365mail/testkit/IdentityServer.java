package org.o365mail.testkit;

import static org.o365mail.testkit.ClientAuthentication.hasClientCredential;
import static org.o365mail.testkit.IdentityRules.TIMESTAMP;
import static org.o365mail.testkit.IdentityRules.crossCloud;
import static org.o365mail.testkit.IdentityRules.isAlias;
import static org.o365mail.testkit.IdentityRules.required;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.o365mail.testkit.internal.HttpExchange;
import org.o365mail.testkit.internal.HttpService;
import org.o365mail.testkit.internal.Json;

/**
 * The Entra ID stand-in: token endpoint (client credentials with secret or certificate assertion, password,
 * device code, authorization code with PKCE, refresh token), the device-code and authorize endpoints, the
 * OpenID metadata, instance discovery, user realm and JWKS endpoints MSAL calls. Each misconfiguration is
 * answered with the AADSTS code and OAuth error Entra gives for it.
 *
 * <p>This class routes and answers the metadata endpoints; each grant is a {@link TokenGrant} of its own, sharing
 * {@link IdentityRules}, {@link ClientAuthentication} and {@link TokenIssuer}. Thread-safe.
 */
final class IdentityServer implements AutoCloseable {
  private final LocalTenant tenant;
  private final Directory directory;
  private final TokenService tokens;
  private final DeviceCodes deviceCodes;
  private final HttpService http;
  private final IdentityRules rules;
  private final DeviceCodeGrant deviceCodeGrant;
  private final AuthorizationCodeGrant authorizationCodeGrant;
  private final Map<String, TokenGrant> grants;

  IdentityServer(LocalTenant tenant, int port) {
    this.tenant = tenant;
    this.directory = tenant.directory();
    this.tokens = tenant.tokens();
    this.deviceCodes = new DeviceCodes(directory);
    this.rules = new IdentityRules(directory);
    ClientAuthentication clients = new ClientAuthentication(directory);
    TokenIssuer issuer = new TokenIssuer(directory, tokens, this::port);
    this.deviceCodeGrant = new DeviceCodeGrant(directory, rules, clients, issuer, deviceCodes);
    this.authorizationCodeGrant = new AuthorizationCodeGrant(directory, rules, clients, issuer);
    this.grants = Map.of(
        "client_credentials", new ClientCredentialsGrant(directory, rules, clients, issuer),
        "password", new PasswordGrant(directory, rules, clients, issuer),
        "device_code", deviceCodeGrant,
        "urn:ietf:params:oauth:grant-type:device_code", deviceCodeGrant,
        "authorization_code", authorizationCodeGrant,
        "refresh_token", new RefreshTokenGrant(directory, rules, clients, issuer));
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
        status = deviceCodeGrant.deviceLoginPage(ex);
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
            status = deviceCodeGrant.deviceCode(ex, tenantSegment, form);
          }
          case "authorize" -> status = authorizationCodeGrant.authorize(ex, tenantSegment);
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
      AadError e = rules.asEntraAnswers(thrown);
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
      Tenant tenant = rules.resolveTenant(tenantSegment);
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
  // token endpoint: one class per grant

  private int token(HttpExchange ex, String tenantSegment, Map<String, String> form) throws AadError {
    Faults faults = directory.faults();
    if (faults.roll(faults.tokenEndpointUnavailableRate())) {
      ex.setHeader("Retry-After", "1");
      throw new AadError(503, "temporarily_unavailable", 90033,
          "A transient error has occurred. Please try again.");
    }
    Tenant pathTenant = isAlias(tenantSegment) ? null : rules.resolveTenant(tenantSegment);
    String grantType = required(form, "grant_type");
    String clientId = required(form, "client_id");
    if (pathTenant != null && pathTenant.nationalCloud() != NationalCloud.GLOBAL) {
      throw crossCloud(pathTenant, grantType.equals("client_credentials") || hasClientCredential(form));
    }
    TokenGrant grant = grants.get(grantType);
    if (grant == null) {
      throw new AadError(400, "unsupported_grant_type", 70003,
          "The app requested an unsupported grant type '" + grantType + "'.");
    }
    ObjectNode response = grant.redeem(ex, tenantSegment, pathTenant, clientId, form);
    ex.setHeader("Cache-Control", "no-store, no-cache");
    ex.sendJson(200, response);
    return 200;
  }

  // ----------------------------------------------------------------------------------------------
  // errors

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
}
