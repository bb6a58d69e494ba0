package org.o365mail.auth;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.stream.Collectors;
import org.o365mail.internal.JsonSupport;
import org.o365mail.internal.SignInHttp;

/**
 * The SDK's own calls to the token and device-code endpoints, for what MSAL4J cannot do: a two-step device-code
 * flow that honours {@code slow_down}, and the password grant of a confidential client. The tokens they return
 * are handed to MSAL (as a refresh token) so MSAL's cache and refresh take over.
 */
final class OAuthHttp {
  private final AppRegistration app;
  private final SignInHttp http;
  private final Duration timeout;

  /** A device code as the endpoint issued it. */
  public record DeviceCodeResponse(
      String deviceCode, String userCode, URI verificationUri, Duration expiresIn, Duration interval, String message) {
    @Override
    public String toString() {
      return "DeviceCodeResponse[userCode=" + userCode + ", verificationUri=" + verificationUri + ", expiresIn="
          + expiresIn + "]";
    }
  }

  /** A token response: only what the SDK uses from it. */
  public record TokenResponse(String accessToken, Duration expiresIn, String refreshToken, String scope) {
    @Override
    public String toString() {
      return "TokenResponse[expiresIn=" + expiresIn + ", scope=" + scope + ", refreshToken="
          + (refreshToken == null ? "none" : "****") + "]";
    }
  }

  public OAuthHttp(AppRegistration app, ExecutorService executor, Duration timeout) {
    this.app = app;
    this.timeout = timeout;
    this.http = new SignInHttp(app.trust().orElse(null), app.proxy(), executor, timeout);
  }

  public DeviceCodeResponse requestDeviceCode(Set<String> scopes) {
    Map<String, String> form = new LinkedHashMap<>();
    form.put("client_id", app.clientId());
    form.put("scope", withOpenId(scopes));
    Map<String, Object> json = post(endpoint("devicecode"), form);
    String uri = JsonSupport.string(json, "verification_uri");
    if (uri == null) {
      uri = JsonSupport.string(json, "verification_url");
    }
    return new DeviceCodeResponse(
        JsonSupport.string(json, "device_code"),
        JsonSupport.string(json, "user_code"),
        URI.create(uri == null ? "https://microsoft.com/devicelogin" : uri),
        Duration.ofSeconds(JsonSupport.number(json, "expires_in", 900)),
        Duration.ofSeconds(Math.max(1, JsonSupport.number(json, "interval", 5))),
        JsonSupport.string(json, "message"));
  }

  /** One poll; an OAuth error (authorization_pending, slow_down, ...) is thrown as {@link OAuthError}. */
  public TokenResponse pollDeviceCode(String deviceCode) {
    Map<String, String> form = new LinkedHashMap<>();
    form.put("grant_type", "urn:ietf:params:oauth:grant-type:device_code");
    form.put("client_id", app.clientId());
    form.put("device_code", deviceCode);
    return token(post(endpoint("token"), form));
  }

  public TokenResponse passwordGrant(String username, char[] password, Set<String> scopes, ClientSecret secret) {
    Map<String, String> form = new LinkedHashMap<>();
    form.put("grant_type", "password");
    form.put("client_id", app.clientId());
    form.put("username", username);
    form.put("password", new String(password));
    form.put("scope", withOpenId(scopes));
    if (secret != null) {
      form.put("client_secret", secret.value());
    }
    return token(post(endpoint("token"), form));
  }

  private static TokenResponse token(Map<String, Object> json) {
    return new TokenResponse(
        JsonSupport.string(json, "access_token"),
        Duration.ofSeconds(JsonSupport.number(json, "expires_in", 3600)),
        JsonSupport.string(json, "refresh_token"),
        JsonSupport.string(json, "scope"));
  }

  private static String withOpenId(Set<String> scopes) {
    Set<String> all = new java.util.LinkedHashSet<>(scopes);
    all.add("openid");
    all.add("profile");
    all.add("offline_access");
    return String.join(" ", all);
  }

  private URI endpoint(String name) {
    return URI.create(app.authority() + "oauth2/v2.0/" + name);
  }

  private Map<String, Object> post(URI uri, Map<String, String> form) {
    String body = form.entrySet().stream()
        .map(e -> enc(e.getKey()) + "=" + enc(e.getValue()))
        .collect(Collectors.joining("&"));
    String correlationId = UUID.randomUUID().toString();
    HttpRequest request = HttpRequest.newBuilder(uri)
        .timeout(timeout)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Accept", "application/json")
        .header("client-request-id", correlationId)
        .header("x-client-SKU", "o365-mail-sdk")
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
    SignInHttp.Answer response;
    try {
      response = http.send(request);
    } catch (IOException e) {
      throw AuthErrors.translate(e, new AuthContext(app, AuthFlow.DEVICE_CODE, Set.of(), null, null));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new org.o365mail.MailboxException("interrupted while calling " + SignInHttp.endpoint(uri), e);
    }
    Map<String, Object> json;
    try {
      json = JsonSupport.parseObject(response.body());
    } catch (IllegalArgumentException e) {
      throw new OAuthError(response.status(), "invalid_response",
          "the endpoint " + uri + " answered " + response.status() + " without JSON", correlationId, null);
    }
    if (response.status() >= 400 || json.containsKey("error")) {
      Duration retryAfter = AuthErrors.retryAfter(response.headers());
      throw new OAuthError(response.status(), String.valueOf(json.getOrDefault("error", "http_" + response.status())),
          String.valueOf(json.getOrDefault("error_description", "")),
          String.valueOf(json.getOrDefault("correlation_id", correlationId)), retryAfter);
    }
    return json;
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
