package org.o365mail.imap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.FolderRef;
import org.o365mail.MailboxException;
import org.o365mail.MessageSummary;
import org.o365mail.SyncBatch;
import org.o365mail.SyncState;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.RecordedCommand;
import org.o365mail.testkit.TestMessages;
import org.o365mail.testsupport.LeakCheck;

/**
 * Connectors sharing an {@link ExchangeSessions} keep at most its {@code maxOpenConnections} IMAP connections open at
 * the local tenant at once: the least recently used idle one is logged out and reopened on its next use, without a
 * message lost or handed out twice, and a connection still streaming a body is never taken.
 */
@Timeout(120)
@ExtendWith({FreshLogs.class, LeakCheck.class})
class ImapOpenConnectionsTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static Exchange contoso;
  static CredentialStrategy credential;

  @BeforeAll
  static void tenant() {
    contoso = new Exchange(M365.tenant(), "contoso.com");
    credential = contoso.appOnly();
  }

  @AfterAll
  static void closeTenant() {
    contoso.close();
  }

  private static ImapMailboxConnector.Builder connector(Mailbox mailbox, ExchangeSessions sessions) {
    return contoso.connector(mailbox, credential).sessions(sessions);
  }

  /** The IMAP sessions of these mailboxes, by id, in the order the tenant saw their commands. */
  private static List<RecordedCommand> commandsOf(List<Mailbox> mailboxes) {
    Set<String> addresses = new HashSet<>();
    mailboxes.forEach(m -> addresses.add(m.address().toLowerCase()));
    List<RecordedCommand> all = M365.tenant().imapCommands();
    Set<Long> sessions = new HashSet<>();
    all.stream().filter(c -> addresses.contains(c.user().toLowerCase())).forEach(c -> sessions.add(c.session()));
    return all.stream().filter(c -> sessions.contains(c.session())).toList();
  }

  /** The most sessions open at once: from a session's first command to its LOGOUT. */
  private static int mostOpenAtOnce(List<RecordedCommand> commands) {
    Set<Long> open = new HashSet<>();
    Set<Long> ended = new HashSet<>();
    int most = 0;
    for (RecordedCommand c : commands) {
      if (c.name().equalsIgnoreCase("LOGOUT")) {
        open.remove(c.session());
        ended.add(c.session());
      } else if (!ended.contains(c.session())) {
        open.add(c.session());
      }
      most = Math.max(most, open.size());
    }
    return most;
  }

  private static long sessionsOf(Mailbox mailbox) {
    return M365.tenant().imapCommands().stream().filter(c -> c.user().equalsIgnoreCase(mailbox.address()))
        .map(RecordedCommand::session).distinct().count();
  }

  private static List<String> logoutsInOrder(List<Mailbox> mailboxes) {
    Map<Long, String> userOf = new LinkedHashMap<>();
    List<RecordedCommand> commands = commandsOf(mailboxes);
    commands.stream().filter(c -> !c.user().isEmpty()).forEach(c -> userOf.putIfAbsent(c.session(), c.user()));
    return commands.stream().filter(c -> c.name().equalsIgnoreCase("LOGOUT")).map(c -> userOf.get(c.session()))
        .toList();
  }

  private static String read(ImapMailboxConnector c, MessageSummary m) throws Exception {
    try (InputStream in = c.openMime(m.id())) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void fourConnectorsUnderACapOfTwo_neverOpenMoreThanTwo_andReadEveryMessageOnce_acrossReconnects()
      throws Exception {
    ExchangeSessions shared = ExchangeSessions.builder().maxOpenConnections(2).build();
    List<Mailbox> mailboxes = new ArrayList<>();
    List<ImapMailboxConnector> connectors = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Mailbox m = contoso.mailbox("capped");
      Exchange.fill(m, 5, "Message");
      mailboxes.add(m);
      connectors.add(connector(m, shared).build());
    }
    try {
      List<SyncState> states = new ArrayList<>(List.of(SyncState.BEGINNING, SyncState.BEGINNING,
          SyncState.BEGINNING, SyncState.BEGINNING));
      List<List<String>> subjects = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(),
          new ArrayList<>());
      for (int round = 0; round < 5; round++) {
        for (int i = 0; i < 4; i++) {
          SyncBatch batch = connectors.get(i).sync(FolderRef.INBOX, states.get(i), 2);
          for (MessageSummary m : batch.messages()) {
            assertThat(read(connectors.get(i), m)).contains("Body " + m.subject().substring("Message ".length()));
            subjects.get(i).add(m.subject());
          }
          states.set(i, batch.next());
          assertThat(M365.tenant().mailboxAccess().active().keySet().stream()
              .filter(a -> mailboxes.stream().anyMatch(m -> m.address().equalsIgnoreCase(a))).count())
              .as("sessions open after each sync").isLessThanOrEqualTo(2);
        }
      }

      for (List<String> s : subjects) {
        assertThat(s).as("every message once, in order, across the reconnects")
            .containsExactly("Message 0", "Message 1", "Message 2", "Message 3", "Message 4");
      }
      assertThat(mostOpenAtOnce(commandsOf(mailboxes))).isEqualTo(2);
      for (Mailbox m : mailboxes) {
        assertThat(sessionsOf(m)).as("logged out by the cap and reopened").isGreaterThan(1);
      }
    } finally {
      connectors.forEach(ImapMailboxConnector::close);
    }
    assertThat(shared.toString()).contains("0 of at most 2 IMAP connection(s) open");
  }

  @Test
  void pastTheCap_theLeastRecentlyUsedIdleConnectionIsLoggedOut() {
    ExchangeSessions shared = ExchangeSessions.builder().maxOpenConnections(2).build();
    Mailbox a = contoso.mailbox("lru-a");
    Mailbox b = contoso.mailbox("lru-b");
    Mailbox c = contoso.mailbox("lru-c");
    List<Mailbox> all = List.of(a, b, c);
    try (ImapMailboxConnector ca = connector(a, shared).build();
        ImapMailboxConnector cb = connector(b, shared).build();
        ImapMailboxConnector cc = connector(c, shared).build()) {
      ca.folder(FolderRef.INBOX);
      cb.folder(FolderRef.INBOX);
      ca.folder(FolderRef.INBOX); // a is now the more recently used
      assertThat(logoutsInOrder(all)).isEmpty();

      cc.folder(FolderRef.INBOX);

      assertThat(logoutsInOrder(all)).containsExactly(b.address());
      ca.folder(FolderRef.INBOX); // still open: no new login
      assertThat(sessionsOf(a)).isEqualTo(1);
      cb.folder(FolderRef.INBOX); // reopened, taking the place of c, now the least recently used

      assertThat(logoutsInOrder(all)).containsExactly(b.address(), c.address());
      assertThat(sessionsOf(b)).isEqualTo(2);
      assertThat(mostOpenAtOnce(commandsOf(all))).isEqualTo(2);
    }
  }

  @Test
  void aConnectorLoggedOutByTheCap_goesOnAfterARenumbering_withNothingLostOrRepeated() throws Exception {
    ExchangeSessions shared = ExchangeSessions.builder().maxOpenConnections(1).build();
    Mailbox renumbered = contoso.mailbox("renumbered");
    Mailbox other = contoso.mailbox("other");
    Exchange.fill(renumbered, 4, "Message");
    try (ImapMailboxConnector c = connector(renumbered, shared).build();
        ImapMailboxConnector o = connector(other, shared).build()) {
      SyncBatch first = c.sync(FolderRef.INBOX, SyncState.BEGINNING, 2);
      assertThat(first.messages()).extracting(MessageSummary::subject).containsExactly("Message 0", "Message 1");
      o.folder(FolderRef.INBOX); // takes the only place: c's connection is logged out
      long before = renumbered.uidValidity("Inbox");
      assertThat(renumbered.resetUidValidity("Inbox")).isNotEqualTo(before);

      // the batch in hand is read on a new connection, found again in the new numbering
      List<String> read = new ArrayList<>();
      for (MessageSummary m : first.messages()) {
        read.add(read(c, m));
      }
      SyncBatch rest = c.sync(FolderRef.INBOX, first.next(), 10);

      assertThat(read).satisfiesExactly(x -> assertThat(x).contains("Body 0"), x -> assertThat(x).contains("Body 1"));
      assertThat(rest.resynced()).isTrue();
      assertThat(rest.messages()).extracting(MessageSummary::subject).containsExactly("Message 2", "Message 3");
      assertThat(sessionsOf(renumbered)).isEqualTo(2);
      assertThat(mostOpenAtOnce(commandsOf(List.of(renumbered, other)))).isEqualTo(1);
    }
  }

  @Test
  void aBodyStreamBeingRead_keepsItsConnection_whileAnotherConnectorWaitsForThePlace() throws Exception {
    ExchangeSessions shared = ExchangeSessions.builder().maxOpenConnections(1).build();
    Mailbox large = contoso.mailbox("large");
    Mailbox other = contoso.mailbox("waiting");
    String body = ("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\r\n").repeat(30_000);
    large.deliver(TestMessages.text("sender@fabrikam.com", large.address(), "Large", body));
    try (ImapMailboxConnector c = connector(large, shared).readAhead(0).build();
        ImapMailboxConnector o = connector(other, shared).timeout(Duration.ofSeconds(1)).build()) {
      MessageSummary m = c.sync(FolderRef.INBOX, SyncState.BEGINNING, 1).messages().get(0);
      try (InputStream in = c.openMime(m.id())) {
        byte[] head = in.readNBytes(1024);
        assertThat(head).hasSize(1024);

        assertThatThrownBy(() -> o.folder(FolderRef.INBOX)).isInstanceOf(MailboxException.class)
            .hasMessageContaining("maxOpenConnections");

        String rest = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        assertThat(rest).endsWith(body.substring(body.length() - 200));
      }
      assertThat(sessionsOf(large)).as("the stream was read on its one connection").isEqualTo(1);
      o.folder(FolderRef.INBOX); // the stream is closed: the place is taken from c

      assertThat(logoutsInOrder(List.of(large, other))).containsExactly(large.address());
      assertThat(mostOpenAtOnce(commandsOf(List.of(large, other)))).isEqualTo(1);
    }
  }

  @Test
  void aStreamedFetchInProgress_keepsItsConnection() throws Exception {
    ExchangeSessions shared = ExchangeSessions.builder().maxOpenConnections(1).build();
    Mailbox batch = contoso.mailbox("batch");
    Mailbox other = contoso.mailbox("waiting");
    Exchange.fill(batch, 3, "Message");
    try (ImapMailboxConnector c = connector(batch, shared).build();
        ImapMailboxConnector o = connector(other, shared).timeout(Duration.ofSeconds(1)).build()) {
      List<MessageSummary> messages = c.sync(FolderRef.INBOX, SyncState.BEGINNING, 3).messages();
      assertThat(read(c, messages.get(0))).contains("Body 0"); // one FETCH of all three, left running

      assertThatThrownBy(() -> o.folder(FolderRef.INBOX)).isInstanceOf(MailboxException.class)
          .hasMessageContaining("maxOpenConnections");

      assertThat(read(c, messages.get(1))).contains("Body 1");
      assertThat(read(c, messages.get(2))).contains("Body 2");
      o.folder(FolderRef.INBOX); // every message taken: the connection is idle again
      assertThat(sessionsOf(batch)).isEqualTo(1);
      assertThat(commandsOf(List.of(batch)).stream().filter(x -> x.arguments().contains("BODY.PEEK[]")))
          .as("the three bodies in one FETCH").hasSize(1);
      assertThat(mostOpenAtOnce(commandsOf(List.of(batch, other)))).isEqualTo(1);
    }
  }
}
