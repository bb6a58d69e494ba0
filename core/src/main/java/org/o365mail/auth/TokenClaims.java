package org.o365mail.auth;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.o365mail.internal.JsonSupport;

/**
 * The claims of an access token, decoded <em>without validation</em>: only for pre-flight checks and
 * diagnostics (the services validate tokens). {@link #toString()} shows claims, never the token.
 */
public final class TokenClaims {
  private final Map<String, Object> claims;

  private TokenClaims(Map<String, Object> claims) {
    this.claims = Map.copyOf(claims);
  }

  /**
   * Decodes the payload of a JWT.
   *
   * @throws IllegalArgumentException if the token is not a JWT (Microsoft tokens for other audiences may be
   *     opaque)
   */
  public static TokenClaims decode(String jwt) {
    String[] parts = jwt == null ? new String[0] : jwt.split("\\.");
    if (parts.length < 2) {
      throw new IllegalArgumentException("the token is not a JWT (it has " + parts.length + " parts)");
    }
    try {
      String json = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
      return new TokenClaims(JsonSupport.parseObject(json));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the token's payload is not base64url JSON", e);
    }
  }

  /** {@code aud}: the resource the token is for. */
  public String audience() {
    Object aud = claims.get("aud");
    if (aud instanceof List<?> l) {
      return l.isEmpty() ? "" : String.valueOf(l.get(0));
    }
    return aud == null ? "" : String.valueOf(aud);
  }

  /** {@code tid}: the tenant that issued it. */
  public String tenantId() {
    return string("tid").orElse("");
  }

  /** {@code appid} (v1) or {@code azp} (v2): the client. */
  public String appId() {
    return string("appid").or(() -> string("azp")).orElse("");
  }

  /** {@code oid}: the user, or the enterprise application (service principal) for app-only tokens. */
  public String objectId() {
    return string("oid").orElse("");
  }

  /** {@code roles}: application permissions (app-only tokens). */
  public Set<String> roles() {
    return Set.copyOf(JsonSupport.strings(claims, "roles"));
  }

  /** {@code scp}: delegated permissions, split at spaces. */
  public Set<String> scopes() {
    return string("scp")
        .filter(s -> !s.isBlank())
        .map(s -> Set.copyOf(new LinkedHashSet<>(Arrays.asList(s.trim().split("\\s+")))))
        .orElse(Set.of());
  }

  /** {@code upn} or {@code preferred_username}, when the token is for a user. */
  public Optional<String> userPrincipalName() {
    return string("upn").or(() -> string("preferred_username"));
  }

  public Optional<Instant> expiresAt() {
    long exp = JsonSupport.number(claims, "exp", -1);
    return exp < 0 ? Optional.empty() : Optional.of(Instant.ofEpochSecond(exp));
  }

  public Optional<Instant> issuedAt() {
    long iat = JsonSupport.number(claims, "iat", -1);
    return iat < 0 ? Optional.empty() : Optional.of(Instant.ofEpochSecond(iat));
  }

  /** App-only when there is no {@code scp} (and {@code idtyp} is not {@code user}). */
  public boolean appOnly() {
    return scopes().isEmpty() && !"user".equals(string("idtyp").orElse(""));
  }

  /** Any other claim, as a string. */
  public Optional<String> string(String name) {
    return Optional.ofNullable(JsonSupport.string(claims, name));
  }

  @Override
  public String toString() {
    return "TokenClaims[aud=" + audience() + ", tid=" + tenantId() + ", appid=" + appId() + ", roles=" + roles()
        + ", scp=" + scopes() + ", upn=" + userPrincipalName().orElse("") + ", exp=" + expiresAt().orElse(null) + "]";
  }
}
