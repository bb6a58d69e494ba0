package org.o365mail.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.AttachmentInfo;
import org.o365mail.ConnectionCheck;
import org.o365mail.DeleteMode;
import org.o365mail.FolderNotFoundException;
import org.o365mail.FolderRef;
import org.o365mail.ListOptions;
import org.o365mail.MailFolder;
import org.o365mail.MailboxConnector;
import org.o365mail.MessageId;
import org.o365mail.MessageNotFoundException;
import org.o365mail.MessageSummary;
import org.o365mail.OutgoingAttachment;
import org.o365mail.OutgoingMessage;
import org.o365mail.Page;
import org.o365mail.SyncBatch;
import org.o365mail.SyncState;
import org.o365mail.WellKnownFolder;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.StoredMail;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;

/**
 * The behaviour every {@link MailboxConnector} must have, run against the local tenant. A connector's test
 * extends this class and says how to give an app access to a mailbox and how to build a connector for it.
 * Each test works in a mailbox of its own.
 */
@Timeout(120)
public abstract class MailboxConnectorContract {
  @RegisterExtension protected static final LocalTenantExtension M365 = LocalTenantExtension.create();

  private static final AtomicInteger MAILBOXES = new AtomicInteger();

  protected static LocalTenant m365;
  protected static Tenant contoso;

  @BeforeAll
  static void startTenant() {
    m365 = M365.tenant();
    contoso = m365.createTenant("contoso.com");
  }

  /** Sets up the app registration(s) the connector will use in {@code tenant} (called once per test class). */
  protected abstract void configure(LocalTenant m365, Tenant tenant);

  /** Gives the configured identity access to {@code mailbox} (FullAccess for IMAP, nothing for app-only Graph...). */
  protected abstract void grantAccess(Tenant tenant, Mailbox mailbox);

  /** A connector for {@code mailbox}. */
  protected abstract MailboxConnector connect(LocalTenant m365, Tenant tenant, Mailbox mailbox);

  /** A new user mailbox the connector's identity can reach. */
  protected Mailbox newMailbox() {
    ensureConfigured();
    Mailbox mailbox = contoso.addUser("box" + MAILBOXES.incrementAndGet() + "-" + getClass().getSimpleName().toLowerCase()
        + "@contoso.com", "Mailbox-Pw-1!").mailbox();
    grantAccess(contoso, mailbox);
    return mailbox;
  }

  private static final Set<String> CONFIGURED = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** Runs {@link #configure} once per test class and local tenant. */
  protected void ensureConfigured() {
    if (CONFIGURED.add(getClass().getName() + "@" + contoso.id())) {
      configure(m365, contoso);
    }
  }

  protected static Instant at(int minutesAgo) {
    return Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(Duration.ofMinutes(minutesAgo));
  }

  protected static StoredMail deliver(Mailbox mailbox, String subject, int minutesAgo) {
    return mailbox.deliver("Inbox", TestMessages.text("sender@fabrikam.com", mailbox.address(), subject,
        "Body of " + subject), false, at(minutesAgo));
  }

  static byte[] read(InputStream in) {
    try (in) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  // ----------------------------------------------------------------------------------------------

  @Test
  void folders_wellKnownOnesExist_andChildrenAreListed() {
    Mailbox mailbox = newMailbox();
    mailbox.createFolder("Inbox/Invoices").createFolder("Inbox/Invoices/2026");
    try (MailboxConnector c = connect(m365, contoso, mailbox)) {
      List<MailFolder> top = c.listFolders();
      Set<String> names = top.stream().map(MailFolder::displayName).collect(Collectors.toSet());
      assertThat(names).contains("Inbox", "Sent Items", "Deleted Items", "Drafts");
      MailFolder inbox = top.stream().filter(f -> f.displayName().equals("Inbox")).findFirst().orElseThrow();
      assertThat(inbox.wellKnown()).contains(WellKnownFolder.INBOX);
      MailFolder invoices = inbox.children().stream().filter(f -> f.displayName().equals("Invoices")).findFirst().orElseThrow();
      assertThat(invoices.path()).isEqualTo("Inbox/Invoices");
      assertThat(invoices.children()).extracting(MailFolder::path).containsExactly("Inbox/Invoices/2026");

      assertThat(c.folder(FolderRef.INBOX).path()).isEqualTo("Inbox");
      assertThat(c.folder(FolderRef.path("sentitems")).wellKnown()).contains(WellKnownFolder.SENT_ITEMS);
      assertThat(c.folder(FolderRef.path("Inbox/Invoices/2026")).displayName()).isEqualTo("2026");
      assertThat(c.folder(c.folder(FolderRef.path("Inbox/Invoices")).ref()).path()).isEqualTo("Inbox/Invoices");
      assertThatThrownBy(() -> c.folder(FolderRef.path("Inbox/Nope")))
          .isInstanceOf(FolderNotFoundException.class).hasMessageContaining("Inbox/Nope");

      MailFolder created = c.createFolder(FolderRef.path("Inbox/Processed"));
      assertThat(created.path()).isEqualTo("Inbox/Processed");
      assertThat(mailbox.hasFolder("Inbox/Processed")).isTrue();
      assertThat(c.createFolder(FolderRef.path("Inbox/Processed")).path()).isEqualTo("Inbox/Processed");
    }
  }

  @Test
  void listMessages_pagesLazily_newestFirst_andFilters() {
    Mailbox mailbox = newMailbox();
    Instant since = null;
    for (int i = 0; i < 25; i++) {
      StoredMail m = deliver(mailbox, "Message " + i, 100 - i);
      if (i == 20) {
        since = m.receivedDateTime();
      }
    }
    mailbox.deliver("Inbox", TestMessages.text("a@fabrikam.com", mailbox.address(), "Already read", "x"), true, at(1));
    try (MailboxConnector c = connect(m365, contoso, mailbox)) {
      List<Page<MessageSummary>> pages = new ArrayList<>();
      c.listMessages(FolderRef.INBOX, ListOptions.defaults().pageSize(10)).byPage().forEach(pages::add);
      assertThat(pages).hasSize(3);
      assertThat(pages.get(0).items()).hasSize(10);
      assertThat(pages.get(2).continuationToken()).isEmpty();
      List<MessageSummary> all = c.listMessages(FolderRef.INBOX, ListOptions.defaults().pageSize(10)).stream().toList();
      assertThat(all).hasSize(26);
      assertThat(all.get(0).subject()).isEqualTo("Already read");
      assertThat(all.get(1).subject()).isEqualTo("Message 24");
      assertThat(all).isSortedAccordingTo((a, b) -> b.receivedAt().compareTo(a.receivedAt()));

      List<MessageSummary> oldest = c.listMessages(FolderRef.INBOX, ListOptions.defaults().oldestFirst().pageSize(7))
          .stream().limit(3).toList();
      assertThat(oldest).extracting(MessageSummary::subject).containsExactly("Message 0", "Message 1", "Message 2");

      assertThat(c.listMessages(FolderRef.INBOX, ListOptions.defaults().unreadOnly(true)).stream().count())
          .isEqualTo(25);
      assertThat(c.listMessages(FolderRef.INBOX, ListOptions.defaults().receivedSince(since)).stream()
          .map(MessageSummary::subject).toList()).hasSize(6).contains("Already read", "Message 20", "Message 24");
    }
  }

  @Test
  void summary_hasTheHeadersAProductNeeds() {
    Mailbox mailbox = newMailbox();
    String messageId = TestMessages.newMessageId();
    byte[] rfc822 = TestMessages.text("Sender Name <sender@fabrikam.com>", mailbox.address(), "Invoice 4711",
        "Please pay.", messageId);
    StoredMail stored = mailbox.deliver("Inbox", rfc822, false, at(5));
    try (MailboxConnector c = connect(m365, contoso, mailbox)) {
      MessageSummary s = c.listMessages(FolderRef.INBOX).stream().findFirst().orElseThrow();
      assertThat(s.internetMessageId()).contains(messageId);
      assertThat(s.from().orElseThrow().address()).isEqualTo("sender@fabrikam.com");
      assertThat(s.from().orElseThrow().displayName()).contains("Sender Name");
      assertThat(s.to()).extracting(a -> a.address().toLowerCase()).containsExactly(mailbox.address());
      assertThat(s.subject()).isEqualTo("Invoice 4711");
      assertThat(s.receivedAt()).isEqualTo(stored.receivedDateTime());
      assertThat(s.read()).isFalse();
      assertThat(s.hasAttachments()).isFalse();
      assertThat(s.size().orElse(-1)).isIn(-1L, stored.size());
      assertThat(s.folder()).isEqualTo("Inbox");
      assertThat(c.message(s.id()).subject()).isEqualTo("Invoice 4711");
    }
  }

  @Test
  void mime_isStreamedByteForByte_andAttachmentsAreListedAndStreamed() {
    Mailbox mailbox = newMailbox();
    byte[] pdf = new byte[300_000];
    new java.util.Random(7).nextBytes(pdf);
    StoredMail stored = mailbox.deliver("Inbox", TestMessages.withAttachment("sender@fabrikam.com", mailbox.address(),
        "With attachment", "See attached.", "invoice.pdf", "application/pdf", pdf), false, at(3));
    try (MailboxConnector c = connect(m365, contoso, mailbox)) {
      MessageSummary s = c.listMessages(FolderRef.INBOX).stream().findFirst().orElseThrow();
      assertThat(s.hasAttachments()).isTrue();
      byte[] mime = read(c.openMime(s.id()));
      assertThat(mime).isEqualTo(mailbox.mime(stored));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      assertThat(c.writeMime(s.id(), out)).isEqualTo(mime.length);
      assertThat(out.toByteArray()).isEqualTo(mime);

      List<AttachmentInfo> attachments = c.listAttachments(s.id());
      assertThat(attachments).singleElement().satisfies(a -> {
        assertThat(a.name()).isEqualTo("invoice.pdf");
        assertThat(a.contentType()).startsWith("application/pdf");
        assertThat(a.inline()).isFalse();
      });
      assertThat(read(c.openAttachment(s.id(), attachments.get(0).id()))).isEqualTo(pdf);
    }
  }

  @Test
  void markRead_move_andDelete_showInTheMailbox() {
    Mailbox mailbox = newMailbox();
    deliver(mailbox, "Read me", 10);
    deliver(mailbox, "Move me", 9);
    deliver(mailbox, "Delete me", 8);
    deliver(mailbox, "Purge me", 7);
    mailbox.createFolder("Inbox/Processed");
    try (MailboxConnector c = connect(m365, contoso, mailbox)) {
      java.util.Map<String, MessageId> ids = c.listMessages(FolderRef.INBOX).stream()
          .collect(Collectors.toMap(MessageSummary::subject, MessageSummary::id));
      c.markRead(ids.get("Read me"), true);
      assertThat(mailbox.messages("Inbox")).filteredOn(m -> m.subject().equals("Read me")).singleElement()
          .extracting(StoredMail::seen).isEqualTo(true);
      c.markRead(ids.get("Read me"), false);
      assertThat(mailbox.messages("Inbox")).filteredOn(m -> m.subject().equals("Read me")).singleElement()
          .extracting(StoredMail::seen).isEqualTo(false);

      MessageId moved = c.move(ids.get("Move me"), FolderRef.path("Inbox/Processed"));
      assertThat(mailbox.messages("Inbox/Processed")).extracting(StoredMail::subject).containsExactly("Move me");
      assertThat(mailbox.messages("Inbox")).extracting(StoredMail::subject).doesNotContain("Move me");
      assertThat(c.message(moved).subject()).isEqualTo("Move me");
      assertThat(read(c.openMime(moved))).isNotEmpty();

      c.delete(ids.get("Delete me"), DeleteMode.MOVE_TO_DELETED_ITEMS);
      assertThat(mailbox.messages("Deleted Items")).extracting(StoredMail::subject).contains("Delete me");
      c.delete(ids.get("Purge me"), DeleteMode.PERMANENT);
      assertThat(mailbox.messages("Inbox")).extracting(StoredMail::subject).containsExactly("Read me");
      assertThat(mailbox.messages("Deleted Items")).extracting(StoredMail::subject).doesNotContain("Purge me");
      assertThatThrownBy(() -> c.message(ids.get("Purge me"))).isInstanceOf(MessageNotFoundException.class);
    }
  }

  @Test
  void bulkMarkReadAndMove() {
    Mailbox mailbox = newMailbox();
    for (int i = 0; i < 30; i++) {
      deliver(mailbox, "Bulk " + i, 60 - i);
    }
    try (MailboxConnector c = connect(m365, contoso, mailbox)) {
      List<MessageId> ids = c.listMessages(FolderRef.INBOX).stream().map(MessageSummary::id).toList();
      c.markRead(ids, true);
      assertThat(mailbox.messages("Inbox")).allMatch(StoredMail::seen);
      var moved = c.move(ids.subList(0, 25), FolderRef.ARCHIVE);
      assertThat(moved).hasSize(25);
      assertThat(mailbox.count("Archive")).isEqualTo(25);
      assertThat(mailbox.count("Inbox")).isEqualTo(5);
    }
  }

  @Test
  void send_deliversWithAttachment_andKeepsACopyInSentItems() {
    Mailbox sender = newMailbox();
    Mailbox recipient = newMailbox();
    byte[] report = "report,content\n1,2\n".repeat(5_000).getBytes(StandardCharsets.UTF_8);
    try (MailboxConnector c = connect(m365, contoso, sender)) {
      c.send(OutgoingMessage.builder()
          .to(recipient.address())
          .bcc("auditor@fabrikam.com")
          .subject("Nightly report")
          .text("Attached.")
          .attach(OutgoingAttachment.bytes("report.csv", "text/csv", report))
          .build());
    }
    StoredMail received = recipient.messages("Inbox").stream().filter(m -> m.subject().equals("Nightly report"))
        .findFirst().orElseThrow();
    String mime = new String(recipient.mime(received), StandardCharsets.UTF_8);
    assertThat(mime).contains("report.csv");
    assertThat(sender.messages("Sent Items")).extracting(StoredMail::subject).contains("Nightly report");
    assertThat(m365.outboundMail()).anySatisfy(o -> {
      assertThat(o.subject()).isEqualTo("Nightly report");
      assertThat(o.recipients()).contains("auditor@fabrikam.com");
    });
    try (MailboxConnector c = connect(m365, contoso, recipient)) {
      MessageSummary s = c.listMessages(FolderRef.INBOX).stream().filter(m -> m.subject().equals("Nightly report"))
          .findFirst().orElseThrow();
      AttachmentInfo a = c.listAttachments(s.id()).stream().filter(x -> x.name().equals("report.csv")).findFirst().orElseThrow();
      assertThat(read(c.openAttachment(s.id(), a.id()))).isEqualTo(report);
    }
  }

  @Test
  void sync_fromTheBeginning_inBatches_thenOnlyNewMessages() {
    Mailbox mailbox = newMailbox();
    for (int i = 0; i < 12; i++) {
      deliver(mailbox, "Old " + i, 50 - i);
    }
    try (MailboxConnector c = connect(m365, contoso, mailbox)) {
      List<String> seen = new ArrayList<>();
      SyncState state = SyncState.BEGINNING;
      SyncBatch batch;
      int rounds = 0;
      do {
        batch = c.sync(FolderRef.INBOX, state, 5);
        batch.messages().forEach(m -> seen.add(m.subject()));
        state = batch.next();
        rounds++;
      } while (batch.hasMore() && rounds < 10);
      assertThat(seen).hasSize(12).containsExactlyInAnyOrderElementsOf(
          java.util.stream.IntStream.range(0, 12).mapToObj(i -> "Old " + i).toList());
      assertThat(c.sync(FolderRef.INBOX, state, 5).messages()).isEmpty();

      deliver(mailbox, "New A", 0);
      deliver(mailbox, "New B", 0);
      SyncBatch fresh = c.sync(FolderRef.INBOX, state, 50);
      assertThat(fresh.messages()).extracting(MessageSummary::subject).containsExactlyInAnyOrder("New A", "New B");
      assertThat(fresh.resynced()).isFalse();
      assertThat(c.sync(FolderRef.INBOX, fresh.next(), 50).messages()).isEmpty();

      SyncBatch fromNow = c.sync(FolderRef.INBOX, SyncState.NOW, 50);
      assertThat(fromNow.messages()).isEmpty();
      deliver(mailbox, "After now", 0);
      assertThat(c.sync(FolderRef.INBOX, fromNow.next(), 50).messages()).extracting(MessageSummary::subject)
          .containsExactly("After now");
    }
  }

  @Test
  void checkConnection_passes_andAMailboxWithoutAccessIsDiagnosed() {
    Mailbox mailbox = newMailbox();
    try (MailboxConnector c = connect(m365, contoso, mailbox)) {
      ConnectionCheck check = c.checkConnection();
      assertThat(check.ok()).as("%s", check).isTrue();
      assertThat(check.detail()).contains(mailbox.address());
    }
    Mailbox foreign = contoso.addSharedMailbox("noaccess" + MAILBOXES.incrementAndGet() + "@contoso.com");
    try (MailboxConnector c = connect(m365, contoso, foreign)) {
      ConnectionCheck check = c.checkConnection();
      if (!check.ok()) {
        assertThat(check.diagnosis()).isPresent();
        assertThat(check.diagnosis().orElseThrow().fix()).isNotBlank();
      }
    }
  }

  @Test
  void isThreadSafe() throws Exception {
    Mailbox mailbox = newMailbox();
    for (int i = 0; i < 20; i++) {
      deliver(mailbox, "Concurrent " + i, 30 - i);
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try (MailboxConnector c = connect(m365, contoso, mailbox)) {
      List<Future<Integer>> futures = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        futures.add(pool.submit(() -> {
          int bytes = 0;
          for (MessageSummary s : c.listMessages(FolderRef.INBOX, ListOptions.defaults().pageSize(7))) {
            bytes += read(c.openMime(s.id())).length;
          }
          return bytes;
        }));
      }
      int first = futures.get(0).get(60, TimeUnit.SECONDS);
      for (Future<Integer> f : futures) {
        assertThat(f.get(60, TimeUnit.SECONDS)).isEqualTo(first).isPositive();
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
