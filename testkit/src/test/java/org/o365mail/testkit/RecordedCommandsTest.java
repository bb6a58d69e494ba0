package org.o365mail.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The IMAP and SMTP commands the tenant records: what each holds, what it never holds, and the bound. */
@Timeout(60)
class RecordedCommandsTest {
  private static final String PASSWORD = "S3cret-never-stored";

  private static LocalTenant m365;
  private static Contoso contoso;
  private static String token;

  @BeforeAll
  static void start() {
    m365 = LocalTenant.start();
    contoso = new Contoso(m365);
    token = contoso.appToken();
  }

  @AfterAll
  static void stop() {
    m365.close();
  }

  @BeforeEach
  void clear() {
    m365.clearRecorded();
  }

  @Test
  void imapCommands_recordSessionUserTagNameAndArguments_afterLogin() {
    Mailbox box = contoso.newMailbox("recorded");
    box.deliver(TestMessages.text("carol@fabrikam.com", box.address(), "One", "Body"));
    Instant before = m365.clock().instant();
    try (Wire wire = Wire.tls(m365, m365.imapPort())) {
      wire.readLine();
      wire.imap("A1", "AUTHENTICATE XOAUTH2 " + Wire.xoauth2(box.address(), token));
      wire.imap("A2", "SELECT INBOX");
      wire.imap("A3", "uid fetch 1:* (FLAGS)");
      wire.imap("A4", "NOOP");
      wire.imap("A5", "LOGOUT");
    }
    List<RecordedCommand> commands = m365.imapCommands();
    assertThat(commands).extracting(RecordedCommand::tag).containsExactly("A1", "A2", "A3", "A4", "A5");
    assertThat(commands).extracting(RecordedCommand::name)
        .containsExactly("AUTHENTICATE", "SELECT", "UID FETCH", "NOOP", "LOGOUT");
    assertThat(commands).extracting(RecordedCommand::user)
        .containsExactly("", box.address(), box.address(), box.address(), box.address());
    assertThat(commands.get(2).arguments()).isEqualTo("1:* (FLAGS)");
    assertThat(commands.get(2).line()).isEqualTo("UID FETCH 1:* (FLAGS)");
    assertThat(commands.get(2).is("uid fetch")).isTrue();
    assertThat(commands).extracting(RecordedCommand::protocol).containsOnly(RecordedCommand.Protocol.IMAP);
    assertThat(commands).extracting(RecordedCommand::session).containsOnly(commands.get(0).session());
    assertThat(commands).allSatisfy(c -> assertThat(c.at()).isAfterOrEqualTo(before));
    assertThat(m365.smtpCommands()).isEmpty();
  }

  @Test
  void imapCommands_ofTwoSessions_haveDifferentSessionIds() {
    try (Wire first = Wire.tls(m365, m365.imapPort()); Wire second = Wire.tls(m365, m365.imapPort())) {
      first.readLine();
      second.readLine();
      first.imap("a", "CAPABILITY");
      second.imap("b", "CAPABILITY");
    }
    List<RecordedCommand> commands = m365.imapCommands();
    assertThat(commands).hasSize(2);
    assertThat(commands.get(0).session()).isNotEqualTo(commands.get(1).session());
  }

  @Test
  void imapAppend_recordsTheLiteralBySizeOnly() {
    Mailbox box = contoso.newMailbox("append-recorded");
    byte[] message = ("From: carol@fabrikam.com\r\nSubject: Kept out of the record\r\n\r\nconfidential body\r\n")
        .getBytes(StandardCharsets.US_ASCII);
    try (Wire wire = Wire.tls(m365, m365.imapPort())) {
      wire.readLine();
      wire.imap("A1", "AUTHENTICATE XOAUTH2 " + Wire.xoauth2(box.address(), token));
      wire.send("A2 APPEND INBOX (\\Seen) {" + message.length + "}");
      assertThat(wire.readLine()).startsWith("+");
      wire.sendRaw(message).send("");
      assertThat(wire.untilTagged("A2")).last().asString().startsWith("A2 OK");
    }
    RecordedCommand append = m365.imapCommands().stream().filter(c -> c.is("APPEND")).findFirst().orElseThrow();
    assertThat(append.arguments()).isEqualTo("INBOX (\\Seen) {" + message.length + "}");
    assertThat(append.payloadBytes()).isEqualTo(message.length);
    assertThat(m365.imapCommands()).noneSatisfy(c -> assertThat(c.toString()).contains("confidential", "Kept out"));
  }

  @Test
  void imapCredentials_areNeverRecorded() {
    String plain = Base64.getEncoder()
        .encodeToString(("\u0000" + Contoso.ALICE + "\u0000" + PASSWORD).getBytes(StandardCharsets.UTF_8));
    String xoauth2 = Wire.xoauth2(Contoso.ALICE, token);
    try (Wire wire = Wire.tls(m365, m365.imapPort())) {
      wire.readLine();
      wire.imap("a", "LOGIN " + Contoso.ALICE + " " + PASSWORD);
      wire.imap("b", "LOGIN \"" + Contoso.ALICE + "\" \"" + PASSWORD + "\"");
      wire.imap("c", "AUTHENTICATE PLAIN " + plain);
      wire.send("d AUTHENTICATE PLAIN");
      assertThat(wire.readLine()).startsWith("+");
      wire.send(plain);
      wire.untilTagged("d");
      wire.send("e AUTHENTICATE XOAUTH2");
      assertThat(wire.readLine()).startsWith("+");
      wire.send(xoauth2);
      wire.untilTagged("e");
      wire.imap("f", "LOGIN " + Contoso.ALICE + " x"); // after login: refused locally, recorded all the same
      wire.imap("g", "AUTHENTICATE XOAUTH2 " + xoauth2);
    }
    List<RecordedCommand> commands = m365.imapCommands();
    assertThat(commands).extracting(RecordedCommand::line).containsExactly(
        "LOGIN " + Contoso.ALICE + " " + RecordedCommand.REDACTED,
        "LOGIN \"" + Contoso.ALICE + "\" " + RecordedCommand.REDACTED,
        "AUTHENTICATE PLAIN " + RecordedCommand.REDACTED,
        "AUTHENTICATE PLAIN",
        "AUTHENTICATE XOAUTH2",
        "LOGIN " + Contoso.ALICE + " " + RecordedCommand.REDACTED,
        "AUTHENTICATE XOAUTH2 " + RecordedCommand.REDACTED);
    assertNoCredentialIn(commands, xoauth2, plain);
  }

  @Test
  void smtpCommands_recordDataBySize_andRedactAuth() {
    String xoauth2 = Wire.xoauth2(Contoso.ALICE, token);
    String body = "Subject: Hello\r\n\r\nsecret plans\r\n";
    try (Wire wire = Wire.plain(m365, m365.smtpPort())) {
      wire.readLine();
      ehlo(wire);
      assertThat(wire.send("STARTTLS").readLine()).startsWith("220");
      wire.startTls();
      ehlo(wire);
      assertThat(wire.send("AUTH XOAUTH2 " + xoauth2).readLine()).startsWith("235");
      assertThat(wire.send("MAIL FROM:<" + Contoso.ALICE + ">").readLine()).startsWith("250");
      assertThat(wire.send("RCPT TO:<" + Contoso.BOB + ">").readLine()).startsWith("250");
      assertThat(wire.send("DATA").readLine()).startsWith("354");
      assertThat(wire.sendRaw(body.getBytes(StandardCharsets.US_ASCII)).send(".").readLine()).startsWith("250");
      assertThat(wire.send("QUIT").readLine()).startsWith("221");
    }
    List<RecordedCommand> commands = m365.smtpCommands();
    assertThat(commands).extracting(RecordedCommand::line).containsExactly(
        "EHLO client.example", "STARTTLS", "EHLO client.example", "AUTH XOAUTH2 " + RecordedCommand.REDACTED,
        "MAIL FROM:<" + Contoso.ALICE + ">", "RCPT TO:<" + Contoso.BOB + ">", "DATA", "QUIT");
    assertThat(commands).extracting(RecordedCommand::tag).containsOnly("");
    assertThat(commands.get(3).user()).isEmpty();
    assertThat(commands.get(4).user()).isEqualTo(Contoso.ALICE);
    assertThat(commands.get(6).payloadBytes()).isEqualTo(body.length());
    assertThat(commands).noneSatisfy(c -> assertThat(c.toString()).contains("secret plans"));
    assertNoCredentialIn(commands, xoauth2);
  }

  @Test
  void smtpAuthLogin_neitherUserNameResponseNorPasswordIsRecorded() {
    String user = Base64.getEncoder().encodeToString(Contoso.ALICE.getBytes(StandardCharsets.UTF_8));
    String password = Base64.getEncoder().encodeToString(PASSWORD.getBytes(StandardCharsets.UTF_8));
    try (Wire wire = Wire.plain(m365, m365.smtpPort())) {
      wire.readLine();
      ehlo(wire);
      wire.send("STARTTLS").readLine();
      wire.startTls();
      ehlo(wire);
      assertThat(wire.send("AUTH LOGIN " + user).readLine()).startsWith("334");
      assertThat(wire.send(password).readLine()).startsWith("535");
      assertThat(wire.send("AUTH LOGIN").readLine()).startsWith("334");
      assertThat(wire.send(user).readLine()).startsWith("334");
      assertThat(wire.send(password).readLine()).startsWith("535");
    }
    assertThat(m365.smtpCommands()).filteredOn(c -> c.is("AUTH")).extracting(RecordedCommand::arguments)
        .containsExactly("LOGIN " + RecordedCommand.REDACTED, "LOGIN");
    assertNoCredentialIn(m365.smtpCommands(), user, password, PASSWORD);
  }

  @Test
  void clearRecorded_clearsCommandsAndRequests() {
    try (Wire wire = Wire.tls(m365, m365.imapPort())) {
      wire.readLine();
      wire.imap("a", "AUTHENTICATE XOAUTH2 " + Wire.xoauth2(Contoso.ALICE, token));
    }
    assertThat(m365.commands()).isNotEmpty();
    assertThat(m365.requests("imap")).isNotEmpty();
    m365.clearRecorded();
    assertThat(m365.commands()).isEmpty();
    assertThat(m365.requests()).isEmpty();
    assertThat(m365.droppedCommands()).isZero();
  }

  @Test
  void commandLog_keepsTheLastCommands_andCountsTheDropped() {
    CommandLog log = new CommandLog(3);
    for (int i = 1; i <= 5; i++) {
      log.add(new RecordedCommand(RecordedCommand.Protocol.IMAP, 1, "", "t" + i, "NOOP", "", 0, Instant.EPOCH));
    }
    assertThat(log.all()).extracting(RecordedCommand::tag).containsExactly("t3", "t4", "t5");
    assertThat(log.dropped()).isEqualTo(2);
    log.clear();
    assertThat(log.all()).isEmpty();
    assertThat(log.dropped()).isZero();
  }

  /** Neither the whole credential nor any decoded part of it in any field of any command. */
  private static void assertNoCredentialIn(List<RecordedCommand> commands, String... credentials) {
    assertThat(commands).isNotEmpty();
    for (RecordedCommand c : commands) {
      String all = c.toString() + " " + c.line();
      for (String credential : credentials) {
        assertThat(all).doesNotContain(credential);
      }
      assertThat(all).doesNotContain(token).doesNotContain(PASSWORD);
    }
  }

  private static void ehlo(Wire wire) {
    wire.send("EHLO client.example");
    String line;
    do {
      line = wire.readLine();
    } while (line != null && line.startsWith("250-"));
  }
}
