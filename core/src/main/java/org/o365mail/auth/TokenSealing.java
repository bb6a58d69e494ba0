package org.o365mail.auth;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM sealing of {@link TokenStore} entries, for the SDK's stores and for stores of your own: each entry is
 * sealed under the store's key and bound to its name (the name is the cipher's additional data), so an entry copied
 * under another name, written with another key, truncated or altered does not open. A sealed entry is a fresh
 * 12-byte nonce followed by the ciphertext and its 16-byte tag; a store adds its own marker in front.
 *
 * <p>Immutable and thread-safe. The key never appears in {@link #toString()}.
 */
public final class TokenSealing {
  /** Bytes a sealed entry has beyond its plaintext: the nonce and the tag. */
  public static final int OVERHEAD = 12 + 16;

  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final SecretKey key;

  private TokenSealing(SecretKey key) {
    this.key = key;
  }

  /**
   * Seals under a 32-byte AES-256 key.
   *
   * @throws IllegalArgumentException naming {@code encryptionKey} if it is not 32 bytes
   */
  public static TokenSealing withKey(byte[] aes256Key) {
    requireNonNull(aes256Key, "encryptionKey");
    if (aes256Key.length != 32) {
      throw new IllegalArgumentException("encryptionKey must be 32 bytes (AES-256), was " + aes256Key.length);
    }
    return new TokenSealing(new SecretKeySpec(aes256Key.clone(), "AES"));
  }

  /**
   * Seals under an AES key.
   *
   * @throws IllegalArgumentException naming {@code encryptionKey} if it is not an AES key
   */
  public static TokenSealing withKey(SecretKey aesKey) {
    requireNonNull(aesKey, "encryptionKey");
    if (!"AES".equalsIgnoreCase(aesKey.getAlgorithm())) {
      throw new IllegalArgumentException("encryptionKey must be an AES key, was " + aesKey.getAlgorithm());
    }
    return new TokenSealing(aesKey);
  }

  /** {@code plain} sealed and bound to {@code name}: nonce, then ciphertext and tag. */
  public byte[] seal(String name, byte[] plain) {
    requireNonNull(name, "name");
    requireNonNull(plain, "plain");
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(name.getBytes(StandardCharsets.UTF_8));
      byte[] sealed = cipher.doFinal(plain);
      byte[] out = Arrays.copyOf(nonce, NONCE_BYTES + sealed.length);
      System.arraycopy(sealed, 0, out, NONCE_BYTES, sealed.length);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot encrypt the token cache", e);
    }
  }

  /**
   * The plaintext of {@code data[offset..]}, sealed by {@link #seal} under this key and {@code name}; empty when it
   * is too short, was sealed under another key or name, or was altered.
   */
  public Optional<byte[]> open(String name, byte[] data, int offset) {
    requireNonNull(name, "name");
    requireNonNull(data, "data");
    if (offset < 0 || data.length - offset < OVERHEAD) {
      return Optional.empty();
    }
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, key,
          new GCMParameterSpec(TAG_BITS, Arrays.copyOfRange(data, offset, offset + NONCE_BYTES)));
      cipher.updateAAD(name.getBytes(StandardCharsets.UTF_8));
      return Optional.of(cipher.doFinal(data, offset + NONCE_BYTES, data.length - offset - NONCE_BYTES));
    } catch (GeneralSecurityException e) {
      return Optional.empty();
    }
  }

  @Override
  public String toString() {
    return "TokenSealing[AES-256-GCM]";
  }
}
