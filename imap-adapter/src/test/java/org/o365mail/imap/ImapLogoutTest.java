package org.o365mail.imap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.FolderRef;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.RecordedCommand;

/**
 * Closing a connector ends its IMAP session with LOGOUT (RFC 9051, 6.1.3: the client "SHOULD" say it is leaving)
 * before the socket is closed, and a server that does not answer the LOGOUT holds the close for a short bound only,
 * not for the connector's read timeout.
 */
@Timeout(60)
@ExtendWith({FreshLogs.class, LeakCheck.class})
class ImapLogoutTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static Exchange contoso;

  @BeforeAll
  static void tenant() {
    contoso = new Exchange(M365.tenant(), "contoso.com");
  }

  @AfterAll
  static void closeTenant() {
    contoso.close();
  }

  private static long logoutsOf(Mailbox mailbox) {
    return M365.tenant().requests("imap-logout").stream().filter(r -> r.path().equalsIgnoreCase(mailbox.address()))
        .count();
  }

  private static ImapMailboxConnector.Builder imap(HostileServer server, Duration timeout) {
    return ImapMailboxConnector.builder().mailbox("queue@contoso.com").credential(new OpaqueTokenCredential())
        .host("127.0.0.1").port(server.port()).insecurePlaintextForTestsOnly().timeout(timeout);
  }

  @Test
  void close_saysLogout_afterTheLastCommand_beforeTheSocketCloses() throws Exception {
    List<String> heard = new CopyOnWriteArrayList<>();
    AtomicInteger hangupsAfterLogout = new AtomicInteger();
    try (HostileServer server = new HostileServer(HostileServer.imap(HostileServer.XOAUTH2, Map.of(
        "LIST", (w, tag) -> {
          heard.add("LIST");
          w.line("* LIST (\\HasNoChildren) \"/\" INBOX");
          w.line(tag + " OK LIST completed.");
        },
        "LOGOUT", (w, tag) -> {
          heard.add("LOGOUT");
          w.line("* BYE Microsoft Exchange Server IMAP4 server signing off.");
          w.line(tag + " OK LOGOUT completed.");
          if (w.readLine() == null) {
            hangupsAfterLogout.incrementAndGet(); // the client closed its end after the goodbye
          }
        })))) {
      ImapMailboxConnector c = imap(server, Duration.ofSeconds(10)).build();
      assertThat(c.listFolders()).isNotEmpty();

      assertTimeoutPreemptively(Duration.ofSeconds(30), c::close);

      assertThat(heard).containsExactly("LIST", "LOGOUT");
      assertThat(server.connections()).isEqualTo(1);
      assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
        while (hangupsAfterLogout.get() == 0) {
          Thread.onSpinWait();
        }
      });
    }
  }

  /**
   * Reading every message streams them in one FETCH whose tagged end is still unread when the last one is handed
   * over: what an import leaves behind. Closing then reads that end and says LOGOUT, rather than hanging up.
   */
  @Test
  void close_afterEveryMessageWasRead_saysLogoutToExchange() {
    Mailbox mailbox = contoso.mailbox("import");
    Exchange.fill(mailbox, 5, "Imported");
    List<String> read = new CopyOnWriteArrayList<>();
    ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly()).build();
    try {
      c.forEachMime(c.listMessages(FolderRef.INBOX), (m, mime) -> {
        mime.transferTo(OutputStream.nullOutputStream());
        read.add(m.subject());
      });
      assertThat(read).hasSize(5);
      assertThat(logoutsOf(mailbox)).isZero();
    } finally {
      assertTimeoutPreemptively(Duration.ofSeconds(30), c::close);
    }

    assertThat(logoutsOf(mailbox)).isEqualTo(1);
    List<RecordedCommand> sent = M365.tenant().imapCommands().stream()
        .filter(x -> x.user().equalsIgnoreCase(mailbox.address())).toList();
    assertThat(sent).filteredOn(x -> x.arguments().contains("BODY.PEEK[]")).as("the five bodies in one FETCH")
        .singleElement().satisfies(x -> assertThat(x.line()).isEqualTo("UID FETCH 1:5 (UID BODY.PEEK[])"));
    assertThat(sent).last().satisfies(x -> assertThat(x.name()).isEqualTo("LOGOUT"));
  }

  @Test
  void close_whenTheServerNeverAnswersLogout_endsWithinTheShortBound_notTheReadTimeout() throws Exception {
    AtomicInteger logouts = new AtomicInteger();
    try (HostileServer server = new HostileServer(HostileServer.imap(HostileServer.XOAUTH2, Map.of(
        "LOGOUT", (w, tag) -> {
          logouts.incrementAndGet();
          w.silence();
        })))) {
      // a read timeout of 120 s: waiting it out would outlast the bound below fourfold
      ImapMailboxConnector c = imap(server, Duration.ofSeconds(120)).build();
      c.listMessages(FolderRef.INBOX).stream().findFirst();

      assertTimeoutPreemptively(Duration.ofSeconds(30), c::close);

      assertThat(logouts).hasValue(1);
    }
  }
}
