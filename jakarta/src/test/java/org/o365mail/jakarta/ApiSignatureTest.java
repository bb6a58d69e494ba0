package org.o365mail.jakarta;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.o365mail.buildtools.ApiSurface;

/**
 * No exported signature of o365-mail-jakarta shows a third-party type but Jakarta Mail's, which the bridge exists
 * for ({@code Session}, {@code Authenticator}, {@code PasswordAuthentication}); never Angus Mail's.
 */
class ApiSignatureTest {

  private static final List<String> ALLOWED = List.of("javax.annotation.", "org.o365mail.", "jakarta.mail.");

  @Test
  void exportedSignaturesShowNoThirdPartyTypeButJakartaMails() {
    assertThat(ApiSurface.ofModuleOf(JakartaMailSessions.class).typesOutside(ALLOWED))
        .as("third-party types in exported signatures, each with the lines showing it")
        .isEmpty();
  }
}
