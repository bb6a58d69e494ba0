package org.o365mail.importer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.o365mail.testing.InMemoryMailboxConnector;

/**
 * The coordinator on a store no other instance shares (memory): one instance holds every mailbox, imports each, and
 * on close closes the connectors it was given and lets the mailboxes go. The cluster behaviour is tested on a real
 * PostgreSQL in the jdbc module.
 */
@Timeout(60)
class ImportCoordinatorTest {
  private final List<String> delivered = new CopyOnWriteArrayList<>();

  @Test
  void alone_itHoldsEveryMailbox_importsEach_andClosesTheirConnectorsOnClose() throws Exception {
    List<InMemoryMailboxConnector> boxes = List.of(box("One@contoso.com"), box("two@contoso.com"));
    CheckpointStore store = CheckpointStore.inMemory();
    ImportCoordinator coordinator = ImportCoordinator.builder().checkpointStore(store).owner("solo")
        .mailboxes(List.of("One@contoso.com", "two@contoso.com", "ONE@contoso.com"))
        .importers(m -> MailImporter.builder().handler(msg -> delivered.add(msg.idempotencyKey()))
            .connector(boxes.stream().filter(b -> b.mailbox().equalsIgnoreCase(m)).findFirst().orElseThrow()))
        .build().start();
    try {
      for (int i = 0; i < 400 && delivered.size() < 2; i++) {
        Thread.sleep(25);
      }
      assertThat(coordinator.held()).as("one mailbox named twice is one mailbox")
          .isEqualTo(Set.of("one@contoso.com", "two@contoso.com"));
      assertThat(coordinator.liveInstances()).isEqualTo(1);
      assertThat(coordinator.importer("ONE@CONTOSO.COM")).isPresent();
      assertThat(delivered).hasSize(2);
    } finally {
      coordinator.close();
    }
    assertThat(coordinator.held()).isEmpty();
    for (InMemoryMailboxConnector b : boxes) {
      assertThatThrownBy(b::listFolders).as("the importer closed its connector").isInstanceOf(
          IllegalStateException.class);
    }
  }

  @Test
  void aMailboxWhoseImporterCannotBeBuilt_isLeftFree_andTheOthersAreImported() {
    InMemoryMailboxConnector ok = box("ok@contoso.com");
    ImportCoordinator coordinator = ImportCoordinator.builder().checkpointStore(CheckpointStore.inMemory())
        .mailboxes(List.of("broken@contoso.com", "ok@contoso.com"))
        .importers(m -> m.startsWith("broken") ? MailImporter.builder() : MailImporter.builder().connector(ok)
            .handler(msg -> delivered.add(msg.idempotencyKey())))
        .build();
    try {
      coordinator.rebalance();
      assertThat(coordinator.held()).containsExactly("ok@contoso.com");
    } finally {
      coordinator.close();
    }
  }

  @Test
  void theBuilder_namesWhatIsMissing_andRefusesAPollIntervalNotShorterThanTheLease() {
    assertThatThrownBy(() -> ImportCoordinator.builder().build()).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("checkpointStore()").hasMessageContaining("mailboxes()")
        .hasMessageContaining("importers()");
    assertThatThrownBy(() -> ImportCoordinator.builder().checkpointStore(CheckpointStore.inMemory())
        .mailboxes(List.of("a@contoso.com")).importers(m -> MailImporter.builder())
        .leaseTtl(Duration.ofSeconds(10)).pollInterval(Duration.ofSeconds(10)).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("pollInterval");
    assertThatThrownBy(() -> ImportCoordinator.builder().mailboxes(List.of(" ")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("mailboxes");
  }

  private static InMemoryMailboxConnector box(String mailbox) {
    InMemoryMailboxConnector box = InMemoryMailboxConnector.create(mailbox);
    box.deliver(("Message-ID: <" + mailbox + ">\r\nFrom: a@fabrikam.com\r\nTo: " + mailbox
        + "\r\nSubject: hello\r\n\r\nbody\r\n").getBytes(StandardCharsets.US_ASCII));
    return box;
  }
}
