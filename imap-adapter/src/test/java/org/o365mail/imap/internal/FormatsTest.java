package org.o365mail.imap.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.o365mail.MessageId;
import org.o365mail.SyncState;

/** The stored formats (message ids, sync checkpoints) and the small parsers, without a server. */
@Timeout(10)
class FormatsTest {
  @Test
  void messageIds_carryFolderUidValidityAndUid_andFolderPathsMayHoldColons() {
    MessageId id = ImapIds.of("Inbox/Q1: invoices", 1712345678L, 4711L);
    assertThat(id.value()).isEqualTo("imap:1712345678:4711:Inbox/Q1: invoices");
    ImapIds.Ref ref = ImapIds.parse(id);
    assertThat(ref.path()).isEqualTo("Inbox/Q1: invoices");
    assertThat(ref.uidValidity()).isEqualTo(1712345678L);
    assertThat(ref.uid()).isEqualTo(4711L);
    assertThatThrownBy(() -> ImapIds.parse(new MessageId("AAMkAGI2TG93AAA="))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("imap:<UIDVALIDITY>:<UID>:<folder path>");
    assertThatThrownBy(() -> ImapIds.parse(new MessageId("imap:x:1:Inbox"))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ImapIds.parse(new MessageId("imap:1:0:Inbox"))).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void syncStates_roundTrip_andBelongToOneFolder() {
    ImapSyncState state = new ImapSyncState("Inbox/Invoices", 99L, 1234L, Optional.of(Instant.ofEpochSecond(1_700_000_000L)),
        Optional.of("<a;b@contoso.com>"));
    SyncState stored = state.toSyncState();
    assertThat(stored.value()).startsWith("imap1;99;1234;1700000000;");
    assertThat(ImapSyncState.parse(stored, "inbox/invoices")).isEqualTo(
        new ImapSyncState("inbox/invoices", 99L, 1234L, state.lastReceived(), state.lastMessageId()));
    ImapSyncState bare = new ImapSyncState("Inbox", 5L, 0L, Optional.empty(), Optional.empty());
    assertThat(ImapSyncState.parse(bare.toSyncState(), "Inbox")).isEqualTo(bare);
    assertThatThrownBy(() -> ImapSyncState.parse(stored, "Inbox")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("belongs to folder 'Inbox/Invoices'");
    assertThatThrownBy(() -> ImapSyncState.parse(new SyncState("https://graph.microsoft.com/delta?token=x"), "Inbox"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void throttlingAnswers_giveTheSuggestedBackoff() {
    String text = "Request is throttled. Suggested Backoff Time: 2350 milliseconds";
    assertThat(MailboxSession.isThrottled(text)).isTrue();
    assertThat(MailboxSession.backoff(text)).isEqualTo(Duration.ofMillis(2350));
    assertThat(MailboxSession.isThrottled("AUTHENTICATE failed.")).isFalse();
    assertThat(MailboxSession.backoff("Request is throttled.")).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void mailboxesInLogs_areMaskedUnlessPiiIsAllowed() {
    assertThat(Pii.mailbox("Invoices@Contoso.com", false)).isEqualTo("I***@contoso.com");
    assertThat(Pii.mailbox("invoices@contoso.com", true)).isEqualTo("invoices@contoso.com");
  }

  @Test
  void governor_blocksOneMailbox_forTheTimeAsked() {
    AtomicLong now = new AtomicLong();
    MailboxGovernor governor = new MailboxGovernor(100, now::get);
    governor.block("Busy@contoso.com", Duration.ofSeconds(30));
    assertThat(governor.remaining("busy@contoso.com")).isEqualTo(Duration.ofSeconds(30));
    assertThat(governor.remaining("quiet@contoso.com")).isZero();
    now.addAndGet(Duration.ofSeconds(2).toNanos());
    governor.block("busy@contoso.com", Duration.ofSeconds(1));
    assertThat(governor.remaining("busy@contoso.com")).as("a shorter backoff does not shorten the wait")
        .isEqualTo(Duration.ofSeconds(28));
    now.addAndGet(Duration.ofSeconds(28).toNanos());
    assertThat(governor.remaining("busy@contoso.com")).isZero();
  }

  @Test
  void governor_remembersAtMostItsBound_forgettingTheLeastRecentlyUsed() {
    AtomicLong now = new AtomicLong();
    MailboxGovernor governor = new MailboxGovernor(2, now::get);
    governor.block("a@contoso.com", Duration.ofSeconds(30));
    governor.block("b@contoso.com", Duration.ofSeconds(30));
    governor.remaining("a@contoso.com");
    governor.block("c@contoso.com", Duration.ofSeconds(30));
    assertThat(governor.size()).isEqualTo(2);
    assertThat(governor.remaining("b@contoso.com")).as("the least recently used is forgotten").isZero();
    assertThat(governor.remaining("a@contoso.com")).isEqualTo(Duration.ofSeconds(30));
    assertThat(governor.remaining("c@contoso.com")).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void exchangeLogins_sayWhereTheAppLoggedIn_withinTheirBound() {
    ExchangeLogins logins = new ExchangeLogins(2);
    logins.succeeded("t", "app", "sp", "A@contoso.com");
    assertThat(logins.evidence("t", "app", "sp", "b@contoso.com"))
        .isEqualTo(ExchangeDiagnoses.Evidence.PRINCIPAL_WORKS_ELSEWHERE);
    assertThat(logins.evidence("t", "app", "sp", "a@contoso.com"))
        .isEqualTo(ExchangeDiagnoses.Evidence.MAILBOX_OPENED_BEFORE);
    assertThat(logins.evidence("t", "other-app", "sp", "b@contoso.com")).isEqualTo(ExchangeDiagnoses.Evidence.NONE);
    logins.succeeded("t", "app", "sp", "c@contoso.com");
    logins.succeeded("t", "app", "sp", "d@contoso.com");
    assertThat(logins.size()).isEqualTo(2);
    assertThat(logins.openedBefore("t", "app", "sp", "a@contoso.com")).as("the oldest login is forgotten").isFalse();
  }
}
