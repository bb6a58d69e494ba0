package org.o365mail.graph;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.FolderRef;
import org.o365mail.MessageSummary;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.testing.LeakCheck;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.RecordedRequest;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;

/** One service, many mailboxes: {@link GraphMailboxConnector#forMailbox} shares the connections to Graph. */
@Timeout(60)
@ExtendWith(LeakCheck.class)
class GraphManyMailboxesTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  @Test
  void connectorsForOtherMailboxes_shareOneConnectionPool_andOutliveTheFirst() {
    LocalTenant m365 = M365.tenant();
    Tenant contoso = m365.createTenant("contoso.com");
    List<Mailbox> queues = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      Mailbox q = contoso.addSharedMailbox("queue" + i + "@contoso.com");
      q.deliver(TestMessages.text("customer@fabrikam.com", q.address(), "Ticket " + i, "Help"));
      queues.add(q);
    }
    try (CredentialStrategy credential = GraphApps.clientCredentials(m365, contoso,
        GraphApps.daemon(contoso, "Helpdesk", "Mail.ReadWrite"))) {
      GraphMailboxConnector first = GraphApps.connector(m365, credential, queues.get(0).address()).build();
      List<GraphMailboxConnector> others = new ArrayList<>();
      for (Mailbox q : queues.subList(1, queues.size())) {
        others.add(first.forMailbox(q.address()));
      }
      m365.clearRequests();
      assertThat(subjects(first)).containsExactly("Ticket 0");
      for (int i = 0; i < others.size(); i++) {
        assertThat(others.get(i).mailbox()).isEqualTo(queues.get(i + 1).address());
        assertThat(subjects(others.get(i))).containsExactly("Ticket " + (i + 1));
      }
      // one after the other, twelve mailboxes go over one kept-alive connection, not one connection each
      Set<String> connections = m365.requests("graph").stream().map(r -> r.attribute("connection"))
          .filter(c -> !c.isEmpty()).collect(Collectors.toSet());
      assertThat(m365.requests("graph").stream().map(RecordedRequest::path).filter(p -> p.contains("/messages")))
          .hasSizeGreaterThanOrEqualTo(12);
      assertThat(connections).hasSize(1);

      first.close();
      assertThat(subjects(others.get(0))).containsExactly("Ticket 1"); // closing one does not close the pool
      others.forEach(GraphMailboxConnector::close);
    }
  }

  static List<String> subjects(GraphMailboxConnector c) {
    return c.listMessages(FolderRef.INBOX).stream().map(MessageSummary::subject).toList();
  }
}
