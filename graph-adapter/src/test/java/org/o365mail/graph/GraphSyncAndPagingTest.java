package org.o365mail.graph;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
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
import org.o365mail.Page;
import org.o365mail.SyncBatch;
import org.o365mail.SyncState;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.importer.CheckpointStore;
import org.o365mail.importer.MailImporter;
import org.o365mail.testsupport.CapturingLoggerProvider;
import org.o365mail.testsupport.ForgedLogLines;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testkit.Faults;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.StoredMail;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;

/** Paging across several pages, and delta sync with adds, moves, deletes and dropped delta tokens. */
@Timeout(90)
@ExtendWith(LeakCheck.class)
class GraphSyncAndPagingTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static LocalTenant m365;
  static Tenant contoso;
  static CredentialStrategy credential;
  static int boxes;

  @BeforeAll
  static void model() {
    m365 = M365.tenant();
    contoso = m365.createTenant("contoso.com");
    credential = GraphApps.clientCredentials(m365, contoso, GraphApps.daemon(contoso, "Sync", "Mail.ReadWrite"));
  }

  @AfterAll
  static void close() {
    credential.close();
  }

  static Mailbox mailbox() {
    return contoso.addSharedMailbox("sync" + ++boxes + "@contoso.com");
  }

  static StoredMail deliver(Mailbox m, String subject, Instant received) {
    return m.deliver("Inbox", TestMessages.text("a@fabrikam.com", m.address(), subject, "x"), false, received);
  }

  static Instant minutesAgo(int n) {
    return Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(Duration.ofMinutes(n));
  }

  /** Syncs until the round is complete; returns the subjects handed out, failing on any handed out twice. */
  static SyncState drain(GraphMailboxConnector c, SyncState state, int max, List<String> seen) {
    SyncBatch batch;
    int rounds = 0;
    do {
      batch = c.sync(FolderRef.INBOX, state, max);
      assertThat(batch.messages().size()).isLessThanOrEqualTo(max);
      batch.messages().forEach(m -> seen.add(m.subject()));
      state = batch.next();
    } while (batch.hasMore() && ++rounds < 50);
    assertThat(new HashSet<>(seen)).as("handed out twice: %s", seen).hasSize(seen.size());
    return state;
  }

  /** internetMessageId reaches the caller as the header has it, backslashes and quotes included, every time. */
  @Test
  void messageIdWithBackslashesAndQuotes_isTheHeadersInEveryConnector() {
    Mailbox m = mailbox();
    String messageId = "<a\\\\b\"q\"\\c@x>"; // <a\\b"q"\c@x> with real backslashes
    m.deliver("Inbox", TestMessages.text("a@fabrikam.com", m.address(), "Backslashes", "x", messageId), false,
        minutesAgo(5));
    for (int run = 1; run <= 2; run++) {
      try (GraphMailboxConnector c = GraphApps.connector(m365, credential, m.address()).build()) {
        assertThat(c.listMessages(FolderRef.INBOX)).extracting(s -> s.internetMessageId().orElseThrow())
            .as("run %d, listing", run).containsExactly(messageId);
        assertThat(c.sync(FolderRef.INBOX, SyncState.BEGINNING, 10).messages())
            .extracting(s -> s.internetMessageId().orElseThrow()).as("run %d, sync", run).containsExactly(messageId);
      }
    }
  }

  /** A subject decoding to CR LF and escape sequences is parked with one log line, the escapes visible. */
  @Test
  void parkedMessage_withAnEncodedCrLfAndEscapesInItsSubject_isLoggedOnOneLine() {
    Mailbox m = mailbox();
    deliver(m, ForgedLogLines.ENCODED_SUBJECT, minutesAgo(5));
    List<String> subjects = new java.util.concurrent.CopyOnWriteArrayList<>();
    CapturingLoggerProvider.clear();
    try (GraphMailboxConnector c = GraphApps.connector(m365, credential, m.address()).build();
        MailImporter importer = MailImporter.builder()
            .connector(c)
            .handler(msg -> {
              subjects.add(msg.summary().subject());
              throw new IllegalStateException("refused");
            })
            .handlerAttempts(1)
            .checkpointStore(CheckpointStore.inMemory())
            .build()) {
      assertThat(importer.runOnce().parked()).isEqualTo(1);
    }
    ForgedLogLines.assertParkedOnOneLine(subjects);
  }

  @Test
  void listMessages_followsNextLinkAcrossPages() {
    Mailbox m = mailbox();
    for (int i = 0; i < 35; i++) {
      deliver(m, "Page " + i, minutesAgo(100 - i));
    }
    m365.clearRequests();
    try (GraphMailboxConnector c = GraphApps.connector(m365, credential, m.address()).build()) {
      List<Page<MessageSummary>> pages = new ArrayList<>();
      c.listMessages(FolderRef.INBOX, ListOptions.defaults().pageSize(10)).byPage().forEach(pages::add);
      assertThat(pages).extracting(p -> p.items().size()).containsExactly(10, 10, 10, 5);
      assertThat(pages.get(0).continuationToken().orElseThrow()).contains("$skiptoken=").contains("%40contoso.com");
      Set<String> subjects = new HashSet<>();
      pages.forEach(p -> p.items().forEach(s -> subjects.add(s.subject())));
      assertThat(subjects).hasSize(35);
      pages.forEach(p -> assertThat(p.items()).allMatch(s -> s.folder().equals("Inbox")));
      assertThat(pages.get(0).items().get(0).size()).hasValue(m.messages("Inbox").stream()
          .filter(s -> s.subject().equals("Page 34")).findFirst().orElseThrow().size());
    }
    assertThat(m365.requests("graph").stream().filter(r -> r.path().endsWith("/messages")).count()).isEqualTo(4);
    // the Inbox's id and path came with the well-known folders' $batch, which also read the mailbox root; the first
    // page was asked for by the folder's well-known name meanwhile, and its summaries still carry the path
    assertThat(m365.requests("graph").stream().filter(r -> r.path().matches(".*/mailFolders/[^/]+"))
        .filter(r -> !r.attribute("batchItem").equals("true"))).as("folder look-ups of their own").isEmpty();
    assertThat(m365.requests("graph").stream().filter(r -> r.path().endsWith("/messages")).findFirst().orElseThrow()
        .path()).endsWith("/mailFolders/inbox/messages");
  }

  @Test
  void listMessages_readingAhead_fetchesTheNextPageWhileTheCallerHandlesOne() throws Exception {
    Mailbox m = mailbox();
    for (int i = 0; i < 25; i++) {
      deliver(m, "Ahead " + i, minutesAgo(100 - i));
    }
    try (GraphMailboxConnector c = GraphApps.connector(m365, credential, m.address()).build()) {
      List<String> plain = c.listMessages(FolderRef.INBOX, ListOptions.defaults().pageSize(10)).stream()
          .map(MessageSummary::subject).toList();
      m365.clearRequests();
      List<String> ahead = new ArrayList<>();
      int page = 0;
      for (Page<MessageSummary> p : c.listMessages(FolderRef.INBOX, ListOptions.defaults().pageSize(10).readAhead(true))
          .byPage()) {
        page++;
        if (page == 1) {
          // the caller is still on the first page: the second is fetched meanwhile, by the connector's threads
          long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
          while (listings() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(10);
          }
          assertThat(listings()).as("pages requested while the caller holds the first").isEqualTo(2);
        }
        p.items().forEach(s -> ahead.add(s.subject()));
      }
      assertThat(ahead).isEqualTo(plain).hasSize(25);
      assertThat(listings()).as("no page fetched twice, none after the last").isEqualTo(3);
    }
  }

  @Test
  void forEachMime_overAWholeListing_readsAcrossPagesInOrder_andBigMessagesOnTheirOwn() {
    Mailbox m = mailbox();
    for (int i = 0; i < 47; i++) {
      String subject = "Stream " + i;
      if (i == 13 || i == 30) {
        m.deliver("Inbox", TestMessages.ofSize("a@fabrikam.com", m.address(), subject, 300_000), false,
            minutesAgo(100 - i));
      } else {
        deliver(m, subject, minutesAgo(100 - i));
      }
    }
    try (GraphMailboxConnector c = GraphApps.connector(m365, credential, m.address()).build()) {
      List<String> listed = c.listMessages(FolderRef.INBOX, ListOptions.defaults().pageSize(10)).stream()
          .map(MessageSummary::subject).toList();
      m365.clearRequests();
      List<String> read = new ArrayList<>();
      c.forEachMime(c.listMessages(FolderRef.INBOX, ListOptions.defaults().pageSize(10).readAhead(true)), (s, in) -> {
        assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).contains("Subject: " + s.subject());
        read.add(s.subject());
      });
      assertThat(read).isEqualTo(listed).hasSize(47);
    }
    assertThat(listings()).as("five pages of ten, each listed once").isEqualTo(5);
    assertThat(m365.requests("graph").stream().filter(r -> r.path().endsWith("/$value"))
        .filter(r -> !r.attribute("batchItem").equals("true"))).as("the two big ones, streamed").hasSize(2);
    assertThat(m365.requests("graph").stream().filter(r -> r.path().endsWith("/$value"))
        .filter(r -> r.attribute("batchItem").equals("true"))).as("the rest, batched").hasSize(45);
  }

  private static long listings() {
    return m365.requests("graph").stream().filter(r -> r.path().endsWith("/messages")).count();
  }

  @Test
  void delta_handsOutAdds_ignoresUpdatesMovesAndDeletes_andNothingTwice() {
    Mailbox m = mailbox();
    for (int i = 0; i < 7; i++) {
      deliver(m, "Old " + i, minutesAgo(60 - i));
    }
    try (GraphMailboxConnector c = GraphApps.connector(m365, credential, m.address()).build()) {
      List<String> seen = new ArrayList<>();
      SyncState state = drain(c, SyncState.BEGINNING, 3, seen);
      assertThat(seen).hasSize(7);
      List<MessageId> ids = c.listMessages(FolderRef.INBOX).stream().map(MessageSummary::id).toList();

      deliver(m, "New 1", minutesAgo(0));
      deliver(m, "New 2", minutesAgo(0));
      c.markRead(ids.get(0), true);
      MessageId archived = c.move(ids.get(1), FolderRef.ARCHIVE);
      c.delete(ids.get(2), DeleteMode.PERMANENT);
      c.delete(ids.get(3), DeleteMode.MOVE_TO_DELETED_ITEMS);
      List<String> next = new ArrayList<>();
      state = drain(c, state, 50, next);
      assertThat(next).containsExactlyInAnyOrder("New 1", "New 2");

      c.move(archived, FolderRef.INBOX);
      List<String> back = new ArrayList<>();
      state = drain(c, state, 50, back);
      assertThat(back).as("a message moved back is not new").isEmpty();

      List<String> archive = new ArrayList<>();
      SyncBatch archiveRound = c.sync(FolderRef.ARCHIVE, SyncState.BEGINNING, 50);
      archiveRound.messages().forEach(s -> archive.add(s.subject()));
      assertThat(archive).isEmpty();
    }
  }

  /**
   * Exchange stamps {@code receivedDateTime} when delivery starts and shows the message when it commits, so a large
   * message can appear after smaller ones received seconds later, and after a round that saw them.
   */
  @Test
  void aMessageThatAppearsAfterNewerOnes_isStillHandedOut_bothInARoundAndAfterAResync() {
    Mailbox m = mailbox();
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    deliver(m, "Old", minutesAgo(30));
    try (GraphMailboxConnector c = GraphApps.connector(m365, credential, m.address()).build()) {
      List<String> seen = new ArrayList<>();
      SyncState state = drain(c, SyncState.BEGINNING, 10, seen);
      deliver(m, "Small", now);
      state = drain(c, state, 10, seen);
      deliver(m, "Large, received before Small", now.minusSeconds(20));
      state = drain(c, state, 10, seen);
      assertThat(seen).containsExactly("Old", "Small", "Large, received before Small");

      deliver(m, "Small 2", now.plusSeconds(1));
      state = drain(c, state, 10, seen);
      deliver(m, "Large 2, received before Small 2", now.minusSeconds(5));
      m365.faults().dropDeltaTokens();
      SyncBatch resync = c.sync(FolderRef.INBOX, state, 10);
      assertThat(resync.resynced()).isTrue();
      assertThat(resync.messages()).extracting(MessageSummary::subject)
          .containsExactly("Large 2, received before Small 2");
      assertThat(c.sync(FolderRef.INBOX, resync.next(), 10).messages()).isEmpty();
    }
  }

  @Test
  void droppedDeltaToken_resyncsWithoutHandingOutSeenMessagesAgain() {
    Mailbox m = mailbox();
    for (int i = 0; i < 5; i++) {
      deliver(m, "Seen " + i, minutesAgo(30 - i));
    }
    try (GraphMailboxConnector c = GraphApps.connector(m365, credential, m.address()).build()) {
      List<String> seen = new ArrayList<>();
      SyncState state = drain(c, SyncState.BEGINNING, 10, seen);
      deliver(m, "Fresh", minutesAgo(0));
      m365.faults().dropDeltaTokens();
      SyncBatch batch = c.sync(FolderRef.INBOX, state, 10);
      assertThat(batch.resynced()).isTrue();
      assertThat(batch.messages()).extracting(MessageSummary::subject).containsExactly("Fresh");
      assertThat(c.sync(FolderRef.INBOX, batch.next(), 10).messages()).isEmpty();
    }
  }

  @Test
  void droppedToken_inTheMiddleOfACutRound_resumesWithTheRest() {
    Mailbox m = mailbox();
    for (int i = 0; i < 10; i++) {
      deliver(m, "Msg " + i, minutesAgo(40 - i));
    }
    try (GraphMailboxConnector c = GraphApps.connector(m365, credential, m.address()).build()) {
      SyncBatch first = c.sync(FolderRef.INBOX, SyncState.BEGINNING, 3);
      assertThat(first.hasMore()).isTrue();
      List<String> seen = new ArrayList<>();
      first.messages().forEach(s -> seen.add(s.subject()));
      m365.faults().dropDeltaTokens();
      deliver(m, "Arrived meanwhile", minutesAgo(0));
      SyncBatch second = c.sync(FolderRef.INBOX, first.next(), 3);
      assertThat(second.resynced()).isTrue();
      second.messages().forEach(s -> seen.add(s.subject()));
      drain(c, second.next(), 3, seen);
      assertThat(seen).hasSize(11).contains("Arrived meanwhile", "Msg 0", "Msg 9");
    }
  }

  @Test
  void syncFromNow_skipsWhatIsThere() {
    Mailbox m = mailbox();
    for (int i = 0; i < 4; i++) {
      deliver(m, "Before " + i, minutesAgo(10 - i));
    }
    try (GraphMailboxConnector c = GraphApps.connector(m365, credential, m.address()).build()) {
      SyncBatch now = c.sync(FolderRef.INBOX, SyncState.NOW, 2);
      assertThat(now.messages()).isEmpty();
      assertThat(now.hasMore()).isFalse();
      deliver(m, "After", minutesAgo(0));
      assertThat(c.sync(FolderRef.INBOX, now.next(), 2).messages()).extracting(MessageSummary::subject)
          .containsExactly("After");
    }
  }

  /**
   * Microsoft's delta docs: "Do not assume a specific sequence of the responses returned from a delta query. Assume
   * that the same item can show up anywhere in the @odata.nextLink sequence" (concepts/delta-query-overview.md). 134
   * new messages received one a second, two old ones changed and one deleted between them, in every order the
   * testkit can play, with repeats, on pages of any size up to the one asked for (empty ones included), cut into
   * batches of 20: each new message is handed out once, nothing else.
   */
  @Test
  void delta_inAnyOrder_withRepeatsAndChangesBetween_handsOutEveryNewMessageOnce() {
    for (Faults.DeltaOrder order : List.of(Faults.DeltaOrder.RANDOM, Faults.DeltaOrder.OLDEST_FIRST,
        Faults.DeltaOrder.CHANGE_ORDER, Faults.DeltaOrder.NEWEST_FIRST)) {
      m365.faults().graphDeltaOrder(order).graphDeltaOrderOverridesOrderBy(true).graphDeltaRepeatRate(0.2)
          .graphDeltaShortPages(true);
      try {
        Mailbox m = mailbox();
        for (int i = 0; i < 30; i++) {
          deliver(m, "Old " + i, minutesAgo(300 - i));
        }
        try (GraphMailboxConnector c = GraphApps.connector(m365, credential, m.address()).build()) {
          List<String> first = new ArrayList<>();
          SyncState state = drain(c, SyncState.BEGINNING, 7, first);
          assertThat(first).as(order.toString()).hasSize(30);
          List<MessageId> old = c.listMessages(FolderRef.INBOX).stream().map(MessageSummary::id).toList();
          Instant start = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(200);
          Set<String> expected = new HashSet<>();
          for (int i = 0; i < 134; i++) {
            deliver(m, "New " + i, start.plusSeconds(i));
            expected.add("New " + i);
            if (i == 40) {
              c.markRead(old.get(3), true);
            } else if (i == 90) {
              c.markRead(old.get(27), true);
            } else if (i == 100) {
              c.delete(old.get(12), DeleteMode.PERMANENT);
            }
          }
          List<String> next = new ArrayList<>();
          drain(c, state, 20, next);
          assertThat(next).as(order.toString()).containsExactlyInAnyOrderElementsOf(expected);
        }
      } finally {
        m365.faults().reset();
      }
    }
  }
}
