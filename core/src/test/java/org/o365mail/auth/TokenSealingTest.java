package org.o365mail.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** Sealed token-store entries open only under their key and their name, unaltered and whole. */
class TokenSealingTest {
  private static final byte[] KEY = new byte[32];
  private static final byte[] PLAIN = "{\"RefreshToken\":{}}".getBytes(StandardCharsets.UTF_8);

  static {
    Arrays.fill(KEY, (byte) 7);
  }

  private final TokenSealing sealing = TokenSealing.withKey(KEY);

  @Test
  void opensWhatItSealed_fromAnOffset_andHidesThePlaintext() {
    byte[] sealed = sealing.seal("sign-in", PLAIN);
    assertThat(sealed).hasSize(PLAIN.length + TokenSealing.OVERHEAD);
    assertThat(new String(sealed, StandardCharsets.ISO_8859_1)).doesNotContain("RefreshToken");
    byte[] prefixed = new byte[3 + sealed.length];
    System.arraycopy(sealed, 0, prefixed, 3, sealed.length);
    assertThat(sealing.open("sign-in", prefixed, 3)).hasValueSatisfying(p -> assertThat(p).isEqualTo(PLAIN));
    assertThat(sealing.seal("sign-in", PLAIN)).as("a fresh nonce each time").isNotEqualTo(sealed);
  }

  @Test
  void anotherName_anotherKey_anAlteredOrShortEntry_doNotOpen() {
    byte[] sealed = sealing.seal("sign-in", PLAIN);
    assertThat(sealing.open("another sign-in", sealed, 0)).isEmpty();
    byte[] otherKey = KEY.clone();
    otherKey[0] ^= 1;
    assertThat(TokenSealing.withKey(otherKey).open("sign-in", sealed, 0)).isEmpty();
    byte[] altered = sealed.clone();
    altered[altered.length - 1] ^= 1;
    assertThat(sealing.open("sign-in", altered, 0)).isEmpty();
    assertThat(sealing.open("sign-in", Arrays.copyOf(sealed, TokenSealing.OVERHEAD - 1), 0)).isEmpty();
    assertThat(sealing.open("sign-in", sealed, sealed.length)).isEmpty();
  }

  @Test
  void aKeyOfTheWrongSizeOrAlgorithm_isRefusedNamingEncryptionKey_andNoKeyShowsInToString() {
    assertThatThrownBy(() -> TokenSealing.withKey(new byte[16])).hasMessageContaining("encryptionKey")
        .hasMessageContaining("32 bytes");
    assertThatThrownBy(() -> TokenSealing.withKey(new SecretKeySpec(KEY, "HmacSHA256")))
        .hasMessageContaining("encryptionKey").hasMessageContaining("AES");
    assertThat(sealing.toString()).doesNotContain("7").isEqualTo("TokenSealing[AES-256-GCM]");
  }
}
