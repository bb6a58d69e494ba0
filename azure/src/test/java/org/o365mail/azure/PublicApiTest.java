package org.o365mail.azure;

import org.junit.jupiter.api.Test;
import org.o365mail.buildtools.ApiFile;
import org.o365mail.buildtools.ApiSurface;

/**
 * The exported API of o365-mail-azure is what azure/api/o365-mail-azure.api says. An intended change of it is made
 * with the command in the failure message and shows in review as a change of that file.
 */
class PublicApiTest {

  @Test
  void exportedApiMatchesTheCommittedApiFile() {
    ApiFile.check(ApiSurface.ofModuleOf(AzureCredentials.class),
        ApiFile.of(ApiSurface.classesDirectoryOf(AzureCredentials.class), "o365-mail-azure"),
        "mvn -B -o -pl azure -am test -Dtest=PublicApiTest -Dsurefire.failIfNoSpecifiedTests=false"
            + " -Dapi.update=true");
  }
}
