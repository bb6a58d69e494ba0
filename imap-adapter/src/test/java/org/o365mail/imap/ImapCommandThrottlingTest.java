package org.o365mail.imap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.o365mail.FolderRef;
import org.o365mail.MessageId;
import org.o365mail.MessageSummary;
import org.o365mail.SyncBatch;
import org.o365mail.SyncState;
import org.o365mail.ThrottledException;
import org.o365mail.importer.Checkpoint;
import org.o365mail.importer.CheckpointKey;
import org.o365mail.importer.CheckpointStore;
import org.o365mail.importer.ImportResult;
import org.o365mail.importer.MailImporter;
import org.o365mail.importer.PostAction;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testkit.Faults.ImapThrottleAnswer;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.StoredMail;

/**
 * Exchange Online throttling any command after login, not only the login ({@code NO} or {@code BAD Request is
 * throttled. Suggested Backoff Time: N milliseconds}, sometimes followed by {@code * BYE Connection closed. 14}): the
 * connector waits the suggested time, logs in again, and goes on, without taking the refusal for a missing folder or
 * message, without spending the attempts meant for lost connections, and without carrying a command out twice.
 */
@Timeout(60)
@ExtendWith({FreshLogs.class, LeakCheck.class})
class ImapCommandThrottlingTest {
  @RegisterExtension
  static final LocalTenantExtension M365 = LocalTenantExtension.create(LocalTenant.builder().seed(1_313L));

  static LocalTenant m365;
  static Exchange contoso;

  @BeforeAll
  static void tenant() {
    m365 = M365.tenant();
    contoso = new Exchange(m365, "contoso.com");
  }

  @AfterAll
  static void close() {
    contoso.close();
  }

  private static long throttled(Mailbox mailbox) {
    return m365.requests("imap").stream()
        .filter(r -> r.path().equalsIgnoreCase(mailbox.address()) && r.attribute("outcome").equals("THROTTLED"))
        .count();
  }

  @ParameterizedTest
  @EnumSource(ImapThrottleAnswer.class)
  void throttledSelect_isWaitedOut_notTakenForAMissingFolder(ImapThrottleAnswer answer) {
    Mailbox mailbox = contoso.mailbox("select-" + answer.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
    Exchange.fill(mailbox, 3, "Throttled");
    m365.faults().imapThrottleCommand("SELECT", 1, Duration.ofMillis(50), answer);
    try (ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly()).build()) {
      SyncBatch batch = c.sync(FolderRef.INBOX, SyncState.BEGINNING, 10);
      assertThat(batch.messages()).extracting(MessageSummary::subject)
          .containsExactly("Throttled 0", "Throttled 1", "Throttled 2");
    }
    assertThat(throttled(mailbox)).isEqualTo(1);
  }

  @Test
  void throttledWithBye_moreTimesThanAttemptsAllowed_doesNotSpendTheAttemptsForLostConnections() {
    Mailbox mailbox = contoso.mailbox("bye");
    Exchange.fill(mailbox, 2, "Bye");
    m365.faults().imapThrottleCommand("UID FETCH", 3, Duration.ofMillis(20), ImapThrottleAnswer.BAD_THEN_BYE);
    try (ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly()).maxAttempts(2).build()) {
      assertThat(c.listMessages(FolderRef.INBOX).stream().map(MessageSummary::subject))
          .containsExactlyInAnyOrder("Bye 0", "Bye 1");
    }
    assertThat(throttled(mailbox)).isEqualTo(3);
  }

  @Test
  void throttledMessageLookup_isNotTakenForAMessageThatIsGone() throws IOException {
    Mailbox mailbox = contoso.mailbox("lookup");
    Exchange.fill(mailbox, 1, "Still here");
    try (ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly()).build()) {
      MessageId id = c.listMessages(FolderRef.INBOX).stream().findFirst().orElseThrow().id();
      try (ImapMailboxConnector other = contoso.connector(mailbox, contoso.appOnly()).build()) {
        m365.faults().imapThrottleCommand("SELECT", 1, Duration.ofMillis(20), ImapThrottleAnswer.NO);
        other.markRead(id, true);
        try (InputStream in = other.openMime(id)) {
          assertThat(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)).contains("Still here");
        }
      }
    }
    assertThat(mailbox.messages("Inbox")).extracting(StoredMail::seen).containsExactly(true);
  }

  /** A move by COPY whose COPY, then whose {@code \Deleted}, is throttled: each message ends up moved, once. */
  @Test
  void throttledCopyAndStore_withoutMove_moveEachMessageOnce() {
    m365.faults().imapAdvertiseMove(false);
    Mailbox mailbox = contoso.mailbox("copy");
    Exchange.fill(mailbox, 4, "Copy");
    mailbox.createFolder("Inbox/Done");
    try (ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly()).maxAttempts(1).build()) {
      List<MessageId> ids = c.listMessages(FolderRef.INBOX).stream().map(MessageSummary::id).toList();
      m365.faults()
          .imapThrottleCommand("UID COPY", 2, Duration.ofMillis(20), ImapThrottleAnswer.NO_THEN_BYE)
          .imapThrottleCommand("UID STORE", 1, Duration.ofMillis(20), ImapThrottleAnswer.BAD_THEN_BYE)
          .imapThrottleCommand("UID EXPUNGE", 1, Duration.ofMillis(20), ImapThrottleAnswer.NO);
      Map<MessageId, MessageId> moved = c.move(ids, FolderRef.path("Inbox/Done"));
      assertThat(moved.keySet()).containsExactlyInAnyOrderElementsOf(ids);
    }
    assertThat(mailbox.messages("Inbox/Done")).extracting(StoredMail::subject)
        .containsExactlyInAnyOrder("Copy 0", "Copy 1", "Copy 2", "Copy 3");
    assertThat(mailbox.messages("Inbox")).isEmpty();
    assertThat(throttled(mailbox)).isEqualTo(4);
    long copiesSent = m365.imapCommands().stream()
        .filter(x -> x.user().equalsIgnoreCase(mailbox.address()) && x.is("UID COPY")).count();
    long copiesThrottled = m365.requests("imap").stream().filter(r -> r.path().equalsIgnoreCase(mailbox.address())
        && r.method().equals("UID COPY") && r.attribute("outcome").equals("THROTTLED")).count();
    assertThat(copiesThrottled).isEqualTo(2);
    assertThat(copiesSent - copiesThrottled).as("UID COPY carried out").isEqualTo(1);
  }

  @Test
  void throttledIdle_isWaitedOut_andTheWaitGoesOn() {
    Mailbox mailbox = contoso.mailbox("idle");
    m365.faults().imapThrottleCommand("IDLE", 1, Duration.ofMillis(20), ImapThrottleAnswer.BAD_THEN_BYE);
    try (ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly()).maxAttempts(1).build()) {
      // logged in first, so that the wait is the IDLE's own and not spent on a new app's first token and login; two
      // seconds, not less: on a loaded machine the IDLE itself must go out and be throttled within the wait
      assertThat(c.listFolders()).isNotEmpty();
      assertThat(c.awaitChanges(FolderRef.INBOX, Duration.ofSeconds(2))).isFalse();
    }
    assertThat(throttled(mailbox)).isEqualTo(1);
  }

  @Test
  void throttledLongerThanTheBudget_isAThrottledExceptionWithTheServersWait() {
    Mailbox mailbox = contoso.mailbox("budget");
    Exchange.fill(mailbox, 1, "Budget");
    m365.faults().imapThrottleCommand("UID SEARCH", 1, Duration.ofSeconds(40), ImapThrottleAnswer.BAD);
    try (ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly()).throttleBudget(Duration.ofSeconds(1))
        .build()) {
      assertThatThrownBy(() -> c.listMessages(FolderRef.INBOX).stream().toList())
          .isInstanceOfSatisfying(ThrottledException.class, e -> {
            assertThat(e.retryAfter()).get().satisfies(wait ->
                assertThat(wait).isBetween(Duration.ofSeconds(30), Duration.ofSeconds(40)));
            assertThat(e.serviceErrorCode()).get().asString().contains("BAD Request is throttled");
          });
    }
  }

  @Test
  void throttledWithoutBackoff_everyTime_endsWithAThrottledException_notALoop() {
    Mailbox mailbox = contoso.mailbox("zero");
    m365.faults().imapThrottleCommand("LIST", 1_000_000, Duration.ZERO, ImapThrottleAnswer.NO);
    try (ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly())
        .throttleBudget(Duration.ofMillis(300)).build()) {
      assertThatThrownBy(c::listFolders).isInstanceOf(ThrottledException.class);
    }
  }

  /**
   * The importer over IMAP with a share of every command throttled, in all four answers, and moves made by COPY:
   * each message handed out once and moved once.
   */
  @Test
  @Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void importer_withAnyCommandThrottled_handsEachMessageOutOnce_andMovesEachOnce() {
    int messages = 300;
    Mailbox mailbox = contoso.mailbox("import");
    Exchange.fill(mailbox, messages, "Import");
    mailbox.createFolder("Inbox/Imported");
    m365.faults().imapAdvertiseMove(false).imapThrottleCommands(0.08, Duration.ofMillis(5));
    List<String> handled = new CopyOnWriteArrayList<>();
    CheckpointStore store = CheckpointStore.inMemory();
    CheckpointKey key = new CheckpointKey("imap", mailbox.address(), FolderRef.INBOX.toString());
    try (ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly()).build();
        MailImporter importer = MailImporter.builder()
            .connector(c)
            .handler(m -> {
              try (InputStream in = m.openMime()) {
                in.readAllBytes();
              }
              handled.add(m.summary().subject());
            })
            .checkpointStore(store)
            .postAction(PostAction.moveTo(FolderRef.path("Inbox/Imported")))
            .batchSize(20)
            .handlerBackoff(Duration.ofMillis(10))
            .build()) {
      int passes = 0;
      while (true) {
        if (++passes > 200) {
          fail("not done after 200 passes: %d handed out", handled.size());
        }
        ImportResult result = importer.runOnce();
        Checkpoint checkpoint = store.load(key).orElse(null);
        if (result.completed() && result.imported() == 0 && checkpoint != null && checkpoint.pending().isEmpty()) {
          assertThat(checkpoint.deadLetters()).isEmpty();
          break;
        }
      }
    }
    Map<String, Long> perSubject = handled.stream().collect(Collectors.groupingBy(s -> s, Collectors.counting()));
    assertThat(perSubject).as("handed out").hasSize(messages).allSatisfy((s, n) -> assertThat(n).as(s).isEqualTo(1));
    assertThat(mailbox.messages("Inbox")).isEmpty();
    List<String> imported = mailbox.messages("Inbox/Imported").stream().map(StoredMail::subject).toList();
    assertThat(imported).as("moved, each once").doesNotHaveDuplicates().hasSize(messages);
    assertThat(throttled(mailbox)).as("commands throttled").isGreaterThan(10);
    assertThat(m365.requests("imap").stream().filter(r -> r.attribute("outcome").equals("THROTTLED"))
        .map(r -> r.attribute("answer")).distinct()).as("answers used").hasSizeGreaterThanOrEqualTo(3)
        .containsAnyOf("NO_THEN_BYE", "BAD_THEN_BYE");
  }
}
