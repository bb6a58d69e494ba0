package org.o365mail.importer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.o365mail.DeleteMode;
import org.o365mail.FolderRef;
import org.o365mail.MessageSummary;
import org.o365mail.testing.InMemoryMailboxConnector;
import org.o365mail.testsupport.MutableClock;

/**
 * Group commit with a {@link BatchingMessageHandler}: a checkpoint never claims a message the handler has not made
 * durable, a group whose flush fails (or whose process dies) comes again with the same keys and flagged, and
 * post-actions wait for the group's checkpoint.
 */
@Timeout(60)
class GroupCommitTest {

  /** A product that keeps what it took, makes it durable on flush, and can be told to fail a flush or die. */
  static class Product implements BatchingMessageHandler {
    final List<String> handedOut = new ArrayList<>();
    final List<Boolean> flags = new ArrayList<>();
    final Set<String> durable = new LinkedHashSet<>();
    final List<String> accepted = new ArrayList<>();
    int flushes;
    /** The flush (1-based) that throws, 0 for none. */
    int failFlush;
    /** The message (1-based, counted over the product's life) at whose handling the process "dies", 0 for none. */
    int dieAt;
    Runnable onHandle = () -> {};

    @Override
    public void handle(IncomingMessage m) throws IOException {
      if (dieAt > 0 && handedOut.size() + 1 == dieAt) {
        throw new Death();
      }
      try (InputStream in = m.openMime()) {
        in.readAllBytes();
      }
      handedOut.add(m.idempotencyKey());
      flags.add(m.possibleRedelivery());
      accepted.add(m.idempotencyKey());
      onHandle.run();
    }

    @Override
    public void flush() throws IOException {
      flushes++;
      if (flushes == failFlush) {
        accepted.clear(); // what it took since the last flush is not durable
        throw new IOException("disk full");
      }
      durable.addAll(accepted);
      accepted.clear();
    }

    boolean flagged(String key) {
      for (int i = 0; i < handedOut.size(); i++) {
        if (handedOut.get(i).equals(key) && flags.get(i)) {
          return true;
        }
      }
      return false;
    }
  }

  /** Not an Exception: the importer does not catch it, as it could not catch a SIGKILL. */
  static final class Death extends Error {
    private static final long serialVersionUID = 1L;
  }

  /** Checks at every save that the checkpoint claims only what the product has durably. */
  static final class CheckingStore implements CheckpointStore {
    final CheckpointStore delegate;
    final Product product;
    final List<Checkpoint> saves = new ArrayList<>();
    final List<String> violations = new ArrayList<>();
    final Set<String> claimed = new HashSet<>();

    CheckingStore(CheckpointStore delegate, Product product) {
      this.delegate = delegate;
      this.product = product;
    }

    @Override
    public Optional<Checkpoint> load(CheckpointKey key) {
      return delegate.load(key);
    }

    @Override
    public void save(CheckpointKey key, Checkpoint checkpoint) {
      Set<String> parked = new HashSet<>();
      checkpoint.deadLetters().forEach(d -> parked.add(d.messageKey()));
      for (String handled : checkpoint.handled()) {
        if (!product.durable.contains(handled) && !parked.contains(handled) && claimed.add(handled)) {
          violations.add(handled);
        }
      }
      saves.add(checkpoint);
      if (System.getProperty("debugSaves") != null) {
        System.out.println("SAVE handled=" + checkpoint.handled().size() + " group=" + checkpoint.inFlightGroup().size()
            + " interrupted=" + checkpoint.interrupted().size() + " state=" + checkpoint.state().value());
      }
      delegate.save(key, checkpoint);
    }

    @Override
    public void recordSeen(CheckpointKey key, String messageKey) {
      boolean parked = delegate.load(key).stream().flatMap(c -> c.deadLetters().stream())
          .anyMatch(d -> d.messageKey().equals(messageKey));
      if (!messageKey.startsWith("mid:") && !product.durable.contains(messageKey) && !parked) {
        violations.add("seen " + messageKey);
      }
      delegate.recordSeen(key, messageKey);
    }

    @Override
    public boolean seen(CheckpointKey key, String messageKey) {
      return delegate.seen(key, messageKey);
    }
  }

  static Set<String> keys(InMemoryMailboxConnector box) {
    Set<String> keys = new LinkedHashSet<>();
    for (MessageSummary m : box.contents(FolderRef.INBOX)) {
      keys.add(MailImporter.idempotencyKey(box.protocol().id(), m));
    }
    return keys;
  }

  @Test
  void batchingHandler_flushesEachGroupBeforeItsCheckpoint_oneCheckpointWritePerGroup(@TempDir Path dir) {
    InMemoryMailboxConnector box = MailImporterTest.mailbox(100);
    Product product = new Product();
    CheckingStore store = new CheckingStore(new FileCheckpointStore(dir), product);
    try (MailImporter importer = MailImporter.builder().connector(box).handler(product).checkpointStore(store)
        .batchSize(50).groupCommit(20, Duration.ofHours(1)).build()) {
      ImportResult result = importer.runOnce();
      assertThat(result.completed()).isTrue();
      assertThat(result.imported()).isEqualTo(100);
    }
    assertThat(store.violations).as("keys checkpointed or recorded before the product had them durably").isEmpty();
    assertThat(product.durable).containsExactlyInAnyOrderElementsOf(keys(box));
    assertThat(product.flags).containsOnly(false);
    // 50 a sync batch, in groups of 20, 20, 10: three flushes a batch
    assertThat(product.flushes).isEqualTo(6);
    // per batch: its first group's keys, two commits that name the next group's keys, the last commit, the advance
    assertThat(store.saves).hasSize(10);
  }

  @Test
  void flushFails_nothingCheckpointedPastTheLastDurableGroup_andTheGroupComesAgainFlagged(@TempDir Path dir) {
    InMemoryMailboxConnector box = MailImporterTest.mailbox(30);
    List<String> order = new ArrayList<>(keys(box));
    Product product = new Product();
    product.failFlush = 2;
    CheckingStore store = new CheckingStore(new FileCheckpointStore(dir), product);
    try (MailImporter importer = MailImporter.builder().connector(box).handler(product).checkpointStore(store)
        .batchSize(30).groupCommit(10, Duration.ofHours(1)).postAction(PostAction.markRead()).build()) {
      ImportResult failed = importer.runOnce();
      assertThat(failed.completed()).isFalse();
      assertThat(failed.imported()).isEqualTo(10);
      assertThat(importer.health().health()).isEqualTo(MailboxHealth.DEGRADED);
      assertThat(store.violations).isEmpty();
      // the checkpoint has the first group and not one of the second
      Checkpoint after = store.load(new CheckpointKey(box.protocol().id(), box.mailbox(), FolderRef.INBOX.toString()))
          .orElseThrow();
      assertThat(after.handled()).containsExactlyInAnyOrderElementsOf(order.subList(0, 10));
      assertThat(after.interrupted()).containsAll(order.subList(10, 20));
      // post-actions: none for the group that is not durable; the durable group's wait in the checkpoint
      assertThat(box.contents(FolderRef.INBOX)).noneMatch(MessageSummary::read);
      assertThat(after.pending()).extracting(PendingAction::messageKey)
          .containsExactlyInAnyOrderElementsOf(order.subList(0, 10));

      ImportResult next = importer.runOnce();
      assertThat(next.completed()).isTrue();
      assertThat(next.imported()).isEqualTo(20);
    }
    assertThat(store.violations).isEmpty();
    assertThat(product.durable).containsExactlyInAnyOrderElementsOf(order);
    // the second group: handed out twice, the second time flagged; the first group once, never flagged
    for (String k : order.subList(10, 20)) {
      assertThat(product.handedOut.stream().filter(k::equals)).hasSize(2);
      assertThat(product.flags.get(product.handedOut.lastIndexOf(k))).as(k).isTrue();
    }
    for (String k : order.subList(0, 10)) {
      assertThat(product.handedOut.stream().filter(k::equals)).hasSize(1);
      assertThat(product.flagged(k)).isFalse();
    }
    assertThat(box.contents(FolderRef.INBOX)).allMatch(MessageSummary::read);
  }

  @Test
  void processDiesInAGroup_restartHandsOutItsAcceptedMessagesAgainFlagged_andLosesNone(@TempDir Path dir) {
    InMemoryMailboxConnector box = MailImporterTest.mailbox(40);
    List<String> order = new ArrayList<>(keys(box));
    Product dying = new Product();
    dying.dieAt = 25; // 20 durable (two groups of 10), 4 accepted and not flushed, the 25th in hand
    try (MailImporter importer = MailImporter.builder().connector(box).handler(dying)
        .checkpointStore(new FileCheckpointStore(dir)).batchSize(40).groupCommit(10, Duration.ofHours(1))
        .postAction(PostAction.markRead()).build()) {
      try {
        importer.runOnce();
      } catch (Death expected) {
        // the process is gone: nothing after this point ran
      }
    }
    assertThat(dying.durable).containsExactlyElementsOf(order.subList(0, 20));

    Product restarted = new Product();
    restarted.durable.addAll(dying.durable);
    try (MailImporter importer = MailImporter.builder().connector(box).handler(restarted)
        .checkpointStore(new FileCheckpointStore(dir)).batchSize(40).groupCommit(10, Duration.ofHours(1))
        .postAction(PostAction.markRead()).build()) {
      assertThat(importer.runOnce().completed()).isTrue();
    }
    assertThat(restarted.durable).containsExactlyInAnyOrderElementsOf(order);
    assertThat(restarted.handedOut).containsExactlyElementsOf(order.subList(20, 40));
    // the four accepted-not-durable ones and the one in hand come flagged with their keys; so may the rest of the
    // announced group (the dead process never reached them), never one of a durable group
    for (String k : order.subList(20, 25)) {
      assertThat(restarted.flagged(k)).as(k).isTrue();
    }
    for (String k : order.subList(30, 40)) {
      assertThat(restarted.flagged(k)).as(k).isFalse();
    }
    assertThat(box.contents(FolderRef.INBOX)).allMatch(MessageSummary::read);
  }

  @Test
  void groupCommitsWhenItsTimeSliceHasPassed(@TempDir Path dir) {
    InMemoryMailboxConnector box = MailImporterTest.mailbox(12);
    MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    Product product = new Product();
    product.onHandle = () -> clock.advance(Duration.ofMillis(300));
    CheckingStore store = new CheckingStore(new FileCheckpointStore(dir), product);
    try (MailImporter importer = MailImporter.builder().connector(box).handler(product).checkpointStore(store)
        .clock(clock).batchSize(100).groupCommit(1000, Duration.ofSeconds(1)).build()) {
      assertThat(importer.runOnce().imported()).isEqualTo(12);
    }
    // 300 ms a message: the fourth reaches the second, so groups of 4
    assertThat(product.flushes).isEqualTo(3);
    assertThat(store.violations).isEmpty();
  }

  @Test
  void refusedMessage_isParkedAfterItsGroupIsDurable_theRestImported(@TempDir Path dir) {
    InMemoryMailboxConnector box = MailImporterTest.mailbox(9);
    List<String> order = new ArrayList<>(keys(box));
    Product product = new Product() {
      @Override
      public void handle(IncomingMessage m) throws IOException {
        if (m.idempotencyKey().equals(order.get(4))) {
          throw new IOException("refused");
        }
        super.handle(m);
      }
    };
    CheckingStore store = new CheckingStore(new FileCheckpointStore(dir), product);
    try (MailImporter importer = MailImporter.builder().connector(box).handler(product).checkpointStore(store)
        .handlerAttempts(1).batchSize(9).groupCommit(100, Duration.ofHours(1)).build()) {
      ImportResult result = importer.runOnce();
      assertThat(result.imported()).isEqualTo(8);
      assertThat(result.parked()).isEqualTo(1);
      assertThat(importer.deadLetters()).extracting(DeadLetter::messageKey).containsExactly(order.get(4));
    }
    assertThat(store.violations).isEmpty();
    assertThat(product.durable).hasSize(8).doesNotContain(order.get(4));
  }

  @Test
  void messageGoneBeforeItsTurn_isParked_andTheRestOfTheBatchImported(@TempDir Path dir) {
    InMemoryMailboxConnector box = MailImporterTest.mailbox(10);
    List<MessageSummary> contents = box.contents(FolderRef.INBOX);
    Product product = new Product();
    // while the third is handled, the sixth is deleted: the connector's read ahead finds it gone
    product.onHandle = () -> {
      if (product.handedOut.size() == 3) {
        box.delete(contents.get(5).id(), DeleteMode.PERMANENT);
      }
    };
    try (MailImporter importer = MailImporter.builder().connector(box).handler(product)
        .checkpointStore(new FileCheckpointStore(dir)).handlerAttempts(1).batchSize(10).build()) {
      ImportResult result = importer.runOnce();
      assertThat(result.completed()).isTrue();
      assertThat(result.imported()).isEqualTo(9);
      assertThat(result.parked()).isEqualTo(1);
    }
    assertThat(product.durable).hasSize(9);
  }
}
