package org.o365mail.imap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.o365mail.FolderRef;
import org.o365mail.MailboxException;
import org.o365mail.MessageId;
import org.o365mail.OutgoingMessage;
import org.o365mail.SetupStep;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testkit.internal.Pki;

/**
 * Hostile IMAP and SMTP servers on loopback, one case each: answers too large to hold (a literal of 2 GB announced,
 * one over the limit sent, a line without end, a reply without end) and servers that say nothing, trickle, or stop
 * taking what is written to them. Each
 * ends in the SDK's {@link MailboxException} naming the server and the limit or timeout, on the first connection (no
 * retries multiplying the wait), within a bound near the configured timeout. The cases of size run in a child JVM
 * with a 64 MB heap, which must end with that exception rather than {@link OutOfMemoryError}: Angus grows its buffer
 * of a line by copying, so a line refused at the 16 MiB limit has briefly held two buffers of about 16 MiB (48 MB is
 * too small for that; unguarded, no heap is large enough).
 */
@Timeout(120)
@ExtendWith({FreshLogs.class, LeakCheck.class})
class ImapHostileServerTest {
  /** The guard's literal limit (16 MiB, twice BodyStream's largest chunk), plus one. */
  private static final int OVER_LITERAL_LIMIT = (16 << 20) + 1;
  private static final Duration BOUND = Duration.ofSeconds(30);
  private static final MessageId FIRST = new MessageId("imap:7:1:Inbox");

  private static SSLContext serverTls;
  private static SSLContext clientTls;

  @BeforeAll
  static void certificates() {
    var keys = Pki.rsaKeyPair();
    Instant now = Instant.now();
    var certificate = Pki.serverCertificate(keys, now.minus(1, ChronoUnit.DAYS), now.plus(1, ChronoUnit.DAYS));
    serverTls = Pki.serverContext(keys.getPrivate(), certificate);
    clientTls = Pki.clientContext(Pki.trustStore(certificate));
  }

  private static ImapMailboxConnector.Builder imap(HostileServer server, Duration timeout) {
    return ImapMailboxConnector.builder().mailbox("hostile@contoso.com").credential(new OpaqueTokenCredential())
        .host("127.0.0.1").port(server.port()).insecurePlaintextForTestsOnly().timeout(timeout);
  }

  private static SmtpSender smtp(HostileServer server, Duration timeout) {
    return SmtpSender.builder().mailbox("hostile@contoso.com").credential(new OpaqueTokenCredential())
        .host("127.0.0.1").port(server.port()).trust(clientTls).timeout(timeout).build();
  }

  private static OutgoingMessage hello() {
    return OutgoingMessage.builder().to("someone@fabrikam.com").subject("Hello").text("Hello.").build();
  }

  private static void readFirst(ImapMailboxConnector c) throws IOException {
    try (InputStream in = c.openMime(FIRST)) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
    }
  }

  /** Runs the client in a JVM with a 64 MB heap against {@code server}; returns what it printed. */
  private static String inSmallHeap(String protocol, HostileServer server) throws Exception {
    Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx64m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), HostileClient.class.getName(),
        protocol, Integer.toString(server.port()))
        .redirectErrorStream(true).start();
    try {
      assertThat(child.waitFor(60, TimeUnit.SECONDS)).as("the child ended").isTrue();
      String said = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(child.exitValue()).as(said).isNotEqualTo(HostileClient.OUT_OF_MEMORY).isEqualTo(HostileClient.CLEAN);
      return said;
    } finally {
      child.destroyForcibly();
    }
  }

  private static byte[] filled(int size, char c) {
    byte[] bytes = new byte[size];
    Arrays.fill(bytes, (byte) c);
    return bytes;
  }

  // ----- IMAP: answers too large to hold -----

  @Test
  void fetchAnswerAnnouncingA2GbLiteral_isRefused_inA64MbHeap() throws Exception {
    try (HostileServer server = new HostileServer(HostileServer.imap(HostileServer.XOAUTH2, Map.of(
        "UID FETCH", (w, tag) -> {
          w.line("* 1 FETCH (UID 1 BODY[]<0> {2147483000}");
          w.endless(filled(64 << 10, 'a'));
        })))) {
      assertThat(inSmallHeap("imap", server))
          .contains("CLEAN MailboxException", server.where(), "a literal of 2147483000 bytes, more than 16 MiB");
      assertThat(server.connections()).as("no second connection").isEqualTo(1);
    }
  }

  @Test
  void literalOneByteOverTheLimit_actuallySent_isRefused_inA64MbHeap() throws Exception {
    try (HostileServer server = new HostileServer(HostileServer.imap(HostileServer.XOAUTH2, Map.of(
        "UID FETCH", (w, tag) -> {
          w.line("* 1 FETCH (UID 1 BODY[]<0> {" + OVER_LITERAL_LIMIT + "}");
          w.raw(filled(OVER_LITERAL_LIMIT, 'b'));
          w.line(")");
          w.line(tag + " OK FETCH completed.");
        })))) {
      assertThat(inSmallHeap("imap", server))
          .contains("CLEAN MailboxException", server.where(), "a literal of 16777217 bytes, more than 16 MiB");
    }
  }

  @Test
  void endlessLineWithoutCrlf_isRefusedAtTheLineLimit_inA64MbHeap() throws Exception {
    try (HostileServer server = new HostileServer(HostileServer.imap(HostileServer.XOAUTH2, Map.of(
        "UID FETCH", (w, tag) -> {
          w.raw("* 1 FETCH (UID 1 ENVELOPE (\"");
          w.endless(filled(64 << 10, 'c'));
        })))) {
      assertThat(inSmallHeap("imap", server))
          .contains("CLEAN MailboxException", server.where(), "a line longer than 16 MiB without CRLF");
    }
  }

  @Test
  void hugeLiteralInTheCapabilityAnswer_isRefusedBeforeLogin_inA64MbHeap() throws Exception {
    try (HostileServer server = new HostileServer(HostileServer.imap(HostileServer.XOAUTH2, Map.of(
        "CAPABILITY", (w, tag) -> {
          w.line("* CAPABILITY IMAP4rev1 AUTH=XOAUTH2 X-HUGE {2147483000}");
          w.endless(filled(64 << 10, 'd'));
        })))) {
      assertThat(inSmallHeap("imap", server))
          .contains("CLEAN MailboxException", server.where(), "a literal of 2147483000 bytes");
    }
  }

  @Test
  void hugeLiteralInTheGreeting_overImplicitTls_isRefused() throws Exception {
    try (HostileServer server = new HostileServer(serverTls, HostileServer.imap(HostileServer.XOAUTH2, Map.of(
        "GREETING", (w, tag) -> {
          w.line("* OK [CAPABILITY IMAP4rev1 AUTH=XOAUTH2] {2147483000}");
          w.endless(filled(64 << 10, 'e'));
        })))) {
      try (ImapMailboxConnector c = ImapMailboxConnector.builder().mailbox("hostile@contoso.com")
          .credential(new OpaqueTokenCredential()).host("127.0.0.1").port(server.port()).trust(clientTls)
          .timeout(Duration.ofSeconds(5)).build()) {
        MailboxException e = assertTimeoutPreemptively(BOUND, () -> assertThrows(MailboxException.class,
            c::listFolders));
        assertThat(e).hasMessageContaining(server.where()).hasMessageContaining("a literal of 2147483000 bytes");
        assertThat(e.diagnosis()).get().extracting(d -> d.setupStep()).isEqualTo(SetupStep.TRUST);
      }
      assertThat(server.connections()).isEqualTo(1);
    }
  }

  // ----- IMAP: servers that say nothing, or almost -----

  @Test
  void noGreeting_failsAfterTheReadTimeout_onTheFirstConnection() throws Exception {
    try (HostileServer server = new HostileServer(HostileServer.Wire::silence);
        ImapMailboxConnector c = imap(server, Duration.ofSeconds(1)).build()) {
      MailboxException e = assertTimeoutPreemptively(BOUND, () -> assertThrows(MailboxException.class,
          c::listFolders));
      assertThat(e).hasMessageContaining("The server at " + server.where() + " did not answer within 1000 ms");
      assertThat(server.connections()).as("no retries multiplying the timeout").isEqualTo(1);
    }
  }

  /** A login the server refused leaves with LOGOUT, on each connection, rather than hanging up mid-conversation. */
  @Test
  void refusedLogin_saysLogout_beforeClosing() throws Exception {
    java.util.concurrent.atomic.AtomicInteger logouts = new java.util.concurrent.atomic.AtomicInteger();
    try (HostileServer server = new HostileServer(HostileServer.imap(HostileServer.XOAUTH2, Map.of(
        "AUTHENTICATE", (w, tag) -> w.line(tag + " NO AUTHENTICATE failed."),
        "LOGOUT", (w, tag) -> {
          logouts.incrementAndGet();
          w.line("* BYE Microsoft Exchange Server IMAP4 server signing off.");
          w.line(tag + " OK LOGOUT completed.");
        })));
        ImapMailboxConnector c = imap(server, Duration.ofSeconds(5)).build()) {
      MailboxException e = assertTimeoutPreemptively(BOUND, () -> assertThrows(MailboxException.class,
          c::listFolders));
      assertThat(e.diagnosis()).get().extracting(d -> d.serviceCode()).isEqualTo("IMAP NO AUTHENTICATE failed.");
      // one more try with a fresh token, then the diagnosis: two connections, two goodbyes
      assertThat(server.connections()).isEqualTo(2);
      assertThat(logouts).hasValue(2);
    }
  }

  @Test
  void silenceAfterAuthenticate_failsAfterTheReadTimeout_onTheFirstConnection() throws Exception {
    try (HostileServer server = new HostileServer(HostileServer.imap(HostileServer.XOAUTH2, Map.of(
        "AUTHENTICATE", (w, tag) -> w.silence())));
        ImapMailboxConnector c = imap(server, Duration.ofSeconds(1)).build()) {
      MailboxException e = assertTimeoutPreemptively(BOUND, () -> assertThrows(MailboxException.class,
          () -> c.listMessages(FolderRef.INBOX).stream().findFirst()));
      assertThat(e).hasMessageContaining("The server at " + server.where() + " did not answer within 1000 ms");
      assertThat(server.connections()).isEqualTo(1);
    }
  }

  @Test
  void silenceMidFetchOfABody_failsAfterTheReadTimeout_withoutANewConnection() throws Exception {
    try (HostileServer server = new HostileServer(HostileServer.imap(HostileServer.XOAUTH2, Map.of(
        "UID FETCH", (w, tag) -> {
          w.line("* 1 FETCH (UID 1 BODY[]<0> {262144}");
          w.raw(filled(1000, 'f'));
          w.silence();
        })));
        ImapMailboxConnector c = imap(server, Duration.ofSeconds(1)).build()) {
      MailboxException e = assertTimeoutPreemptively(BOUND, () -> assertThrows(MailboxException.class,
          () -> readFirst(c)));
      assertThat(e).hasMessageContaining("did not answer within 1000 ms").hasMessageContaining(server.where());
      assertThat(e.diagnosis()).get().extracting(d -> d.setupStep()).isEqualTo(SetupStep.SERVICE);
      assertThat(server.connections()).isEqualTo(1);
    }
  }

  @Test
  void aBodyTricklingInAtOneByteASecond_failsSoonAfterTheReadTimeout() throws Exception {
    // one byte a second never lets a 3 s read timeout fire: the response's minimum rate does
    try (HostileServer server = new HostileServer(HostileServer.imap(HostileServer.XOAUTH2, Map.of(
        "UID FETCH", (w, tag) -> {
          w.raw("* 1 FETCH (UID 1 BODY[]<0> {262144}\r\n");
          w.trickle((byte) 'g', 1000);
        })));
        ImapMailboxConnector c = imap(server, Duration.ofSeconds(3)).build()) {
      MailboxException e = assertTimeoutPreemptively(BOUND, () -> assertThrows(MailboxException.class,
          () -> readFirst(c)));
      assertThat(e).hasMessageContaining(server.where()).hasMessageContaining("trickling")
          .hasMessageContaining("slower than 1024 bytes/s after the first 3000 ms");
      assertThat(server.connections()).isEqualTo(1);
    }
  }

  // ----- SMTP -----

  @Test
  void smtpReplyLineWithoutEnd_isRefused_inA64MbHeap() throws Exception {
    try (HostileServer server = new HostileServer(w -> {
      w.raw("220-smtp.hostile ");
      w.endless(filled(64 << 10, 'h'));
    })) {
      assertThat(inSmallHeap("smtp", server))
          .contains("CLEAN MailboxException", server.where(), "a reply line longer than 64 KiB");
    }
  }

  @Test
  void smtpEhloAnswerWithoutEnd_afterStarttls_isRefused() throws Exception {
    try (HostileServer server = new HostileServer(w -> {
      w.line("220 smtp.hostile ready");
      w.readLine();
      w.line("250-smtp.hostile");
      w.line("250 STARTTLS");
      w.readLine();
      w.line("220 go ahead");
      w.startTls(serverTls);
      w.readLine();
      w.endless("250-more and more\r\n".getBytes(StandardCharsets.US_ASCII));
    })) {
      SmtpSender sender = smtp(server, Duration.ofSeconds(5));
      MailboxException e = assertTimeoutPreemptively(BOUND, () -> assertThrows(MailboxException.class,
          () -> sender.send(hello())));
      assertThat(e).hasMessageContaining(server.where()).hasMessageContaining("a reply longer than 1 MiB");
      assertThat(server.connections()).isEqualTo(1);
    }
  }

  @Test
  void smtpServerThatStopsTakingTheMessage_failsAfterTheTimeout() throws Exception {
    try (HostileServer server = new HostileServer(w -> {
      w.line("220 smtp.hostile ready");
      w.readLine();
      w.line("250-smtp.hostile");
      w.line("250 STARTTLS");
      w.readLine();
      w.line("220 go ahead");
      w.startTls(serverTls);
      w.readLine();
      w.line("250-smtp.hostile");
      w.line("250 AUTH XOAUTH2");
      for (String reply : new String[] {"235 2.7.0 Authentication successful", "250 2.1.0 Sender OK",
          "250 2.1.5 Recipient OK", "354 Start mail input"}) {
        w.readLine();
        w.line(reply);
      }
      w.stall(); // the message fills the TCP window and stays there
    })) {
      long size = 64L << 20;
      OutgoingMessage large = OutgoingMessage.builder().to("someone@fabrikam.com").subject("Scan").text("Attached.")
          .attach(org.o365mail.OutgoingAttachment.stream("scan.bin", "application/octet-stream", size,
              () -> new java.io.InputStream() {
                private long left = size;

                @Override
                public int read() {
                  return left-- > 0 ? 0 : -1;
                }

                @Override
                public int read(byte[] b, int off, int len) {
                  if (left <= 0) {
                    return -1;
                  }
                  int n = (int) Math.min(len, left);
                  Arrays.fill(b, off, off + n, (byte) 0);
                  left -= n;
                  return n;
                }
              }))
          .build();
      SmtpSender sender = smtp(server, Duration.ofSeconds(1));
      MailboxException e = assertTimeoutPreemptively(BOUND, () -> assertThrows(MailboxException.class,
          () -> sender.send(large)));
      assertThat(e).hasMessageContaining("The server at " + server.where() + " took no data for 1000 ms");
      assertThat(server.connections()).isEqualTo(1);
    }
  }

  @Test
  void smtpServerThatNeverAnswers_failsAfterTheReadTimeout() throws Exception {
    try (HostileServer server = new HostileServer(HostileServer.Wire::silence)) {
      SmtpSender sender = smtp(server, Duration.ofSeconds(1));
      MailboxException e = assertTimeoutPreemptively(BOUND, () -> assertThrows(MailboxException.class,
          () -> sender.send(hello())));
      assertThat(e).hasMessageContaining("The server at " + server.where() + " did not answer within 1000 ms");
      assertThat(server.connections()).isEqualTo(1);
    }
  }
}
