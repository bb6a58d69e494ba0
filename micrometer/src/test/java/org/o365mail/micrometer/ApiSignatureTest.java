package org.o365mail.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.o365mail.buildtools.ApiSurface;

/**
 * No exported signature of o365-mail-micrometer shows a third-party type but the few of Micrometer's it binds to:
 * the registry, the binder interface and tags (not its meters' implementation types).
 */
class ApiSignatureTest {

  private static final List<String> ALLOWED = List.of(
      "javax.annotation.", "org.o365mail.", "io.micrometer.core.instrument.MeterRegistry",
      "io.micrometer.core.instrument.binder.MeterBinder", "io.micrometer.core.instrument.Tag");

  @Test
  void exportedSignaturesShowNoThirdPartyTypeButMicrometersRegistryBinderAndTags() {
    assertThat(ApiSurface.ofModuleOf(O365MailMetrics.class).typesOutside(ALLOWED))
        .as("third-party types in exported signatures, each with the lines showing it")
        .isEmpty();
  }
}
