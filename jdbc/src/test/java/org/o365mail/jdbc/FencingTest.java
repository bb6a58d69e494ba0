package org.o365mail.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.o365mail.FolderRef;
import org.o365mail.MessageSummary;
import org.o365mail.SyncState;
import org.o365mail.importer.Checkpoint;
import org.o365mail.importer.CheckpointKey;
import org.o365mail.importer.ImportResult;
import org.o365mail.importer.IncomingMessage;
import org.o365mail.importer.Lease;
import org.o365mail.importer.LeaseLostException;
import org.o365mail.importer.MailImporter;
import org.o365mail.importer.MessageHandler;
import org.o365mail.importer.PostAction;
import org.o365mail.testing.InMemoryMailboxConnector;
import org.o365mail.testsupport.MutableClock;

/**
 * An instance that paused past its lease (simulated by moving the stores' clock past the lease's time to live) while
 * another took the mailbox over can write nothing, and what it was doing is not lost: the new holder has it.
 */
@Timeout(120)
class FencingTest {
  private static final Duration TTL = Duration.ofMinutes(1);
  private static final String MAILBOX = "box@contoso.com";

  private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:00:00Z"));
  private final DataSource db = TestDatabase.freshDatabase();
  private final PostgresCheckpointStore storeA = PostgresCheckpointStore.builder(db).clock(clock).build();
  private final PostgresCheckpointStore storeB = PostgresCheckpointStore.builder(db).clock(clock).build();

  @Test
  void afterATakeover_theOldHoldersCheckpointSeenRecordAndPostActionAreRefused_andTheNewHoldersStateStands() {
    CheckpointKey key = new CheckpointKey("graph", MAILBOX, "Inbox");
    Lease a = storeA.acquireLease(MAILBOX, "a", TTL).orElseThrow();
    storeA.save(key, Checkpoint.initial(new SyncState("a-1"), clock.instant()), a);
    assertThat(storeB.acquireLease(MAILBOX, "b", TTL)).as("a's lease is live").isEmpty();

    clock.advance(TTL.plusSeconds(1)); // a pauses past its lease
    Lease b = storeB.acquireLease(MAILBOX, "b", TTL).orElseThrow();
    assertThat(b.epoch()).isEqualTo(a.epoch() + 1);
    Checkpoint ofB = new Checkpoint(new SyncState("b-1"), Set.of("m1"), null, List.of(), List.of(), clock.instant());
    storeB.save(key, ofB, b);
    storeB.recordSeen(key, List.of("m1"), b);

    Checkpoint ofA = new Checkpoint(new SyncState("a-2"), Set.of("m2"), null, List.of(), List.of(), clock.instant());
    assertThatThrownBy(() -> storeA.save(key, ofA, a)).isInstanceOf(LeaseLostException.class)
        .hasMessageContaining("epoch " + a.epoch());
    assertThatThrownBy(() -> storeA.recordSeen(key, List.of("m2"), a)).isInstanceOf(LeaseLostException.class);
    assertThatThrownBy(() -> storeA.checkLease(a)).isInstanceOf(LeaseLostException.class);
    assertThat(storeA.renewLease(a, TTL)).isEmpty();
    storeA.releaseLease(a); // a late release of the old lease frees nothing

    assertThat(storeA.load(key)).contains(ofB);
    assertThat(storeA.seen(key, "m2")).isFalse();
    assertThat(storeA.seen(key, "m1")).isTrue();
    assertThat(storeB.acquireLease(MAILBOX, "a", TTL)).as("b's lease is live").isEmpty();
    storeB.checkLease(b);
  }

  @Test
  void anImporterThatLostItsLeaseMidMessage_writesNothing_andTheNewHolderRedeliversTheMessage() throws Exception {
    InMemoryMailboxConnector box = InMemoryMailboxConnector.create(MAILBOX);
    for (int i = 0; i < 3; i++) {
      box.deliver(("Message-ID: <m" + i + "@test>\r\nFrom: a@fabrikam.com\r\nTo: " + MAILBOX + "\r\nSubject: M" + i
          + "\r\n\r\nBody\r\n").getBytes(StandardCharsets.UTF_8));
    }
    CountDownLatch inHandler = new CountDownLatch(1);
    CountDownLatch resume = new CountDownLatch(1);
    List<String> handedToA = Collections.synchronizedList(new ArrayList<>());
    MessageHandler pausing = m -> {
      handedToA.add(m.idempotencyKey());
      inHandler.countDown();
      if (!resume.await(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the test never resumed instance a");
      }
    };
    Recorder product = new Recorder();
    try (MailImporter a = importer(box, storeA, "a", pausing);
        MailImporter b = importer(box, storeB, "b", product)) {
      CompletableFuture<ImportResult> passOfA = CompletableFuture.supplyAsync(a::runOnce);
      assertThat(inHandler.await(60, TimeUnit.SECONDS)).isTrue();

      clock.advance(TTL.plusSeconds(1)); // a pauses (GC, partition) past its lease; b takes the mailbox over
      ImportResult ofB = b.runOnce();
      assertThat(ofB.imported()).isEqualTo(3);
      CheckpointKey key = new CheckpointKey("memory", MAILBOX, FolderRef.INBOX.toString());
      Checkpoint afterB = storeB.load(key).orElseThrow();

      resume.countDown(); // a wakes up and tries to record the message it was handed
      ImportResult ofA = passOfA.get(60, TimeUnit.SECONDS);

      assertThat(ofA.completed()).isFalse();
      assertThat(handedToA).hasSize(1);
      assertThat(storeA.load(key)).as("b's checkpoint stands").contains(afterB);
      assertThat(product.keys).containsAll(handedToA).hasSize(3);
      assertThat(product.redelivered).as("the message a held reached b flagged").containsExactlyElementsOf(handedToA);
      assertThat(box.contents(FolderRef.INBOX)).as("no post-action ran for a").noneMatch(MessageSummary::read);
    }
  }

  private MailImporter importer(InMemoryMailboxConnector box, PostgresCheckpointStore store, String owner,
      MessageHandler handler) {
    return MailImporter.builder().connector(box).handler(handler).checkpointStore(store).leaseOwner(owner)
        .leaseTtl(TTL).clock(clock).postAction(owner.equals("a") ? PostAction.markRead() : PostAction.none())
        .handlerAttempts(1).build();
  }

  /** What the product received: every key, and those flagged as possible redeliveries. */
  static final class Recorder implements MessageHandler {
    final List<String> keys = Collections.synchronizedList(new ArrayList<>());
    final List<String> redelivered = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void handle(IncomingMessage m) throws Exception {
      try (InputStream in = m.openMime()) {
        in.readAllBytes();
      }
      keys.add(m.idempotencyKey());
      if (m.possibleRedelivery()) {
        redelivered.add(m.idempotencyKey());
      }
    }
  }
}
