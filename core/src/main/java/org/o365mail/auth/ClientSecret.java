package org.o365mail.auth;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import org.o365mail.internal.BoundedFiles;

/**
 * A client secret from Certificates &amp; secrets: its value, and what the portal shows about it (the Secret
 * ID, the end date the admin chose) so its expiry can be tracked. The value is never part of {@link
 * #toString()}, of an exception message or of a log line; only the hint (its first three characters, which the
 * portal and Graph show openly) is. Immutable.
 */
public final class ClientSecret implements AppCredential {
  private final String value;
  private final String keyId;
  private final Instant expiresAt;
  private final String description;

  private ClientSecret(String value, String keyId, Instant expiresAt, String description) {
    this.value = value;
    this.keyId = keyId;
    this.expiresAt = expiresAt;
    this.description = description;
  }

  /** The secret's Value (not its Secret ID). */
  public static ClientSecret of(String value) {
    requireNonNull(value, "value");
    String v = value.strip();
    if (v.length() < 8) {
      throw new IllegalArgumentException("client secret is too short to be a secret value ("
          + v.length() + " characters): copy the Value column of Certificates & secrets");
    }
    return new ClientSecret(v, null, null, null);
  }

  /** Reads the value from an environment variable; the error names the variable, never a value. */
  public static ClientSecret fromEnvironment(String variable) {
    requireNonNull(variable, "variable");
    String v = System.getenv(variable);
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException("environment variable " + variable + " is not set or empty; it should"
          + " hold the client secret value");
    }
    return of(v);
  }

  /** Reads the value from a file (surrounding white space and a final newline are ignored). */
  public static ClientSecret fromFile(Path file) {
    requireNonNull(file, "file");
    try {
      // a secret is 40 characters; 64 KiB refuses a wrong file (a log, an archive, /dev/zero) before reading it
      return of(BoundedFiles.readString(file, 64 << 10));
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the client secret file " + file + ": " + e.getMessage(), e);
    }
  }

  /** Records the Secret ID shown next to the value, for matching with the app's registration. */
  public ClientSecret withKeyId(String id) {
    return new ClientSecret(value, requireNonNull(id, "keyId").trim(), expiresAt, description);
  }

  /** Records the end date the admin chose under "Expires", for expiry tracking. */
  public ClientSecret withExpiresAt(Instant instant) {
    return new ClientSecret(value, keyId, requireNonNull(instant, "expiresAt"), description);
  }

  /** Records the description typed in the portal. */
  public ClientSecret withDescription(String text) {
    return new ClientSecret(value, keyId, expiresAt, requireNonNull(text, "description"));
  }

  /** The secret value. Handle with care: never log or display it. */
  public String value() {
    return value;
  }

  /** First three characters of the value, as Graph's {@code passwordCredentials.hint} shows them. */
  public String hint() {
    return value.substring(0, 3);
  }

  public Optional<String> keyId() {
    return Optional.ofNullable(keyId);
  }

  public Optional<Instant> expiresAt() {
    return Optional.ofNullable(expiresAt);
  }

  public Optional<String> description() {
    return Optional.ofNullable(description);
  }

  /** {@code "client secret <hint>..."} and the Secret ID when known; never the value. */
  @Override
  public String label() {
    return "client secret " + hint() + "..." + keyId().map(id -> " (" + id + ")").orElse("");
  }

  /** Whether the value has the shape of a Secret ID (a GUID) rather than of a secret value. */
  public boolean looksLikeSecretId() {
    return value.matches("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  }

  @Override
  public String toString() {
    return "ClientSecret[hint=" + hint() + "..., keyId=" + keyId + ", expiresAt=" + expiresAt + ", value=****]";
  }
}
