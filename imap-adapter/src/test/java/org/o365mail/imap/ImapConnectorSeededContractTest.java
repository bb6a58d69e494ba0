package org.o365mail.imap;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.testing.MailboxConnectorContract;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testsupport.LeakCheck;

/**
 * The published connector contract over IMAP and SMTP on a local tenant in contract mode, which throttles IMAP
 * commands now and then as Exchange may. The seed is fixed so that a failure replays.
 */
@ExtendWith({FreshLogs.class, LeakCheck.class})
class ImapConnectorSeededContractTest extends MailboxConnectorContract {
  private static final long SEED = 14;

  @RegisterExtension static final LocalTenantExtension M365 =
      LocalTenantExtension.create(LocalTenant.builder().seed(SEED).contract(), tenant -> {});

  private static ImapContractFixtures fixtures;

  @BeforeAll
  static void registerApp() {
    fixtures = new ImapContractFixtures(M365.tenant());
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
