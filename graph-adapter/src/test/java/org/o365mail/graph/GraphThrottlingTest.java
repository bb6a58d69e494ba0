package org.o365mail.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.DeleteMode;
import org.o365mail.FolderRef;
import org.o365mail.ListOptions;
import org.o365mail.MessageId;
import org.o365mail.MessageSummary;
import org.o365mail.ThrottledException;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.RecordedRequest;
import org.o365mail.testkit.StoredMail;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;

/**
 * The governor against the stand-in's throttling: 429 storms and 503s lose nothing and keep the concurrency cap
 * (counted at the server), a budget that runs out gives a {@link ThrottledException} carrying the wait.
 */
@Timeout(90)
@ExtendWith(LeakCheck.class)
class GraphThrottlingTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static LocalTenant m365;
  static Tenant contoso;
  static CredentialStrategy credential;
  static int boxes;

  @BeforeAll
  static void model() {
    m365 = M365.tenant();
    contoso = m365.createTenant("contoso.com");
    credential = GraphApps.clientCredentials(m365, contoso, GraphApps.daemon(contoso, "Throttled", "Mail.ReadWrite"));
  }

  @AfterEach
  void calm() {
    m365.faults().graphThrottleRate(0).graphUnavailableRate(0).graphLatency(Duration.ZERO)
        .graphProcessingTime(Duration.ZERO).mailboxConcurrencyLimit(4);
  }

  @AfterAll
  static void close() {
    credential.close();
  }

  static Mailbox filled(int n) {
    Mailbox m = contoso.addSharedMailbox("throttled" + ++boxes + "@contoso.com");
    for (int i = 0; i < n; i++) {
      m.deliver(TestMessages.ofSize("a@fabrikam.com", m.address(), "Doc " + i, 4_000));
    }
    return m;
  }

  static byte[] read(InputStream in) {
    try (in) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void stormsOf429And503_loseNothing_andNeverExceedFourInFlight() throws Exception {
    Mailbox m = filled(16);
    Map<String, byte[]> expected = new java.util.HashMap<>();
    for (StoredMail s : m.messages("Inbox")) {
      expected.put(s.subject(), m.mime(s));
    }
    long rejectionsBefore = m365.graphConcurrencyRejections();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try (GraphMailboxConnector c = GraphApps.connector(m365, credential, m.address()).build()) {
      List<MessageSummary> all = c.listMessages(FolderRef.INBOX).stream().toList();
      m365.faults().graphLatency(Duration.ofMillis(30)).graphThrottleRate(0.2).graphUnavailableRate(0.1)
          .graphRetryAfter(Duration.ofSeconds(1));
      List<Future<Boolean>> results = new ArrayList<>();
      for (MessageSummary s : all) {
        results.add(pool.submit(() -> java.util.Arrays.equals(read(c.openMime(s.id())), expected.get(s.subject()))));
      }
      for (Future<Boolean> f : results) {
        assertThat(f.get(60, TimeUnit.SECONDS)).isTrue();
      }
      List<String> batched = new ArrayList<>();
      c.forEachMime(all, (s, in) -> {
        assertThat(read(in)).isEqualTo(expected.get(s.subject()));
        batched.add(s.subject());
      });
      assertThat(batched).hasSize(16);
      assertThat(c.retries()).isPositive();
    } finally {
      pool.shutdownNow();
    }
    assertThat(m365.graphPeakConcurrency(m.address())).isBetween(1, 4);
    assertThat(m365.graphConcurrencyRejections()).isEqualTo(rejectionsBefore);
  }

  @Test
  void answersWithoutContent_giveTheirSlotBack() {
    // Kiota leaves a 204 unclosed: a slot held until its body is read would be held for good, and the fifth
    // permanent delete of a connector would wait forever
    Mailbox m = filled(10);
    try (GraphMailboxConnector c = GraphApps.connector(m365, credential, m.address()).build()) {
      for (MessageSummary s : c.listMessages(FolderRef.INBOX).stream().toList()) {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> c.delete(s.id(), DeleteMode.PERMANENT));
      }
    }
    assertThat(m.messages("Inbox")).isEmpty();
  }

  @Test
  void aLowerCap_isKeptAtTheServer() throws Exception {
    Mailbox m = filled(8);
    m365.faults().graphLatency(Duration.ofMillis(40));
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try (GraphMailboxConnector c = GraphApps.connector(m365, credential, m.address()).maxConcurrentRequests(2).build()) {
      List<MessageId> ids = c.listMessages(FolderRef.INBOX).stream().map(MessageSummary::id).toList();
      List<Future<Integer>> results = new ArrayList<>();
      for (MessageId id : ids) {
        results.add(pool.submit(() -> read(c.openMime(id)).length));
      }
      for (Future<Integer> f : results) {
        assertThat(f.get(30, TimeUnit.SECONDS)).isPositive();
      }
      c.markRead(ids, true);
      assertThat(m.messages("Inbox")).allMatch(StoredMail::seen);
    } finally {
      pool.shutdownNow();
    }
    assertThat(m365.graphPeakConcurrency(m.address())).isEqualTo(2);
  }

  @Test
  void forEachMime_keepsFourBatchesInFlight_eachHoldingOneSlot() {
    Mailbox m = filled(160);
    long rejectionsBefore = m365.graphConcurrencyRejections();
    try (GraphMailboxConnector c = GraphApps.connector(m365, credential, m.address()).build()) {
      List<MessageSummary> all = c.listMessages(FolderRef.INBOX, ListOptions.defaults().pageSize(200)).stream().toList();
      // each item takes 10 ms at the server, so a batch's chain runs for 200 ms: long enough that batches sent
      // together are seen running together, however slow this machine is
      m365.faults().graphLatency(Duration.ofMillis(30)).graphProcessingTime(Duration.ofMillis(10));
      m365.clearRequests();
      List<String> read = new ArrayList<>();
      c.forEachMime(all, (s, in) -> read.add(s.subject()));
      assertThat(read).hasSize(160).doesNotHaveDuplicates();
    }
    List<RecordedRequest> requests = m365.requests("graph");
    assertThat(requests.stream().filter(r -> r.path().endsWith("/$batch"))).as("twenty to a batch").hasSize(8);
    assertThat(requests.stream().filter(r -> r.path().endsWith("/$value"))).hasSize(160)
        .allMatch(r -> r.attribute("batchItem").equals("true"));
    // a batch runs its items one after another: items of two batches at once means batches were in flight together
    assertThat(m365.graphPeakConcurrency(m.address())).as("items running at once, all batches").isBetween(2, 4);
    assertThat(m365.graphConcurrencyRejections()).isEqualTo(rejectionsBefore);
  }

  @Test
  void whenTheBudgetRunsOut_aThrottledExceptionCarriesTheWait() {
    Mailbox m = filled(1);
    // the governor's waits go through a sleeper that moves the connector's clock: asserted, not sat out
    RecordingSleeper sleeper = new RecordingSleeper(m365.clock());
    try (GraphMailboxConnector c = GraphApps.connector(m365, credential, m.address())
        .retryBudget(2, Duration.ofMillis(1500)).clock(m365.clock()).sleeper(sleeper).build()) {
      MessageId id = c.listMessages(FolderRef.INBOX).stream().findFirst().orElseThrow().id();
      m365.faults().graphThrottleRate(1.0).graphRetryAfter(Duration.ofSeconds(1));
      assertThatThrownBy(() -> c.message(id)).isInstanceOfSatisfying(ThrottledException.class, e -> {
        assertThat(e.retryAfter()).contains(Duration.ofSeconds(1));
        assertThat(e.diagnosis().orElseThrow().serviceCode()).isEqualTo("ApplicationThrottled");
        assertThat(e.retryable()).isTrue();
        assertThat(e.diagnosis().orElseThrow().fix()).contains("fewer concurrent requests");
      });
      // two attempts: the first 429's Retry-After waited once (less the moment before the wait), the second's not
      assertThat(sleeper.waits()).singleElement().satisfies(w ->
          assertThat(w).isBetween(Duration.ofMillis(900), Duration.ofSeconds(1)));
      // an unavailable service is not told to send fewer requests
      m365.faults().graphThrottleRate(0).graphUnavailableRate(1.0);
      assertThatThrownBy(() -> c.message(id)).isInstanceOfSatisfying(ThrottledException.class, e -> {
        assertThat(e.diagnosis().orElseThrow().summary()).startsWith("Graph was unavailable");
        assertThat(e.diagnosis().orElseThrow().fix()).doesNotContain("concurrent");
      });
    }
  }
}
