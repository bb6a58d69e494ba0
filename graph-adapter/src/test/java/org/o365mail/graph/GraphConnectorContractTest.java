package org.o365mail.graph;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.MailboxConnector;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.testing.MailboxConnectorContract;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.Tenant;
import org.o365mail.testsupport.LeakCheck;

/**
 * The published connector contract over Graph, with the local tenant as the fixture: an app-only daemon with
 * Mail.ReadWrite and Mail.Send application permissions, and a mailbox of its own for each test.
 */
@ExtendWith(LeakCheck.class)
class GraphConnectorContractTest extends MailboxConnectorContract {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  private static final AtomicInteger MAILBOXES = new AtomicInteger();
  private static LocalTenant m365;
  private static Tenant contoso;
  private static CredentialStrategy credential;

  @BeforeAll
  static void registerApp() {
    m365 = M365.tenant();
    contoso = m365.createTenant("contoso.com");
    Application app = GraphApps.daemon(contoso, "Contract (Graph)", "Mail.ReadWrite", "Mail.Send");
    credential = GraphApps.clientCredentials(m365, contoso, app);
  }

  @AfterAll
  static void closeCredential() {
    if (credential != null) {
      credential.close();
    }
  }

  @Override
  protected Fixture newFixture() {
    Mailbox mailbox = contoso.addUser("contract" + MAILBOXES.incrementAndGet() + "@contoso.com", "Mailbox-Pw-1!")
        .mailbox();
    return new Fixture() {
      @Override
      public void createFolder(String path) {
        mailbox.createFolder(path);
      }

      @Override
      public void deliver(String folder, byte[] rfc822, Instant receivedAt, boolean read) {
        mailbox.deliver(folder, rfc822, read, receivedAt);
      }

      @Override
      public MailboxConnector connect() {
        return GraphApps.connector(m365, credential, mailbox.address()).build();
      }
    };
  }
}
