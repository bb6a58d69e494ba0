package org.o365mail.testing;

import java.time.Instant;
import org.o365mail.FolderRef;
import org.o365mail.MailboxConnector;

/** The connector contract, run against the in-memory connector, with every capability. */
class InMemoryMailboxConnectorContractTest extends MailboxConnectorContract {

  @Override
  protected Fixture newFixture() {
    InMemoryMailboxConnector mailbox = InMemoryMailboxConnector.create("contract@contoso.com");
    return new Fixture() {
      @Override
      public void createFolder(String path) {
        mailbox.createFolder(FolderRef.path(path));
      }

      @Override
      public void deliver(String folder, byte[] rfc822, Instant receivedAt, boolean read) {
        mailbox.deliver(FolderRef.path(folder), rfc822, receivedAt, read);
      }

      @Override
      public MailboxConnector connect() {
        return mailbox;
      }
    };
  }
}
