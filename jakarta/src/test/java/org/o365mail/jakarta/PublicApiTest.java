package org.o365mail.jakarta;

import org.junit.jupiter.api.Test;
import org.o365mail.buildtools.ApiFile;
import org.o365mail.buildtools.ApiSurface;

/**
 * The exported API of o365-mail-jakarta is what jakarta/api/o365-mail-jakarta.api says. An intended change of it is
 * made with the command in the failure message and shows in review as a change of that file.
 */
class PublicApiTest {

  @Test
  void exportedApiMatchesTheCommittedApiFile() {
    ApiFile.check(ApiSurface.ofModuleOf(JakartaMailSessions.class),
        ApiFile.of(ApiSurface.classesDirectoryOf(JakartaMailSessions.class), "o365-mail-jakarta"),
        "mvn -B -o -pl jakarta -am test -Dtest=PublicApiTest -Dsurefire.failIfNoSpecifiedTests=false"
            + " -Dapi.update=true");
  }
}
