package org.o365mail.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.o365mail.buildtools.ApiSurface;

/**
 * No exported signature of o365-mail-testing shows a third-party type but JUnit Jupiter's API, which the contract
 * suite is written in (its annotations and, through a subclass, its lifecycle).
 */
class ApiSignatureTest {

  private static final List<String> ALLOWED = List.of("javax.annotation.", "org.o365mail.", "org.junit.jupiter.api.");

  @Test
  void exportedSignaturesShowNoThirdPartyTypeButJUnit() {
    assertThat(ApiSurface.ofModuleOf(InMemoryMailboxConnector.class).typesOutside(ALLOWED))
        .as("third-party types in exported signatures, each with the lines showing it")
        .isEmpty();
  }
}
