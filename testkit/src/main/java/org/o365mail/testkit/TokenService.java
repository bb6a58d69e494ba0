package org.o365mail.testkit;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.security.KeyPair;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.o365mail.testkit.internal.Json;

/**
 * Signs the tenant's tokens (RS256, one key for every tenant, published as JWKS) and verifies them for the
 * Graph stand-in, IMAP and SMTP.
 */
final class TokenService {
  private static final int VERIFIED_LIMIT = 4096;

  private final RSAKey signingKey;
  private final RSASSASigner signer;
  private final RSASSAVerifier verifier;
  /**
   * Tokens already verified: a client sends the same token with every request (twenty times per {@code $batch}),
   * and a signature check plus claims parse each time made the stand-in slower than the code it serves.
   */
  private final Map<String, VerifiedToken> verified = new ConcurrentHashMap<>();
  /** The opaque access tokens of personal accounts ({@link #opaque}) and what each stands for. */
  private final Map<String, VerifiedToken> opaque = new ConcurrentHashMap<>();

  TokenService(KeyPair keys) {
    String kid = Base64URL.encode(UUID.randomUUID().toString().substring(0, 18)).toString();
    signingKey =
        new RSAKey.Builder((RSAPublicKey) keys.getPublic())
            .privateKey((RSAPrivateKey) keys.getPrivate())
            .keyID(kid)
            .keyUse(KeyUse.SIGNATURE)
            .algorithm(JWSAlgorithm.RS256)
            .build();
    try {
      signer = new RSASSASigner(signingKey);
      verifier = new RSASSAVerifier(signingKey.toRSAPublicKey());
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The public keys as a JWKS document. */
  String jwksJson() {
    return Json.write(new JWKSet(signingKey.toPublicJWK()).toJSONObject(true));
  }

  String keyId() {
    return signingKey.getKeyID();
  }

  /** Signs a JWT with these claims; {@link Instant} values become NumericDate seconds. */
  String sign(Map<String, Object> claims) {
    JWTClaimsSet.Builder builder = new JWTClaimsSet.Builder();
    claims.forEach(
        (name, value) -> {
          if (value instanceof Instant instant) {
            builder.claim(name, instant.getEpochSecond());
          } else {
            builder.claim(name, value);
          }
        });
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.RS256)
                .type(JOSEObjectType.JWT)
                .keyID(signingKey.getKeyID())
                .build(),
            builder.build());
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign a token", e);
    }
    return jwt.serialize();
  }

  /**
   * Checks the signature and parses the claims of an access token this tenant issued. Expiry is not checked
   * here: each server compares {@link VerifiedToken#expiresAt()} with the tenant clock itself.
   */
  Optional<VerifiedToken> verify(String token) {
    if (token == null || token.isEmpty()) {
      return Optional.empty();
    }
    VerifiedToken personal = opaque.get(token);
    if (personal != null) {
      return Optional.of(personal);
    }
    VerifiedToken known = verified.get(token);
    if (known != null) {
      return Optional.of(known);
    }
    try {
      SignedJWT jwt = SignedJWT.parse(token.trim());
      if (!JWSAlgorithm.RS256.equals(jwt.getHeader().getAlgorithm()) || !jwt.verify(verifier)) {
        return Optional.empty();
      }
      VerifiedToken claims = VerifiedToken.of(jwt.getJWTClaimsSet());
      if (verified.size() >= VERIFIED_LIMIT) {
        verified.clear(); // tokens live an hour; a test run issuing this many only verifies some of them again
      }
      verified.put(token, claims);
      return Optional.of(claims);
    } catch (ParseException | JOSEException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /**
   * An access token that is not a JWT, standing for {@code claims}: what Microsoft issues to personal accounts (a
   * compact ticket the client cannot read). Only this service can tell what it stands for.
   */
  String opaque(Map<String, Object> claims) {
    String jwt = sign(claims);
    VerifiedToken parsed = verify(jwt).orElseThrow(() -> new IllegalStateException("cannot read a token just signed"));
    String token = "EwA" + Application.randomToken(400);
    if (opaque.size() >= VERIFIED_LIMIT) {
      opaque.clear(); // as for verified tokens: a test run issuing this many personal-account tokens is not expected
    }
    opaque.put(token, parsed);
    return token;
  }

  static Date date(Instant instant) {
    return Date.from(instant);
  }

  static List<String> list(Object value) {
    if (value instanceof List<?> l) {
      return l.stream().map(String::valueOf).toList();
    }
    return List.of();
  }
}
