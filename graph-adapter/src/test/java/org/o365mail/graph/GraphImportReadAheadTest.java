package org.o365mail.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.DeleteMode;
import org.o365mail.FolderRef;
import org.o365mail.MessageId;
import org.o365mail.MessageNotFoundException;
import org.o365mail.MessageSummary;
import org.o365mail.SyncState;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.importer.CheckpointStore;
import org.o365mail.importer.MailImporter;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;

/**
 * An importer reads its messages one at a time; over Graph the connector reads their MIME ahead, twenty to a
 * {@code $batch}, from what the sync handed out: one round trip per twenty messages instead of one each. What the
 * read-ahead could not fetch is read on its own, with the error it always had.
 */
@Timeout(60)
@ExtendWith(LeakCheck.class)
class GraphImportReadAheadTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static LocalTenant m365;
  static Tenant contoso;
  static CredentialStrategy credential;

  @BeforeAll
  static void tenant() {
    m365 = M365.tenant();
    contoso = m365.createTenant("contoso.com");
    credential = GraphApps.clientCredentials(m365, contoso, GraphApps.daemon(contoso, "Importer", "Mail.ReadWrite"));
  }

  static long requests(String pathEnd) {
    return m365.requests("graph").stream()
        .filter(r -> !r.attribute("batchItem").equals("true") && r.path().endsWith(pathEnd)).count();
  }

  @Test
  void anImporterReadsTwentyMessagesPerRoundTrip() {
    Mailbox box = contoso.addSharedMailbox("batched@contoso.com");
    for (int i = 0; i < 95; i++) {
      box.deliver(TestMessages.text("sender@fabrikam.com", box.address(), "Doc " + i, "Body " + i));
    }
    List<String> read = Collections.synchronizedList(new ArrayList<>());
    try (GraphMailboxConnector connector = GraphApps.connector(m365, credential, box.address()).build();
        MailImporter importer = MailImporter.builder().connector(connector).checkpointStore(CheckpointStore.inMemory())
            .handler(m -> {
              try (InputStream in = m.openMime()) {
                String mime = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                assertThat(mime).contains("Subject: " + m.summary().subject()).contains("Body " + m.summary()
                    .subject().substring(4));
                read.add(m.summary().subject());
              }
            }).build()) {
      m365.clearRequests();
      assertThat(importer.runOnce().imported()).isEqualTo(95);
    }
    assertThat(read).hasSize(95).doesNotHaveDuplicates();
    assertThat(requests("/$value")).as("MIME read one message at a time").isZero();
    assertThat(m365.requests("graph").stream().filter(r -> r.attribute("batchItem").equals("true")
        && r.path().endsWith("/$value"))).as("MIME read in batches").hasSize(95);
    // the importer syncs 50 and then 45 messages: three batches for each (a further one resolved the folder)
    long syncs = m365.requests("graph").stream().filter(r -> r.path().contains("/delta")).count();
    assertThat(syncs).isEqualTo(2);
    assertThat(requests("/$batch")).as("batches of twenty, and the folder's").isEqualTo(3 + 3 + 1);
  }

  @Test
  void messagesGoneBeforeTheirBatch_areReadOnTheirOwn_andReportedGone() {
    Mailbox box = contoso.addSharedMailbox("gone@contoso.com");
    for (int i = 0; i < 30; i++) {
      box.deliver(TestMessages.text("sender@fabrikam.com", box.address(), "Doc " + i, "Body " + i));
    }
    try (GraphMailboxConnector connector = GraphApps.connector(m365, credential, box.address()).build();
        GraphMailboxConnector user = GraphApps.connector(m365, credential, box.address()).build()) {
      List<MessageSummary> planned = connector.sync(FolderRef.INBOX, SyncState.BEGINNING, 50).messages();
      assertThat(planned).hasSize(30);
      // between the sync and the reads, a user deletes one message of the first batch and one of the second
      Set<MessageId> doomed = Set.of(planned.get(3).id(), planned.get(27).id());
      doomed.forEach(id -> user.delete(id, DeleteMode.PERMANENT));
      m365.clearRequests();
      List<String> read = new ArrayList<>();
      for (MessageSummary m : planned) {
        if (doomed.contains(m.id())) {
          assertThatThrownBy(() -> connector.openMime(m.id())).isInstanceOf(MessageNotFoundException.class);
          continue;
        }
        try (InputStream in = connector.openMime(m.id())) {
          assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).contains("Subject: " + m.subject());
          read.add(m.subject());
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      assertThat(read).hasSize(28);
      // opened again (a handler's second attempt), a message is read afresh
      try (InputStream again = connector.openMime(planned.get(0).id())) {
        assertThat(again.readAllBytes()).isNotEmpty();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    // a batch's items run one after another (dependsOn), so Graph does not run those after a missing message (424):
    // each batch with a message gone is followed by one more for the rest
    assertThat(requests("/$batch")).as("two batches for thirty messages, one more for each gone").isEqualTo(4);
    assertThat(requests("/$value")).as("the two messages gone, and the one read again, each on its own")
        .isEqualTo(3);
  }
}
