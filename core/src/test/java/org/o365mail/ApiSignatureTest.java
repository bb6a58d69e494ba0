package org.o365mail;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.o365mail.buildtools.ApiSurface;

/**
 * No exported signature of o365-mail-core shows a third-party type (the JDK's own types are fine), so the
 * libraries behind it can change without breaking its users.
 */
class ApiSignatureTest {

  private static final List<String> ALLOWED = List.of("javax.annotation.", "org.o365mail.");

  @Test
  void exportedSignaturesShowNoThirdPartyType() {
    assertThat(ApiSurface.ofModuleOf(MailboxConnector.class).typesOutside(ALLOWED))
        .as("third-party types in exported signatures, each with the lines showing it")
        .isEmpty();
  }
}
