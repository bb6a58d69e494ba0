package org.o365mail.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.DeleteMode;
import org.o365mail.FolderRef;
import org.o365mail.MessageId;
import org.o365mail.MessageNotFoundException;
import org.o365mail.MessageSummary;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;

/**
 * Exchange answers a message id it cannot have issued for the mailbox (garbage, or another mailbox's) with {@code 400
 * ErrorInvalidIdMalformed} or {@code ErrorInvalidMailboxItemId}: to the caller that message is not there, in single
 * calls and in {@code $batch} items alike.
 */
@Timeout(60)
@ExtendWith(LeakCheck.class)
class GraphMalformedIdsTest {
  @RegisterExtension
  static final LocalTenantExtension M365 =
      LocalTenantExtension.create().withFaults(faults -> faults.graphRejectMalformedIds(true));

  static LocalTenant m365;
  static Tenant contoso;
  static Mailbox mailbox;
  static Mailbox other;
  static CredentialStrategy writer;

  @BeforeAll
  static void model() {
    m365 = M365.tenant();
    contoso = m365.createTenant("contoso.com");
    mailbox = contoso.addSharedMailbox("ids@contoso.com");
    other = contoso.addSharedMailbox("ids-other@contoso.com");
    mailbox.deliver(TestMessages.text("a@fabrikam.com", mailbox.address(), "Mine", "x"));
    other.deliver(TestMessages.text("a@fabrikam.com", other.address(), "Theirs", "y"));
    writer = GraphApps.clientCredentials(m365, contoso, GraphApps.daemon(contoso, "Writer", "Mail.ReadWrite"));
  }

  @AfterAll
  static void close() {
    writer.close();
  }

  static long requests(String method, String pathEnd) {
    return m365.requests("graph").stream()
        .filter(r -> r.method().equals(method) && r.path().endsWith(pathEnd)).count();
  }

  @Test
  void garbageAndForeignIds_areMessageNotFound_inSingleCalls() {
    try (GraphMailboxConnector connector = GraphApps.connector(m365, writer, mailbox.address()).build();
        GraphMailboxConnector theirs = GraphApps.connector(m365, writer, other.address()).build()) {
      MessageId foreign = theirs.listMessages(FolderRef.INBOX).stream().findFirst().orElseThrow().id();
      for (MessageId id : List.of(new MessageId("AAMkAGTgarbage"), foreign)) {
        assertThatThrownBy(() -> connector.message(id)).isInstanceOf(MessageNotFoundException.class);
        assertThatThrownBy(() -> connector.openMime(id)).isInstanceOf(MessageNotFoundException.class);
        assertThatThrownBy(() -> connector.listAttachments(id)).isInstanceOf(MessageNotFoundException.class);
        assertThatThrownBy(() -> connector.markRead(id, true)).isInstanceOf(MessageNotFoundException.class);
        assertThatThrownBy(() -> connector.move(id, FolderRef.INBOX))
            .isInstanceOf(MessageNotFoundException.class);
        assertThatThrownBy(() -> connector.delete(id, DeleteMode.MOVE_TO_DELETED_ITEMS))
            .isInstanceOf(MessageNotFoundException.class);
        m365.clearRequests();
        assertThatThrownBy(() -> connector.delete(id, DeleteMode.PERMANENT))
            .isInstanceOf(MessageNotFoundException.class);
        assertThat(requests("DELETE", id.value())).as("no fallback to DELETE: the id is not this mailbox's")
            .isZero();
      }
      assertThat(other.count("Inbox")).as("the other mailbox's message untouched").isEqualTo(1);
    }
  }

  @Test
  void garbageIds_inBatches_areMessageNotFound_orLeftOutOfLookups() {
    try (GraphMailboxConnector connector = GraphApps.connector(m365, writer, mailbox.address()).build()) {
      MessageSummary mine = connector.listMessages(FolderRef.INBOX).stream().findFirst().orElseThrow();
      MessageId garbage = new MessageId("AAMkAGTgarbage2");
      Map<MessageId, MessageSummary> found = connector.messages(List.of(mine.id(), garbage));
      assertThat(found).containsOnlyKeys(mine.id());
      assertThatThrownBy(() -> connector.markRead(List.of(mine.id(), garbage), true))
          .isInstanceOf(MessageNotFoundException.class);
      assertThatThrownBy(() -> connector.move(List.of(garbage), FolderRef.INBOX))
          .isInstanceOf(MessageNotFoundException.class);
      assertThatThrownBy(() -> connector.forEachMime(List.of(MessageSummary.of(garbage, "Inbox", null, null, List.of(),
          "", mine.receivedAt(), 100, false, false)), (m, in) -> { }))
          .isInstanceOf(MessageNotFoundException.class);
    }
  }
}
