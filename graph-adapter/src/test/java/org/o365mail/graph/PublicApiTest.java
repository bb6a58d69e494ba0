package org.o365mail.graph;

import org.junit.jupiter.api.Test;
import org.o365mail.buildtools.ApiFile;
import org.o365mail.buildtools.ApiSurface;

/**
 * The exported API of o365-mail-graph is what graph-adapter/api/o365-mail-graph.api says. An intended change of
 * it is made with the command in the failure message and shows in review as a change of that file.
 */
class PublicApiTest {

  @Test
  void exportedApiMatchesTheCommittedApiFile() {
    ApiFile.check(ApiSurface.ofModuleOf(GraphMailboxConnector.class),
        ApiFile.of(ApiSurface.classesDirectoryOf(GraphMailboxConnector.class), "o365-mail-graph"),
        "mvn -B -o -pl graph-adapter -am test -Dtest=PublicApiTest -Dsurefire.failIfNoSpecifiedTests=false"
            + " -Dapi.update=true");
  }
}
