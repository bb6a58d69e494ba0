package org.o365mail.imap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.AfterAll;
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
import org.o365mail.SyncBatch;
import org.o365mail.SyncState;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.imap.internal.ImapIds;
import org.o365mail.testsupport.CapturingLoggerProvider;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testsupport.Tenants;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.StoredMail;

/**
 * Imports the way products run them, for hours: sync batches, each message's MIME read, the checkpoint kept, while
 * tokens expire every 20 seconds, connections drop every ~300 FETCH answers, and Exchange renumbers the folder.
 * Every message must be handed out exactly once.
 */
@Timeout(120)
@ExtendWith({FreshLogs.class, LeakCheck.class})
class LongImportTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();
  private static final int MESSAGES = 2_000;
  private static final int BATCH = 100;

  static LocalTenant m365;
  static Exchange contoso;
  /** 2,000 messages every import test reads (reading never changes them: BODY.PEEK). */
  static Mailbox archive;
  static Set<String> archiveIds;

  @BeforeAll
  static void tenant() {
    m365 = M365.tenant();
    contoso = new Exchange(m365, "contoso.com");
    archive = contoso.mailbox("archive");
    Exchange.fill(archive, MESSAGES, "Archived");
    archiveIds = messageIds(archive);
  }

  @AfterAll
  static void close() {
    contoso.close();
  }

  private static Set<String> messageIds(Mailbox mailbox) {
    Set<String> ids = new HashSet<>();
    for (StoredMail m : mailbox.messages("Inbox")) {
      ids.add(m.internetMessageId());
    }
    return ids;
  }

  /** What an import handed out, in order. */
  record Imported(List<String> messageIds, int resyncedBatches, SyncState checkpoint) {}

  /**
   * Syncs from {@code from} until nothing is left, reading every message's MIME and checking it is the message the
   * summary describes; {@code afterBatch} runs after each batch (with its number).
   */
  static Imported importAll(ImapMailboxConnector c, SyncState from, IntConsumer afterBatch) {
    List<String> ids = new ArrayList<>();
    SyncState state = from;
    int resynced = 0;
    int batches = 0;
    SyncBatch batch;
    do {
      batch = c.sync(FolderRef.INBOX, state, BATCH);
      for (MessageSummary m : batch.messages()) {
        byte[] mime = read(c, m.id());
        assertThat((long) mime.length).as("size of %s", m.id()).isEqualTo(m.size().orElseThrow());
        assertThat(new String(mime, 0, Math.min(mime.length, 200), StandardCharsets.UTF_8))
            .startsWith("Message-ID: " + m.internetMessageId().orElseThrow());
        ids.add(m.internetMessageId().orElseThrow());
      }
      if (batch.resynced()) {
        resynced++;
      }
      state = batch.next();
      afterBatch.accept(++batches);
    } while (batch.hasMore() && batches < 1_000);
    return new Imported(ids, resynced, state);
  }

  static byte[] read(ImapMailboxConnector c, MessageId id) {
    try (InputStream in = c.openMime(id)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static CredentialStrategy appOnlyOnTheTenantClock() {
    return contoso.keep(CredentialStrategy.clientCredentials(Tenants.app(m365, contoso.tenant, contoso.daemon))
        .secret(ClientSecret.of(contoso.daemonSecret.value()))
        .clock(m365.clock())
        .build());
  }

  private static long logins(Mailbox mailbox) {
    return m365.requests("imap").stream()
        .filter(r -> r.path().equalsIgnoreCase(mailbox.address()) && r.attribute("outcome").equals("OK")).count();
  }

  private static long logLines(String... words) {
    return CapturingLoggerProvider.count(words);
  }

  @Test
  void tokensLasting20Seconds_areRenewedBeforeTheyExpire_andEveryMessageIsHandedOutOnce() {
    m365.faults().accessTokenLifetime(Duration.ofSeconds(20));
    CredentialStrategy credential = appOnlyOnTheTenantClock();
    long loginsBefore = logins(archive);
    long expiredBefore = logLines("imap " + archive.address(), "access token expired");
    long reloginsBefore = logLines("imap " + archive.address(), "logging in again on a new connection");
    try (ImapMailboxConnector c = contoso.connector(archive, credential).clock(m365.clock()).logPii(true).build()) {
      // four seconds of the tenant's time pass per batch: 80 s for the import, four token lifetimes
      Imported imported = importAll(c, SyncState.BEGINNING, batch -> m365.clock().advance(Duration.ofSeconds(4)));
      assertThat(imported.messageIds()).hasSize(MESSAGES).doesNotHaveDuplicates()
          .containsExactlyInAnyOrderElementsOf(archiveIds);
    }
    assertThat(logins(archive) - loginsBefore).isGreaterThanOrEqualTo(4);
    // renewed ahead of exp: Exchange never had to end the session
    assertThat(logLines("imap " + archive.address(), "access token expired") - expiredBefore).isZero();
    assertThat(logLines("imap " + archive.address(), "logging in again on a new connection") - reloginsBefore)
        .isGreaterThanOrEqualTo(3);
  }

  @Test
  void sessionsEndedWithAccessTokenExpired_resumeWhereTheyWere() {
    m365.faults().accessTokenLifetime(Duration.ofSeconds(20));
    CredentialStrategy credential = contoso.appOnly();
    try (ImapMailboxConnector c = contoso.connector(archive, credential).logPii(true).build()) {
      // the connector's clock does not see the tenant's time pass: Exchange ends the session with BYE
      long expiredBefore = logLines("imap " + archive.address(), "access token expired");
      Imported imported = importAll(c, SyncState.BEGINNING, batch -> {
        if (batch % 5 == 0) {
          m365.clock().advance(Duration.ofSeconds(25));
        }
      });
      assertThat(imported.messageIds()).hasSize(MESSAGES).doesNotHaveDuplicates()
          .containsExactlyInAnyOrderElementsOf(archiveIds);
      assertThat(logLines("imap " + archive.address(), "access token expired") - expiredBefore)
          .isGreaterThanOrEqualTo(3);
    }
  }

  @Test
  void connectionsDroppedEvery300Fetches_loseAndRepeatNothing() {
    m365.faults().imapDropAfterFetches(300);
    long loginsBefore = logins(archive);
    try (ImapMailboxConnector c = contoso.connector(archive, contoso.appOnly()).build()) {
      Imported imported = importAll(c, SyncState.BEGINNING, batch -> { });
      assertThat(imported.messageIds()).hasSize(MESSAGES).doesNotHaveDuplicates()
          .containsExactlyInAnyOrderElementsOf(archiveIds);
    }
    // 2,000 summaries and 2,000 bodies are about 4,000 FETCH answers: a dozen connections
    assertThat(logins(archive) - loginsBefore).isGreaterThanOrEqualTo(8);
  }

  @Test
  void uidValidityChangeMidImport_isReBaselinedByMessageId_andNothingIsImportedTwice() {
    Mailbox mailbox = contoso.mailbox("renumbered");
    Exchange.fill(mailbox, 500, "Before");
    long oldValidity = mailbox.uidValidity("Inbox");
    try (ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly()).build()) {
      List<String> seen = new ArrayList<>();
      SyncState state = SyncState.BEGINNING;
      MessageId early = null;
      for (int i = 0; i < 2; i++) {
        SyncBatch b = c.sync(FolderRef.INBOX, state, BATCH);
        b.messages().forEach(m -> seen.add(m.internetMessageId().orElseThrow()));
        early = b.messages().get(0).id();
        state = b.next();
      }
      assertThat(mailbox.resetUidValidity("Inbox")).isNotEqualTo(oldValidity);
      Exchange.fill(mailbox, 3, "After");

      SyncBatch first = c.sync(FolderRef.INBOX, state, BATCH);
      assertThat(first.resynced()).isTrue();
      assertThat(first.messages()).first().extracting(MessageSummary::subject).isEqualTo("Before 200");
      first.messages().forEach(m -> seen.add(m.internetMessageId().orElseThrow()));
      Imported rest = importAll(c, first.next(), batch -> { });
      seen.addAll(rest.messageIds());
      assertThat(rest.resyncedBatches()).isZero();
      assertThat(seen).hasSize(503).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(messageIds(mailbox));

      MessageId stale = early;
      // a connector that never handed the id out cannot tell which message it named
      try (ImapMailboxConnector other = contoso.connector(mailbox, contoso.appOnly()).build()) {
        assertThatThrownBy(() -> other.message(stale)).isInstanceOf(MessageNotFoundException.class)
            .hasMessageContaining("UIDVALIDITY " + oldValidity).hasMessageContaining("renumbered");
        assertThatThrownBy(() -> other.openMime(stale)).isInstanceOf(MessageNotFoundException.class);
      }
      // the one that did finds it again by its Message-ID
      assertThat(c.message(stale).subject()).isEqualTo("Before 100");
    }
  }

  @Test
  void idsHandedOutBeforeARenumbering_stillNameTheirMessages() {
    Mailbox mailbox = contoso.mailbox("renumbered-ids");
    Exchange.fill(mailbox, 40, "Held");
    try (ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly()).build()) {
      List<MessageSummary> batch = c.sync(FolderRef.INBOX, SyncState.BEGINNING, 40).messages();
      long oldValidity = mailbox.uidValidity("Inbox");
      assertThat(mailbox.resetUidValidity("Inbox")).isNotEqualTo(oldValidity);

      // what an importer does with the batch in hand: read each message, then act on them
      for (MessageSummary m : batch.subList(0, 3)) {
        byte[] mime = read(c, m.id());
        assertThat(new String(mime, 0, 200, StandardCharsets.UTF_8))
            .startsWith("Message-ID: " + m.internetMessageId().orElseThrow());
      }
      MessageSummary again = c.message(batch.get(3).id());
      assertThat(again.internetMessageId()).isEqualTo(batch.get(3).internetMessageId());
      assertThat(ImapIds.parse(again.id()).uidValidity()).isNotEqualTo(oldValidity);
      assertThat(c.listAttachments(batch.get(4).id())).isEmpty();
      c.markRead(batch.subList(0, 20).stream().map(MessageSummary::id).toList(), true);
      assertThat(c.move(batch.subList(20, 22).stream().map(MessageSummary::id).toList(), FolderRef.path("Archive")))
          .hasSize(2);
      c.delete(batch.get(22).id(), DeleteMode.PERMANENT);
      c.delete(batch.get(23).id(), DeleteMode.MOVE_TO_DELETED_ITEMS);

      List<StoredMail> inbox = mailbox.messages("Inbox");
      assertThat(inbox).hasSize(36);
      assertThat(inbox).filteredOn(StoredMail::seen).extracting(StoredMail::subject)
          .containsExactlyInAnyOrderElementsOf(batch.subList(0, 20).stream().map(MessageSummary::subject).toList());
      assertThat(mailbox.messages("Archive")).extracting(StoredMail::subject).containsExactly("Held 20", "Held 21");
      assertThat(mailbox.messages("Deleted Items")).extracting(StoredMail::subject).containsExactly("Held 23");
      assertThat(inbox).extracting(StoredMail::subject).doesNotContain("Held 22");
    }
  }

  @Test
  void uidValidityChange_afterTheLastHandedOutMessageWasDeleted_fallsBackToItsDate() {
    Mailbox mailbox = contoso.mailbox("renumbered-deleted");
    Exchange.fill(mailbox, 30, "Dated");
    try (ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly()).build()) {
      SyncBatch first = c.sync(FolderRef.INBOX, SyncState.BEGINNING, 10);
      List<String> seen =
          new ArrayList<>(first.messages().stream().map(m -> m.internetMessageId().orElseThrow()).toList());
      c.delete(first.messages().get(9).id(), DeleteMode.PERMANENT);
      mailbox.resetUidValidity("Inbox");

      SyncBatch next = c.sync(FolderRef.INBOX, first.next(), 100);
      assertThat(next.resynced()).isTrue();
      assertThat(next.messages()).extracting(MessageSummary::subject).first().isEqualTo("Dated 10");
      next.messages().forEach(m -> seen.add(m.internetMessageId().orElseThrow()));
      assertThat(seen).hasSize(30).doesNotHaveDuplicates();
    }
  }

  @Test
  void syncFromNow_survivesARenumbering_andHandsOutOnlyLaterMail() {
    Mailbox mailbox = contoso.mailbox("from-now");
    Exchange.fill(mailbox, 20, "Old");
    try (ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly()).build()) {
      SyncBatch now = c.sync(FolderRef.INBOX, SyncState.NOW, 50);
      assertThat(now.messages()).isEmpty();
      mailbox.resetUidValidity("Inbox");
      Exchange.fill(mailbox, 2, "New");
      SyncBatch later = c.sync(FolderRef.INBOX, now.next(), 50);
      assertThat(later.resynced()).isTrue();
      assertThat(later.messages()).extracting(MessageSummary::subject).containsExactly("New 0", "New 1");
    }
  }
}
