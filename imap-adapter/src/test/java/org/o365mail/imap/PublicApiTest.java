package org.o365mail.imap;

import org.junit.jupiter.api.Test;
import org.o365mail.buildtools.ApiFile;
import org.o365mail.buildtools.ApiSurface;

/**
 * The exported API of o365-mail-imap is what imap-adapter/api/o365-mail-imap.api says. An intended change of
 * it is made with the command in the failure message and shows in review as a change of that file.
 */
class PublicApiTest {

  @Test
  void exportedApiMatchesTheCommittedApiFile() {
    ApiFile.check(ApiSurface.ofModuleOf(ImapMailboxConnector.class),
        ApiFile.of(ApiSurface.classesDirectoryOf(ImapMailboxConnector.class), "o365-mail-imap"),
        "mvn -B -o -pl imap-adapter -am test -Dtest=PublicApiTest -Dsurefire.failIfNoSpecifiedTests=false"
            + " -Dapi.update=true");
  }
}
