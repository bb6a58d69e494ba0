package org.o365mail.graph;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.o365mail.MailboxConnector;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.testing.MailboxConnectorContract.Fixture;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.Tenant;

/**
 * Fixtures of the connector contract on a local tenant: an app-only daemon with Mail.ReadWrite and Mail.Send
 * application permissions (which reach every mailbox of the tenant), and a new user mailbox for each fixture.
 * Thread-safe; close it after the test class.
 */
final class GraphContractFixtures implements AutoCloseable {
  private final AtomicInteger mailboxes = new AtomicInteger();
  private final LocalTenant m365;
  private final Tenant contoso;
  private final CredentialStrategy credential;

  GraphContractFixtures(LocalTenant m365) {
    this.m365 = m365;
    this.contoso = m365.createTenant("contoso.com");
    Application app = GraphApps.daemon(contoso, "Contract (Graph)", "Mail.ReadWrite", "Mail.Send");
    this.credential = GraphApps.clientCredentials(m365, contoso, app);
  }

  Fixture newFixture() {
    Mailbox mailbox = contoso.addUser("contract" + mailboxes.incrementAndGet() + "@contoso.com", "Mailbox-Pw-1!")
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

  @Override
  public void close() {
    credential.close();
  }
}
