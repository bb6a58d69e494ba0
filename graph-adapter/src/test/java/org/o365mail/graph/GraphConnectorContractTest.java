package org.o365mail.graph;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.testing.MailboxConnectorContract;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testsupport.LeakCheck;

/** The published connector contract over Graph, with the local tenant as the fixture ({@link GraphContractFixtures}). */
@ExtendWith(LeakCheck.class)
class GraphConnectorContractTest extends MailboxConnectorContract {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  private static GraphContractFixtures fixtures;

  @BeforeAll
  static void registerApp() {
    fixtures = new GraphContractFixtures(M365.tenant());
  }

  @AfterAll
  static void closeCredential() {
    if (fixtures != null) {
      fixtures.close();
    }
  }

  @Override
  protected Fixture newFixture() {
    return fixtures.newFixture();
  }
}
