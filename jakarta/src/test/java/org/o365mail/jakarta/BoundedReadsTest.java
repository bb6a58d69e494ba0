package org.o365mail.jakarta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.o365mail.ProxySettings;
import org.o365mail.auth.AccessToken;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.CredentialKind;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.net.GuardedSockets;
import org.o365mail.testsupport.WrappingSocket;

/**
 * What a server sends is read through bounds: a hostile SMTP server on loopback with an endless line or an endless
 * reply fails the connect after the bound, not after the heap; an IMAP literal announced above the bound is refused
 * before its bytes are read, and one within it passes unchanged.
 */
@Timeout(30)
class BoundedReadsTest {

  /** An opaque token that no server here ever gets to see (the servers fail before AUTH). */
  private static CredentialStrategy opaque() {
    AppRegistration app = AppRegistration.builder().clientId("00000000-0000-0000-0000-000000000001")
        .tenant("contoso.com").build();
    return CredentialStrategy.tokenSource(app, CredentialKind.APP_ONLY,
        scopes -> new AccessToken("opaque-test-token-never-sent", Instant.now().plus(Duration.ofHours(1)))).build();
  }

  /** Runs a server that sends {@code greeting} (then holds the connection) and connects an SMTP session to it. */
  private static Throwable smtpAgainst(byte[] greeting) throws Exception {
    ExecutorService server = Executors.newSingleThreadExecutor();
    java.util.concurrent.atomic.AtomicReference<Socket> accepted = new java.util.concurrent.atomic.AtomicReference<>();
    try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        CredentialStrategy credential = opaque()) {
      server.submit(() -> {
        try (Socket s = listener.accept(); OutputStream out = s.getOutputStream()) {
          accepted.set(s);
          out.write(greeting);
          out.flush();
          s.getInputStream().read();
        } catch (IOException e) {
          // the client gave up, or the test closed the socket: what the test expects
        }
        return null;
      });
      Session session = JakartaMailSessions.smtp(credential, "alerts@contoso.com").host("127.0.0.1")
          .port(listener.getLocalPort()).timeout(Duration.ofSeconds(10)).build();
      return catchThrowable(() -> {
        try (Transport t = session.getTransport()) {
          t.connect();
        }
      });
    } finally {
      Socket s = accepted.get();
      if (s != null) {
        s.close();
      }
      server.shutdownNow();
      assertThat(server.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }
  }

  private static String chain(Throwable t) {
    StringBuilder b = new StringBuilder();
    for (Throwable c = t; c != null; c = c instanceof MessagingException m && m.getNextException() != null
        ? m.getNextException() : c.getCause()) {
      b.append(c).append('\n');
    }
    return b.toString();
  }

  @Test
  void anSmtpGreetingLineWithoutEnd_failsTheConnectAt64KiB() throws Exception {
    byte[] endless = ("220 " + "x".repeat(200_000)).getBytes(StandardCharsets.US_ASCII);
    Throwable failure = smtpAgainst(endless);
    assertThat(failure).isInstanceOf(MessagingException.class);
    assertThat(chain(failure)).contains("127.0.0.1:", "sent a line longer than 65536 bytes");
  }

  @Test
  void anSmtpReplyOfEndlessContinuationLines_failsTheConnectAt1MiB() throws Exception {
    ByteArrayOutputStream reply = new ByteArrayOutputStream();
    byte[] line = ("220-" + "y".repeat(1_000) + "\r\n").getBytes(StandardCharsets.US_ASCII);
    while (reply.size() < (3 << 20)) {
      reply.write(line);
    }
    Throwable failure = smtpAgainst(reply.toByteArray());
    assertThat(failure).isInstanceOf(MessagingException.class);
    assertThat(chain(failure)).contains("sent a reply longer than 1048576 bytes");
  }

  @Test
  void anImapLiteralAboveTheBound_isRefusedBeforeItsBytes_andOneWithinPassesUnchanged() throws IOException {
    BoundedReads.Limits limits = BoundedReads.Limits.imap(1 << 20, Duration.ofSeconds(60));
    String small = "* 1 FETCH (BODY[] {5}\r\nhello)\r\n* 2 FETCH (BODY[] {0}\r\n)\r\nA1 OK done\r\n";
    try (InputStream in = new BoundedReads.BoundedInput(
        new ByteArrayInputStream(small.getBytes(StandardCharsets.US_ASCII)), limits, "imap.test:993")) {
      assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo(small);
    }
    // a literal's bytes are not a line: 2 MiB of them without CRLF pass when announced within the bound
    byte[] body = new byte[(1 << 20) - 1];
    java.util.Arrays.fill(body, (byte) 'z');
    ByteArrayOutputStream big = new ByteArrayOutputStream();
    big.writeBytes(("* 3 FETCH (BODY[]<0> {" + body.length + "}\r\n").getBytes(StandardCharsets.US_ASCII));
    big.writeBytes(body);
    big.writeBytes(")\r\n".getBytes(StandardCharsets.US_ASCII));
    try (InputStream in = new BoundedReads.BoundedInput(new ByteArrayInputStream(big.toByteArray()),
        BoundedReads.Limits.imap(1 << 20, Duration.ofSeconds(60)), "imap.test:993")) {
      assertThat(in.readAllBytes()).hasSize(big.size());
    }

    String huge = "* 1 FETCH (BODY[] {2147483000}\r\nzzzz";
    InputStream in = new BoundedReads.BoundedInput(
        new ByteArrayInputStream(huge.getBytes(StandardCharsets.US_ASCII)), limits, "imap.test:993");
    assertThatThrownBy(in::readAllBytes).isInstanceOf(BoundedReads.BoundExceededException.class)
        .hasMessage("imap.test:993 sent a literal of 2147483000 bytes, more than 1048576; the connection is given up");
    // and it stays failed
    assertThatThrownBy(in::read).isInstanceOf(BoundedReads.BoundExceededException.class);
  }

  @Test
  void aServerThatRefusesAtGreeting_failsTheConnectWithItsAnswer_andNoTokenIsSent() throws Exception {
    Throwable failure = smtpAgainst("554 5.7.1 go away\r\n".getBytes(StandardCharsets.US_ASCII));
    assertThat(failure).isInstanceOf(MessagingException.class);
    assertThat(chain(failure)).contains("554 5.7.1 go away").doesNotContain("opaque-test-token-never-sent");
  }

  @Test
  void onceStartTlsLayersTlsOverTheWrappedPlainSocket_itsBytesAreNoLongerFramedAsSmtpLines() throws Exception {
    byte[] records = new byte[200_000];
    java.util.Arrays.fill(records, (byte) 0x17);
    try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      ExecutorService server = Executors.newSingleThreadExecutor();
      try {
        server.submit(() -> {
          try (Socket s = listener.accept(); OutputStream out = s.getOutputStream()) {
            out.write("220 ready\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            s.getInputStream().read();
            out.write(records);
            out.flush();
            s.getInputStream().read();
          }
          return null;
        });
        BoundedReads.Limits limits = BoundedReads.Limits.smtp(Duration.ofSeconds(60));
        GuardedSockets sockets = GuardedSockets.of(new BoundedReads.Guard(limits, "smtp.test:587", null),
            (javax.net.ssl.SSLSocketFactory) javax.net.ssl.SSLSocketFactory.getDefault(), ProxySettings.none(),
            "smtp.test", 587);
        javax.net.ssl.SSLSocketFactory tls = sockets.tls();
        Socket raw = sockets.plain().createSocket();
        raw.connect(listener.getLocalSocketAddress(), 5_000);
        try (Socket wrapped = new WrappingSocket(raw)) {
          InputStream in = wrapped.getInputStream();
          assertThat(new String(in.readNBytes(11), StandardCharsets.US_ASCII)).isEqualTo("220 ready\r\n");
          // STARTTLS: TLS is layered over Angus's wrapper (the handshake itself is left out here)
          tls.createSocket(wrapped, "smtp.test", 587, false);
          wrapped.getOutputStream().write('.');
          wrapped.getOutputStream().flush();
          assertThat(in.readNBytes(records.length)).hasSize(records.length);
          wrapped.getOutputStream().write('.');
        }
      } finally {
        server.shutdownNow();
      }
    }
  }

  @Test
  void anAnswerThatTricklesSlowerThan1KiBPerSecondAfterTheTimeout_isGivenUp_andTheNextAnswerStartsAfresh()
      throws IOException {
    long[] now = {0};
    // one byte per read, each arriving 10 s after the last: a server that never trips the read timeout
    InputStream trickle = new InputStream() {
      private final byte[] text = ("* OK first\r\n" + "* 1 FETCH (FLAGS (\\Seen))\r\n").getBytes(
          StandardCharsets.US_ASCII);
      private int i;

      @Override
      public int read() {
        now[0] += Duration.ofSeconds(10).toNanos();
        return i < text.length ? text[i++] : -1;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        int c = read();
        if (c < 0) {
          return -1;
        }
        b[off] = (byte) c;
        return 1;
      }
    };
    InputStream in = new BoundedReads.BoundedInput(trickle,
        BoundedReads.Limits.imap(1 << 20, Duration.ofSeconds(60)), "imap.test:993", () -> now[0]);
    // "* OK first" and CRLF: the clock starts at the first byte, so 11 more bytes take 110 s > 60 s + 0 s
    Throwable failure = catchThrowable(in::readAllBytes);
    assertThat(failure).isInstanceOf(BoundedReads.BoundExceededException.class)
        .hasMessage("imap.test:993 sent an answer slower than 1024 bytes/s after 60 s; the connection is given up");

    // whole answers of a few bytes a second apart are not one slow answer
    long[] clock = {0};
    InputStream lines = new InputStream() {
      private final byte[] text = "* 1 EXISTS\r\n* 2 EXISTS\r\n* 3 EXISTS\r\n".getBytes(StandardCharsets.US_ASCII);
      private int i;

      @Override
      public int read() {
        return i < text.length ? text[i++] : -1;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (i >= text.length) {
          return -1;
        }
        clock[0] += Duration.ofSeconds(50).toNanos();
        int n = 0;
        do {
          b[off + n++] = text[i];
        } while (text[i++] != '\n');
        return n;
      }
    };
    InputStream bounded = new BoundedReads.BoundedInput(lines,
        BoundedReads.Limits.imap(1 << 20, Duration.ofSeconds(60)), "imap.test:993", () -> clock[0]);
    assertThat(bounded.readAllBytes()).hasSize(36);
  }

  @Test
  void anImapLoginCommand_isStoppedBeforeItsArguments_whileXoauth2AndAppendLiteralsPass() throws IOException {
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    OutputStream out = new LoginRefusingOutput(wire, "imap.test:993");
    String authenticate = "A1 AUTHENTICATE XOAUTH2 dXNlcj1h\r\n";
    out.write(authenticate.getBytes(StandardCharsets.US_ASCII));
    String message = "Subject: x\r\n\r\nA9 LOGIN is a word in this body\r\n";
    String append = "A2 APPEND INBOX {" + message.length() + "}\r\n";
    out.write(append.getBytes(StandardCharsets.US_ASCII));
    out.write(message.getBytes(StandardCharsets.US_ASCII));
    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
    assertThat(wire.toString(StandardCharsets.US_ASCII)).isEqualTo(authenticate + append + message + "\r\n");

    // Angus's fallback when the server offers no AUTH=XOAUTH2: refused, nothing of it written, in one write or two
    int before = wire.size();
    assertThatThrownBy(() -> out.write("A3 LOGIN invoices@contoso.com secret-token\r\n"
        .getBytes(StandardCharsets.US_ASCII)))
        .isInstanceOf(IOException.class)
        .hasMessage("imap.test:993 does not offer AUTH=XOAUTH2; the token is never sent with LOGIN");
    assertThat(wire.size()).isEqualTo(before);
    ByteArrayOutputStream split = new ByteArrayOutputStream();
    OutputStream second = new LoginRefusingOutput(split, "imap.test:993");
    second.write("A4 log".getBytes(StandardCharsets.US_ASCII));
    assertThatThrownBy(() -> second.write("in user token\r\n".getBytes(StandardCharsets.US_ASCII)))
        .isInstanceOf(IOException.class);
    assertThat(split.toString(StandardCharsets.US_ASCII)).isEqualTo("A4 log");
  }
}
