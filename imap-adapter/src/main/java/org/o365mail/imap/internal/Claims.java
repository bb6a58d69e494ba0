package org.o365mail.imap.internal;

import java.util.Optional;
import org.o365mail.auth.AccessToken;
import org.o365mail.auth.TokenClaims;

/**
 * The one place the adapter reads a token's claims: for the login's identity in diagnoses, the tenant and object
 * id its logins are remembered by, and the token's own {@code iat}/{@code exp}. Stateless.
 */
public final class Claims {
  private Claims() {}

  /** The claims of {@code token}, or empty when it is not a JWT (an opaque token still logs in). */
  public static Optional<TokenClaims> of(AccessToken token) {
    try {
      return Optional.of(token.claims());
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
