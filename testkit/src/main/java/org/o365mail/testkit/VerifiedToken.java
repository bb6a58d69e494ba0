package org.o365mail.testkit;

import com.nimbusds.jwt.JWTClaimsSet;
import java.text.ParseException;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/** The claims of an access token whose signature checked out. */
record VerifiedToken(
    String audience,
    String tenantId,
    String appId,
    String objectId,
    Set<String> roles,
    Set<String> scopes,
    String upn,
    Instant expiresAt,
    Instant notBefore) {

  static VerifiedToken of(JWTClaimsSet claims) throws ParseException {
    List<String> aud = claims.getAudience();
    String scp = claims.getStringClaim("scp");
    List<String> roles = claims.getStringListClaim("roles");
    String upn = claims.getStringClaim("upn");
    if (upn == null) {
      upn = claims.getStringClaim("preferred_username");
    }
    return new VerifiedToken(
        aud == null || aud.isEmpty() ? "" : aud.get(0),
        Optional.ofNullable(claims.getStringClaim("tid")).orElse(""),
        Optional.ofNullable(claims.getStringClaim("appid")).orElse(Optional.ofNullable(claims.getStringClaim("azp")).orElse("")),
        Optional.ofNullable(claims.getStringClaim("oid")).orElse(""),
        roles == null ? Set.of() : Set.copyOf(roles),
        scp == null || scp.isBlank() ? Set.of() : Arrays.stream(scp.trim().split("\\s+")).collect(Collectors.toUnmodifiableSet()),
        upn == null ? "" : upn,
        claims.getExpirationTime() == null ? Instant.EPOCH : claims.getExpirationTime().toInstant(),
        claims.getNotBeforeTime() == null ? Instant.EPOCH : claims.getNotBeforeTime().toInstant());
  }

  /** App-only (client credentials) tokens carry no {@code scp}. */
  boolean appOnly() {
    return scopes.isEmpty();
  }

  boolean expiredAt(Instant now) {
    return !now.isBefore(expiresAt);
  }

  /** Whether the audience is the given API (its identifier URIs or app id). */
  boolean isFor(ApiResource resource) {
    return ApiResource.byIdentifier(audience).filter(r -> r == resource).isPresent();
  }

  @Override
  public String toString() {
    return "VerifiedToken[aud=" + audience + ", tid=" + tenantId + ", appid=" + appId + ", roles=" + roles
        + ", scp=" + scopes + "]";
  }
}
