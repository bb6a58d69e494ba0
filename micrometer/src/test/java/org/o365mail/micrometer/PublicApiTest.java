package org.o365mail.micrometer;

import org.junit.jupiter.api.Test;
import org.o365mail.buildtools.ApiFile;
import org.o365mail.buildtools.ApiSurface;

/**
 * The exported API of o365-mail-micrometer is what micrometer/api/o365-mail-micrometer.api says. An intended change
 * of it is made with the command in the failure message and shows in review as a change of that file.
 */
class PublicApiTest {

  @Test
  void exportedApiMatchesTheCommittedApiFile() {
    ApiFile.check(ApiSurface.ofModuleOf(O365MailMetrics.class),
        ApiFile.of(ApiSurface.classesDirectoryOf(O365MailMetrics.class), "o365-mail-micrometer"),
        "mvn -B -o -pl micrometer -am test -Dtest=PublicApiTest -Dsurefire.failIfNoSpecifiedTests=false"
            + " -Dapi.update=true");
  }
}
