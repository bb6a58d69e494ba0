package org.o365mail.jdbc;

import org.junit.jupiter.api.Test;
import org.o365mail.buildtools.ApiFile;
import org.o365mail.buildtools.ApiSurface;

/**
 * The exported API of o365-mail-jdbc is what jdbc/api/o365-mail-jdbc.api says. An intended change of it is made
 * with the command in the failure message and shows in review as a change of that file.
 */
class PublicApiTest {

  @Test
  void exportedApiMatchesTheCommittedApiFile() {
    ApiFile.check(ApiSurface.ofModuleOf(PostgresCheckpointStore.class),
        ApiFile.of(ApiSurface.classesDirectoryOf(PostgresCheckpointStore.class), "o365-mail-jdbc"),
        "mvn -B -o -pl jdbc -am test -Dtest=PublicApiTest -Dsurefire.failIfNoSpecifiedTests=false"
            + " -Dapi.update=true");
  }
}
