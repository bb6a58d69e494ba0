package org.o365mail.azure;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.o365mail.buildtools.ApiSurface;

/**
 * No exported signature of o365-mail-azure shows a third-party type but the one it exists for: azure-core's
 * {@code TokenCredential}, the documented bridge (not azure-identity's classes, not azure-core's HTTP types).
 */
class ApiSignatureTest {

  private static final List<String> ALLOWED = List.of(
      "javax.annotation.", "org.o365mail.", "com.azure.core.credential.TokenCredential");

  @Test
  void exportedSignaturesShowNoThirdPartyTypeButTokenCredential() {
    assertThat(ApiSurface.ofModuleOf(AzureCredentials.class).typesOutside(ALLOWED))
        .as("third-party types in exported signatures, each with the lines showing it")
        .isEmpty();
  }
}
