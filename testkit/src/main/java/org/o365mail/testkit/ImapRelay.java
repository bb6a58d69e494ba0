package org.o365mail.testkit;

import static org.o365mail.testkit.ImapConnection.BUFFER;
import static org.o365mail.testkit.ImapConnection.LITERAL_CONTINUATION;
import static org.o365mail.testkit.ImapConnection.MAX_PRE_AUTH_COMMAND;
import static org.o365mail.testkit.ImapConnection.MAX_RELAY_LINE;
import static org.o365mail.testkit.ImapConnection.ascii;
import static org.o365mail.testkit.ImapConnection.quoted;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay of one logged-in {@link ImapSession} to GreenMail: logs in to the mailbox store as the mailbox, then
 * copies both directions as raw bytes, reading only command and response lines and the literal lengths they
 * announce. On the way it shows Exchange's folder names ({@link ImapMailboxNames}), answers CAPABILITY, ID and
 * NAMESPACE itself, emulates UNSELECT, runs IDLE by polling with NOOP, words GreenMail's answers as Exchange does,
 * refuses MOVE and UID EXPUNGE when the faults hide them, and applies the command faults of {@link
 * ImapFaultInjection}.
 *
 * <p>Threads: {@link #relayClientToBackend} runs on the session's client thread, {@link #relayBackendToClient} on
 * a second thread, and {@link #pollIdle} on the front's scheduler; the state they share is volatile or
 * concurrent, writes to GreenMail are serialised by a lock, and writes to the client by the connection's.
 */
final class ImapRelay {
  /** The session's log: tests count some of its lines under this name. */
  private static final Logger logger = LoggerFactory.getLogger(ImapSession.class);

  /** A name GreenMail has no folder for: EXAMINE on it deselects, which is how UNSELECT is emulated. */
  private static final String UNSELECT_MAILBOX = "\"testkit/unselect\"";
  /** GreenMail's text for a command in the wrong state, which Exchange words differently (and answers BAD). */
  private static final String GREENMAIL_WRONG_STATE = "Command not valid in this state";
  private static final byte[] IDLE_CONTINUATION = ascii("+ IDLE accepted, awaiting DONE command.\r\n");
  private static final byte[] BYE_LOGOUT_LINE = ascii(ImapSession.BYE_LOGOUT + "\r\n");

  private final ImapConnection connection;
  private final ImapFaultInjection faultInjection;
  private final LocalTenant tenant;
  private final Faults faults;

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

  ImapRelay(ImapConnection connection, ImapFaultInjection faultInjection) {
    this.connection = connection;
    this.faultInjection = faultInjection;
    this.tenant = connection.tenant;
    this.faults = connection.faults;
  }

  /** Logs in to GreenMail's IMAP server as the mailbox, consuming its greeting and answer. */
  void openBackend(String address) throws IOException {
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
  // relay after login

  void relayClientToBackend() throws IOException, InterruptedException {
    while (!connection.closed.get()) {
      int n = connection.in.readLine(MAX_RELAY_LINE);
      if (n < 0) {
        return;
      }
      byte[] line = connection.in.line();
      if (idling) {
        endIdle();
        continue;
      }
      int end = LineInput.contentLength(line, n);
      if (end == 0) {
        continue;
      }
      Instant receivedAt = tenant.clock().instant();
      if (connection.tokenExpired()) {
        connection.expire();
        return;
      }
      faultInjection.pause();
      boolean drop = faultInjection.rollDrop();
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
        // the session stops touching the mailbox before the client can read the answer, so a client that logs out
        // and then gives up its lease is never seen overlapping the next holder
        connection.endMailboxAccess();
        // recorded so tests can tell a session ended with a goodbye from one whose socket was just closed; under
        // its own service name, so that the "imap" records stay one per login attempt
        tenant.record(new RecordedRequest("imap-logout", "LOGOUT", connection.mailbox, Map.of("outcome", "OK"), 0,
            "", tenant.clock().instant()));
      }
      Optional<Faults.ImapCommandThrottle> throttle = faults.takeImapCommandThrottle(command);
      if (throttle.isPresent()) {
        pending.record();
        skipRestOfCommand(n);
        if (faultInjection.throttled(tag, command, throttle.get())) {
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
          connection.sendLocal(Arrays.copyOf(local, local.length - 1));
          connection.drop();
          return;
        }
        connection.sendLocal(local);
        if (drop) {
          connection.drop();
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

  /** What the front answers itself after login, or null to relay the command. */
  private String[] localAnswer(String tag, String name, String sub) {
    switch (name) {
      case "CAPABILITY":
        return new String[] {"* CAPABILITY " + connection.capabilities(ImapConnection.Phase.LOGGED_IN), tag + " OK CAPABILITY completed."};
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
      byte[] line = connection.in.line();
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
      connection.in.copy(literal, backendOut);
      length = connection.in.readLine(MAX_RELAY_LINE);
      if (length < 0) {
        backendOut.flush();
        return;
      }
    }
  }

  /** Skips the non-synchronizing literals of a command answered locally (a synchronizing one is never sent). */
  private void skipRestOfCommand(int n) throws IOException {
    int length = n;
    while (LineInput.literalLength(connection.in.line(), length) >= 0
        && LineInput.literalIsNonSynchronizing(connection.in.line(), length)) {
      connection.in.copy(LineInput.literalLength(connection.in.line(), length), null);
      length = connection.in.readLine(MAX_RELAY_LINE);
      if (length < 0) {
        return;
      }
    }
  }

  void relayBackendToClient() {
    try {
      LineInput bin = backendIn;
      while (true) {
        int n = bin.readLine(MAX_RELAY_LINE);
        if (n < 0) {
          break;
        }
        boolean dropNow = false;
        connection.outLock.lock();
        try {
          byte[] line = bin.line();
          if (line[0] == '+') {
            if (literalTag != null) {
              connection.out.write(LITERAL_CONTINUATION);
              connection.out.flush();
              literalAnswer.offer(Boolean.TRUE);
            } else {
              connection.out.write(line, 0, n);
            }
          } else if (line[0] == '*') {
            faultInjection.countFetch(line, n);
            byte[] translated = ImapMailboxNames.responseToClient(line, n, this::folderPaths);
            if (LineInput.startsWithIgnoreCase(line, n, 0, "* BYE")) {
              connection.out.write(BYE_LOGOUT_LINE);
            } else if (translated != line) {
              connection.out.write(translated);
            } else {
              writeResponse(line, n, 2, false);
            }
            relayLiterals(connection.out, bin, n);
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
              connection.out.write(replacement);
              relayLiterals(null, bin, n);
            } else {
              writeResponse(line, n, tagEnd + 1, true);
              relayLiterals(connection.out, bin, n);
            }
            dropNow = lose || tag.equals(dropAfterTag);
            folderPaths = null;
          }
          if (faultInjection.fetchLimitReached()) {
            dropNow = true;
          }
          if (dropNow || !bin.moreAvailable()) {
            connection.out.flush();
          }
        } finally {
          connection.outLock.unlock();
        }
        if (dropNow) {
          logger.debug("imap#{}: dropping the connection as the faults ask", connection.id);
          connection.drop();
          return;
        }
      }
    } catch (IOException e) {
      logger.debug("imap#{}: relay ended: {}", connection.id, e.toString());
    } finally {
      literalAnswer.offer(Boolean.FALSE);
      connection.closeGracefully();
    }
  }

  private List<String> folderPaths() {
    if (folderPaths == null) {
      folderPaths = tenant.mailStore().folderPaths(connection.mailbox);
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
    connection.sendRaw(IDLE_CONTINUATION);
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
    if (!idling || connection.closed.get() || !backendLock.tryLock()) {
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
      logger.debug("imap#{}: IDLE poll failed: {}", connection.id, e.toString());
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
      connection.out.write(ascii(new String(line, 0, at, StandardCharsets.ISO_8859_1) + "BAD Command received in Invalid state.\r\n"));
      return;
    }
    if (!faults.imapAdvertiseUidPlus() && LineInput.startsWithIgnoreCase(line, n, at, "OK [")) {
      String text = new String(line, 0, n, StandardCharsets.ISO_8859_1);
      String stripped = text.replaceFirst("OK \\[(?:APPENDUID|COPYUID) [^\\]]*\\] ", "OK ");
      connection.out.write(stripped.getBytes(StandardCharsets.ISO_8859_1));
      return;
    }
    connection.out.write(line, 0, n);
  }

  /** Lets a command waiting for GreenMail's literal continuation give up: the session is ending. */
  void abandonLiteral() {
    literalAnswer.offer(Boolean.FALSE);
  }

  void closeBackend() {
    Socket b = backend;
    if (b != null) {
      try {
        b.close();
      } catch (IOException e) {
        // closing is best effort
      }
    }
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
        connection.recordCommand(at, tag, name, arguments.toString(), literalBytes);
      }
    }
  }
}
