package org.o365mail;

import org.junit.jupiter.api.Test;
import org.o365mail.buildtools.ApiFile;
import org.o365mail.buildtools.ApiSurface;

/**
 * The exported API of o365-mail-core is what core/api/o365-mail-core.api says. An intended change of
 * it is made with the command in the failure message and shows in review as a change of that file.
 */
class PublicApiTest {

  @Test
  void exportedApiMatchesTheCommittedApiFile() {
    ApiFile.check(ApiSurface.ofModuleOf(MailboxConnector.class),
        ApiFile.of(ApiSurface.classesDirectoryOf(MailboxConnector.class), "o365-mail-core"),
        "mvn -B -o -pl core -am test -Dtest=PublicApiTest -Dsurefire.failIfNoSpecifiedTests=false"
            + " -Dapi.update=true");
  }
}
