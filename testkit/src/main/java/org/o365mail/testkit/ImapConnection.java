package org.o365mail.testkit;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the parts of one {@link ImapSession} share: the client's connection (plain, then perhaps TLS), the lock
 * that serialises whole responses to it, the session's state (who is logged in, until when), the capability
 * lines Exchange shows, and the tenant's records. {@link ImapLogin}, {@link ImapRelay} and {@link
 * ImapFaultInjection} get this object instead of reaching into the session.
 *
 * <p>Thread-safe: the client thread and the relay's backend thread both use it; the mutable fields are
 * volatile and writes to the client are made under {@link #outLock}.
 */
final class ImapConnection {
  /** The session's log, also for its parts: tests count some of its lines under this name. */
  private static final Logger logger = LoggerFactory.getLogger(ImapSession.class);
  private static final AtomicLong IDS = new AtomicLong();

  static final int BUFFER = 64 * 1024;
  /** Longest command before login, literals included (an XOAUTH2 response is a few kilobytes). */
  static final int MAX_PRE_AUTH_COMMAND = 64 * 1024;
  /** Longest command or response line relayed after login (UID sets can be long). */
  static final int MAX_RELAY_LINE = 8 * 1024 * 1024;
  private static final int HANDSHAKE_TIMEOUT_MILLIS = 10_000;
  static final byte[] LITERAL_CONTINUATION = ascii("+ Ready for additional command text.\r\n");
  private static final byte[] BYE_TOKEN_EXPIRED_LINE = ascii(ImapSession.BYE_TOKEN_EXPIRED + "\r\n");

  enum State {
    NOT_AUTHENTICATED,
    /** Logged in and relaying to GreenMail. */
    CONNECTED,
    /** AUTHENTICATE said OK, but the identity may not open the mailbox. */
    NOT_CONNECTED
  }

  /** Which capability line to show. */
  enum Phase {
    PLAIN_BEFORE_STARTTLS,
    BEFORE_LOGIN,
    LOGGED_IN
  }

  final long id = IDS.incrementAndGet();
  final ImapFront front;
  final LocalTenant tenant;
  final Faults faults;
  final Socket raw;
  final ReentrantLock outLock = new ReentrantLock();
  final AtomicBoolean closed = new AtomicBoolean();
  final AtomicBoolean expiring = new AtomicBoolean();
  /** Closes the whole session (both connections); run by {@link #close()}. */
  private final Runnable closeSession;

  volatile Socket socket;
  volatile boolean tls;
  volatile LineInput in;
  volatile OutputStream out;
  volatile State state = State.NOT_AUTHENTICATED;
  volatile String mailbox = "";
  volatile Instant tokenExpiresAt = Instant.MAX;
  volatile boolean connectionReserved;
  /** The logged-in session's activity on its mailbox, ended at LOGOUT or close; null before login. */
  volatile MailboxAccessLog.Activity mailboxAccess;

  ImapConnection(ImapFront front, Socket raw, Runnable closeSession) {
    this.front = front;
    this.tenant = front.tenant();
    this.faults = tenant.faults();
    this.raw = raw;
    this.socket = raw;
    this.closeSession = closeSession;
  }

  /** Whether the tenant clock has passed the logged-in token's expiry. */
  boolean tokenExpired() {
    return !tenant.clock().instant().isBefore(tokenExpiresAt);
  }

  /** Ends the session as Exchange does when the access token expires. */
  void expire() {
    if (!expiring.compareAndSet(false, true) || closed.get()) {
      return;
    }
    boolean locked = false;
    try {
      locked = outLock.tryLock(2, TimeUnit.SECONDS);
      if (locked) {
        out.write(BYE_TOKEN_EXPIRED_LINE);
        out.flush();
      }
    } catch (IOException e) {
      logger.debug("imap#{}: could not say BYE: {}", id, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (locked) {
        outLock.unlock();
      }
    }
    logger.debug("imap#{}: access token of {} expired, session ended", id, mailbox);
    closeGracefully();
  }

  /** Drops the connection abruptly: a TCP reset, no BYE, no TLS close_notify. */
  void drop() {
    try {
      raw.setSoLinger(true, 0);
    } catch (SocketException e) {
      // the socket is gone already
    }
    close();
  }

  /** Closes after what was written has been sent (TLS close_notify included). */
  void closeGracefully() {
    if (closed.get()) {
      return;
    }
    Socket s = socket;
    if (s instanceof SSLSocket && !s.isClosed()) {
      try {
        s.shutdownOutput();
      } catch (IOException | UnsupportedOperationException e) {
        // best effort: the peer may be gone
      }
    }
    close();
  }

  /** Closes the session: both connections, idempotent. */
  void close() {
    closeSession.run();
  }

  /** The session no longer touches its mailbox (it said LOGOUT or is closing); idempotent. */
  void endMailboxAccess() {
    MailboxAccessLog.Activity activity = mailboxAccess;
    if (activity != null) {
      activity.end();
    }
  }

  void releaseConnection() {
    if (connectionReserved) {
      connectionReserved = false;
      front.releaseConnection(mailbox);
    }
  }

  void startTls() throws IOException {
    if (in != null) {
      in.discardBuffered();
    }
    SSLSocketFactory factory = tenant.serverTls().getSocketFactory();
    SSLSocket ssl =
        (SSLSocket) factory.createSocket(raw, raw.getInetAddress().getHostAddress(), raw.getPort(), true);
    ssl.setUseClientMode(false);
    raw.setSoTimeout(HANDSHAKE_TIMEOUT_MILLIS);
    ssl.startHandshake();
    raw.setSoTimeout(0);
    tls = true;
    bind(ssl);
  }

  void bind(Socket s) throws IOException {
    socket = s;
    in = new LineInput(s.getInputStream(), BUFFER);
    out = new BufferedOutputStream(s.getOutputStream(), BUFFER);
  }

  String capabilities(Phase phase) {
    StringBuilder c = new StringBuilder("IMAP4 IMAP4rev1");
    if (phase == Phase.PLAIN_BEFORE_STARTTLS) {
      c.append(" LOGINDISABLED STARTTLS");
    } else if (phase == Phase.BEFORE_LOGIN) {
      c.append(" AUTH=PLAIN AUTH=XOAUTH2 SASL-IR");
    }
    if (phase == Phase.LOGGED_IN) {
      // after login Exchange Online still lists its AUTH= mechanisms and adds three capabilities of its own
      // (jstedfast/MailKit#290, after AUTHENTICATE XOAUTH2; jstedfast/MailKit#849)
      c.append(" AUTH=PLAIN AUTH=XOAUTH2 SASL-IR");
    }
    if (faults.imapAdvertiseUidPlus()) {
      c.append(" UIDPLUS");
    }
    if (phase == Phase.LOGGED_IN && faults.imapAdvertiseMove()) {
      c.append(" MOVE");
    }
    c.append(" ID UNSELECT");
    if (phase == Phase.LOGGED_IN) {
      c.append(" CLIENTACCESSRULES CLIENTNETWORKPRESENCELOCATION BACKENDAUTHENTICATE");
    }
    return c.append(" CHILDREN IDLE NAMESPACE LITERAL+").toString();
  }

  void sendLocal(String... lines) throws IOException {
    outLock.lock();
    try {
      for (String line : lines) {
        out.write(line.getBytes(StandardCharsets.UTF_8));
        out.write('\r');
        out.write('\n');
      }
      out.flush();
    } finally {
      outLock.unlock();
    }
  }

  void sendRaw(byte[] bytes) throws IOException {
    outLock.lock();
    try {
      out.write(bytes);
      out.flush();
    } finally {
      outLock.unlock();
    }
  }

  void record(String method, String user, String outcome, String reason, String appId) {
    tenant.record(
        new RecordedRequest(
            "imap",
            method,
            user,
            Map.of("outcome", outcome, "reason", reason, "appid", appId),
            outcome.equals("OK") ? 0 : 1,
            "",
            tenant.clock().instant()));
  }

  /** Records a command the client sent, its credentials redacted ({@link RecordedCommand#redact}). */
  void recordCommand(Instant at, String tag, String name, String arguments, long literalBytes) {
    tenant.record(new RecordedCommand(RecordedCommand.Protocol.IMAP, id, mailbox, tag, name,
        RecordedCommand.redact(name, arguments), literalBytes, at));
  }

  void recordBasic(String method, String user, String reason) {
    record(method, user, "AUTHENTICATION_FAILED", reason, "");
  }

  static String quoted(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
