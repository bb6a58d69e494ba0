package org.o365mail.graph;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.FolderRef;
import org.o365mail.ListOptions;
import org.o365mail.MessageSummary;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.importer.CheckpointStore;
import org.o365mail.importer.HealthState;
import org.o365mail.importer.ImportListener;
import org.o365mail.importer.MailImporter;
import org.o365mail.importer.MailboxHealth;
import org.o365mail.importer.PostAction;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.RecordedRequest;
import org.o365mail.testkit.StoredMail;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;

/**
 * Exchange's request window per app and mailbox against the governor: paced under it, an import meets no 429; told
 * to wait minutes, the importer parks with health THROTTLED until then and resumes where it stopped, handing nothing
 * out twice. Time is moved with the local tenant's clock, which the connector and the importer are given too.
 */
@Timeout(120)
@ExtendWith(LeakCheck.class)
class GraphRequestWindowTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static LocalTenant m365;
  static Tenant contoso;
  static CredentialStrategy credential;
  static int boxes;

  @BeforeAll
  static void model() {
    m365 = M365.tenant();
    contoso = m365.createTenant("contoso.com");
    credential = GraphApps.clientCredentials(m365, contoso, GraphApps.daemon(contoso, "Windowed", "Mail.ReadWrite"));
  }

  @AfterAll
  static void close() {
    credential.close();
  }

  static Mailbox filled(int n) {
    Mailbox m = contoso.addSharedMailbox("window" + ++boxes + "@contoso.com");
    for (int i = 0; i < n; i++) {
      m.deliver(TestMessages.text("a@fabrikam.com", m.address(), "Doc " + i, "Body " + i));
    }
    return m;
  }

  static List<RecordedRequest> onMailbox(Mailbox m) {
    return m365.requests("graph").stream().filter(r -> r.attribute("mailbox").equals(m.address())).toList();
  }

  /** The most requests the stand-in counted on the mailbox in any period of {@code window}. */
  static int busiest(List<RecordedRequest> requests, Duration window) {
    List<Instant> at = requests.stream().map(RecordedRequest::at).sorted().toList();
    int most = 0;
    int from = 0;
    for (int to = 0; to < at.size(); to++) {
      while (!at.get(from).isAfter(at.get(to).minus(window))) {
        from++;
      }
      most = Math.max(most, to - from + 1);
    }
    return most;
  }

  @Test
  void anImportPacedUnderASmallWindow_meetsNo429_andTheWindowIsNeverFull() {
    Mailbox m = filled(60);
    Duration window = Duration.ofSeconds(2);
    m365.faults().graphRequestWindow(50, window);
    long refusedBefore = m365.graphWindowRejections();
    List<String> keys = Collections.synchronizedList(new ArrayList<>());
    try (GraphMailboxConnector c = GraphApps.connector(m365, credential, m.address()).requestWindow(50, window)
            .build();
        MailImporter importer = MailImporter.builder().connector(c).checkpointStore(CheckpointStore.inMemory())
            .postAction(PostAction.markRead()).handler(msg -> {
              try (InputStream in = msg.openMime()) {
                assertThat(in.readAllBytes()).isNotEmpty();
              }
              keys.add(msg.idempotencyKey());
            }).build()) {
      assertThat(importer.runOnce().completed()).isTrue();
    }
    assertThat(keys).hasSize(60).doesNotHaveDuplicates();
    assertThat(m.messages("Inbox")).allMatch(StoredMail::seen);
    List<RecordedRequest> counted = onMailbox(m);
    assertThat(counted.size()).as("more requests than one window allows: pacing was needed").isGreaterThan(100);
    assertThat(counted).as("no 429").noneMatch(r -> r.status() == 429);
    assertThat(m365.graphWindowRejections()).isEqualTo(refusedBefore);
    assertThat(busiest(counted, window)).isLessThanOrEqualTo(50);
  }

  @Test
  void withoutPacing_theSameWindowIsRunInto() {
    // the contrast: a governor whose window is far larger than Exchange's sends as fast as it can, and is refused
    Mailbox m = filled(60);
    m365.faults().graphRequestWindow(50, Duration.ofMinutes(10));
    long refusedBefore = m365.graphWindowRejections();
    try (GraphMailboxConnector c = GraphApps.connector(m365, credential, m.address())
        .requestWindow(1_000_000, Duration.ofMinutes(10)).retryBudget(2, Duration.ofSeconds(1)).build()) {
      List<MessageSummary> all = c.listMessages(FolderRef.INBOX, ListOptions.defaults().pageSize(100)).stream().toList();
      try {
        c.forEachMime(all, (s, in) -> in.readAllBytes());
      } catch (RuntimeException expected) {
        // throttled: what the test is about
      }
    }
    assertThat(m365.graphWindowRejections()).isGreaterThan(refusedBefore);
  }

  @Test
  void aRetryAfterOfMinutes_failsTheCallWithTheWait_andTheMailboxsNextCallsFailWithoutAsking() {
    Mailbox m = filled(1);
    try (GraphMailboxConnector c = GraphApps.connector(m365, credential, m.address()).clock(m365.clock()).build()) {
      org.o365mail.MessageId id = c.listMessages(FolderRef.INBOX).stream().findFirst().orElseThrow().id();
      // room for two more requests in ten minutes
      m365.faults().graphRequestWindow(onMailbox(m).size() + 2, Duration.ofMinutes(10));
      c.message(id);
      c.message(id);
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> c.message(id))
          .isInstanceOfSatisfying(org.o365mail.ThrottledException.class, e -> {
            assertThat(e.retryAfter()).hasValueSatisfying(wait ->
                assertThat(wait).isBetween(Duration.ofSeconds(590), Duration.ofSeconds(600)));
            assertThat(e.diagnosis().orElseThrow().serviceCode()).isEqualTo("ApplicationThrottled");
          });
      int asked = onMailbox(m).size();
      // the mailbox is paused for the wait: its next calls fail at once, without a request that would only count
      // against the window again
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> c.message(id))
          .isInstanceOfSatisfying(org.o365mail.ThrottledException.class, e ->
              assertThat(e.retryAfter()).hasValueSatisfying(wait -> assertThat(wait).isGreaterThan(
                  Duration.ofSeconds(580))));
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> c.markRead(List.of(id), true))
          .isInstanceOf(org.o365mail.ThrottledException.class);
      assertThat(onMailbox(m)).as("nothing sent while paused").hasSize(asked);

      m365.clock().advance(Duration.ofMinutes(10));
      assertThat(c.message(id).id()).isEqualTo(id);
    }
  }

  @Test
  void aLongRetryAfter_parksTheImporterThrottledUntilThen_andItResumesLosingNothing() {
    Mailbox m = filled(90);
    // a window of 60 requests per ten minutes: the import (about 190: its reads and marks, twenty to a batch) runs
    // into it, and Exchange says to come back in minutes; the marks left pending (one sync batch of 50 at most) fit
    // in one window with the sync
    m365.faults().graphRequestWindow(60, Duration.ofMinutes(10));
    List<String> keys = Collections.synchronizedList(new ArrayList<>());
    List<HealthState> health = Collections.synchronizedList(new ArrayList<>());
    CheckpointStore store = CheckpointStore.inMemory();
    try (GraphMailboxConnector c = GraphApps.connector(m365, credential, m.address()).clock(m365.clock()).build();
        MailImporter importer = MailImporter.builder().connector(c).checkpointStore(store).clock(m365.clock())
            .postAction(PostAction.markRead()).listener(new ImportListener() {
              @Override
              public void healthChanged(HealthState previous, HealthState current) {
                health.add(current);
              }
            }).handler(msg -> {
              try (InputStream in = msg.openMime()) {
                assertThat(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8))
                    .contains("Subject: " + msg.summary().subject());
              }
              keys.add(msg.idempotencyKey());
            }).build()) {
      Instant before = m365.clock().instant();
      assertThat(importer.runOnce().completed()).isFalse();
      HealthState parked = importer.health();
      assertThat(parked.health()).isEqualTo(MailboxHealth.THROTTLED);
      assertThat(parked.retryAt()).as("minutes away, as the window said").hasValueSatisfying(at ->
          assertThat(Duration.between(before, at)).isBetween(Duration.ofMinutes(9), Duration.ofMinutes(11)));
      assertThat(parked.diagnosis()).hasValueSatisfying(d -> assertThat(d.serviceCode()).isEqualTo("ApplicationThrottled"));
      int handedOut = keys.size();
      assertThat(handedOut).isLessThan(90);

      // run again before the time, the mailbox's pause fails it at once: nothing more is handed out
      assertThat(importer.runOnce().completed()).isFalse();
      assertThat(importer.health().health()).isEqualTo(MailboxHealth.THROTTLED);
      assertThat(keys).hasSize(handedOut);

      // each time the window frees, the import goes on from where it stopped, until it has everything
      int parks = 1;
      while (importer.health().health() == MailboxHealth.THROTTLED) {
        Instant until = importer.health().retryAt().orElseThrow();
        m365.clock().advance(Duration.between(m365.clock().instant(), until).plusSeconds(1));
        importer.runOnce();
        assertThat(++parks).as("parks").isLessThan(12);
      }
      assertThat(importer.health().health()).isEqualTo(MailboxHealth.HEALTHY);
      // post-actions refused by the window stay pending in the checkpoint; later passes run them
      for (int pass = 0; pass < 5 && !m.messages("Inbox").stream().allMatch(StoredMail::seen); pass++) {
        m365.clock().advance(Duration.ofMinutes(11));
        importer.runOnce();
      }
    }
    assertThat(keys).hasSize(90).doesNotHaveDuplicates();
    assertThat(m.messages("Inbox")).allMatch(StoredMail::seen);
    assertThat(health).extracting(HealthState::health).containsSubsequence(MailboxHealth.THROTTLED,
        MailboxHealth.HEALTHY);
  }
}
