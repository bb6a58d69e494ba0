package org.o365mail.graph;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.o365mail.MailboxConnector;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.contract.TenantConnectorChecks;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.Tenant;

/**
 * The tenant-side connector checks over Graph, app-only with a client secret: Mail.ReadWrite and Mail.Send
 * application permissions with admin consent, which reach every mailbox of the tenant (so granting access does nothing).
 */
@Timeout(120)
@ExtendWith(LeakCheck.class)
class GraphTenantConnectorTest extends TenantConnectorChecks {
  private static CredentialStrategy credential;

  @Override
  protected void configure(LocalTenant m365, Tenant tenant) {
    Application app = GraphApps.daemon(tenant, "Contract (Graph)", "Mail.ReadWrite", "Mail.Send");
    credential = GraphApps.clientCredentials(m365, tenant, app);
  }

  @Override
  protected void grantAccess(Tenant tenant, Mailbox mailbox) {
    // app-only Graph permissions reach every mailbox of the tenant unless an access policy narrows them
  }

  @Override
  protected boolean reachesMailboxesWithoutAGrant() {
    return true;
  }

  @Override
  protected MailboxConnector connect(LocalTenant m365, Tenant tenant, Mailbox mailbox) {
    return GraphApps.connector(m365, credential, mailbox.address()).build();
  }

  @AfterAll
  static void closeCredential() {
    if (credential != null) {
      credential.close();
    }
  }
}
