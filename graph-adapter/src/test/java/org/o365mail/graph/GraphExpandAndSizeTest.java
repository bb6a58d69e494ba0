package org.o365mail.graph;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.FolderRef;
import org.o365mail.ListOptions;
import org.o365mail.MessageId;
import org.o365mail.MessageSummary;
import org.o365mail.SyncBatch;
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
 * Graph may refuse the {@code $expand} that asks for the message size (on delta, or on listings in a national
 * cloud), and may leave the size out of a message. The connector then goes without it, asks no more on that
 * connector, and reads messages of unknown size in batches like any other: no request per message.
 */
@Timeout(60)
@ExtendWith(LeakCheck.class)
class GraphExpandAndSizeTest {
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

  static Mailbox fill(String address, int count) {
    Mailbox box = contoso.addSharedMailbox(address);
    for (int i = 0; i < count; i++) {
      box.deliver(TestMessages.text("sender@fabrikam.com", box.address(), "Doc " + i, "Body " + i));
    }
    return box;
  }

  static long failed(String pathPart) {
    return m365.requests("graph").stream().filter(r -> r.status() >= 400 && r.path().contains(pathPart)).count();
  }

  static long singleMimeReads() {
    return m365.requests("graph").stream()
        .filter(r -> !r.attribute("batchItem").equals("true") && r.path().endsWith("/$value")).count();
  }

  static long batchedMimeReads() {
    return m365.requests("graph").stream()
        .filter(r -> r.attribute("batchItem").equals("true") && r.path().endsWith("/$value")).count();
  }

  @Test
  void deltaRefusingExpand_isSyncedWithoutIt_andNotAskedAgain() {
    Mailbox box = fill("delta-refuses@contoso.com", 30).createFolder("Other");
    m365.faults().graphRefuseExpandOnDelta(true);
    try (GraphMailboxConnector connector = GraphApps.connector(m365, credential, box.address()).build()) {
      m365.clearRequests();
      SyncBatch first = connector.sync(FolderRef.INBOX, SyncState.BEGINNING, 50);
      assertThat(first.messages()).hasSize(30).allSatisfy(m -> {
        assertThat(m.size()).as("size unknown").isEmpty();
        assertThat(m.subject()).startsWith("Doc ");
        assertThat(m.from().orElseThrow().address()).isEqualTo("sender@fabrikam.com");
      });
      assertThat(first.messages().stream().map(MessageSummary::subject).distinct()).hasSize(30);
      // the messages, of unknown size, are read twenty to a batch
      for (MessageSummary m : first.messages()) {
        try (InputStream in = connector.openMime(m.id())) {
          assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).contains("Subject: " + m.subject());
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }
      assertThat(singleMimeReads()).isZero();
      assertThat(batchedMimeReads()).isEqualTo(30);
      // a second round from the beginning, and one on another folder, ask without $expand straight away
      assertThat(connector.sync(FolderRef.INBOX, SyncState.BEGINNING, 50).messages()).hasSize(30);
      connector.sync(FolderRef.path("Other"), SyncState.BEGINNING, 50);
      assertThat(failed("/delta")).as("one refused request, not retried, not repeated").isEqualTo(1);
    }
  }

  @Test
  void bothReportedDeltaRefusals_costOneRequestEach_perConnector() {
    Mailbox box = fill("delta-refuses-each@contoso.com", 3);
    m365.faults().graphRefuseExpandOnDelta(true);
    m365.clearRequests();
    for (int i = 0; i < 6; i++) {
      try (GraphMailboxConnector connector = GraphApps.connector(m365, credential, box.address()).build()) {
        assertThat(connector.sync(FolderRef.INBOX, SyncState.BEGINNING, 50).messages()).hasSize(3);
        assertThat(connector.sync(FolderRef.INBOX, SyncState.BEGINNING, 50).messages()).hasSize(3);
      }
    }
    List<String> refusals = m365.requests("graph").stream().filter(r -> r.status() >= 400 && r.path().contains("/delta"))
        .map(r -> r.status() + " " + r.errorCode()).toList();
    assertThat(refusals).as("a 500 is not retried as a failure would be").hasSize(6)
        .contains("500 InternalServerError", "400 BadRequest");
  }

  @Test
  void listingsRefusingExpand_areListedWithoutIt_andNotAskedAgain() {
    Mailbox box = fill("list-refuses@contoso.com", 12);
    m365.faults().graphRefuseExpandOnMessages(true);
    try (GraphMailboxConnector connector = GraphApps.connector(m365, credential, box.address()).build()) {
      m365.clearRequests();
      List<MessageSummary> listed = connector.listMessages(FolderRef.INBOX, ListOptions.defaults().pageSize(5))
          .stream().toList();
      assertThat(listed).hasSize(12).allSatisfy(m -> assertThat(m.size()).isEmpty());
      assertThat(listed.stream().map(MessageSummary::subject).distinct()).hasSize(12);
      MessageId id = listed.get(0).id();
      assertThat(connector.message(id).subject()).isEqualTo(listed.get(0).subject());
      Map<MessageId, MessageSummary> found = connector.messages(List.of(id, listed.get(1).id()));
      assertThat(found).containsOnlyKeys(id, listed.get(1).id());
      assertThat(connector.listMessages(FolderRef.INBOX).stream().count()).isEqualTo(12);
      assertThat(failed("/messages")).as("one refused request, not repeated").isEqualTo(1);
    }
  }

  @Test
  void aRefusedLookUp_isAskedAgainWithoutExpand_inABatch() {
    Mailbox box = fill("lookup-refuses@contoso.com", 3);
    try (GraphMailboxConnector connector = GraphApps.connector(m365, credential, box.address()).build()) {
      List<MessageId> ids = connector.listMessages(FolderRef.INBOX).stream().map(MessageSummary::id).toList();
      m365.faults().graphRefuseExpandOnMessages(true);
      m365.clearRequests();
      assertThat(connector.messages(ids)).containsOnlyKeys(ids);
      assertThat(connector.messages(ids)).containsOnlyKeys(ids);
      assertThat(failed("/messages/")).as("three refused items, then none").isEqualTo(3);
    }
  }

  @Test
  void missingSizes_costNoRequestPerMessage_inAnImporter_orInForEachMime() throws Exception {
    Mailbox box = fill("no-size@contoso.com", 45);
    m365.faults().graphOmitSizeRate(1);
    List<String> read = Collections.synchronizedList(new ArrayList<>());
    try (GraphMailboxConnector connector = GraphApps.connector(m365, credential, box.address()).build();
        MailImporter importer = MailImporter.builder().connector(connector).checkpointStore(CheckpointStore.inMemory())
            .handler(m -> {
              assertThat(m.summary().size()).isEmpty();
              try (InputStream in = m.openMime()) {
                assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8))
                    .contains("Subject: " + m.summary().subject());
                read.add(m.summary().subject());
              }
            }).build()) {
      m365.clearRequests();
      assertThat(importer.runOnce().imported()).isEqualTo(45);
      assertThat(read).hasSize(45).doesNotHaveDuplicates();
      assertThat(singleMimeReads()).as("no request per message").isZero();
      assertThat(batchedMimeReads()).isEqualTo(45);

      m365.clearRequests();
      Map<String, Integer> lengths = new ConcurrentHashMap<>();
      connector.forEachMime(connector.listMessages(FolderRef.INBOX, ListOptions.defaults().pageSize(100)),
          (summary, in) -> lengths.put(summary.id().value(), in.readAllBytes().length));
      assertThat(lengths).hasSize(45);
      assertThat(singleMimeReads()).isZero();
    }
  }

  @Test
  void aMessageOfUnknownSizeTooBigForABatch_isReadOnItsOwn() {
    Mailbox box = fill("no-size-big@contoso.com", 3);
    box.deliver(TestMessages.ofSize("sender@fabrikam.com", box.address(), "Big", 2 * 1024 * 1024));
    m365.faults().graphOmitSizeRate(1);
    try (GraphMailboxConnector connector = GraphApps.connector(m365, credential, box.address()).build()) {
      Map<String, Integer> lengths = new ConcurrentHashMap<>();
      m365.clearRequests();
      connector.forEachMime(connector.listMessages(FolderRef.INBOX), (summary, in) ->
          lengths.put(summary.subject(), in.readAllBytes().length));
      assertThat(lengths).hasSize(4);
      assertThat(lengths.get("Big")).isGreaterThan(2_000_000);
      assertThat(singleMimeReads()).as("the batch held a body too big: its four read on their own").isEqualTo(4);
    }
  }

  /** Twenty bodies under the per-item limit make a {@code $batch} answer past the 16 MiB cap: read one by one. */
  @Test
  void messagesOfUnknownSizeTogetherPastTheAnswerCap_areReadOnTheirOwn() {
    Mailbox box = fill("no-size-many@contoso.com", 0);
    for (int i = 0; i < 20; i++) {
      box.deliver(TestMessages.ofSize("sender@fabrikam.com", box.address(), "Part " + i, 1_200_000));
    }
    m365.faults().graphOmitSizeRate(1);
    try (GraphMailboxConnector connector = GraphApps.connector(m365, credential, box.address()).build()) {
      Map<String, Integer> lengths = new ConcurrentHashMap<>();
      m365.clearRequests();
      connector.forEachMime(connector.listMessages(FolderRef.INBOX), (summary, in) ->
          lengths.put(summary.subject(), in.readAllBytes().length));
      assertThat(lengths).hasSize(20);
      assertThat(lengths.values()).allSatisfy(n -> assertThat(n).isGreaterThan(1_100_000));
      assertThat(singleMimeReads()).as("the batch's answer passed the cap: its twenty read on their own")
          .isEqualTo(20);
    }
  }
}
