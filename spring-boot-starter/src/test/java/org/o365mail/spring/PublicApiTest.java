package org.o365mail.spring;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.o365mail.buildtools.ApiFile;
import org.o365mail.buildtools.ApiSurface;

/**
 * The exported API of o365-mail-spring-boot-starter is what spring-boot-starter/api/o365-mail-spring-boot-starter.api
 * says. An intended change of it is made with the command in the failure message and shows in review as a change of
 * that file.
 */
class PublicApiTest {

  @Test
  void exportedApiMatchesTheCommittedApiFile() {
    // the surefire execution "api" has Boot 4's health jar, which these read; the Boot 3 run has not
    Assumptions.assumeTrue(getClass().getClassLoader()
        .getResource("org/springframework/boot/health/contributor/HealthIndicator.class") != null);
    ApiFile.check(ApiSurface.ofModuleOf(O365MailAutoConfiguration.class),
        ApiFile.of(ApiSurface.classesDirectoryOf(O365MailAutoConfiguration.class), "o365-mail-spring-boot-starter"),
        "mvn -B -o -pl spring-boot-starter -am test -Dtest=PublicApiTest -Dsurefire.failIfNoSpecifiedTests=false"
            + " -Dapi.update=true");
  }
}
