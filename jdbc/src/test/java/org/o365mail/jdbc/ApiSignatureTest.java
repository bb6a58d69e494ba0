package org.o365mail.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.o365mail.buildtools.ApiSurface;

/** No exported signature of o365-mail-jdbc shows a type but the JDK's and the SDK's: not the PostgreSQL driver's. */
class ApiSignatureTest {

  private static final List<String> ALLOWED = List.of("java.", "javax.sql.", "javax.crypto.", "org.o365mail.");

  @Test
  void exportedSignaturesShowNoDriverType() {
    assertThat(ApiSurface.ofModuleOf(PostgresCheckpointStore.class).typesOutside(ALLOWED))
        .as("third-party types in exported signatures, each with the lines showing it")
        .isEmpty();
  }
}
