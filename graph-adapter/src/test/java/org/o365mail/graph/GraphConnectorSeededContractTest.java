package org.o365mail.graph;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.testing.MailboxConnectorContract;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testsupport.LeakCheck;

/**
 * The published connector contract over Graph on a local tenant in contract mode, which uses the latitude Microsoft's
 * documentation leaves (delta pages in any order, with repeats and of any size; sizes left out; {@code $batch} bodies
 * either way). The seed is fixed so that a failure replays.
 */
@ExtendWith(LeakCheck.class)
class GraphConnectorSeededContractTest extends MailboxConnectorContract {
  private static final long SEED = 14;

  @RegisterExtension static final LocalTenantExtension M365 =
      LocalTenantExtension.create(LocalTenant.builder().seed(SEED).contract(), tenant -> {});

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
