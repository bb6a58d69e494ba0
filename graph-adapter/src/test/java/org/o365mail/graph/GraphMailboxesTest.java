package org.o365mail.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.FolderRef;
import org.o365mail.ListOptions;
import org.o365mail.MailboxException;
import org.o365mail.MessageId;
import org.o365mail.MessageSummary;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;

/**
 * What the connector holds per mailbox and on which threads it works: the mailbox state shared through {@link
 * GraphMailboxes} (or not), bounded; the slot wait bounded by the timeout; {@code Retry-After} waited through the
 * injected sleeper on the injected clock; the caller's executor used and left running.
 */
@Timeout(60)
@ExtendWith(LeakCheck.class)
class GraphMailboxesTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static LocalTenant m365;
  static Tenant contoso;
  static CredentialStrategy credential;
  static int boxes;

  @BeforeAll
  static void model() {
    m365 = M365.tenant();
    contoso = m365.createTenant("contoso.com");
    credential = GraphApps.clientCredentials(m365, contoso, GraphApps.daemon(contoso, "Shared", "Mail.ReadWrite"));
  }

  @AfterEach
  void calm() {
    m365.faults().reset();
  }

  @AfterAll
  static void close() {
    credential.close();
  }

  static Mailbox filled(int n) {
    Mailbox m = contoso.addSharedMailbox("pooled" + ++boxes + "@contoso.com");
    for (int i = 0; i < n; i++) {
      m.deliver(TestMessages.ofSize("a@fabrikam.com", m.address(), "Doc " + i, 4_000));
    }
    return m;
  }

  static MessageId first(GraphMailboxConnector c) {
    return c.listMessages(FolderRef.INBOX).stream().findFirst().orElseThrow().id();
  }

  @Test
  void aStreamLeftOpen_holdsItsSlot_andTheNextRequestFailsAfterTheTimeoutNamingTheStreams() throws Exception {
    Mailbox m = filled(1);
    try (GraphMailboxConnector c = GraphApps.connector(m365, credential, m.address()).maxConcurrentRequests(1)
        .timeout(Duration.ofSeconds(1)).build()) {
      MessageId id = first(c);
      InputStream held = c.openMime(id);
      assertThatThrownBy(() -> c.message(id)).isInstanceOf(MailboxException.class)
          .hasMessageContaining("no Graph request slot").hasMessageContaining("within 1 s")
          .hasMessageContaining("streams not yet closed");
      held.close();
      assertThat(c.message(id).id()).isEqualTo(id);
    }
  }

  @Test
  void connectorsGivenOneGraphMailboxes_shareTheMailboxsSlots_othersDoNot() throws Exception {
    Mailbox m = filled(1);
    GraphMailboxes shared = GraphMailboxes.builder().build();
    try (GraphMailboxConnector a = GraphApps.connector(m365, credential, m.address()).maxConcurrentRequests(1)
            .mailboxes(shared).build();
        GraphMailboxConnector b = GraphApps.connector(m365, credential, m.address()).maxConcurrentRequests(1)
            .mailboxes(shared).timeout(Duration.ofSeconds(1)).build();
        GraphMailboxConnector apart = GraphApps.connector(m365, credential, m.address()).maxConcurrentRequests(1)
            .timeout(Duration.ofSeconds(1)).build()) {
      MessageId id = first(a);
      assertThat(shared.size()).as("one state for the one app and mailbox").isEqualTo(1);
      InputStream held = a.openMime(id);
      try {
        assertThatThrownBy(() -> b.message(id)).isInstanceOf(MailboxException.class)
            .hasMessageContaining("no Graph request slot");
        assertThat(apart.message(id).id()).as("a connector with its own GraphMailboxes").isEqualTo(id);
      } finally {
        held.close();
      }
      assertThat(b.message(id).id()).isEqualTo(id);
    }
  }

  @Test
  void forMailbox_sharesTheParentsMailboxes() {
    Mailbox m = filled(1);
    Mailbox other = filled(1);
    GraphMailboxes shared = GraphMailboxes.builder().build();
    try (GraphMailboxConnector c = GraphApps.connector(m365, credential, m.address()).mailboxes(shared).build();
        GraphMailboxConnector o = c.forMailbox(other.address())) {
      first(o);
      assertThat(shared.size()).isEqualTo(2);
    }
  }

  @Test
  void closedMailboxes_areKeptUpToTheBound_andDroppedOnceSettled() {
    GraphMailboxes pool = GraphMailboxes.builder().maxIdleMailboxes(1).build();
    List<Mailbox> three = List.of(filled(1), filled(1), filled(1));
    try (GraphMailboxConnector a = GraphApps.connector(m365, credential, three.get(0).address()).clock(m365.clock())
            .mailboxes(pool).build();
        GraphMailboxConnector b = a.forMailbox(three.get(1).address());
        GraphMailboxConnector c = a.forMailbox(three.get(2).address())) {
      first(a);
      first(b);
      first(c);
      m365.faults().graphThrottleRate(1.0).graphRetryAfter(Duration.ofMinutes(5));
      assertThatThrownBy(() -> first(c)).isInstanceOf(MailboxException.class); // c's mailbox paused for minutes
      m365.faults().graphThrottleRate(0);
      assertThat(pool.size()).as("in use: never dropped").isEqualTo(3);
    }
    assertThat(pool.size()).as("closed: at most one kept").isEqualTo(1);
    m365.clock().advance(Duration.ofMinutes(11));
    assertThat(pool.size()).as("settled: nothing a new state would not know").isZero();
  }

  @Test
  void aRetryAfter_isWaitedThroughTheSleeper_onTheConnectorsClock() {
    Mailbox m = filled(1);
    RecordingSleeper sleeper = new RecordingSleeper(m365.clock(), () -> m365.faults().graphThrottleRate(0));
    try (GraphMailboxConnector c = GraphApps.connector(m365, credential, m.address()).clock(m365.clock())
        .sleeper(sleeper).build()) {
      MessageId id = first(c);
      m365.faults().graphThrottleRate(1.0).graphRetryAfter(Duration.ofSeconds(7));
      assertThat(c.message(id).id()).isEqualTo(id);
      // the wait Graph asked for, once, less the moment between the answer and the wait
      assertThat(sleeper.waits()).singleElement().satisfies(w ->
          assertThat(w).isBetween(Duration.ofSeconds(6), Duration.ofSeconds(7)));
      assertThat(c.retries()).isEqualTo(1);
    }
  }

  @Test
  void aCallersExecutor_runsTheConnectorsWork_andIsNotShutDownByClose() {
    Mailbox m = filled(30);
    ExecutorService pool = Executors.newFixedThreadPool(3);
    AtomicInteger tasks = new AtomicInteger();
    try {
      try (GraphMailboxConnector c = GraphApps.connector(m365, credential, m.address()).executor(r -> {
        tasks.incrementAndGet();
        pool.execute(r);
      }).build()) {
        List<MessageSummary> all = c.listMessages(FolderRef.INBOX, ListOptions.defaults().pageSize(50)).stream()
            .toList();
        AtomicInteger read = new AtomicInteger();
        c.forEachMime(all, (s, in) -> read.addAndGet(in.readAllBytes().length > 0 ? 1 : 0));
        assertThat(read).hasValue(30);
      }
      assertThat(tasks.get()).as("the two batches of forEachMime ran on the caller's executor").isGreaterThanOrEqualTo(2);
      assertThat(pool.isShutdown()).isFalse();
    } finally {
      pool.shutdownNow();
    }
  }
}
