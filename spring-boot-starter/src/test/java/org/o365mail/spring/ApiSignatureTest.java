package org.o365mail.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.o365mail.buildtools.ApiSurface;

/**
 * No exported signature of the starter shows a type but the JDK's, the SDK's and Spring's (a starter's API is made
 * of Spring's types: configuration properties, lifecycle, health contributors): no adapter's or driver's.
 */
class ApiSignatureTest {

  private static final List<String> ALLOWED = List.of("java.", "org.o365mail.", "org.springframework.");

  @Test
  void exportedSignaturesShowOnlySdkAndSpringTypes() {
    // the surefire execution "api" has Boot 4's health jar, which these read; the Boot 3 run has not
    Assumptions.assumeTrue(getClass().getClassLoader()
        .getResource("org/springframework/boot/health/contributor/HealthIndicator.class") != null);
    assertThat(ApiSurface.ofModuleOf(O365MailAutoConfiguration.class).typesOutside(ALLOWED))
        .as("third-party types in exported signatures, each with the lines showing it")
        .isEmpty();
  }
}
