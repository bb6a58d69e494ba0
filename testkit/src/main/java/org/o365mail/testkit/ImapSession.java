package org.o365mail.testkit;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.o365mail.testkit.ImapCommandReader.Command;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection to the IMAP front. Before login it speaks for Exchange Online itself: greeting,
 * CAPABILITY, ID, NOOP, LOGOUT, STARTTLS (plain port only), AUTHENTICATE XOAUTH2 with or without SASL-IR, and
 * the refusal of basic authentication (LOGIN, AUTHENTICATE PLAIN). After a successful XOAUTH2 login it is
 * logged in to GreenMail as the mailbox and relays both directions as raw bytes, reading only command and
 * response lines and the literal lengths they announce, so that it can:
 *
 * <ul>
 *   <li>show folders with Exchange's hierarchy delimiter {@code /} (GreenMail's is {@code .}), with the
 *       {@code \HasChildren}/{@code \HasNoChildren} attributes CHILDREN promises ({@link ImapMailboxNames});
 *   <li>answer CAPABILITY, ID and NAMESPACE itself and emulate UNSELECT, which GreenMail lacks;
 *   <li>run IDLE itself, polling GreenMail with NOOP, so that mail arriving just after the continuation is
 *       pushed too;
 *   <li>refuse MOVE and UID EXPUNGE when {@link Faults#imapAdvertiseMove(boolean)} or {@link
 *       Faults#imapAdvertiseUidPlus(boolean)} hide them;
 *   <li>end the session with {@code * BYE Session invalidated - AccessTokenExpired} once the tenant clock
 *       passes the token's {@code exp} (on the next command, or within about a second in IDLE);
 *   <li>throttle any command as Exchange Online does ({@link Faults#imapThrottleCommands}, {@link
 *       Faults#imapThrottleCommand}): {@code NO} or {@code BAD Request is throttled. Suggested Backoff Time: N
 *       milliseconds}, the command not carried out, sometimes followed by {@code * BYE Connection closed. 14};
 *   <li>add latency and drop the connection as the faults ask.
 * </ul>
 *
 * <p>After login CAPABILITY answers what Exchange Online advertises then: its AUTH= mechanisms again, MOVE, and
 * CLIENTACCESSRULES, CLIENTNETWORKPRESENCELOCATION and BACKENDAUTHENTICATE (jstedfast/MailKit#290, #849).
 *
 * <p>A login whose token is valid but may not open the mailbox ({@link ExchangeAccess.Outcome#NOT_CONNECTED})
 * gets {@code OK AUTHENTICATE completed.}; its first command other than CAPABILITY, NOOP, ID or LOGOUT then
 * gets {@code BAD User is authenticated but not connected.} and the connection is closed.
 *
 * <p>Threads: the connection's own thread reads the client; after login a second thread relays the backend's
 * responses. Writes to the client are serialised by a lock held for whole responses (literals included).
 */
final class ImapSession implements Runnable {
  private static final Logger logger = LoggerFactory.getLogger(ImapSession.class);
  private static final AtomicLong IDS = new AtomicLong();

  private static final int BUFFER = 64 * 1024;
  /** Longest command before login, literals included (an XOAUTH2 response is a few kilobytes). */
  private static final int MAX_PRE_AUTH_COMMAND = 64 * 1024;
  /** Longest command or response line relayed after login (UID sets can be long). */
  private static final int MAX_RELAY_LINE = 8 * 1024 * 1024;
  private static final int HANDSHAKE_TIMEOUT_MILLIS = 10_000;
  private static final Duration CONNECTION_LIMIT_BACKOFF = Duration.ofSeconds(30);
  /** A name GreenMail has no folder for: EXAMINE on it deselects, which is how UNSELECT is emulated. */
  private static final String UNSELECT_MAILBOX = "\"testkit/unselect\"";

  /** GreenMail's text for a command in the wrong state, which Exchange words differently (and answers BAD). */
  private static final String GREENMAIL_WRONG_STATE = "Command not valid in this state";

  static final String BYE_LOGOUT = "* BYE Microsoft Exchange Server IMAP4 server signing off.";
  static final String BYE_TOKEN_EXPIRED = "* BYE Session invalidated - AccessTokenExpired";
  /** What follows a throttled command's answer when Exchange ends the session (email-oauth2-proxy#191). */
  static final String BYE_THROTTLED = "* BYE Connection closed. 14";
  private static final String THROTTLED = "Request is throttled. Suggested Backoff Time: ";
  private static final byte[] LITERAL_CONTINUATION = ascii("+ Ready for additional command text.\r\n");
  private static final byte[] IDLE_CONTINUATION = ascii("+ IDLE accepted, awaiting DONE command.\r\n");
  private static final byte[] BYE_LOGOUT_LINE = ascii(BYE_LOGOUT + "\r\n");
  private static final byte[] BYE_TOKEN_EXPIRED_LINE = ascii(BYE_TOKEN_EXPIRED + "\r\n");

  private enum State {
    NOT_AUTHENTICATED,
    /** Logged in and relaying to GreenMail. */
    CONNECTED,
    /** AUTHENTICATE said OK, but the identity may not open the mailbox. */
    NOT_CONNECTED
  }

  /** Which capability line to show. */
  private enum Phase {
    PLAIN_BEFORE_STARTTLS,
    BEFORE_LOGIN,
    LOGGED_IN
  }

  private final long id = IDS.incrementAndGet();
  private final ImapCommandReader commands;
  private final ImapFront front;
  private final LocalTenant tenant;
  private final Faults faults;
  private final Socket raw;
  private final boolean implicitTls;
  private final ReentrantLock outLock = new ReentrantLock();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicBoolean expiring = new AtomicBoolean();

  private volatile Socket socket;
  private volatile boolean tls;
  private volatile LineInput in;
  private volatile OutputStream out;
  private volatile State state = State.NOT_AUTHENTICATED;
  private volatile String mailbox = "";
  private volatile Instant tokenExpiresAt = Instant.MAX;
  private volatile boolean connectionReserved;

  private volatile Socket backend;
  private volatile LineInput backendIn;
  private volatile OutputStream backendOut;

  // relay state shared by the two directions
  private volatile boolean idling;
  private volatile String idleTag;
  private volatile String literalTag;
  private final BlockingQueue<Boolean> literalAnswer = new ArrayBlockingQueue<>(1);
  /** Tags whose completion from GreenMail is replaced by the front's own (UNSELECT, IDLE). */
  private final Map<String, byte[]> rewrittenCompletions = new ConcurrentHashMap<>();
  /** Tags of the NOOPs that poll GreenMail during IDLE; their completions are not relayed. */
  private final Set<String> pollTags = ConcurrentHashMap.newKeySet();
  /** Serialises writes to GreenMail between the client thread and the IDLE poller. */
  private final ReentrantLock backendLock = new ReentrantLock();
  private long polls;
  private volatile String dropAfterTag;
  /** The command whose tagged answer is never sent: the connection is dropped in its place. */
  private volatile String loseAnswerTag;
  /** The mailbox's folders while a LIST answer is relayed; only the backend thread uses it. */
  private List<String> folderPaths;
  /** Drop after this many FETCH responses (0: never), drawn for the knob value in {@link #fetchLimitFor}. */
  private int fetchLimit;
  private int fetchLimitFor;
  /** FETCH responses relayed since login; only the backend thread counts. */
  private int fetches;

  ImapSession(ImapFront front, Socket raw, boolean implicitTls) {
    this.front = front;
    this.tenant = front.tenant();
    this.faults = tenant.faults();
    this.commands = new ImapCommandReader(tenant.clock(), MAX_PRE_AUTH_COMMAND);
    this.raw = raw;
    this.socket = raw;
    this.implicitTls = implicitTls;
  }

  @Override
  public void run() {
    try {
      raw.setTcpNoDelay(true);
      if (implicitTls) {
        startTls();
      } else {
        bind(raw);
      }
      sendLocal("* OK The Microsoft Exchange IMAP4 service is ready. [" + serverNameToken() + "]");
      beforeLogin();
      if (closed.get()) {
        return;
      }
      if (state == State.CONNECTED) {
        try {
          front.execute(this::relayBackendToClient);
        } catch (RejectedExecutionException e) {
          return; // the front is closing
        }
        relayClientToBackend();
      } else if (state == State.NOT_CONNECTED) {
        notConnected();
      }
    } catch (IOException e) {
      logger.debug("imap#{}: connection ended: {}", id, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      logger.warn("imap#{}: session failed", id, e);
    } finally {
      close();
    }
  }

  // ----------------------------------------------------------------------------------------------
  // before login

  private void beforeLogin() throws IOException, InterruptedException {
    while (state == State.NOT_AUTHENTICATED && !closed.get()) {
      Command c = readCommand();
      if (c == null) {
        return;
      }
      pause();
      boolean drop = faults.roll(faults.imapDropRate());
      switch (c.name()) {
        case "CAPABILITY" -> sendLocal(
            "* CAPABILITY " + capabilities(tls ? Phase.BEFORE_LOGIN : Phase.PLAIN_BEFORE_STARTTLS),
            c.tag() + " OK CAPABILITY completed.");
        case "NOOP" -> sendLocal(c.tag() + " OK NOOP completed.");
        case "ID" -> sendLocal("* ID NIL", c.tag() + " OK ID completed.");
        case "LOGOUT" -> {
          logout(c.tag());
          return;
        }
        case "STARTTLS" -> {
          if (tls) {
            sendLocal(c.tag() + " BAD Command received in Invalid state.");
          } else {
            sendLocal(c.tag() + " OK Begin TLS negotiation now.");
            startTls();
          }
        }
        case "LOGIN" -> login(c);
        case "AUTHENTICATE" -> authenticate(c);
        default -> sendLocal(c.tag() + " BAD Command received in Invalid state.");
      }
      if (drop) {
        drop();
        return;
      }
    }
  }

  private void login(Command c) throws IOException {
    String user = c.args().isEmpty() ? "" : c.args().get(0);
    if (!tls) {
      recordBasic("LOGIN", user, "LOGIN before STARTTLS (LOGINDISABLED)");
      sendLocal(c.tag() + " BAD Command received in Invalid state.");
      return;
    }
    recordBasic("LOGIN", user, "basic authentication is disabled in Exchange Online");
    sendLocal(c.tag() + " NO LOGIN failed.");
  }

  private void authenticate(Command c) throws IOException {
    String mechanism = c.args().isEmpty() ? "" : c.args().get(0).toUpperCase(Locale.ROOT);
    if (!tls) {
      if (mechanism.equals("PLAIN")) {
        recordBasic("AUTHENTICATE PLAIN", "", "AUTHENTICATE PLAIN before STARTTLS");
      }
      sendLocal(c.tag() + " BAD Command received in Invalid state.");
      return;
    }
    if (mechanism.isEmpty()) {
      sendLocal(c.tag() + " BAD Command Argument Error. 11");
      return;
    }
    if (!mechanism.equals("XOAUTH2") && !mechanism.equals("PLAIN")) {
      sendLocal(c.tag() + " NO The specified authentication package is not supported.");
      return;
    }
    String response;
    if (c.args().size() > 1) {
      response = c.args().get(1).equals("=") ? "" : c.args().get(1);
    } else {
      sendLocal("+ ");
      int n = in.readLine(MAX_PRE_AUTH_COMMAND);
      if (n < 0) {
        throw new IOException("client left during AUTHENTICATE");
      }
      response = in.lineText().trim();
      if (response.equals("*")) {
        sendLocal(c.tag() + " BAD AUTHENTICATE aborted.");
        return;
      }
    }
    if (mechanism.equals("PLAIN")) {
      recordBasic("AUTHENTICATE PLAIN", plainUser(response), "basic authentication is disabled in Exchange Online");
      sendLocal(c.tag() + " NO AUTHENTICATE failed.");
    } else {
      xoauth2(c.tag(), response);
    }
  }

  /** The authorization or authentication identity of a SASL PLAIN response, never the password. */
  private static String plainUser(String base64) {
    try {
      String[] parts = new String(Base64.getMimeDecoder().decode(base64), StandardCharsets.UTF_8).split("\u0000", -1);
      if (parts.length == 3) {
        return parts[0].isEmpty() ? parts[1] : parts[0];
      }
    } catch (IllegalArgumentException e) {
      // not base64: no user to report
    }
    return "";
  }

  private void xoauth2(String tag, String response) throws IOException {
    String method = "AUTHENTICATE XOAUTH2";
    Optional<Xoauth2> message = Xoauth2.decode(response);
    if (message.isEmpty()) {
      record(method, "", "AUTHENTICATION_FAILED", "malformed XOAUTH2 message", "");
      sendLocal(tag + " NO AUTHENTICATE failed.");
      return;
    }
    String user = message.get().user();
    ExchangeAccess.Decision decision =
        tenant.exchangeAccess().decide(user, message.get().token(), "IMAP.AccessAsApp", "IMAP.AccessAsUser.All");
    String appId = decision.token().map(VerifiedToken::appId).orElse("");
    switch (decision.outcome()) {
      case AUTHENTICATION_FAILED -> {
        record(method, user, "AUTHENTICATION_FAILED", decision.reason(), appId);
        sendLocal(tag + " NO AUTHENTICATE failed.");
      }
      case NOT_CONNECTED -> {
        record(method, user, "NOT_CONNECTED", decision.reason(), appId);
        mailbox = user;
        tokenExpiresAt = decision.token().map(VerifiedToken::expiresAt).orElse(Instant.EPOCH);
        state = State.NOT_CONNECTED;
        sendLocal(tag + " OK AUTHENTICATE completed.");
      }
      case OK -> connect(tag, decision, appId);
    }
  }

  private void connect(String tag, ExchangeAccess.Decision decision, String appId) throws IOException {
    String method = "AUTHENTICATE XOAUTH2";
    Mailbox target = decision.mailbox().orElseThrow();
    String address = target.address();
    if (!target.imapEnabled()) {
      record(method, address, "AUTHENTICATION_FAILED", "IMAP is disabled for mailbox " + address, appId);
      sendLocal(tag + " NO AUTHENTICATE failed.");
      return;
    }
    Optional<Duration> throttle = faults.takeImapThrottle(address);
    if (throttle.isPresent()) {
      record(method, address, "THROTTLED", "login throttled by Faults.imapThrottle", appId);
      sendLocal(throttled(tag, throttle.get()));
      return;
    }
    if (!front.reserveConnection(address)) {
      record(method, address, "THROTTLED",
          "more than " + faults.imapMaxConnectionsPerMailbox() + " connections to " + address, appId);
      sendLocal(throttled(tag, CONNECTION_LIMIT_BACKOFF));
      return;
    }
    connectionReserved = true;
    mailbox = address;
    try {
      openBackend(address);
    } catch (IOException e) {
      logger.warn("imap#{}: cannot log in to the mailbox store as {}: {}", id, address, e.toString());
      record(method, address, "AUTHENTICATION_FAILED", "mailbox store refused the login", appId);
      sendLocal(tag + " NO AUTHENTICATE failed.");
      releaseConnection();
      closeBackend();
      return;
    }
    record(method, address, "OK", "", appId);
    tokenExpiresAt = decision.token().map(VerifiedToken::expiresAt).orElse(Instant.EPOCH);
    state = State.CONNECTED;
    sendLocal(tag + " OK AUTHENTICATE completed.");
  }

  private static String throttled(String tag, Duration backoff) {
    return tag + " NO " + THROTTLED + backoff.toMillis() + " milliseconds";
  }

  /** Logs in to GreenMail's IMAP server as the mailbox, consuming its greeting and answer. */
  private void openBackend(String address) throws IOException {
    MailStore store = tenant.mailStore();
    Socket s = new Socket();
    backend = s;
    s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), store.backendImapPort()), 5_000);
    s.setTcpNoDelay(true);
    s.setSoTimeout(10_000);
    LineInput bin = new LineInput(s.getInputStream(), BUFFER);
    OutputStream bout = new BufferedOutputStream(s.getOutputStream(), BUFFER);
    if (bin.readLine(MAX_PRE_AUTH_COMMAND) < 0 || !bin.lineText().startsWith("* OK")) {
      throw new IOException("no greeting from the mailbox store");
    }
    bout.write(ascii("L1 LOGIN " + quoted(MailStore.key(address)) + " " + quoted(store.backendPassword(address))
        + "\r\n"));
    bout.flush();
    while (true) {
      if (bin.readLine(MAX_PRE_AUTH_COMMAND) < 0) {
        throw new IOException("mailbox store closed the connection during LOGIN");
      }
      String answer = bin.lineText();
      if (answer.startsWith("L1 ")) {
        if (!answer.startsWith("L1 OK")) {
          throw new IOException("mailbox store refused LOGIN");
        }
        break;
      }
    }
    s.setSoTimeout(0);
    backendIn = bin;
    backendOut = bout;
  }

  // ----------------------------------------------------------------------------------------------
  // authenticated but not connected

  private void notConnected() throws IOException, InterruptedException {
    while (!closed.get()) {
      Command c = readCommand();
      if (c == null) {
        return;
      }
      if (tokenExpired()) {
        expire();
        return;
      }
      pause();
      boolean drop = faults.roll(faults.imapDropRate());
      switch (c.name()) {
        case "CAPABILITY" -> sendLocal(
            "* CAPABILITY " + capabilities(Phase.LOGGED_IN), c.tag() + " OK CAPABILITY completed.");
        case "NOOP" -> sendLocal(c.tag() + " OK NOOP completed.");
        case "ID" -> sendLocal("* ID NIL", c.tag() + " OK ID completed.");
        case "LOGOUT" -> {
          logout(c.tag());
          return;
        }
        default -> {
          sendLocal(c.tag() + " BAD User is authenticated but not connected.");
          closeGracefully();
          return;
        }
      }
      if (drop) {
        drop();
        return;
      }
    }
  }

  private void logout(String tag) throws IOException {
    sendLocal(BYE_LOGOUT, tag + " OK LOGOUT completed.");
    closeGracefully();
  }

  /**
   * Reads one command with its literals (sending continuations for synchronizing ones) and records it, or null at
   * EOF; a line holding only a tag is answered {@code BAD} here.
   */
  private Command readCommand() throws IOException {
    while (true) {
      Command c = commands.read(in, () -> sendRaw(LITERAL_CONTINUATION));
      if (c == null) {
        return null;
      }
      recordCommand(c.receivedAt(), c.tag(), c.name(), c.shown(), c.literalBytes());
      if (c.name().isEmpty()) {
        sendLocal(c.tag() + " BAD Command Error. 10");
        continue;
      }
      return c;
    }
  }

  // ----------------------------------------------------------------------------------------------
  // relay after login

  private void relayClientToBackend() throws IOException, InterruptedException {
    while (!closed.get()) {
      int n = in.readLine(MAX_RELAY_LINE);
      if (n < 0) {
        return;
      }
      byte[] line = in.line();
      if (idling) {
        endIdle();
        continue;
      }
      int end = LineInput.contentLength(line, n);
      if (end == 0) {
        continue;
      }
      Instant receivedAt = tenant.clock().instant();
      if (tokenExpired()) {
        expire();
        return;
      }
      pause();
      boolean drop = faults.roll(faults.imapDropRate());
      ImapCommandReader.CommandLine parsed = ImapCommandReader.commandLine(line, end);
      if (parsed == null) {
        forward(null, n); // not a command: no tag to answer, nothing to record
        continue;
      }
      String tag = parsed.tag();
      String name = parsed.name();
      String sub = parsed.sub();
      int argsStart = parsed.argsStart();
      String command = parsed.command();
      long firstLiteral = LineInput.literalLength(line, n);
      PendingCommand pending = new PendingCommand(receivedAt, tag, command,
          new String(line, argsStart, Math.max(0, end - argsStart), StandardCharsets.ISO_8859_1),
          Math.max(0, firstLiteral));
      if (name.equals("LOGOUT")) {
        // recorded so tests can tell a session ended with a goodbye from one whose socket was just closed; under
        // its own service name, so that the "imap" records stay one per login attempt
        tenant.record(new RecordedRequest("imap-logout", "LOGOUT", mailbox, Map.of("outcome", "OK"), 0, "",
            tenant.clock().instant()));
      }
      Optional<Faults.ImapCommandThrottle> throttle = faults.takeImapCommandThrottle(command);
      if (throttle.isPresent()) {
        pending.record();
        skipRestOfCommand(n);
        if (throttled(tag, command, throttle.get())) {
          return;
        }
        continue;
      }
      ImapMailboxNames.commandToBackend(line, end, name.equals("UID") ? sub : name, argsStart);
      boolean loseAnswer = faults.takeImapLostAnswer(command);
      String[] local = localAnswer(tag, name, sub);
      if (local != null) {
        pending.record();
        skipRestOfCommand(n);
        if (loseAnswer) {
          sendLocal(Arrays.copyOf(local, local.length - 1));
          drop();
          return;
        }
        sendLocal(local);
        if (drop) {
          drop();
          return;
        }
        continue;
      }
      if (drop && dropAfterTag == null) {
        dropAfterTag = tag;
      }
      if (loseAnswer) {
        loseAnswerTag = tag;
      }
      if (name.equals("UNSELECT")) {
        pending.record();
        rewrittenCompletions.put(tag, ascii(tag + " OK UNSELECT completed.\r\n"));
        backendOut.write(ascii(tag + " EXAMINE " + UNSELECT_MAILBOX + "\r\n"));
        backendOut.flush();
        continue;
      }
      if (name.equals("IDLE")) {
        pending.record();
        startIdle(tag);
        continue;
      }
      forward(pending, n);
    }
  }

  /**
   * Refuses a command of a logged-in session as throttled ({@link Faults#imapThrottleCommands}, {@link
   * Faults#imapThrottleCommand}) without carrying it out; returns whether the connection was ended with a BYE.
   */
  private boolean throttled(String tag, String command, Faults.ImapCommandThrottle throttle) throws IOException {
    Faults.ImapThrottleAnswer answer = throttle.answer();
    tenant.record(new RecordedRequest("imap", command, mailbox,
        Map.of("outcome", "THROTTLED", "answer", answer.name(), "backoff", Long.toString(throttle.backoff().toMillis())),
        1, "", tenant.clock().instant()));
    String refusal = tag + (answer.bad() ? " BAD " : " NO ") + THROTTLED + throttle.backoff().toMillis()
        + " milliseconds";
    if (!answer.bye()) {
      sendLocal(refusal);
      return false;
    }
    sendLocal(refusal, BYE_THROTTLED);
    logger.debug("imap#{}: {} throttled; session ended with a BYE", id, command);
    closeGracefully();
    return true;
  }

  /** What the front answers itself after login, or null to relay the command. */
  private String[] localAnswer(String tag, String name, String sub) {
    switch (name) {
      case "CAPABILITY":
        return new String[] {"* CAPABILITY " + capabilities(Phase.LOGGED_IN), tag + " OK CAPABILITY completed."};
      case "ID":
        return new String[] {"* ID NIL", tag + " OK ID completed."};
      case "NAMESPACE":
        return new String[] {"* NAMESPACE ((\"\" \"/\")) NIL NIL", tag + " OK NAMESPACE completed."};
      case "LOGIN":
      case "AUTHENTICATE":
      case "STARTTLS":
        return new String[] {tag + " BAD Command received in Invalid state."};
      case "MOVE":
        return faults.imapAdvertiseMove() ? null : new String[] {tag + " BAD Command Error. 10"};
      case "UID":
        if ((sub.equals("MOVE") && !faults.imapAdvertiseMove())
            || (sub.equals("EXPUNGE") && !faults.imapAdvertiseUidPlus())) {
          return new String[] {tag + " BAD Command Error. 10"};
        }
        return null;
      default:
        return null;
    }
  }

  /**
   * Relays the command whose first line (of length {@code n}) is in the reader's line buffer, with its
   * literals. A synchronizing literal is sent only once GreenMail asked for it with a continuation. The command is
   * recorded once its last line is read and before that line goes on, so it is in the record before any answer.
   *
   * @param pending the command to record, or null for a line that is not a command
   */
  private void forward(PendingCommand pending, int n) throws IOException, InterruptedException {
    String tag = pending == null ? "" : pending.tag;
    int length = n;
    boolean first = true;
    while (true) {
      byte[] line = in.line();
      long literal = LineInput.literalLength(line, length);
      if (pending != null && !first) {
        pending.continued(line, length, literal);
      }
      first = false;
      if (literal < 0 && pending != null) {
        pending.record();
      }
      backendOut.write(line, 0, length);
      if (literal < 0) {
        backendOut.flush();
        return;
      }
      if (!LineInput.literalIsNonSynchronizing(line, length)) {
        literalAnswer.clear();
        literalTag = tag;
        backendOut.flush();
        Boolean go = literalAnswer.poll(10, TimeUnit.MINUTES);
        literalTag = null;
        if (go == null || !go) {
          if (pending != null) {
            pending.record(); // refused before its literal came: received all the same
          }
          return;
        }
      }
      in.copy(literal, backendOut);
      length = in.readLine(MAX_RELAY_LINE);
      if (length < 0) {
        backendOut.flush();
        return;
      }
    }
  }

  /** Skips the non-synchronizing literals of a command answered locally (a synchronizing one is never sent). */
  private void skipRestOfCommand(int n) throws IOException {
    int length = n;
    while (LineInput.literalLength(in.line(), length) >= 0
        && LineInput.literalIsNonSynchronizing(in.line(), length)) {
      in.copy(LineInput.literalLength(in.line(), length), null);
      length = in.readLine(MAX_RELAY_LINE);
      if (length < 0) {
        return;
      }
    }
  }

  private void relayBackendToClient() {
    try {
      LineInput bin = backendIn;
      while (true) {
        int n = bin.readLine(MAX_RELAY_LINE);
        if (n < 0) {
          break;
        }
        boolean dropNow = false;
        outLock.lock();
        try {
          byte[] line = bin.line();
          if (line[0] == '+') {
            if (literalTag != null) {
              out.write(LITERAL_CONTINUATION);
              out.flush();
              literalAnswer.offer(Boolean.TRUE);
            } else {
              out.write(line, 0, n);
            }
          } else if (line[0] == '*') {
            if (isFetch(line, n)) {
              fetches++;
              updateFetchLimit();
            }
            byte[] translated = ImapMailboxNames.responseToClient(line, n, this::folderPaths);
            if (LineInput.startsWithIgnoreCase(line, n, 0, "* BYE")) {
              out.write(BYE_LOGOUT_LINE);
            } else if (translated != line) {
              out.write(translated);
            } else {
              writeResponse(line, n, 2, false);
            }
            relayLiterals(out, bin, n);
          } else {
            int tagEnd = ImapCommandReader.indexOf(line, (byte) ' ', 0, n);
            String tag = tagEnd < 0 ? "" : new String(line, 0, tagEnd, StandardCharsets.ISO_8859_1);
            if (tag.equals(literalTag)) {
              literalAnswer.offer(Boolean.FALSE);
            }
            byte[] replacement = rewrittenCompletions.remove(tag);
            boolean lose = tag.equals(loseAnswerTag);
            if (lose) {
              relayLiterals(null, bin, n); // carried out, and the answer lost with the connection
            } else if (pollTags.remove(tag)) {
              relayLiterals(null, bin, n);
            } else if (replacement != null) {
              out.write(replacement);
              relayLiterals(null, bin, n);
            } else {
              writeResponse(line, n, tagEnd + 1, true);
              relayLiterals(out, bin, n);
            }
            dropNow = lose || tag.equals(dropAfterTag);
            folderPaths = null;
          }
          if (fetchLimit > 0 && fetches >= fetchLimit) {
            dropNow = true;
          }
          if (dropNow || !bin.moreAvailable()) {
            out.flush();
          }
        } finally {
          outLock.unlock();
        }
        if (dropNow) {
          logger.debug("imap#{}: dropping the connection as the faults ask", id);
          drop();
          return;
        }
      }
    } catch (IOException e) {
      logger.debug("imap#{}: relay ended: {}", id, e.toString());
    } finally {
      literalAnswer.offer(Boolean.FALSE);
      closeGracefully();
    }
  }

  private List<String> folderPaths() {
    if (folderPaths == null) {
      folderPaths = tenant.mailStore().folderPaths(mailbox);
    }
    return folderPaths;
  }

  /** Copies (or with a null target skips) the literals a response line announces, and the lines after them. */
  private static void relayLiterals(OutputStream target, LineInput bin, int firstLength) throws IOException {
    int n = firstLength;
    long literal;
    while ((literal = LineInput.literalLength(bin.line(), n)) >= 0) {
      bin.copy(literal, target);
      n = bin.readLine(MAX_RELAY_LINE);
      if (n < 0) {
        throw new IOException("mailbox store ended in the middle of a response");
      }
      if (target != null) {
        target.write(bin.line(), 0, n);
      }
    }
  }

  // ----------------------------------------------------------------------------------------------
  // IDLE, run by the front: GreenMail's own IDLE registers its folder listener only after it has sent the
  // continuation, so mail arriving in between would not be pushed. The front answers the continuation itself
  // and polls GreenMail with NOOP, relaying the untagged updates (EXISTS, EXPUNGE, FETCH) as they come.

  private void startIdle(String tag) throws IOException {
    backendLock.lock();
    try {
      rewrittenCompletions.put(tag, ascii(tag + " OK IDLE completed.\r\n"));
      idleTag = tag;
      idling = true;
    } finally {
      backendLock.unlock();
    }
    sendRaw(IDLE_CONTINUATION);
  }

  /** DONE (or any line) ends IDLE: a last NOOP carries the IDLE command's tag, its completion reworded. */
  private void endIdle() throws IOException {
    backendLock.lock();
    try {
      idling = false;
      backendOut.write(ascii(idleTag + " NOOP\r\n"));
      backendOut.flush();
    } finally {
      backendLock.unlock();
    }
  }

  /** For the front's scheduler: asks GreenMail for news while the client idles. */
  void pollIdle() {
    if (!idling || closed.get() || !backendLock.tryLock()) {
      return;
    }
    try {
      if (idling && pollTags.isEmpty()) {
        String tag = "P" + (++polls);
        pollTags.add(tag);
        backendOut.write(ascii(tag + " NOOP\r\n"));
        backendOut.flush();
      }
    } catch (IOException e) {
      logger.debug("imap#{}: IDLE poll failed: {}", id, e.toString());
    } finally {
      backendLock.unlock();
    }
  }

  boolean idling() {
    return idling;
  }

  /**
   * Writes a status or data response, leaving out {@code APPENDUID}/{@code COPYUID} when UIDPLUS is hidden and
   * wording a command in the wrong state as Exchange does.
   *
   * @param at where the response after the tag (or {@code *}) starts
   * @param tagged whether it is a command's completion rather than an untagged response
   */
  private void writeResponse(byte[] line, int n, int at, boolean tagged) throws IOException {
    if (tagged && LineInput.startsWithIgnoreCase(line, n, at, "NO ")
        && new String(line, 0, n, StandardCharsets.ISO_8859_1).contains(GREENMAIL_WRONG_STATE)) {
      out.write(ascii(new String(line, 0, at, StandardCharsets.ISO_8859_1) + "BAD Command received in Invalid state.\r\n"));
      return;
    }
    if (!faults.imapAdvertiseUidPlus() && LineInput.startsWithIgnoreCase(line, n, at, "OK [")) {
      String text = new String(line, 0, n, StandardCharsets.ISO_8859_1);
      String stripped = text.replaceFirst("OK \\[(?:APPENDUID|COPYUID) [^\\]]*\\] ", "OK ");
      out.write(stripped.getBytes(StandardCharsets.ISO_8859_1));
      return;
    }
    out.write(line, 0, n);
  }

  /**
   * Follows {@link Faults#imapDropAfterFetches(int)}: when the knob changes, this connection draws its own limit
   * within 20% of it (0 turns dropping off).
   */
  private void updateFetchLimit() {
    int every = faults.imapDropAfterFetches();
    if (every != fetchLimitFor) {
      fetchLimitFor = every;
      int spread = every / 5;
      fetchLimit = every == 0 ? 0 : Math.max(1, every - spread + faults.nextInt(2 * spread + 1));
    }
  }

  /** {@code * <n> FETCH}. */
  private static boolean isFetch(byte[] line, int n) {
    int i = 2;
    if (n < 9 || line[1] != ' ' || line[i] < '0' || line[i] > '9') {
      return false;
    }
    while (i < n && line[i] >= '0' && line[i] <= '9') {
      i++;
    }
    return LineInput.startsWithIgnoreCase(line, n, i, " FETCH");
  }

  // ----------------------------------------------------------------------------------------------
  // token expiry, faults, closing

  private boolean tokenExpired() {
    return !tenant.clock().instant().isBefore(tokenExpiresAt);
  }

  /** For the front's checker: in IDLE with a token past its expiry, and not being ended already. */
  boolean idleWithExpiredToken() {
    return idling && state == State.CONNECTED && !expiring.get() && !closed.get() && tokenExpired();
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

  private void pause() throws InterruptedException {
    Duration latency = faults.imapLatency();
    if (!latency.isZero()) {
      Thread.sleep(latency.toMillis());
    }
  }

  /** Drops the connection abruptly: a TCP reset, no BYE, no TLS close_notify. */
  private void drop() {
    try {
      raw.setSoLinger(true, 0);
    } catch (SocketException e) {
      // the socket is gone already
    }
    close();
  }

  /** Closes after what was written has been sent (TLS close_notify included). */
  private void closeGracefully() {
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

  /** Closes both connections; idempotent. */
  void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    front.sessionClosed(this);
    releaseConnection();
    literalAnswer.offer(Boolean.FALSE);
    try {
      raw.close();
    } catch (IOException e) {
      // closing is best effort
    }
    closeBackend();
  }

  private void releaseConnection() {
    if (connectionReserved) {
      connectionReserved = false;
      front.releaseConnection(mailbox);
    }
  }

  private void closeBackend() {
    Socket b = backend;
    if (b != null) {
      try {
        b.close();
      } catch (IOException e) {
        // closing is best effort
      }
    }
  }

  // ----------------------------------------------------------------------------------------------
  // plumbing

  private void startTls() throws IOException {
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

  private void bind(Socket s) throws IOException {
    socket = s;
    in = new LineInput(s.getInputStream(), BUFFER);
    out = new BufferedOutputStream(s.getOutputStream(), BUFFER);
  }

  private String capabilities(Phase phase) {
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

  private void sendLocal(String... lines) throws IOException {
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

  private void sendRaw(byte[] bytes) throws IOException {
    outLock.lock();
    try {
      out.write(bytes);
      out.flush();
    } finally {
      outLock.unlock();
    }
  }

  private void record(String method, String user, String outcome, String reason, String appId) {
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
  private void recordCommand(Instant at, String tag, String name, String arguments, long literalBytes) {
    tenant.record(new RecordedCommand(RecordedCommand.Protocol.IMAP, id, mailbox, tag, name,
        RecordedCommand.redact(name, arguments), literalBytes, at));
  }

  /** A relayed command whose arguments are still being read; recorded once. */
  private final class PendingCommand {
    private final Instant at;
    private final String tag;
    private final String name;
    private final StringBuilder arguments;
    private long literalBytes;
    private boolean recorded;

    PendingCommand(Instant at, String tag, String name, String firstLineArguments, long firstLiteral) {
      this.at = at;
      this.tag = tag;
      this.name = name;
      this.arguments = new StringBuilder(firstLineArguments);
      this.literalBytes = firstLiteral;
    }

    /** A line after a literal: its text joins the arguments, the literal it announces the byte count. */
    void continued(byte[] line, int length, long literal) {
      arguments.append(new String(line, 0, LineInput.contentLength(line, length), StandardCharsets.ISO_8859_1));
      literalBytes += Math.max(0, literal);
    }

    void record() {
      if (!recorded) {
        recorded = true;
        recordCommand(at, tag, name, arguments.toString(), literalBytes);
      }
    }
  }

  private void recordBasic(String method, String user, String reason) {
    record(method, user, "AUTHENTICATION_FAILED", reason, "");
  }

  /** The bracketed token of Exchange's greeting: base64 of the front-end server's name in UTF-16LE. */
  private static String serverNameToken() {
    return Base64.getEncoder().encodeToString(ExchangeHosts.serverName().getBytes(StandardCharsets.UTF_16LE));
  }

  private static String quoted(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  @Override
  public String toString() {
    return "ImapSession#" + id + "[" + state + ", " + mailbox + "]";
  }
}
