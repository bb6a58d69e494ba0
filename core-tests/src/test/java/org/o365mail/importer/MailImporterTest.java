package org.o365mail.importer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.o365mail.DeleteMode;
import org.o365mail.Diagnosis;
import org.o365mail.FolderRef;
import org.o365mail.MailboxAuthenticationException;
import org.o365mail.MailboxException;
import org.o365mail.MessageNotFoundException;
import org.o365mail.MessageSummary;
import org.o365mail.SetupStep;
import org.o365mail.SyncState;
import org.o365mail.ThrottledException;
import org.o365mail.testing.InMemoryMailboxConnector;
import org.o365mail.testsupport.CapturingLoggerProvider;

@Timeout(60)
class MailImporterTest {

  static byte[] message(String subject) {
    return ("Message-ID: <" + UUID.randomUUID() + "@test>\r\nFrom: a@fabrikam.com\r\nTo: box@contoso.com\r\nSubject: "
        + subject + "\r\n\r\nBody " + subject + "\r\n").getBytes(StandardCharsets.UTF_8);
  }

  static InMemoryMailboxConnector mailbox(int messages) {
    InMemoryMailboxConnector c = InMemoryMailboxConnector.create("box@contoso.com");
    for (int i = 0; i < messages; i++) {
      c.deliver(message("M" + i));
    }
    return c;
  }

  /** Keeps what the product received, by key, with the subjects read from the MIME stream. */
  static final class Recorder implements MessageHandler {
    final List<String> keys = Collections.synchronizedList(new ArrayList<>());
    final List<Boolean> redeliveries = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void handle(IncomingMessage m) throws IOException {
      try (InputStream in = m.openMime()) {
        assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).contains(m.summary().subject());
      }
      keys.add(m.idempotencyKey());
      redeliveries.add(m.possibleRedelivery());
    }
  }

  @Test
  void importsEachMessageOnce_thenOnlyNewOnes(@TempDir Path dir) {
    InMemoryMailboxConnector box = mailbox(23);
    Recorder product = new Recorder();
    FileCheckpointStore store = new FileCheckpointStore(dir);
    try (MailImporter importer = MailImporter.builder().connector(box).handler(product).checkpointStore(store)
        .batchSize(5).build()) {
      ImportResult first = importer.runOnce();
      assertThat(first.imported()).isEqualTo(23);
      assertThat(first.completed()).isTrue();
      assertThat(importer.runOnce().imported()).isZero();
      box.deliver(message("late"));
      assertThat(importer.runOnce().imported()).isEqualTo(1);
    }
    assertThat(product.keys).hasSize(24).doesNotHaveDuplicates();
    assertThat(product.keys).allMatch(k -> k.contains("@test>|memory:mem:"));
    // a restart with the same store imports nothing again
    try (MailImporter again = MailImporter.builder().connector(box).handler(product).checkpointStore(store).build()) {
      assertThat(again.runOnce().imported()).isZero();
    }
  }

  @Test
  void startFromNow_skipsWhatIsAlreadyThere() {
    InMemoryMailboxConnector box = mailbox(5);
    Recorder product = new Recorder();
    try (MailImporter importer = MailImporter.builder().connector(box).handler(product).startFrom(SyncState.NOW).build()) {
      assertThat(importer.runOnce().imported()).isZero();
      box.deliver(message("new"));
      assertThat(importer.runOnce().imported()).isEqualTo(1);
    }
  }

  @Test
  void postActions_runAfterTheCheckpoint() {
    InMemoryMailboxConnector read = mailbox(3);
    try (MailImporter i = MailImporter.builder().connector(read).handler(new Recorder()).postAction(PostAction.markRead()).build()) {
      i.runOnce();
    }
    assertThat(read.contents(FolderRef.INBOX)).allMatch(MessageSummary::read);

    InMemoryMailboxConnector move = mailbox(3);
    move.createFolder(FolderRef.path("Inbox/Imported"));
    try (MailImporter i = MailImporter.builder().connector(move).handler(new Recorder())
        .postAction(PostAction.moveTo(FolderRef.path("Inbox/Imported"))).build()) {
      assertThat(i.runOnce().imported()).isEqualTo(3);
    }
    assertThat(move.contents(FolderRef.INBOX)).isEmpty();
    assertThat(move.contents(FolderRef.path("Inbox/Imported"))).hasSize(3);

    InMemoryMailboxConnector delete = mailbox(3);
    try (MailImporter i = MailImporter.builder().connector(delete).handler(new Recorder())
        .postAction(PostAction.delete(DeleteMode.MOVE_TO_DELETED_ITEMS)).build()) {
      i.runOnce();
    }
    assertThat(delete.contents(FolderRef.DELETED_ITEMS)).hasSize(3);
  }

  @Test
  void postActionsRunOncePerBatch_andOneMessageGoneDoesNotStopTheOthers() {
    InMemoryMailboxConnector box = mailbox(6);
    FolderRef done = FolderRef.path("Inbox/Done");
    box.createFolder(done);
    List<MessageSummary> inbox = box.contents(FolderRef.INBOX);
    MessageHandler deletesTheSecondWhenGivenTheFifth = m -> {
      if (m.summary().subject().equals("M4")) {
        box.delete(inbox.get(1).id(), DeleteMode.PERMANENT);
      }
    };
    try (MailImporter i = MailImporter.builder().connector(box).handler(deletesTheSecondWhenGivenTheFifth)
        .batchSize(10).postAction(PostAction.moveTo(done)).build()) {
      assertThat(i.runOnce().imported()).isEqualTo(6);
      assertThat(i.health().health()).isEqualTo(MailboxHealth.HEALTHY);
    }
    assertThat(box.contents(done)).extracting(MessageSummary::subject).containsExactlyInAnyOrder("M0", "M2", "M3", "M4", "M5");
    assertThat(box.contents(FolderRef.INBOX)).isEmpty();
  }

  @Test
  void postActionsMeetingAThrottledMailbox_stayPending_withoutTryingEachMessage() {
    InMemoryMailboxConnector box = mailbox(6);
    FolderRef done = FolderRef.path("Inbox/Done");
    box.createFolder(done);
    CheckpointStore store = CheckpointStore.inMemory();
    CheckpointKey key = new CheckpointKey("memory", "box@contoso.com", "Inbox");
    Supplier<MailboxException> throttled = () -> new ThrottledException("throttled", Duration.ofSeconds(1), null, null);
    box.failNextChanges(1, throttled);
    try (MailImporter i = MailImporter.builder().connector(box).handler(new Recorder()).checkpointStore(store)
        .batchSize(10).postAction(PostAction.moveTo(done)).build()) {
      assertThat(i.runOnce().imported()).isEqualTo(6);
      // the six together were throttled: each alone would only wait out the same throttling
      assertThat(box.changeCalls()).isEqualTo(1);
      assertThat(store.load(key).orElseThrow().pending()).hasSize(6);
      i.runOnce();
      assertThat(box.changeCalls()).isEqualTo(1 + 6);
    }
    assertThat(box.contents(done)).hasSize(6);
    assertThat(store.load(key).orElseThrow().pending()).isEmpty();

    // together they failed for one message; one by one, the mailbox is then throttled: the rest wait for the next pass
    InMemoryMailboxConnector other = mailbox(6);
    other.createFolder(done);
    CheckpointStore otherStore = CheckpointStore.inMemory();
    other.failNextChanges(2, () -> new MessageNotFoundException("gone", null, null)).failNextChanges(1, throttled);
    try (MailImporter i = MailImporter.builder().connector(other).handler(new Recorder()).checkpointStore(otherStore)
        .batchSize(10).postAction(PostAction.moveTo(done)).build()) {
      i.runOnce();
      assertThat(other.changeCalls()).isEqualTo(3);
      assertThat(otherStore.load(key).orElseThrow().pending()).hasSize(5);
      i.runOnce();
      assertThat(other.changeCalls()).isEqualTo(3 + 5);
      assertThat(otherStore.load(key).orElseThrow().pending()).isEmpty();
    }
  }

  @Test
  void aPostActionThatCannotRunYetStaysPending_andRunsLater() {
    InMemoryMailboxConnector box = mailbox(2);
    FolderRef target = FolderRef.path("Inbox/Later");
    CheckpointStore store = CheckpointStore.inMemory();
    try (MailImporter i = MailImporter.builder().connector(box).handler(new Recorder()).checkpointStore(store)
        .postAction(PostAction.moveTo(target)).build()) {
      assertThat(i.runOnce().imported()).isEqualTo(2);
      Checkpoint c = store.load(new CheckpointKey("memory", "box@contoso.com", "Inbox")).orElseThrow();
      assertThat(c.pending()).hasSize(2);
      // said, not only logged at debug: the health names the folder to create
      assertThat(i.health().health()).isEqualTo(MailboxHealth.DEGRADED);
      assertThat(i.health().diagnosis()).get().satisfies(d -> {
        assertThat(d.setupStep()).isEqualTo(SetupStep.MAILBOX_FOLDER);
        assertThat(d.fix()).contains("Create the folder Inbox/Later in box@contoso.com");
      });
      box.createFolder(target);
      i.runOnce();
      assertThat(i.health().health()).isEqualTo(MailboxHealth.HEALTHY);
    }
    assertThat(box.contents(target)).hasSize(2);
    assertThat(store.load(new CheckpointKey("memory", "box@contoso.com", "Inbox")).orElseThrow().pending()).isEmpty();
  }

  @Test
  void handlerFailures_areRetried_thenParked_withoutBlockingTheRest() {
    InMemoryMailboxConnector box = mailbox(0);
    box.deliver(message("good 1"));
    box.deliver(message("flaky"));
    box.deliver(message("poison"));
    box.deliver(message("good 2"));
    box.createFolder(FolderRef.path("Inbox/Failed"));
    Map<String, AtomicInteger> calls = new HashMap<>();
    List<String> accepted = new ArrayList<>();
    List<Duration> waits = new ArrayList<>();
    List<DeadLetter> parked = new ArrayList<>();
    MessageHandler handler = m -> {
      String subject = m.summary().subject();
      int n = calls.computeIfAbsent(subject, s -> new AtomicInteger()).incrementAndGet();
      assertThat(m.attempt()).isEqualTo(n);
      if (subject.equals("poison") || (subject.equals("flaky") && n < 3)) {
        throw new IllegalStateException("refused " + subject);
      }
      accepted.add(subject);
    };
    try (MailImporter i = MailImporter.builder().connector(box).handler(handler).handlerAttempts(3)
        .sleeper(waits::add).parkFolder(FolderRef.path("Inbox/Failed"))
        .listener(new ImportListener() {
          @Override
          public void parked(DeadLetter letter) {
            parked.add(letter);
          }
        }).build()) {
      ImportResult result = i.runOnce();
      assertThat(result.imported()).isEqualTo(3);
      assertThat(result.parked()).isEqualTo(1);
      assertThat(accepted).containsExactly("good 1", "flaky", "good 2");
      assertThat(calls.get("poison")).hasValue(3);
      assertThat(waits).contains(Duration.ofSeconds(1), Duration.ofSeconds(2));
      assertThat(parked).singleElement().satisfies(d -> {
        assertThat(d.subject()).isEqualTo("poison");
        assertThat(d.attempts()).isEqualTo(3);
        assertThat(d.lastError()).contains("refused poison");
      });
      assertThat(i.deadLetters()).hasSize(1);
      assertThat(box.contents(FolderRef.path("Inbox/Failed"))).extracting(MessageSummary::subject).containsExactly("poison");
      // the next pass does not offer it again
      assertThat(i.runOnce().imported()).isZero();
      assertThat(calls.get("poison")).hasValue(3);
    }
  }

  @Test
  void listenerHearsEachFailedHandlerAttempt_withTheMessageAndTheFailure_beforeTheNextAttemptAndTheParking() {
    InMemoryMailboxConnector box = mailbox(0);
    box.deliver(message("flaky"));
    box.deliver(message("poison"));
    AtomicInteger flakyCalls = new AtomicInteger();
    MessageHandler handler = m -> {
      if (m.summary().subject().equals("poison")
          || (m.summary().subject().equals("flaky") && flakyCalls.incrementAndGet() < 2)) {
        throw new IOException("refused " + m.summary().subject());
      }
    };
    List<String> events = new ArrayList<>();
    try (MailImporter i = MailImporter.builder().connector(box).handler(handler).handlerAttempts(3)
        .sleeper(d -> events.add("backoff")).listener(new ImportListener() {
          @Override
          public void handlerFailed(IncomingMessage message, Throwable failure) {
            events.add("failed " + message.summary().subject() + " #" + message.attempt() + " "
                + failure.getClass().getSimpleName() + " " + message.mailbox());
          }

          @Override
          public void imported(IncomingMessage message) {
            events.add("imported " + message.summary().subject());
          }

          @Override
          public void parked(DeadLetter letter) {
            events.add("parked " + letter.subject());
          }
        }).build()) {
      assertThat(i.runOnce().parked()).isEqualTo(1);
    }
    assertThat(events).containsExactly(
        "failed flaky #1 IOException box@contoso.com", "backoff", "imported flaky",
        "failed poison #1 IOException box@contoso.com", "backoff",
        "failed poison #2 IOException box@contoso.com", "backoff",
        "failed poison #3 IOException box@contoso.com", "parked poison");
  }

  @Test
  void retryDeadLetter_refusedAgain_staysParkedWithItsAttemptsAdded_acceptedLeavesTheListAndGetsItsPostAction(
      @TempDir Path dir) {
    InMemoryMailboxConnector box = mailbox(0);
    box.deliver(message("good"));
    box.deliver(message("disk full"));
    box.createFolder(FolderRef.path("Inbox/Imported"));
    AtomicInteger refusals = new AtomicInteger(Integer.MAX_VALUE);
    List<String> accepted = new ArrayList<>();
    MessageHandler handler = m -> {
      if (m.summary().subject().equals("disk full") && refusals.getAndDecrement() > 0) {
        throw new IOException("No space left on device");
      }
      accepted.add(m.summary().subject());
    };
    FileCheckpointStore store = new FileCheckpointStore(dir);
    try (MailImporter i = MailImporter.builder().connector(box).handler(handler).checkpointStore(store)
        .handlerAttempts(2).sleeper(d -> { }).postAction(PostAction.moveTo(FolderRef.path("Inbox/Imported"))).build()) {
      assertThat(i.runOnce().parked()).isEqualTo(1);
      String key = i.deadLetters().get(0).messageKey();

      assertThat(i.retryDeadLetter(key)).isFalse();
      assertThat(i.deadLetters()).singleElement().satisfies(d -> {
        assertThat(d.attempts()).isEqualTo(4);
        assertThat(d.lastError()).contains("No space left on device");
      });
      assertThat(box.contents(FolderRef.INBOX)).extracting(MessageSummary::subject).containsExactly("disk full");

      refusals.set(0); // the disk has room again
      assertThat(i.retryDeadLetter(key)).isTrue();
      assertThat(i.deadLetters()).isEmpty();
      assertThat(accepted).containsExactly("good", "disk full");
      assertThat(box.contents(FolderRef.INBOX)).isEmpty();
      assertThat(box.contents(FolderRef.path("Inbox/Imported"))).hasSize(2);
      assertThatThrownBy(() -> i.retryDeadLetter(key)).isInstanceOf(IllegalArgumentException.class);
      // and a later pass does not offer it again
      assertThat(i.runOnce().imported()).isZero();
    }
    assertThat(accepted).containsExactly("good", "disk full");
  }

  /**
   * A parked message's subject and Message-ID are the sender's text: a CR, escape sequences (CSI, OSC ended by BEL,
   * the C1 CSI), DEL and U+2028 in them reach the log as visible escapes, on one line.
   */
  @Test
  void parkedMessage_isLoggedOnOneLine_withControlCharactersEscaped() {
    InMemoryMailboxConnector box = mailbox(0);
    String subject = "a\rWARN forged\u001b[31mred\u001b]0;title\u0007\u009b2J\u007f\u2028end";
    box.deliver(("Message-ID: <esc\u001b[2J@test>\r\nFrom: a@fabrikam.com\r\nTo: box@contoso.com\r\nSubject: "
        + subject + "\r\n\r\nBody\r\n").getBytes(StandardCharsets.UTF_8));
    CapturingLoggerProvider.clear();
    try (MailImporter i = MailImporter.builder().connector(box).handler(m -> {
      throw new IllegalStateException("refused");
    }).handlerAttempts(1).build()) {
      assertThat(i.runOnce().parked()).isEqualTo(1);
      assertThat(i.deadLetters()).singleElement().extracting(DeadLetter::subject).isEqualTo(subject); // kept exact
    }
    List<String> parked = CapturingLoggerProvider.lines().stream().filter(l -> l.contains("Parked message")).toList();
    assertThat(parked).singleElement().satisfies(line -> {
      assertThat(line).startsWith("WARN ")
          .contains("(a\\rWARN forged\\u001b[31mred\\u001b]0;title\\u0007\\u009b2J\\u007f\\u2028end)")
          .contains("<esc\\u001b[2J@test>");
      assertThat(line.chars().filter(c -> Character.isISOControl(c) || c == 0x2028 || c == 0x2029)).isEmpty();
    });
  }

  /** The process dies after the handler accepted and before the checkpoint is written: offered again, same key. */
  @Test
  void crashBetweenHandlerAndCheckpoint_redeliversThatMessageOnly(@TempDir Path dir) {
    InMemoryMailboxConnector box = mailbox(10);
    FileCheckpointStore store = new FileCheckpointStore(dir);
    Recorder product = new Recorder();
    AtomicInteger handled = new AtomicInteger();
    CheckpointStore dying = new CheckpointStore() {
      @Override
      public java.util.Optional<Checkpoint> load(CheckpointKey key) {
        return store.load(key);
      }

      @Override
      public void save(CheckpointKey key, Checkpoint checkpoint) {
        if (handled.get() == 6 && checkpoint.inFlight() == null && checkpoint.handled().size() > 0) {
          throw new ProcessDied();
        }
        store.save(key, checkpoint);
      }

      @Override
      public void recordSeen(CheckpointKey key, String messageKey) {
        if (handled.get() == 6) {
          throw new ProcessDied();
        }
        store.recordSeen(key, messageKey);
      }

      @Override
      public boolean seen(CheckpointKey key, String messageKey) {
        return store.seen(key, messageKey);
      }
    };
    MessageHandler counting = m -> {
      product.handle(m);
      handled.incrementAndGet();
    };
    try (MailImporter first = MailImporter.builder().connector(box).handler(counting).checkpointStore(dying).batchSize(4).build()) {
      assertThatThrownBy(first::runOnce).isInstanceOf(ProcessDied.class);
    }
    String inFlight = store.load(new CheckpointKey("memory", "box@contoso.com", "Inbox")).orElseThrow().inFlight();
    assertThat(inFlight).isEqualTo(product.keys.get(5));
    try (MailImporter restarted = MailImporter.builder().connector(box).handler(product).checkpointStore(store)
        .batchSize(4).build()) {
      assertThat(restarted.runOnce().imported()).isEqualTo(5);
    }
    assertThat(product.keys).hasSize(11);
    Map<String, Integer> counts = new HashMap<>();
    product.keys.forEach(k -> counts.merge(k, 1, Integer::sum));
    assertThat(counts.entrySet()).filteredOn(e -> e.getValue() > 1).singleElement()
        .satisfies(e -> assertThat(e.getKey()).isEqualTo(inFlight));
    assertThat(product.redeliveries.get(6)).as("the redelivery says so").isTrue();
    assertThat(counts).hasSize(10);
  }

  @Test
  void aMessageWhoseReadFailed_isOfferedAgainAsAFirstDelivery_unlessItWasInFlightWhenTheProcessDied(
      @TempDir Path dir) {
    InMemoryMailboxConnector box = mailbox(3);
    FileCheckpointStore store = new FileCheckpointStore(dir);
    CheckpointKey key = new CheckpointKey("memory", "box@contoso.com", "Inbox");
    Recorder product = new Recorder();
    AtomicInteger throttled = new AtomicInteger(1);
    MessageHandler readFailsOnce = m -> {
      if (m.summary().subject().equals("M1") && throttled.getAndDecrement() > 0) {
        throw new ThrottledException("Graph throttled reading the MIME", Duration.ofSeconds(1), null, null);
      }
      product.handle(m);
    };
    try (MailImporter importer = MailImporter.builder().connector(box).handler(readFailsOnce).checkpointStore(store)
        .build()) {
      assertThat(importer.runOnce().completed()).isFalse();
      assertThat(store.load(key).orElseThrow().inFlight()).as("the handler did not take it").isNull();
      assertThat(importer.runOnce().imported()).isEqualTo(2);
    }
    assertThat(product.keys).hasSize(3).doesNotHaveDuplicates();
    assertThat(product.redeliveries).as("no process died: nothing is a possible redelivery").containsOnly(false);

    // a message in flight when the process died stays a possible redelivery when its read then fails
    box.deliver(message("M4"));
    MessageSummary m4 = box.contents(FolderRef.INBOX).stream().filter(s -> s.subject().equals("M4")).findFirst()
        .orElseThrow();
    String m4Key = MailImporter.idempotencyKey("memory", m4);
    Checkpoint before = store.load(key).orElseThrow();
    store.save(key, new Checkpoint(before.state(), before.handled(), m4Key, before.pending(), before.deadLetters(),
        before.updatedAt()));
    AtomicInteger m4Fails = new AtomicInteger(1);
    MessageHandler m4ReadFailsOnce = m -> {
      if (m.summary().subject().equals("M4") && m4Fails.getAndDecrement() > 0) {
        throw new ThrottledException("Graph throttled reading the MIME", Duration.ofSeconds(1), null, null);
      }
      product.handle(m);
    };
    try (MailImporter restarted = MailImporter.builder().connector(box).handler(m4ReadFailsOnce)
        .checkpointStore(store).build()) {
      assertThat(restarted.runOnce().completed()).isFalse();
      assertThat(store.load(key).orElseThrow().inFlight()).isEqualTo(m4Key);
      assertThat(restarted.runOnce().imported()).isEqualTo(1);
    }
    assertThat(product.keys).hasSize(4).endsWith(m4Key);
    assertThat(product.redeliveries).endsWith(true);
  }

  @Test
  void crashAfterTheCheckpointBeforeTheSeenRecord_stillRunsThePostAction(@TempDir Path dir) {
    InMemoryMailboxConnector box = mailbox(6);
    FolderRef done = FolderRef.path("Inbox/Done");
    box.createFolder(done);
    FileCheckpointStore store = new FileCheckpointStore(dir);
    AtomicInteger records = new AtomicInteger();
    CheckpointStore dying = new CheckpointStore() {
      @Override
      public java.util.Optional<Checkpoint> load(CheckpointKey key) {
        return store.load(key);
      }

      @Override
      public void save(CheckpointKey key, Checkpoint checkpoint) {
        store.save(key, checkpoint);
      }

      @Override
      public void recordSeen(CheckpointKey key, String messageKey) {
        if (records.incrementAndGet() == 7) { // the fourth message: its checkpoint is written, its move is not
          throw new ProcessDied();
        }
        store.recordSeen(key, messageKey);
      }

      @Override
      public boolean seen(CheckpointKey key, String messageKey) {
        return store.seen(key, messageKey);
      }
    };
    Recorder product = new Recorder();
    try (MailImporter first = MailImporter.builder().connector(box).handler(product).checkpointStore(dying)
        .postAction(PostAction.moveTo(done)).build()) {
      assertThatThrownBy(first::runOnce).isInstanceOf(ProcessDied.class);
    }
    // the moves run once per batch: all four handled messages wait in the checkpoint, the fourth included
    assertThat(store.load(new CheckpointKey("memory", "box@contoso.com", "Inbox")).orElseThrow().pending()).hasSize(4);
    assertThat(box.contents(done)).isEmpty();
    try (MailImporter restarted = MailImporter.builder().connector(box).handler(product).checkpointStore(store)
        .postAction(PostAction.moveTo(done)).build()) {
      assertThat(restarted.runOnce().imported()).isEqualTo(2);
    }
    assertThat(product.keys).hasSize(6).doesNotHaveDuplicates();
    assertThat(box.contents(FolderRef.INBOX)).isEmpty();
    assertThat(box.contents(done)).hasSize(6);
  }

  static final class ProcessDied extends RuntimeException {
    private static final long serialVersionUID = 1L;
  }

  @Test
  void aResyncDoesNotHandOutMessagesAgain() {
    InMemoryMailboxConnector box = mailbox(8);
    Recorder product = new Recorder();
    try (MailImporter i = MailImporter.builder().connector(box).handler(product).build()) {
      i.runOnce();
      box.invalidateSyncStates();
      box.deliver(message("after resync"));
      ImportResult result = i.runOnce();
      assertThat(result.imported()).isEqualTo(1);
      assertThat(result.skipped()).isEqualTo(8);
    }
    assertThat(product.keys).hasSize(9).doesNotHaveDuplicates();
  }

  @Test
  void health_followsTheFailures_andRecovers() {
    InMemoryMailboxConnector box = mailbox(2);
    List<String> changes = new ArrayList<>();
    Diagnosis expired = Diagnosis.builder(SetupStep.CLIENT_SECRET, "AADSTS7000222").summary("expired").fix("renew").build();
    box.failNextSyncs(1, () -> new MailboxAuthenticationException(expired, null));
    box.failNextSyncs(1, () -> new ThrottledException("slow down", Duration.ofSeconds(2), null, null));
    try (MailImporter i = MailImporter.builder().connector(box).handler(new Recorder())
        .listener(new ImportListener() {
          @Override
          public void healthChanged(HealthState previous, HealthState current) {
            changes.add(previous.health() + "->" + current.health());
          }
        }).build()) {
      assertThat(i.runOnce().completed()).isFalse();
      assertThat(i.health().health()).isEqualTo(MailboxHealth.SECRET_EXPIRED);
      assertThat(i.health().diagnosis())
          .hasValueSatisfying(d -> assertThat(d.serviceCode()).isEqualTo("AADSTS7000222"));
      i.runOnce();
      assertThat(i.health().health()).isEqualTo(MailboxHealth.THROTTLED);
      assertThat(i.runOnce().imported()).isEqualTo(2);
      assertThat(i.health().health()).isEqualTo(MailboxHealth.HEALTHY);
    }
    assertThat(changes).containsExactly("HEALTHY->SECRET_EXPIRED", "SECRET_EXPIRED->THROTTLED", "THROTTLED->HEALTHY",
        "HEALTHY->STOPPED");
    assertThat(MailImporter.classify(new MailboxAuthenticationException(
        Diagnosis.builder(SetupStep.EXCHANGE_SERVICE_PRINCIPAL, "IMAP").summary("s").fix("f").build(), null)))
        .isEqualTo(MailboxHealth.MAILBOX_ACCESS_DENIED);
    assertThat(MailImporter.classify(new MailboxAuthenticationException(
        Diagnosis.builder(SetupStep.ADMIN_CONSENT, "AADSTS65001").summary("s").fix("f").build(), null)))
        .isEqualTo(MailboxHealth.CONSENT_REQUIRED);
    assertThat(MailImporter.classify(new MailboxAuthenticationException(
        Diagnosis.builder(SetupStep.SIGN_IN_AGAIN, "AADSTS700082").summary("s").fix("f").build(), null)))
        .isEqualTo(MailboxHealth.AUTHENTICATION_REQUIRED);
  }

  @Test
  void close_finishesTheMessageInHand_orAbandonsItConsistently() throws Exception {
    InMemoryMailboxConnector box = mailbox(3);
    CheckpointStore store = CheckpointStore.inMemory();
    CountDownLatch inHandler = new CountDownLatch(1);
    CountDownLatch never = new CountDownLatch(1);
    MessageHandler stuck = m -> {
      inHandler.countDown();
      never.await();
    };
    MailImporter importer = MailImporter.builder().connector(box).handler(stuck).checkpointStore(store)
        .closeTimeout(Duration.ofMillis(300)).build().start();
    assertThat(inHandler.await(10, TimeUnit.SECONDS)).isTrue();
    importer.close();
    assertThat(importer.health().health()).isEqualTo(MailboxHealth.STOPPED);
    Checkpoint checkpoint = store.load(new CheckpointKey("memory", "box@contoso.com", "Inbox")).orElseThrow();
    assertThat(checkpoint.handled()).isEmpty();
    assertThat(checkpoint.inFlight()).isNotNull();
    Recorder product = new Recorder();
    try (MailImporter restarted = MailImporter.builder().connector(box).handler(product).checkpointStore(store).build()) {
      assertThat(restarted.runOnce().imported()).isEqualTo(3);
    }
    assertThat(product.redeliveries).containsExactly(true, false, false);
  }

  @Test
  void oneSchedulerServesManyMailboxes() throws Exception {
    int mailboxes = 60;
    CountDownLatch done = new CountDownLatch(mailboxes * 4);
    List<MailImporter> importers = new ArrayList<>();
    try (ImportScheduler scheduler = ImportScheduler.create(4)) {
      for (int b = 0; b < mailboxes; b++) {
        InMemoryMailboxConnector box = InMemoryMailboxConnector.create("box" + b + "@contoso.com");
        for (int m = 0; m < 4; m++) {
          box.deliver(message("b" + b + "m" + m));
        }
        importers.add(MailImporter.builder().connector(box).handler(x -> done.countDown()).scheduler(scheduler)
            .pollInterval(Duration.ofSeconds(30)).build().start());
      }
      assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
      assertThat(scheduler.peakActiveCycles()).isLessThanOrEqualTo(4);
      for (MailImporter i : importers) {
        i.close();
      }
    }
  }

  @Test
  void onASharedScheduler_noMailboxHoldsAThreadWaitingForChanges() throws Exception {
    Map<String, AtomicInteger> syncs = new java.util.concurrent.ConcurrentHashMap<>();
    AtomicInteger waits = new AtomicInteger();
    List<MailImporter> importers = new ArrayList<>();
    try (ImportScheduler scheduler = ImportScheduler.create(1)) {
      for (int b = 0; b < 3; b++) {
        InMemoryMailboxConnector box = InMemoryMailboxConnector.create("box" + b + "@contoso.com");
        AtomicInteger polls = syncs.computeIfAbsent(box.mailbox(), k -> new AtomicInteger());
        // IMAP IDLE: blocks for the whole timeout when nothing arrives
        org.o365mail.MailboxConnector idling = (org.o365mail.MailboxConnector) java.lang.reflect.Proxy.newProxyInstance(
            getClass().getClassLoader(), new Class<?>[] {org.o365mail.MailboxConnector.class}, (proxy, method, args) -> {
              if (method.getName().equals("awaitChanges")) {
                waits.incrementAndGet();
                Thread.sleep(((Duration) args[1]).toMillis());
                return false;
              }
              if (method.getName().equals("sync")) {
                polls.incrementAndGet();
              }
              try {
                return method.invoke(box, args);
              } catch (java.lang.reflect.InvocationTargetException e) {
                throw e.getCause();
              }
            });
        importers.add(MailImporter.builder().connector(idling).handler(new Recorder()).scheduler(scheduler)
            .followChanges(true).pollInterval(Duration.ofMillis(100)).build().start());
      }
      Thread.sleep(1_000);
      for (MailImporter i : importers) {
        i.close();
      }
    }
    assertThat(waits.get()).isZero();
    assertThat(syncs.values()).allSatisfy(n -> assertThat(n.get()).isGreaterThanOrEqualTo(3));
  }

  @Test
  void aThrottledPass_isRetriedWhenTheServiceSays_notAfterAFixedWait() {
    InMemoryMailboxConnector box = mailbox(2);
    box.failNextSyncs(1, () -> new ThrottledException("slow down", Duration.ofSeconds(1), null, null));
    java.time.Instant t0 = java.time.Instant.parse("2026-03-01T08:00:00Z");
    List<String> imported = new ArrayList<>();
    try (MailImporter i = MailImporter.builder().connector(box).handler(m -> imported.add(m.summary().subject()))
        .pollInterval(Duration.ofMinutes(10)).clock(java.time.Clock.fixed(t0, java.time.ZoneOffset.UTC)).build()) {
      assertThat(i.runOnce().completed()).isFalse();
      // the fixed wait after throttling is 30 s (and the poll interval 10 min); Retry-After: 1 s brings the next pass
      // one second later, on the importer's clock
      assertThat(i.health().retryAt()).contains(t0.plusSeconds(1));
      assertThat(i.nextDelayMillis(false)).isEqualTo(1_000);
      assertThat(i.runOnce().completed()).isTrue();
    }
    assertThat(imported).hasSize(2);
  }

  @Test
  void aLongRetryAfter_parksTheImportUntilThen_withHealthThrottledNamingTheTime_andLosesItsPlaceNowhere() {
    // Exchange's request window answers with a Retry-After of up to the whole window (ten minutes) and more if the
    // client keeps asking; the next pass comes when the service said, not at a cap of ten minutes
    InMemoryMailboxConnector box = mailbox(5);
    java.time.Instant t0 = java.time.Instant.parse("2026-03-02T09:00:00Z");
    java.time.Clock clock = java.time.Clock.fixed(t0, java.time.ZoneOffset.UTC);
    Recorder product = new Recorder();
    AtomicInteger reads = new AtomicInteger();
    MessageHandler throttledOnTheThird = m -> {
      if (reads.incrementAndGet() == 3) {
        throw new ThrottledException("Graph throttled reading the MIME", Duration.ofMinutes(15), null, null);
      }
      product.handle(m);
    };
    CheckpointStore store = CheckpointStore.inMemory();
    List<HealthState> changes = new ArrayList<>();
    try (MailImporter i = MailImporter.builder().connector(box).handler(throttledOnTheThird).checkpointStore(store)
        .clock(clock).listener(new ImportListener() {
          @Override
          public void healthChanged(HealthState previous, HealthState current) {
            changes.add(current);
          }
        }).build()) {
      assertThat(i.runOnce().completed()).isFalse();
      assertThat(product.keys).hasSize(2);
      assertThat(i.health().health()).isEqualTo(MailboxHealth.THROTTLED);
      assertThat(i.health().retryAt()).contains(t0.plus(Duration.ofMinutes(15)));
      assertThat(i.nextDelayMillis(false)).isEqualTo(Duration.ofMinutes(15).toMillis());
      assertThat(changes).extracting(HealthState::health).containsExactly(MailboxHealth.THROTTLED);

      assertThat(i.runOnce().imported()).as("the rest, from where it stopped").isEqualTo(3);
      assertThat(i.health().health()).isEqualTo(MailboxHealth.HEALTHY);
      assertThat(i.health().retryAt()).isEmpty();
    }
    assertThat(product.keys).hasSize(5).doesNotHaveDuplicates();
    assertThat(product.redeliveries).containsOnly(false);
  }

  @Test
  void aThrottlingTheHandlerWrapsInItsOwnException_endsThePassThrottled_andParksNothing() {
    InMemoryMailboxConnector box = mailbox(3);
    Recorder product = new Recorder();
    AtomicInteger reads = new AtomicInteger();
    MessageHandler wraps = m -> {
      if (reads.incrementAndGet() == 2) {
        // a product's handler that turns every failure of its reads into its own exception
        throw new IOException("could not store the message",
            new ThrottledException("Graph throttled reading the MIME", Duration.ofMinutes(9), null, null));
      }
      product.handle(m);
    };
    try (MailImporter i = MailImporter.builder().connector(box).handler(wraps).handlerAttempts(3).handlerBackoff(Duration.ofMillis(1))
        .build()) {
      assertThat(i.runOnce().completed()).isFalse();
      assertThat(i.health().health()).isEqualTo(MailboxHealth.THROTTLED);
      assertThat(i.health().retryAt()).isPresent();
      assertThat(i.deadLetters()).as("not the message's fault: nothing parked").isEmpty();
      assertThat(reads.get()).as("not retried as a refusal").isEqualTo(2);
      assertThat(i.runOnce().completed()).isTrue();
      assertThat(i.deadLetters()).isEmpty();
    }
    assertThat(product.keys).hasSize(3).doesNotHaveDuplicates();
  }

  @Test
  void damagedCheckpoint_isReportedWithWhatToDo(@TempDir Path dir) throws IOException {
    FileCheckpointStore store = new FileCheckpointStore(dir);
    CheckpointKey key = new CheckpointKey("imap", "a@contoso.com", "Inbox");
    store.save(key, Checkpoint.initial(SyncState.BEGINNING, java.time.Instant.now()));
    Files.writeString(store.checkpointFile(key), "{not json", StandardCharsets.UTF_8);
    assertThatThrownBy(() -> store.load(key)).isInstanceOf(IllegalStateException.class).hasMessageContaining("damaged")
        .hasMessageContaining("move it away");
  }

  /**
   * The service need not give messages back in the order it gave them before (Graph delta documents no order): the
   * message a crash interrupted may come after others, in a later batch, even after another restart. Whenever it
   * comes, it is flagged as a possible redelivery, and nothing else is.
   */
  @Test
  void aMessageInFlightAtACrash_comingBackAfterOthersInALaterBatch_isStillFlagged(@TempDir Path dir) {
    InMemoryMailboxConnector box = mailbox(0);
    FileCheckpointStore store = new FileCheckpointStore(dir);
    CheckpointKey key = new CheckpointKey("memory", "box@contoso.com", "Inbox");
    Recorder product = new Recorder();
    try (MailImporter importer = MailImporter.builder().connector(box).handler(product).checkpointStore(store)
        .build()) {
      importer.runOnce();
    }
    for (String subject : List.of("M4", "M5", "M6")) {
      box.deliver(message(subject));
    }
    MessageSummary m6 = box.contents(FolderRef.INBOX).stream().filter(s -> s.subject().equals("M6")).findFirst()
        .orElseThrow();
    String m6Key = MailImporter.idempotencyKey("memory", m6);
    Checkpoint before = store.load(key).orElseThrow();
    // the process died with M6 in the handler's hands; the service now gives M4 and M5 first, one batch each
    store.save(key, new Checkpoint(before.state(), before.handled(), m6Key, before.pending(), before.deadLetters(),
        before.updatedAt()));
    AtomicInteger handled = new AtomicInteger();
    CheckpointStore diesAfterM4 = new CheckpointStore() {
      @Override
      public java.util.Optional<Checkpoint> load(CheckpointKey k) {
        return store.load(k);
      }

      @Override
      public void save(CheckpointKey k, Checkpoint checkpoint) {
        if (handled.get() == 1 && checkpoint.inFlight() == null && !checkpoint.handled().isEmpty()) {
          throw new ProcessDied(); // M4 accepted, its checkpoint never written
        }
        store.save(k, checkpoint);
      }

      @Override
      public void recordSeen(CheckpointKey k, String messageKey) {
        store.recordSeen(k, messageKey);
      }

      @Override
      public boolean seen(CheckpointKey k, String messageKey) {
        return store.seen(k, messageKey);
      }
    };
    MessageHandler counting = m -> {
      product.handle(m);
      handled.incrementAndGet();
    };
    try (MailImporter restarted = MailImporter.builder().connector(box).handler(counting).checkpointStore(diesAfterM4)
        .batchSize(1).build()) {
      assertThatThrownBy(restarted::runOnce).isInstanceOf(ProcessDied.class);
    }
    assertThat(store.load(key).orElseThrow().interrupted()).as("kept across the second restart").contains(m6Key);
    try (MailImporter again = MailImporter.builder().connector(box).handler(product).checkpointStore(store)
        .batchSize(1).build()) {
      assertThat(again.runOnce().completed()).isTrue();
    }
    Map<String, Boolean> flagged = new java.util.HashMap<>();
    for (int i = 0; i < product.keys.size(); i++) {
      flagged.merge(product.keys.get(i), product.redeliveries.get(i), Boolean::logicalOr);
    }
    assertThat(flagged.get(m6Key)).as("M6, interrupted by the first crash, comes last and is flagged").isTrue();
    assertThat(flagged.entrySet().stream().filter(e -> e.getValue() && !e.getKey().equals(m6Key)).map(
        Map.Entry::getKey).toList()).as("flagged: only messages a crash interrupted").hasSizeLessThanOrEqualTo(1);
    assertThat(store.load(key).orElseThrow().interrupted()).as("forgotten once handed out").doesNotContain(m6Key);
  }
}
