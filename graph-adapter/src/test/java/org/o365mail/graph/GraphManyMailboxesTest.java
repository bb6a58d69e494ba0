package org.o365mail.graph;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.FolderRef;
import org.o365mail.MessageSummary;
import org.o365mail.SyncState;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.testsupport.LeakCheck;
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
      // one after the other, twelve mailboxes go over the same kept-alive connections, not one or two each (a first
      // listing asks for its page and looks its folder up at once: two connections)
      Set<String> connections = m365.requests("graph").stream().map(r -> r.attribute("connection"))
          .filter(c -> !c.isEmpty()).collect(Collectors.toSet());
      assertThat(m365.requests("graph").stream().map(RecordedRequest::path).filter(p -> p.contains("/messages")))
          .hasSizeGreaterThanOrEqualTo(12);
      assertThat(connections).hasSizeBetween(1, 2);

      first.close();
      assertThat(subjects(others.get(0))).containsExactly("Ticket 1"); // closing one does not close the pool
      others.forEach(GraphMailboxConnector::close);
    }
  }

  @Test
  void manyMailboxesImportingAtOnce_shareTwoReadAheadThreads() throws Exception {
    LocalTenant m365 = M365.tenant();
    Tenant fabrikam = m365.createTenant("fabrikam.com");
    List<Mailbox> boxes = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      Mailbox b = fabrikam.addSharedMailbox("scans" + i + "@fabrikam.com");
      for (int j = 0; j < 25; j++) {
        b.deliver(TestMessages.text("scanner@fabrikam.com", b.address(), "Scan " + i + "." + j, "page " + j));
      }
      boxes.add(b);
    }
    Set<Thread> before = prefetchThreads();
    Set<Thread> seen = ConcurrentHashMap.newKeySet();
    AtomicInteger read = new AtomicInteger();
    ExecutorService callers = Executors.newFixedThreadPool(6);
    try (CredentialStrategy credential = GraphApps.clientCredentials(m365, fabrikam,
        GraphApps.daemon(fabrikam, "Scan import", "Mail.ReadWrite"))) {
      GraphMailboxConnector first = GraphApps.connector(m365, credential, boxes.get(0).address()).build();
      List<GraphMailboxConnector> all = new ArrayList<>(List.of(first));
      for (Mailbox b : boxes.subList(1, boxes.size())) {
        all.add(first.forMailbox(b.address()));
      }
      List<Future<?>> done = new ArrayList<>();
      for (GraphMailboxConnector c : all) {
        done.add(callers.submit(() -> {
          for (MessageSummary m : c.sync(FolderRef.INBOX, SyncState.BEGINNING, 100).messages()) {
            try (InputStream in = c.openMime(m.id())) {
              assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8))
                  .contains("Subject: " + m.subject());
              read.incrementAndGet();
            }
            seen.addAll(prefetchThreads());
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
      all.forEach(GraphMailboxConnector::close);
    } finally {
      callers.shutdownNow();
    }
    assertThat(read.get()).isEqualTo(12 * 25);
    seen.removeAll(before);
    // one pool for the connector and every one forMailbox made from it, not two threads per mailbox
    assertThat(seen).as("read-ahead threads").hasSizeLessThanOrEqualTo(2);
    assertThat(m365.requests("graph").stream().filter(r -> r.path().endsWith("/$value")
        && !r.attribute("batchItem").equals("true"))).as("MIME read one message at a time").isEmpty();
  }

  static Set<Thread> prefetchThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("o365mail-graph-prefetch")).collect(Collectors.toSet());
  }

  static List<String> subjects(GraphMailboxConnector c) {
    return c.listMessages(FolderRef.INBOX).stream().map(MessageSummary::subject).toList();
  }
}
