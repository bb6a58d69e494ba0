package org.o365mail.testing;

import org.junit.jupiter.api.Test;
import org.o365mail.buildtools.ApiFile;
import org.o365mail.buildtools.ApiSurface;

/**
 * The exported API of o365-mail-testing is what testing/api/o365-mail-testing.api says. An intended change of it is made
 * with the command in the failure message and shows in review as a change of that file.
 */
class PublicApiTest {

  @Test
  void exportedApiMatchesTheCommittedApiFile() {
    ApiFile.check(ApiSurface.ofModuleOf(InMemoryMailboxConnector.class),
        ApiFile.of(ApiSurface.classesDirectoryOf(InMemoryMailboxConnector.class), "o365-mail-testing"),
        "mvn -B -o -pl testing -am test -Dtest=PublicApiTest -Dsurefire.failIfNoSpecifiedTests=false"
            + " -Dapi.update=true");
  }
}
