package org.o365mail.imap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.o365mail.DeleteMode;
import org.o365mail.FolderRef;
import org.o365mail.MailboxException;
import org.o365mail.MessageId;
import org.o365mail.MessageSummary;
import org.o365mail.SyncBatch;
import org.o365mail.SyncState;
import org.o365mail.importer.Checkpoint;
import org.o365mail.importer.CheckpointKey;
import org.o365mail.importer.CheckpointStore;
import org.o365mail.importer.ImportResult;
import org.o365mail.importer.MailImporter;
import org.o365mail.importer.PostAction;
import org.o365mail.testsupport.CapturingLoggerProvider;
import org.o365mail.testsupport.ForgedLogLines;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.RecordedCommand;
import org.o365mail.testkit.StoredMail;
import org.o365mail.testkit.TestMessages;

/**
 * Moves without MOVE and without UIDPLUS, IDLE, and the streamed read-ahead of a sync batch interrupted by other
 * calls and large messages.
 */
@Timeout(60)
@ExtendWith({FreshLogs.class, LeakCheck.class})
class ImapActionsTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

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

  private static Map<String, MessageId> bySubject(ImapMailboxConnector c) {
    return c.listMessages(FolderRef.INBOX).stream().collect(Collectors.toMap(MessageSummary::subject, MessageSummary::id));
  }

  private static byte[] read(ImapMailboxConnector c, MessageId id) {
    try (InputStream in = c.openMime(id)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Moves three of five messages to Inbox/Done and deletes the others both ways; returns the IMAP commands (wire
   * lines without tags) the move alone sent, for the tests named after them to check.
   */
  private List<String> movesThreeAndKeepsTheRest(Mailbox mailbox) {
    List<String> moveCommands;
    Exchange.fill(mailbox, 5, "Move");
    mailbox.createFolder("Inbox/Done");
    try (ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly()).build()) {
      Map<String, MessageId> ids = bySubject(c);
      List<MessageId> chosen = List.of(ids.get("Move 0"), ids.get("Move 2"), ids.get("Move 4"));
      m365.clearRecorded();
      Map<MessageId, MessageId> moved = c.move(chosen, FolderRef.path("Inbox/Done"));
      moveCommands = m365.imapCommands().stream().filter(x -> x.user().equals(mailbox.address()))
          .map(RecordedCommand::line).toList();
      assertThat(moved.keySet()).containsExactlyElementsOf(chosen);
      assertThat(moved.values()).extracting(id -> c.message(id).subject())
          .containsExactly("Move 0", "Move 2", "Move 4");
      assertThat(mailbox.messages("Inbox/Done")).extracting(StoredMail::subject)
          .containsExactlyInAnyOrder("Move 0", "Move 2", "Move 4");
      assertThat(mailbox.messages("Inbox")).extracting(StoredMail::subject).containsExactly("Move 1", "Move 3");
      c.delete(ids.get("Move 1"), DeleteMode.PERMANENT);
      assertThat(mailbox.messages("Inbox")).extracting(StoredMail::subject).containsExactly("Move 3");
      c.delete(ids.get("Move 3"), DeleteMode.MOVE_TO_DELETED_ITEMS);
      assertThat(mailbox.messages("Deleted Items")).extracting(StoredMail::subject).containsExactly("Move 3");
    }
    return moveCommands;
  }

  /**
   * Asserts that {@code lines} hold exactly one command {@code name} and that it names exactly {@code uids} in its
   * UID set (however the client wrote the set: {@code 1,3,5}, {@code 1:2}) followed by {@code rest}.
   */
  private static void assertOneUidCommand(List<String> lines, String name, Set<Long> uids, String rest) {
    assertThat(named(lines, name)).as(name).singleElement().satisfies(line -> {
      String[] parts = line.substring(name.length() + 1).split(" ", 2);
      assertThat(uidSet(parts[0])).as("UID set of %s", line).isEqualTo(uids);
      assertThat(parts.length > 1 ? parts[1] : "").as("after the UID set of %s", line).isEqualTo(rest);
    });
  }

  private static Set<Long> uidSet(String set) {
    Set<Long> uids = new java.util.TreeSet<>();
    for (String range : set.split(",")) {
      String[] ends = range.split(":");
      long from = Long.parseLong(ends[0]);
      long to = Long.parseLong(ends[ends.length - 1]);
      for (long uid = Math.min(from, to); uid <= Math.max(from, to); uid++) {
        uids.add(uid);
      }
    }
    return uids;
  }

  /** The commands among {@code lines} that are {@code name} (a wire line starts with its command name and a space). */
  private static List<String> named(List<String> lines, String name) {
    return lines.stream().filter(l -> l.startsWith(name + " ") || l.equals(name)).toList();
  }

  @Test
  void withoutMove_copiesFlagsAndExpungesByUid_withUidsFromCopyUid() {
    m365.faults().imapAdvertiseMove(false);
    List<String> sent = movesThreeAndKeepsTheRest(contoso.mailbox("nomove"));
    assertOneUidCommand(sent, "UID COPY", Set.of(1L, 3L, 5L), "INBOX/Done");
    assertOneUidCommand(sent, "UID STORE", Set.of(1L, 3L, 5L), "+FLAGS.SILENT (\\Deleted)");
    assertOneUidCommand(sent, "UID EXPUNGE", Set.of(1L, 3L, 5L), "");
    assertThat(sent).as("the new UIDs come from COPYUID, not a search").noneMatch(l -> l.startsWith("UID SEARCH"));
    assertThat(sent).noneMatch(l -> l.startsWith("EXPUNGE") || l.contains("MOVE"));
  }

  @Test
  void withoutMoveOrUidplus_expunges_andFindsTheNewUidsByMessageId() {
    m365.faults().imapAdvertiseMove(false).imapAdvertiseUidPlus(false);
    Mailbox mailbox = contoso.mailbox("nouidplus");
    List<String> sent = movesThreeAndKeepsTheRest(mailbox);
    assertOneUidCommand(sent, "UID COPY", Set.of(1L, 3L, 5L), "INBOX/Done");
    assertOneUidCommand(sent, "UID STORE", Set.of(1L, 3L, 5L), "+FLAGS.SILENT (\\Deleted)");
    assertThat(named(sent, "EXPUNGE")).containsExactly("EXPUNGE");
    assertThat(sent).noneMatch(l -> l.startsWith("UID EXPUNGE") || l.contains("MOVE"));
    List<String> movedIds = mailbox.messages("Inbox/Done").stream().map(StoredMail::internetMessageId).toList();
    assertThat(named(sent, "UID SEARCH")).as("the new UIDs found by Message-ID").hasSize(3)
        .allSatisfy(l -> assertThat(movedIds).anyMatch(id -> l.endsWith(" HEADER Message-ID " + id)));
  }

  /**
   * A move without MOVE whose call gave up after its connection was lost (one attempt allowed) once the server had
   * copied: moving again finds the copies instead of copying a second time, while a message of the same Message-ID
   * that was in the destination before is not taken for one.
   */
  @ParameterizedTest
  @ValueSource(strings = {"UID COPY", "UID STORE", "UID EXPUNGE"})
  void withoutMove_aCallThatGaveUpAfterCopying_isFinishedByTheNext_withoutASecondCopy(String lostAnswer) {
    m365.faults().imapAdvertiseMove(false);
    Mailbox mailbox = contoso.mailbox("lost-" + lostAnswer.replace(' ', '-').toLowerCase(java.util.Locale.ROOT));
    Exchange.fill(mailbox, 3, "Move");
    String sameId = mailbox.messages("Inbox").get(0).internetMessageId();
    mailbox.createFolder("Inbox/Done");
    mailbox.deliver("Inbox/Done", TestMessages.text("sender@fabrikam.com", mailbox.address(), "Earlier",
        "Delivered twice", sameId), false);
    try (ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly()).maxAttempts(1).build()) {
      Map<String, MessageId> ids = bySubject(c);
      List<MessageId> chosen = List.of(ids.get("Move 0"), ids.get("Move 1"));
      FolderRef done = FolderRef.path("Inbox/Done");

      m365.clearRecorded();
      m365.faults().imapLoseAnswers(lostAnswer, 1);
      assertThatThrownBy(() -> c.move(chosen, done)).isInstanceOf(MailboxException.class)
          .satisfies(e -> assertThat(((MailboxException) e).retryable()).isTrue());
      assertThat(mailbox.messages("Inbox/Done")).extracting(StoredMail::subject)
          .containsExactlyInAnyOrder("Earlier", "Move 0", "Move 1");

      Map<MessageId, MessageId> moved = c.move(chosen, done);
      assertThat(mailbox.messages("Inbox/Done")).extracting(StoredMail::subject)
          .containsExactlyInAnyOrder("Earlier", "Move 0", "Move 1");
      assertThat(mailbox.messages("Inbox")).extracting(StoredMail::subject).containsExactly("Move 2");
      assertThat(moved.keySet()).containsExactlyElementsOf(chosen);
      assertThat(moved.values()).extracting(id -> c.message(id).subject()).containsExactly("Move 0", "Move 1");
      List<String> sent = m365.imapCommands().stream().filter(x -> x.user().equals(mailbox.address()))
          .map(RecordedCommand::line).toList();
      assertOneUidCommand(sent, "UID COPY", Set.of(1L, 2L), "INBOX/Done"); // one copy over both calls

      // a later copy of the same message is moved as the new message it is
      mailbox.deliver("Inbox", mailbox.mime(mailbox.messages("Inbox/Done").stream()
          .filter(m -> m.subject().equals("Move 0")).findFirst().orElseThrow()), false);
      c.move(List.of(bySubject(c).get("Move 0")), done);
      assertThat(mailbox.messages("Inbox/Done")).extracting(StoredMail::subject)
          .containsExactlyInAnyOrder("Earlier", "Move 0", "Move 0", "Move 1");
    }
  }

  /**
   * The importer's side of it: a delete to Deleted Items whose connection is lost after the COPY, with no attempt
   * left, stays pending; the next pass finishes it, and each message is in Deleted Items once.
   */
  @Test
  void importer_deleteToDeletedItemsLostAfterTheCopy_isFinishedInTheNextPass_withOneCopy() {
    m365.faults().imapAdvertiseMove(false);
    Mailbox mailbox = contoso.mailbox("lost-delete");
    Exchange.fill(mailbox, 3, "Delete");
    List<String> handled = new java.util.concurrent.CopyOnWriteArrayList<>();
    CheckpointStore store = CheckpointStore.inMemory();
    try (ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly()).maxAttempts(1).build();
        MailImporter importer = MailImporter.builder()
            .connector(c)
            .handler(m -> handled.add(m.summary().subject()))
            .checkpointStore(store)
            .postAction(PostAction.delete(DeleteMode.MOVE_TO_DELETED_ITEMS))
            .build()) {
      m365.faults().imapLoseAnswers("UID STORE", 1);
      ImportResult first = importer.runOnce();
      assertThat(first.imported()).isEqualTo(3);
      CheckpointKey key = new CheckpointKey("imap", mailbox.address(), FolderRef.INBOX.toString());
      assertThat(store.load(key).orElseThrow().pending()).as("deletes left for the next pass").isNotEmpty();
      assertThat(mailbox.messages("Deleted Items")).extracting(StoredMail::subject).containsExactly("Delete 0");

      ImportResult second = importer.runOnce();
      assertThat(second.completed()).isTrue();
      assertThat(store.load(key).orElseThrow().pending()).isEmpty();
    }
    assertThat(handled).containsExactly("Delete 0", "Delete 1", "Delete 2");
    assertThat(mailbox.messages("Inbox")).isEmpty();
    assertThat(mailbox.messages("Deleted Items")).extracting(StoredMail::subject)
        .containsExactlyInAnyOrder("Delete 0", "Delete 1", "Delete 2");
  }

  /**
   * A Message-ID with backslashes and double quotes reaches the caller as the header has it, byte for byte, in
   * listings and syncs of separate sessions and as the testkit stores it: the ENVELOPE quotes it once and the
   * client unescapes it once. It came back with more backslashes in each session, so an importer keyed on it
   * imported the message again after a resume.
   */
  @Test
  void messageIdWithBackslashesAndQuotes_isTheHeadersInEverySession() {
    Mailbox mailbox = contoso.mailbox("msgid");
    String messageId = "<a\\\\b\"q\"\\c@x>"; // <a\\b"q"\c@x> with real backslashes
    mailbox.deliver(TestMessages.text("a@fabrikam.com", mailbox.address(), "Backslashes", "Body", messageId));
    for (int session = 1; session <= 2; session++) {
      try (ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly()).build()) {
        assertThat(c.listMessages(FolderRef.INBOX)).extracting(s -> s.internetMessageId().orElseThrow())
            .as("session %d, listing", session).containsExactly(messageId);
        assertThat(c.listMessages(FolderRef.INBOX)).extracting(s -> s.internetMessageId().orElseThrow())
            .as("session %d, listed again", session).containsExactly(messageId);
        assertThat(c.sync(FolderRef.INBOX, SyncState.BEGINNING, 10).messages())
            .extracting(s -> s.internetMessageId().orElseThrow()).as("session %d, sync", session)
            .containsExactly(messageId);
      }
    }
    assertThat(mailbox.messages("Inbox")).extracting(StoredMail::internetMessageId).containsExactly(messageId);

    // an importer resumed on a new connector does not take the message for a new one
    List<String> handled = new java.util.concurrent.CopyOnWriteArrayList<>();
    CheckpointStore store = CheckpointStore.inMemory();
    for (int run = 1; run <= 2; run++) {
      try (ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly()).build();
          MailImporter importer = MailImporter.builder()
              .connector(c)
              .handler(m -> handled.add(m.summary().internetMessageId().orElseThrow()))
              .checkpointStore(store)
              .build()) {
        assertThat(importer.runOnce().completed()).isTrue();
        CheckpointKey key = new CheckpointKey("imap", mailbox.address(), FolderRef.INBOX.toString());
        Checkpoint done = store.load(key).orElseThrow(); // resumed from before the message, as after a lost save
        store.save(key, new Checkpoint(SyncState.BEGINNING, done.handled(), done.inFlight(), done.pending(),
            done.deadLetters(), done.updatedAt(), done.interrupted()));
      }
    }
    assertThat(handled).containsExactly(messageId);
  }

  /** After a renumbering, a message whose Message-ID has backslashes and quotes is found again by it. */
  @Test
  void messageIdWithBackslashesAndQuotes_findsTheMessageAgainAfterARenumbering() {
    Mailbox mailbox = contoso.mailbox("msgid-renumbered");
    String messageId = "<r\\\\e\"n\"\\um@x>";
    mailbox.deliver(TestMessages.text("a@fabrikam.com", mailbox.address(), "Renumbered", "Body", messageId));
    try (ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly()).build()) {
      MessageSummary before = c.listMessages(FolderRef.INBOX).stream().findFirst().orElseThrow();
      assertThat(before.internetMessageId()).contains(messageId);
      mailbox.resetUidValidity("Inbox");
      MessageSummary again = c.message(before.id());
      assertThat(again.internetMessageId()).contains(messageId);
      assertThat(again.subject()).isEqualTo("Renumbered");
    }
  }

  /**
   * A subject whose RFC 2047 encoded words decode to CR LF and to escape sequences (CSI, OSC ended by BEL) is parked
   * with exactly one log line, the control characters shown as escapes; the summary keeps the subject exact.
   */
  @Test
  void parkedMessage_withAnEncodedCrLfAndEscapesInItsSubject_isLoggedOnOneLine() {
    Mailbox mailbox = contoso.mailbox("forged");
    String encoded = ForgedLogLines.ENCODED_SUBJECT;
    mailbox.deliver(TestMessages.text("a@fabrikam.com", mailbox.address(), encoded, "Body"));
    List<String> subjects = new java.util.concurrent.CopyOnWriteArrayList<>();
    CapturingLoggerProvider.clear();
    try (ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly()).build();
        MailImporter importer = MailImporter.builder()
            .connector(c)
            .handler(m -> {
              subjects.add(m.summary().subject());
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
  void withMove_andUidplus_movesInOneCommand() {
    List<String> sent = movesThreeAndKeepsTheRest(contoso.mailbox("move"));
    assertOneUidCommand(sent, "UID MOVE", Set.of(1L, 3L, 5L), "INBOX/Done");
    assertThat(sent).noneMatch(l -> l.contains("COPY") || l.contains("STORE") || l.contains("EXPUNGE")
        || l.startsWith("MOVE") || l.startsWith("UID SEARCH"));
  }

  @Test
  void awaitChanges_wakesUpWhenMailArrivesDuringIdle() throws Exception {
    Mailbox mailbox = contoso.mailbox("idle");
    Exchange.fill(mailbox, 1, "Before");
    try (ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly()).build()) {
      SyncBatch seen = c.sync(FolderRef.INBOX, SyncState.BEGINNING, 10);
      m365.clearRecorded();
      long start = System.nanoTime();
      CompletableFuture<Boolean> waiting = CompletableFuture.supplyAsync(
          () -> c.awaitChanges(FolderRef.INBOX, Duration.ofSeconds(30)));
      // delivered a while after IDLE began (the IDLE itself is what must notice it)
      CompletableFuture.runAsync(() -> mailbox.deliver(TestMessages.text("a@fabrikam.com", mailbox.address(), "During",
          "x")), CompletableFuture.delayedExecutor(700, TimeUnit.MILLISECONDS));
      assertThat(waiting.get(20, TimeUnit.SECONDS)).isTrue();
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
      assertThat(m365.imapCommands()).filteredOn(x -> x.user().equals(mailbox.address()))
          .filteredOn(x -> x.is("IDLE")).as("woken by the one IDLE, not by polling").hasSize(1);
      assertThat(c.sync(FolderRef.INBOX, seen.next(), 10).messages()).extracting(MessageSummary::subject)
          .containsExactly("During");
    }
  }

  @Test
  void awaitChanges_returnsAtOnceForMailThatArrivedSinceTheLastSync() {
    Mailbox mailbox = contoso.mailbox("idle-missed");
    try (ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly()).build()) {
      c.sync(FolderRef.INBOX, SyncState.NOW, 10);
      Exchange.fill(mailbox, 1, "Between");
      long start = System.nanoTime();
      assertThat(c.awaitChanges(FolderRef.INBOX, Duration.ofSeconds(30))).isTrue();
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }
  }

  @Test
  void awaitChanges_returnsFalseWhenTheTimeoutPassesQuietly() {
    Mailbox mailbox = contoso.mailbox("idle-quiet");
    try (ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly()).build()) {
      c.sync(FolderRef.INBOX, SyncState.NOW, 10);
      long start = System.nanoTime();
      assertThat(c.awaitChanges(FolderRef.INBOX, Duration.ofSeconds(1))).isFalse();
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .isBetween(Duration.ofMillis(900), Duration.ofSeconds(6));
      assertThat(c.listFolders()).isNotEmpty();
    }
  }

  @Test
  void anotherCall_endsAnIdleEarly_insteadOfWaitingForItsTimeout() throws Exception {
    Mailbox mailbox = contoso.mailbox("idle-shared");
    try (ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly()).build()) {
      c.sync(FolderRef.INBOX, SyncState.NOW, 10);
      long start = System.nanoTime();
      CompletableFuture<Boolean> waiting = CompletableFuture.supplyAsync(
          () -> c.awaitChanges(FolderRef.INBOX, Duration.ofSeconds(40)));
      // other calls keep coming while the IDLE runs; the first one after it began must end it
      Boolean changed = null;
      for (int i = 0; i < 40 && changed == null; i++) {
        try {
          changed = waiting.get(500, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
          assertThat(c.listFolders()).isNotEmpty();
        }
      }
      assertThat(changed).isFalse();
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
      assertThat(m365.imapCommands()).filteredOn(x -> x.user().equals(mailbox.address()))
          .filteredOn(x -> x.is("IDLE")).as("the IDLE the other call ended").hasSize(1);
    }
  }

  @Test
  void awaitChanges_withoutIdle_returnsFalseAtOnce_forTheCallerToPoll() throws Exception {
    try (ScriptedImapServer server = new ScriptedImapServer("IMAP4rev1 AUTH=XOAUTH2 UIDPLUS", Map.of(
        "AUTHENTICATE", List.of(),
        "SELECT", List.of("* 0 EXISTS", "* OK [UIDVALIDITY 7] UIDs valid", "* OK [UIDNEXT 1] next"),
        "STATUS", List.of("* STATUS INBOX (UIDNEXT 1)")))) {
      Mailbox mailbox = contoso.mailbox("noidle");
      try (ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly()).host("127.0.0.1").port(server.port())
          .insecurePlaintextForTestsOnly().build()) {
        long start = System.nanoTime();
        assertThat(c.awaitChanges(FolderRef.INBOX, Duration.ofSeconds(30))).isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
      }
      assertThat(server.received()).noneMatch(l -> l.toUpperCase().endsWith(" IDLE"));
    }
  }

  @Test
  void aSyncBatchReadInTurn_withOtherCallsAndALargeMessageInBetween_yieldsEveryMessageExactly() {
    Mailbox mailbox = contoso.mailbox("readahead");
    Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    for (int i = 0; i < 60; i++) {
      byte[] mime = i == 30 ? TestMessages.ofSize("big@fabrikam.com", mailbox.address(), "Message " + i, 3_000_000)
          : TestMessages.text("a@fabrikam.com", mailbox.address(), "Message " + i, "Body " + i);
      mailbox.deliver("Inbox", mime, false, now.minusSeconds(600 - i));
    }
    Map<String, byte[]> stored = mailbox.messages("Inbox").stream()
        .collect(Collectors.toMap(StoredMail::subject, mailbox::mime));
    // a budget smaller than the batch: what the other calls drain does not all fit
    try (ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly()).readAhead(20_000).build()) {
      SyncBatch batch = c.sync(FolderRef.INBOX, SyncState.BEGINNING, 100);
      assertThat(batch.messages()).hasSize(60);
      int i = 0;
      for (MessageSummary m : batch.messages()) {
        assertThat(read(c, m.id())).as(m.subject()).isEqualTo(stored.get(m.subject()));
        if (++i % 7 == 0) {
          c.markRead(m.id(), true);
        }
      }
      // out of order, and again: still the right bytes
      MessageSummary last = batch.messages().get(59);
      MessageSummary first = batch.messages().get(0);
      assertThat(read(c, last.id())).isEqualTo(stored.get(last.subject()));
      assertThat(read(c, first.id())).isEqualTo(stored.get(first.subject()));
    }
    assertThat(mailbox.messages("Inbox")).filteredOn(StoredMail::seen).hasSize(8);
  }

  @Test
  void aListingReadNewestFirst_yieldsEveryMessageExactly() {
    Mailbox mailbox = contoso.mailbox("newestfirst");
    Exchange.fill(mailbox, 45, "Listed");
    Map<String, byte[]> stored = mailbox.messages("Inbox").stream()
        .collect(Collectors.toMap(StoredMail::subject, mailbox::mime));
    try (ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly()).readAhead(2_000).build()) {
      List<MessageSummary> all = c.listMessages(FolderRef.INBOX, org.o365mail.ListOptions.defaults().pageSize(20))
          .stream().toList();
      assertThat(all).hasSize(45).first().extracting(MessageSummary::subject).isEqualTo("Listed 44");
      for (MessageSummary m : all) {
        assertThat(read(c, m.id())).as(m.subject()).isEqualTo(stored.get(m.subject()));
      }
    }
  }

  @Test
  void readAheadOff_readsEachMessageOnItsOwn_withTheSameBytes() {
    Mailbox mailbox = contoso.mailbox("noreadahead");
    Exchange.fill(mailbox, 5, "Plain");
    Map<String, byte[]> stored = mailbox.messages("Inbox").stream()
        .collect(Collectors.toMap(StoredMail::subject, mailbox::mime));
    try (ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly()).readAhead(0).build()) {
      for (MessageSummary m : c.sync(FolderRef.INBOX, SyncState.BEGINNING, 10).messages()) {
        assertThat(read(c, m.id())).isEqualTo(stored.get(m.subject()));
      }
    }
    assertThat(mailbox.messages("Inbox")).noneMatch(StoredMail::seen);
  }
}
