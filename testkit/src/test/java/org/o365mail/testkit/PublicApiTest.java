package org.o365mail.testkit;

import org.junit.jupiter.api.Test;
import org.o365mail.buildtools.ApiFile;
import org.o365mail.buildtools.ApiSurface;

/**
 * The exported API of o365-mail-testkit is what testkit/api/o365-mail-testkit.api says. An intended change of
 * it is made with the command in the failure message and shows in review as a change of that file.
 */
class PublicApiTest {

  @Test
  void exportedApiMatchesTheCommittedApiFile() {
    ApiFile.check(ApiSurface.ofModuleOf(LocalTenant.class),
        ApiFile.of(ApiSurface.classesDirectoryOf(LocalTenant.class), "o365-mail-testkit"),
        "mvn -B -o -pl testkit -am test -Dtest=PublicApiTest -Dsurefire.failIfNoSpecifiedTests=false"
            + " -Dapi.update=true");
  }
}
