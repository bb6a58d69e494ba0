package org.o365mail.testkit;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.o365mail.testkit.internal.HttpExchange;
import org.o365mail.testkit.internal.Pki;

/**
 * Authenticates the client of a token request as Entra ID does: none for a public client, a client secret, or a
 * certificate-signed client assertion (RS256 or PS256, x5t or x5t#S256, audience the token endpoint, within its
 * validity with five minutes' skew). Thread-safe: no state of its own.
 */
final class ClientAuthentication {
  private final Directory directory;

  ClientAuthentication(Directory directory) {
    this.directory = directory;
  }

  static boolean hasClientCredential(Map<String, String> form) {
    return form.containsKey("client_secret") || form.containsKey("client_assertion");
  }

  /**
   * Authenticates the client as Entra does and returns {@code appidacr}: "0" public client, "1" secret,
   * "2" certificate. {@code confidentialOnly} is true for grants a public client may not use.
   */
  String authenticateClient(
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
}
