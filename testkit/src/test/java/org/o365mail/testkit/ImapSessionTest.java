package org.o365mail.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Store;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The IMAP front after login: relaying to the store, and the Exchange behaviour injected into the session. */
@Timeout(60)
class ImapSessionTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  private static LocalTenant m365;
  private static Contoso contoso;
  private static String token;

  @BeforeAll
  static void start() {
    m365 = M365.tenant();
    contoso = new Contoso(m365);
    token = contoso.appToken();
  }

  /** A logged-in connection to a fresh mailbox holding {@code messages} small messages in the Inbox. */
  private static Wire loggedIn(String mailbox, int messages) {
    Mailbox box = contoso.newMailbox(mailbox);
    for (int i = 1; i <= messages; i++) {
      box.deliver(TestMessages.text("carol@fabrikam.com", box.address(), "Message " + i, "Body " + i));
    }
    return loggedIn(box.address(), token);
  }

  private static Wire loggedIn(String address, String accessToken) {
    Wire wire = Wire.tls(m365, m365.imapPort());
    assertThat(wire.readLine()).startsWith("* OK The Microsoft Exchange IMAP4 service is ready.");
    assertThat(wire.imap("A1", "AUTHENTICATE XOAUTH2 " + Wire.xoauth2(address, accessToken)))
        .containsExactly("A1 OK AUTHENTICATE completed.");
    return wire;
  }

  @Test
  void angusMail_logsInWithXoauth2_andReadsADeliveredMessage() throws Exception {
    Mailbox box = contoso.newMailbox("angus");
    box.deliver(TestMessages.text("carol@fabrikam.com", box.address(), "Quarterly report", "Hello Angus"));
    Properties props = new Properties();
    props.put("mail.imaps.auth.mechanisms", "XOAUTH2");
    props.put("mail.imaps.ssl.socketFactory", m365.sslContext().getSocketFactory());
    props.put("mail.imaps.ssl.checkserveridentity", "true");
    props.put("mail.imaps.connectiontimeout", "10000");
    props.put("mail.imaps.timeout", "10000");
    Store store = Session.getInstance(props).getStore("imaps");
    store.connect("localhost", m365.imapPort(), box.address(), contoso.appToken());
    try {
      Folder inbox = store.getFolder("INBOX");
      inbox.open(Folder.READ_ONLY);
      assertThat(inbox.getMessageCount()).isEqualTo(1);
      Message message = inbox.getMessage(1);
      assertThat(message.getSubject()).isEqualTo("Quarterly report");
      assertThat(((String) message.getContent()).trim()).isEqualTo("Hello Angus");
      inbox.close(false);
    } finally {
      store.close();
    }
    assertThat(m365.requests("imap")).filteredOn(r -> r.path().equals(box.address()))
        .extracting(RecordedRequest::method).containsExactly("AUTHENTICATE XOAUTH2");
  }

  /**
   * A Message-ID with backslashes and double quotes is the header's, byte for byte, in every ENVELOPE (quoted once
   * as RFC 3501 asks), in every session and every FETCH, and in the testkit's own listing. GreenMail escaped it
   * again in place on each FETCH ENVELOPE, so each session saw more backslashes than the last.
   */
  @Test
  void messageIdWithBackslashesAndQuotes_isQuotedOnceInEveryEnvelope() {
    Mailbox box = contoso.newMailbox("msgid");
    String messageId = "<a\\\\b\"q\"\\c@x>"; // <a\\b"q"\c@x> with real backslashes
    StoredMail stored =
        box.deliver(TestMessages.text("carol@fabrikam.com", box.address(), "Backslashes", "Body", messageId));
    assertThat(stored.internetMessageId()).isEqualTo(messageId);
    String quoted = "\"" + messageId.replace("\\", "\\\\").replace("\"", "\\\"") + "\")";
    for (int session = 1; session <= 3; session++) {
      try (Wire wire = loggedIn(box.address(), token)) {
        assertThat(wire.imap("S", "SELECT INBOX")).last().asString().startsWith("S OK");
        for (int fetch = 1; fetch <= 2; fetch++) {
          List<String> lines = wire.imap("F", "UID FETCH 1:* (ENVELOPE)");
          assertThat(lines).as("session %d, fetch %d", session, fetch).hasSize(2);
          assertThat(lines.get(0)).as("session %d, fetch %d", session, fetch).endsWith(quoted + " UID 1)");
        }
      }
      assertThat(box.messages("Inbox")).extracting(StoredMail::internetMessageId).containsExactly(messageId);
    }
  }

  /** The same for a forwarded message (message/rfc822) inside a message: its envelope in BODYSTRUCTURE stays put. */
  @Test
  void attachedMessagesMessageId_isQuotedOnceInEveryBodystructure() {
    Mailbox box = contoso.newMailbox("msgid-nested");
    String inner = "<in\\\\ner\"q\"@x>";
    String mime = "From: carol@fabrikam.com\r\nTo: " + box.address() + "\r\nSubject: Forward\r\n"
        + "Message-ID: <outer@x>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
        + "--b\r\nContent-Type: text/plain\r\n\r\nSee below\r\n"
        + "--b\r\nContent-Type: message/rfc822\r\n\r\n"
        + "From: dave@fabrikam.com\r\nTo: carol@fabrikam.com\r\nSubject: Inner\r\nMessage-ID: " + inner + "\r\n\r\n"
        + "Inner body\r\n--b--\r\n";
    box.deliver(mime);
    String quoted = "\"" + inner.replace("\\", "\\\\").replace("\"", "\\\"") + "\")";
    String first = null;
    for (int session = 1; session <= 2; session++) {
      try (Wire wire = loggedIn(box.address(), token)) {
        assertThat(wire.imap("S", "SELECT INBOX")).last().asString().startsWith("S OK");
        for (int fetch = 1; fetch <= 2; fetch++) {
          List<String> lines = wire.imap("F", "UID FETCH 1 (BODYSTRUCTURE)");
          assertThat(lines.get(0)).as("session %d, fetch %d", session, fetch).contains(quoted);
          first = first == null ? lines.get(0) : first;
          assertThat(lines.get(0)).as("session %d, fetch %d", session, fetch).isEqualTo(first);
        }
      }
    }
  }

  @Test
  void expiredToken_endsTheSessionOnTheNextCommand() {
    try (Wire wire = loggedIn("expiry", 1)) {
      assertThat(wire.imap("s", "SELECT INBOX")).last().asString().startsWith("s OK");
      m365.clock().advance(Duration.ofMinutes(61));
      wire.send("f FETCH 1 (FLAGS)");
      assertThat(wire.readLine()).isEqualTo("* BYE Session invalidated - AccessTokenExpired");
      assertThat(wire.closedByServer()).isTrue();
    }
  }

  @Test
  void expiredToken_endsAnIdleSessionWithinASecond() {
    try (Wire wire = loggedIn("idle-expiry", 1)) {
      assertThat(wire.imap("s", "SELECT INBOX")).last().asString().startsWith("s OK");
      wire.send("i IDLE");
      assertThat(wire.readLine()).isEqualTo("+ IDLE accepted, awaiting DONE command.");
      long start = System.nanoTime();
      m365.clock().advance(Duration.ofMinutes(61));
      assertThat(wire.readLine()).isEqualTo("* BYE Session invalidated - AccessTokenExpired");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3)); // a sweep, not the next command
      assertThat(wire.closedByServer()).isTrue();
    }
  }

  @Test
  void idle_relaysNewMailAndEndsWithDone() {
    try (Wire wire = loggedIn("idle", 1)) {
      assertThat(wire.imap("s", "SELECT INBOX")).contains("* 1 EXISTS");
      wire.send("i IDLE");
      assertThat(wire.readLine()).isEqualTo("+ IDLE accepted, awaiting DONE command.");
      m365.mailbox("idle@contoso.com").deliver(TestMessages.text("a@b.com", "idle@contoso.com", "New", "new"));
      assertThat(wire.readLine()).isEqualTo("* 2 EXISTS");
      wire.send("DONE");
      assertThat(wire.untilTagged("i")).noneMatch(l -> l.startsWith("P")).last().isEqualTo("i OK IDLE completed.");
      assertThat(wire.imap("n", "NOOP")).last().asString().startsWith("n OK");
    }
  }

  @Test
  void dropAfterFetches_cutsTheConnectionAfterAboutThatManyFetchResponses() {
    try (Wire wire = loggedIn("drops", 30)) {
      assertThat(wire.imap("s", "SELECT INBOX")).contains("* 30 EXISTS");
      m365.faults().imapDropAfterFetches(10); // also applies to a session already logged in
      wire.send("f FETCH 1:* (UID BODY.PEEK[])");
      int fetches = 0;
      String line;
      while ((line = wire.readLogicalLine()) != null) {
        assertThat(line).doesNotStartWith("f ").doesNotStartWith("* BYE");
        if (line.matches("(?s)\\* \\d+ FETCH .*")) {
          fetches++;
        }
      }
      assertThat(fetches).isBetween(8, 12);
    }
    m365.faults().imapDropAfterFetches(0);
    try (Wire wire = loggedIn("drops@contoso.com", token)) {
      wire.imap("s", "SELECT INBOX");
      List<String> all = wire.imap("f", "FETCH 1:* (UID BODY.PEEK[])");
      assertThat(all).hasSize(31).last().asString().startsWith("f OK");
    }
  }

  @Test
  void dropRate_cutsTheConnectionAfterACommand() {
    try (Wire wire = loggedIn("droprate", 1)) {
      m365.faults().imapDropRate(1.0);
      assertThat(wire.imap("n", "NOOP")).last().asString().startsWith("n OK");
      assertThat(wire.closedByServer()).isTrue();
    }
  }

  @Test
  void loseAnswers_carriesTheCommandOut_andDropsTheConnectionInsteadOfItsAnswer() {
    m365.faults().imapLoseAnswers("uid  copy", 1).imapLoseAnswers("CAPABILITY", 1)
        .imapLoseAnswers("NOOP", 1).imapLoseAnswers("noop", 1);
    try (Wire wire = loggedIn("lose", 3)) {
      wire.imap("s", "SELECT INBOX");
      assertThat(wire.imap("f", "UID FETCH 1 (FLAGS)")).last().asString().startsWith("f OK");
      wire.send("c UID COPY 1 Archive");
      assertThat(wire.readLogicalLine()).as("the answer to UID COPY").isNull();
    }
    Mailbox box = m365.mailbox("lose@contoso.com");
    assertThat(box.count("Archive")).as("copied all the same").isEqualTo(1);
    assertThat(box.count("Inbox")).isEqualTo(3);
    try (Wire wire = loggedIn("lose@contoso.com", token)) {
      wire.imap("s", "SELECT INBOX");
      assertThat(wire.imap("c", "UID COPY 2 Archive")).as("only the next one was lost").last().asString()
          .startsWith("c OK");
      wire.send("k CAPABILITY"); // answered by the front itself: the untagged line comes, the tagged one not
      assertThat(wire.readLogicalLine()).startsWith("* CAPABILITY ");
      assertThat(wire.readLogicalLine()).isNull();
    }
    for (int lost = 1; lost <= 2; lost++) {
      try (Wire wire = loggedIn("lose@contoso.com", token)) {
        wire.send("n NOOP");
        assertThat(wire.readLogicalLine()).as("NOOP %d of 2", lost).isNull();
      }
    }
    try (Wire wire = loggedIn("lose@contoso.com", token)) {
      assertThat(wire.imap("n", "NOOP")).last().asString().startsWith("n OK");
      assertThat(wire.imap("k", "CAPABILITY")).last().asString().startsWith("k OK");
    }
    assertThat(box.count("Archive")).isEqualTo(2);
  }

  @Test
  void throttleCommand_refusesTheNamedCommandWithoutCarryingItOut_inEachOfExchangesWordings() {
    m365.faults()
        .imapThrottleCommand("uid copy", 2, Duration.ofMillis(89_117), Faults.ImapThrottleAnswer.NO)
        .imapThrottleCommand("SELECT", 1, Duration.ofMillis(178_755), Faults.ImapThrottleAnswer.BAD);
    try (Wire wire = loggedIn("throttlenamed", 2)) {
      assertThat(wire.imap("s", "SELECT INBOX"))
          .containsExactly("s BAD Request is throttled. Suggested Backoff Time: 178755 milliseconds");
      assertThat(wire.imap("s2", "SELECT INBOX")).last().asString().startsWith("s2 OK");
      assertThat(wire.imap("c", "UID COPY 1 Archive"))
          .containsExactly("c NO Request is throttled. Suggested Backoff Time: 89117 milliseconds");
      assertThat(wire.imap("c2", "UID COPY 1 Archive"))
          .containsExactly("c2 NO Request is throttled. Suggested Backoff Time: 89117 milliseconds");
      assertThat(m365.mailbox("throttlenamed@contoso.com").count("Archive")).as("nothing copied").isZero();
      assertThat(wire.imap("c3", "UID COPY 1 Archive")).last().asString().startsWith("c3 OK");
    }
    assertThat(m365.mailbox("throttlenamed@contoso.com").count("Archive")).isEqualTo(1);
  }

  @Test
  void throttleCommand_withBye_endsTheSessionAfterTheTaggedAnswer() {
    m365.faults().imapThrottleCommand("UID FETCH", 1, Duration.ofMillis(50), Faults.ImapThrottleAnswer.BAD_THEN_BYE);
    try (Wire wire = loggedIn("throttlebye", 1)) {
      wire.imap("s", "SELECT INBOX");
      wire.send("f UID FETCH 1 (FLAGS)");
      assertThat(wire.readLogicalLine()).isEqualTo("f BAD Request is throttled. Suggested Backoff Time: 50 milliseconds");
      assertThat(wire.readLogicalLine()).isEqualTo("* BYE Connection closed. 14");
      assertThat(wire.closedByServer()).isTrue();
    }
  }

  @Test
  void throttleCommands_refusesAShareOfAnyCommand_inAllFourWordings_andNeverLogout() {
    contoso.newMailbox("throttlerate");
    m365.faults().imapThrottleCommands(0.5, Duration.ofMillis(10));
    java.util.Set<String> seen = new java.util.TreeSet<>();
    int answered = 0;
    for (int round = 0; round < 200 && seen.size() < 4; round++) {
      try (Wire wire = loggedIn("throttlerate@contoso.com", token)) {
        String answer;
        int n = 0;
        while ((answer = wire.imap("n" + n, "NOOP").get(0)).startsWith("n" + n + " OK")) {
          answered++;
          n++;
        }
        assertThat(answer).matches("n" + n + " (NO|BAD) Request is throttled\\. Suggested Backoff Time: 10 milliseconds");
        // LOGOUT is never throttled: its BYE comes unless the throttle's BYE ended the session already
        wire.send("l LOGOUT");
        String next = wire.readLogicalLine();
        seen.add(answer.split(" ")[1] + (next.equals("* BYE Connection closed. 14") ? "+BYE" : ""));
        if (!next.startsWith("* BYE Connection closed.")) {
          assertThat(next).isEqualTo(ImapSession.BYE_LOGOUT);
          assertThat(wire.readLogicalLine()).isEqualTo("l OK LOGOUT completed.");
        }
      }
    }
    assertThat(seen).containsExactlyInAnyOrder("BAD", "BAD+BYE", "NO", "NO+BYE");
    assertThat(answered).as("commands let through").isPositive();
  }

  @Test
  void anotherSessionsChanges_areReported_andSequenceNumbersFollowExpunges() {
    Mailbox box = contoso.newMailbox("twosessions");
    for (int i = 1; i <= 4; i++) {
      box.deliver(TestMessages.text("carol@fabrikam.com", box.address(), "Message " + i, "Body " + i));
    }
    try (Wire a = loggedIn(box.address(), token); Wire b = loggedIn(box.address(), token)) {
      assertThat(a.imap("s", "SELECT INBOX")).contains("* 4 EXISTS");
      b.imap("s", "SELECT INBOX");

      b.imap("f", "STORE 1 +FLAGS.SILENT (\\Flagged)");
      assertThat(a.imap("n1", "NOOP")).anyMatch(l -> l.startsWith("* 1 FETCH (FLAGS (\\Flagged"));
      assertThat(b.imap("n1", "NOOP")).as("not reported to the session that stored silently").hasSize(1);

      b.imap("d", "STORE 2 +FLAGS.SILENT (\\Deleted)");
      b.imap("e", "EXPUNGE");
      assertThat(a.imap("n2", "NOOP")).contains("* 2 EXPUNGE");
      assertThat(a.imap("f", "FETCH 2 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")).first().asString()
          .startsWith("* 2 FETCH").contains("Message 3");

      box.deliver(TestMessages.text("carol@fabrikam.com", box.address(), "Message 5", "Body 5"));
      assertThat(a.imap("n3", "NOOP")).contains("* 4 EXISTS");
      assertThat(a.imap("u", "UID FETCH 1:* (UID)")).hasSize(5);
      assertThat(a.imap("f4", "FETCH 4 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")).first().asString()
          .contains("Message 5");
      assertThat(a.imap("c", "SEARCH SUBJECT \"Message 4\"")).first().isEqualTo("* SEARCH 3");
    }
  }

  @Test
  void latency_delaysEachAnswer() {
    try (Wire wire = loggedIn("latency", 0)) {
      m365.faults().imapLatency(Duration.ofMillis(300));
      long start = System.nanoTime();
      assertThat(wire.imap("n", "NOOP")).last().asString().startsWith("n OK");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
    }
  }

  @Test
  void move_isOfferedByDefault_andHiddenByTheKnob() {
    try (Wire wire = loggedIn("move", 3)) {
      wire.imap("s", "SELECT INBOX");
      assertThat(wire.imap("m", "UID MOVE 1 Archive")).last().asString().startsWith("m OK");
      assertThat(m365.mailbox("move@contoso.com").count("Archive")).isEqualTo(1);

      m365.faults().imapAdvertiseMove(false);
      assertThat(wire.imap("c", "CAPABILITY")).first().asString().doesNotContain("MOVE");
      assertThat(wire.imap("m2", "UID MOVE 2 Archive")).containsExactly("m2 BAD Command Error. 10");
      assertThat(wire.imap("m3", "MOVE 1 Archive")).containsExactly("m3 BAD Command Error. 10");
      // the fallback connectors use instead
      assertThat(wire.imap("c2", "UID COPY 2 Archive")).last().asString().startsWith("c2 OK [COPYUID ");
      assertThat(wire.imap("d", "UID STORE 2 +FLAGS.SILENT (\\Deleted)")).last().asString().startsWith("d OK");
      assertThat(wire.imap("e", "UID EXPUNGE 2")).contains("* 1 EXPUNGE").last().asString().startsWith("e OK");
      assertThat(m365.mailbox("move@contoso.com").count("Archive")).isEqualTo(2);
      assertThat(m365.mailbox("move@contoso.com").count("Inbox")).isEqualTo(1);
    }
  }

  @Test
  void uidPlusHidden_refusesUidExpungeAndLeavesOutCopyUid() {
    m365.faults().imapAdvertiseUidPlus(false);
    try (Wire wire = loggedIn("uidplus", 2)) {
      assertThat(wire.imap("c", "CAPABILITY")).first().asString()
          .isEqualTo("* CAPABILITY IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR MOVE ID UNSELECT CLIENTACCESSRULES"
              + " CLIENTNETWORKPRESENCELOCATION BACKENDAUTHENTICATE CHILDREN IDLE NAMESPACE LITERAL+");
      wire.imap("s", "SELECT INBOX");
      assertThat(wire.imap("e", "UID EXPUNGE 1")).containsExactly("e BAD Command Error. 10");
      assertThat(wire.imap("k", "UID COPY 1 Archive")).last().asString().startsWith("k OK ").doesNotContain("COPYUID");
    }
  }

  @Test
  void append_withSynchronizingAndNonSynchronizingLiterals() {
    byte[] message = TestMessages.text("a@b.com", "append@contoso.com", "Appended", "Hello");
    try (Wire wire = loggedIn("append", 0)) {
      wire.send("a APPEND INBOX (\\Seen) {" + message.length + "}");
      assertThat(wire.readLine()).isEqualTo("+ Ready for additional command text.");
      wire.sendRaw(message).send("");
      assertThat(wire.untilTagged("a")).last().asString().startsWith("a OK [APPENDUID ");
      wire.send("b APPEND INBOX {" + message.length + "+}");
      wire.sendRaw(message).send("");
      assertThat(wire.untilTagged("b")).last().asString().startsWith("b OK [APPENDUID ");
      wire.imap("s", "SELECT INBOX");
      List<String> fetched = wire.imap("f", "FETCH 1:2 (BODY.PEEK[])");
      assertThat(fetched).filteredOn(l -> l.contains("Subject: Appended")).hasSize(2);
    }
    assertThat(m365.mailbox("append@contoso.com").mime(m365.mailbox("append@contoso.com").messages("Inbox").get(0)))
        .asString(StandardCharsets.UTF_8).contains("Hello");
  }

  @Test
  void folders_useExchangesDelimiter_andChildrenAttributes() {
    Mailbox box = contoso.newMailbox("folders");
    box.createFolder("Inbox/Invoices/2026");
    box.deliver(TestMessages.text("a@b.com", box.address(), "Invoice", "x"));
    try (Wire wire = loggedIn(box.address(), token)) {
      assertThat(wire.imap("n", "NAMESPACE")).containsExactly("* NAMESPACE ((\"\" \"/\")) NIL NIL", "n OK NAMESPACE completed.");
      assertThat(wire.imap("l", "LIST \"\" \"*\"")).contains(
          "* LIST (\\HasChildren) \"/\" \"INBOX\"",
          "* LIST (\\HasChildren) \"/\" \"INBOX/Invoices\"",
          "* LIST (\\HasNoChildren) \"/\" \"INBOX/Invoices/2026\"",
          "* LIST (\\HasNoChildren) \"/\" \"Sent Items\"");
      assertThat(wire.imap("p", "LIST \"\" INBOX/%"))
          .containsExactly("* LIST (\\HasChildren) \"/\" \"INBOX/Invoices\"", "p OK LIST completed.");
      assertThat(wire.imap("c", "CREATE \"Archive/2025\"")).last().asString().startsWith("c OK");
      assertThat(wire.imap("q", "CREATE Q1.2026")).last().asString().startsWith("q OK");
      assertThat(box.hasFolder("Archive/2025")).isTrue();
      assertThat(wire.imap("l2", "LIST \"\" \"Q1*\"")).containsExactly(
          "* LIST (\\HasNoChildren) \"/\" \"Q1.2026\"", "l2 OK LIST completed.");
      wire.imap("s", "SELECT INBOX");
      assertThat(wire.imap("m", "UID MOVE 1 \"INBOX/Invoices/2026\"")).last().asString().startsWith("m OK");
      assertThat(wire.imap("t", "STATUS \"INBOX/Invoices/2026\" (MESSAGES)"))
          .containsExactly("* STATUS \"INBOX/Invoices/2026\" (MESSAGES 1)", "t OK STATUS completed.");
    }
    assertThat(box.count("Inbox/Invoices/2026")).isEqualTo(1);
  }

  @Test
  void namespace_id_andUnselectAreAnsweredLikeExchange() {
    try (Wire wire = loggedIn("unselect", 1)) {
      assertThat(wire.imap("n", "NAMESPACE")).hasSize(2).last().isEqualTo("n OK NAMESPACE completed.");
      assertThat(wire.imap("i", "ID NIL")).containsExactly("* ID NIL", "i OK ID completed.");
      wire.imap("s", "SELECT INBOX");
      wire.imap("d", "STORE 1 +FLAGS.SILENT (\\Deleted)");
      assertThat(wire.imap("u", "UNSELECT")).containsExactly("u OK UNSELECT completed.");
      // UNSELECT does not expunge, and the session is no longer in a selected folder
      assertThat(m365.mailbox("unselect@contoso.com").count("Inbox")).isEqualTo(1);
      assertThat(wire.imap("f", "FETCH 1 (FLAGS)")).containsExactly("f BAD Command received in Invalid state.");
      assertThat(wire.imap("a", "AUTHENTICATE XOAUTH2 x")).containsExactly("a BAD Command received in Invalid state.");
    }
  }
}
