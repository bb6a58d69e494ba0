package org.o365mail.expiry;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Optional;

/**
 * A credential as the app registration lists it (Graph {@code passwordCredentials} / {@code keyCredentials}):
 * never the secret itself, only its id, hint or thumbprint and dates.
 *
 * @param type secret or certificate
 * @param keyId the Secret ID / certificate key id
 * @param displayName the description typed in the portal, or {@code null}
 * @param hint first three characters of a secret's value, or the certificate's SHA-1 thumbprint (hex), when
 *     listed
 * @param startDateTime when it became valid, or {@code null}
 * @param endDateTime when it expires
 */
public record RegisteredCredential(CredentialType type, String keyId, String displayName, Optional<String> hint,
    Instant startDateTime, Instant endDateTime) {
  public RegisteredCredential {
    requireNonNull(type, "type");
    requireNonNull(keyId, "keyId");
    requireNonNull(hint, "hint");
    requireNonNull(endDateTime, "endDateTime");
  }

  @Override
  public String toString() {
    return "RegisteredCredential[type=" + type + ", keyId=" + keyId + ", displayName=" + displayName + ", hint="
        + hint.orElse(null) + ", startDateTime=" + startDateTime + ", endDateTime=" + endDateTime + "]";
  }
}
