package org.o365mail.imap;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.o365mail.MessageSummary;
import org.o365mail.imap.internal.ImapIds;

/**
 * The ids handed out by the connectors sharing an {@link ExchangeSessions} are remembered in one store bounded among
 * them all, each connector's kept apart from the others' even where folder, UIDVALIDITY and UID are the same.
 */
class KnownMessageIdsTest {
  private static MessageSummary summary(long uid, String messageId) {
    return MessageSummary.of(ImapIds.of("INBOX", 7, uid), "INBOX", messageId, null, List.of(), "s", Instant.EPOCH,
        10, false, false);
  }

  private static ImapIds.Ref ref(long uid) {
    return new ImapIds.Ref("INBOX", 7, uid);
  }

  @Test
  void twoConnectorsWithTheSameUids_keepTheirOwnMessageIds() {
    KnownMessageIds.Shared shared = new KnownMessageIds.Shared(10);
    KnownMessageIds a = new KnownMessageIds(shared);
    KnownMessageIds b = new KnownMessageIds(shared);

    a.remember(List.of(summary(1, "<a1@contoso.com>")));
    b.remember(List.of(summary(1, "<b1@contoso.com>")));

    assertThat(a.messageId(ref(1))).contains("<a1@contoso.com>");
    assertThat(b.messageId(ref(1))).contains("<b1@contoso.com>");
    a.foundAgain(ref(1), new ImapIds.Ref("INBOX", 8, 3));
    assertThat(b.foundAgain(ref(1))).isEmpty();
  }

  @Test
  void theBoundIsSharedByAllConnectors_theOldestEntryOfAnyForgottenFirst() {
    KnownMessageIds.Shared shared = new KnownMessageIds.Shared(3);
    KnownMessageIds a = new KnownMessageIds(shared);
    KnownMessageIds b = new KnownMessageIds(shared);

    a.remember(List.of(summary(1, "<a1@contoso.com>"), summary(2, "<a2@contoso.com>")));
    b.remember(List.of(summary(1, "<b1@contoso.com>"), summary(2, "<b2@contoso.com>")));

    assertThat(shared.size()).isEqualTo(3);
    assertThat(a.messageId(ref(1))).isEmpty();
    assertThat(a.messageId(ref(2))).contains("<a2@contoso.com>");
    assertThat(b.messageId(ref(1))).contains("<b1@contoso.com>");
    assertThat(b.messageId(ref(2))).contains("<b2@contoso.com>");
  }

  @Test
  void sharedSessions_rememberAHundredThousandIds_andKeepAThousandConnectionsOpen_byDefault() {
    assertThat(ExchangeSessions.builder().build().maxKnownMessageIds()).isEqualTo(100_000);
    assertThat(ExchangeSessions.builder().build().maxOpenConnections()).isEqualTo(1_000);
  }
}
