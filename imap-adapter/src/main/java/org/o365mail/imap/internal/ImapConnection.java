package org.o365mail.imap.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.angus.mail.iap.Argument;
import org.eclipse.angus.mail.iap.BadCommandException;
import org.eclipse.angus.mail.iap.ByteArray;
import org.eclipse.angus.mail.iap.CommandFailedException;
import org.eclipse.angus.mail.iap.ProtocolException;
import org.eclipse.angus.mail.iap.Response;
import org.eclipse.angus.mail.imap.protocol.BASE64MailboxEncoder;
import org.eclipse.angus.mail.imap.protocol.BODY;
import org.eclipse.angus.mail.imap.protocol.FetchResponse;
import org.eclipse.angus.mail.imap.protocol.IMAPProtocol;
import org.eclipse.angus.mail.imap.protocol.IMAPResponse;
import org.eclipse.angus.mail.imap.protocol.ListInfo;
import org.eclipse.angus.mail.imap.protocol.MailboxInfo;
import org.eclipse.angus.mail.imap.protocol.Status;
import org.eclipse.angus.mail.imap.protocol.UID;
import org.eclipse.angus.mail.util.MailLogger;
import org.o365mail.auth.AccessToken;

/**
 * One IMAP connection, authenticated with SASL XOAUTH2 and nothing else, on Angus Mail's protocol layer (no
 * {@code IMAPStore}, so there is no connection pool, no message cache growing with the folder, and no fallback
 * to {@code LOGIN}). Tracks which folder is selected. Not thread-safe: {@link MailboxSession} serialises its use.
 */
public final class ImapConnection implements AutoCloseable {
  private static final PrintStream NO_DEBUG_OUTPUT = new PrintStream(OutputStream.nullOutputStream());
  /**
   * The java.util.logging logger Angus's protocol layer writes to (and traces the protocol to at FINEST, message
   * content included). Switched off and held here so that no logging setup can make it trace: this SDK logs
   * through SLF4J, never message content.
   */
  private static final java.util.logging.Logger ANGUS = silenced("org.o365mail.imap.internal.angus");

  /** How long a LOGOUT waits for the server's answer before the socket is closed regardless. */
  static final Duration LOGOUT_BOUND = Duration.ofSeconds(2);

  private final IMAPProtocol protocol;
  private final ServerReadGuard.Budget budget;
  private final Instant expiresAt;
  private final Instant reauthAt;
  private final AtomicBoolean idleDone = new AtomicBoolean(true);

  private BodyCursor cursor;
  private String selectedName;
  private long uidValidity = -1;
  private long uidNext = -1;
  private int exists = -1;
  private boolean freshlySelected;

  private ImapConnection(IMAPProtocol protocol, ServerReadGuard.Budget budget, Instant expiresAt, Instant reauthAt) {
    this.protocol = protocol;
    this.budget = budget;
    this.expiresAt = expiresAt;
    this.reauthAt = reauthAt;
  }

  /**
   * A command refused with {@code NO} or {@code BAD Request is throttled. Suggested Backoff Time: N milliseconds}:
   * Exchange Online did not carry it out. Neither a {@link CommandFailedException} nor a {@link
   * BadCommandException}, so that no caller takes the refusal for what a plain {@code NO} means (a folder that
   * cannot be selected, a message that is gone).
   */
  public static final class ThrottledCommandException extends ProtocolException {
    private static final long serialVersionUID = 1L;

    ThrottledCommandException(Response r) {
      super(r);
    }

    /** Whether the server answered {@code BAD} (rather than {@code NO}). */
    public boolean bad() {
      Response r = getResponse();
      return r != null && r.isBAD();
    }
  }

  /**
   * Angus's protocol layer with Exchange Online's throttled answers told apart from other refusals, and with IDLE
   * refused: Angus's {@code idleStart} reads on past a tagged {@code NO} or {@code BAD} until a continuation or a
   * BYE comes, so a throttled IDLE would wait for the read timeout (or, followed by {@code * BYE Connection closed.
   * 14}, look like a lost connection). Here the tagged answer ends it and is what {@code idleStart} throws for.
   */
  private static final class ExchangeProtocol extends IMAPProtocol {
    private volatile boolean startingIdle;
    private Response idleRefusal;

    ExchangeProtocol(String name, String host, int port, Properties props, boolean ssl, MailLogger logger)
        throws IOException, ProtocolException {
      super(name, host, port, props, ssl, logger);
    }

    /** {@link #idleStart()}, throwing for a tagged answer to IDLE instead of reading on. */
    synchronized void startIdle() throws ProtocolException {
      startingIdle = true;
      idleRefusal = null;
      try {
        idleStart();
      } finally {
        startingIdle = false;
        idleRefusal = null;
      }
    }

    @Override
    public Response readResponse() throws IOException, ProtocolException {
      Response r = super.readResponse();
      if (startingIdle && r.isTagged()) {
        idleRefusal = r;
        // ends idleStart's loop; handleResult below throws for the refusal itself
        return Response.byeResponse(new IOException("IDLE refused: " + r.getRest()));
      }
      return r;
    }

    @Override
    public void handleResult(Response response) throws ProtocolException {
      Response r = startingIdle && idleRefusal != null && response.isBYE() ? idleRefusal : response;
      if ((r.isNO() || r.isBAD()) && isThrottled(r.getRest())) {
        throw new ThrottledCommandException(r);
      }
      super.handleResult(r);
    }
  }

  /** Whether a server's text is Exchange Online's throttling ({@code Request is throttled. ...}). */
  public static boolean isThrottled(String text) {
    return text != null && text.toLowerCase(java.util.Locale.ROOT).contains("request is throttled");
  }

  /** Thrown when the server does not offer what a safe login needs; nothing secret has been sent. */
  public static final class UnsafeServerException extends ProtocolException {
    private static final long serialVersionUID = 1L;

    UnsafeServerException(String message) {
      super(message);
    }
  }

  /**
   * Connects, upgrades with STARTTLS where configured, and logs in as {@code mailbox} with XOAUTH2.
   *
   * @param reauthAt when the connection should be replaced by one with a fresh token
   * @throws UnsafeServerException if the server offers no STARTTLS (when required) or no {@code AUTH=XOAUTH2}
   * @throws CommandFailedException if the server refused the login ({@code NO AUTHENTICATE failed.}, throttling)
   */
  public static ImapConnection open(ImapEndpoint endpoint, String mailbox, AccessToken token, Instant expiresAt,
      Instant reauthAt) throws IOException, ProtocolException {
    String name = endpoint.protocolName("imap");
    ServerReadGuard.Budget budget = endpoint.budget(ServerReadGuard.Framing.IMAP);
    Properties props = endpoint.socketProperties(name, budget);
    MailLogger angusLogger = new MailLogger(ANGUS.getName(), "IMAP", false, NO_DEBUG_OUTPUT);
    // the greeting, STARTTLS and the login are one operation, bounded in time like any other
    budget.startOperation();
    IMAPProtocol p = new ExchangeProtocol(name, endpoint.host(), endpoint.port(), props,
        endpoint.security() == ImapEndpoint.Security.IMPLICIT_TLS, angusLogger);
    boolean ok = false;
    try {
      if (endpoint.security() == ImapEndpoint.Security.STARTTLS) {
        if (!p.hasCapability("STARTTLS")) {
          throw new UnsafeServerException("the server at " + endpoint.host() + ":" + endpoint.port()
              + " does not offer STARTTLS; the token is not sent over a plain connection");
        }
        p.startTLS();
        p.capability();
      }
      if (!p.hasCapability("AUTH=XOAUTH2")) {
        throw new UnsafeServerException("the server at " + endpoint.host() + ":" + endpoint.port()
            + " does not offer AUTH=XOAUTH2; the token is never sent with PLAIN or LOGIN");
      }
      // the only authentication this class ever performs
      try {
        p.authoauth2(mailbox, token.value());
      } catch (CommandFailedException | BadCommandException refused) {
        // the server answered (NO AUTHENTICATE failed., throttled): the connection works, so say goodbye with
        // LOGOUT instead of dropping it (RFC 9051, 6.1.3); the doctor's probes log in and out of several mailboxes
        quietLogout(p);
        throw refused;
      }
      // Exchange announces MOVE, UIDPLUS and IDLE only after login
      p.capability();
      ok = true;
      return new ImapConnection(p, budget, expiresAt, reauthAt);
    } finally {
      budget.endOperation();
      if (!ok) {
        p.disconnect();
      }
    }
  }

  private static void quietLogout(IMAPProtocol p) {
    try {
      p.logout();
    } catch (ProtocolException | RuntimeException e) {
      // the server may have gone already; the caller disconnects
    }
  }

  private static java.util.logging.Logger silenced(String name) {
    java.util.logging.Logger logger = java.util.logging.Logger.getLogger(name);
    logger.setLevel(java.util.logging.Level.OFF);
    return logger;
  }

  /**
   * Starts an operation: its reads must end within the limits' operation time (plus one second for each KiB read)
   * or fail with {@link ServerReadGuard.LimitExceededException}.
   */
  public void startOperation() {
    budget.startOperation();
  }

  /** Ends the operation started last. */
  public void endOperation() {
    budget.endOperation();
  }

  /** When the token this connection logged in with expires. */
  public Instant expiresAt() {
    return expiresAt;
  }

  /** When this connection should be replaced by one logged in with a fresh token. */
  public Instant reauthAt() {
    return reauthAt;
  }

  public boolean hasCapability(String capability) {
    return protocol.hasCapability(capability);
  }

  // ----- folders -----

  public List<ListInfo> list(String pattern) throws ProtocolException {
    ListInfo[] infos = protocol.list("", pattern);
    return infos == null ? List.of() : List.of(infos);
  }

  public void create(String serverName) throws ProtocolException {
    protocol.create(serverName);
  }

  public Status status(String serverName, String... items) throws ProtocolException {
    return protocol.status(serverName, items);
  }

  /** Selects {@code serverName} (read-write) unless it is selected already; returns its UIDVALIDITY. */
  public long select(String serverName) throws ProtocolException {
    if (serverName.equals(selectedName)) {
      freshlySelected = false;
      return uidValidity;
    }
    return reselect(serverName);
  }

  /** Selects {@code serverName} again even if it is selected (to see a new UIDVALIDITY). */
  public long reselect(String serverName) throws ProtocolException {
    selectedName = null;
    MailboxInfo info = protocol.select(serverName);
    selectedName = serverName;
    uidValidity = info.uidvalidity;
    uidNext = info.uidnext;
    exists = info.total;
    freshlySelected = true;
    return uidValidity;
  }

  /** Whether the last {@link #select} actually sent SELECT (so its UIDVALIDITY and UIDNEXT are current). */
  public boolean freshlySelected() {
    return freshlySelected;
  }

  public long uidValidity() {
    return uidValidity;
  }

  public long uidNext() {
    return uidNext;
  }

  /** Messages in the selected folder when it was selected. */
  public int exists() {
    return exists;
  }

  /** Forgets the selection (after the folder was deleted or renamed under us). */
  public void forgetSelection() {
    selectedName = null;
  }

  // ----- messages of the selected folder -----

  /** {@code UID FETCH <set> <items>}: the FETCH responses (unsolicited ones included). */
  public List<FetchResponse> uidFetch(String uidSet, String items) throws ProtocolException {
    Response[] r = protocol.command("UID FETCH " + uidSet + " " + items, null);
    protocol.handleResult(r[r.length - 1]);
    List<FetchResponse> out = new ArrayList<>(r.length);
    for (Response response : r) {
      if (response instanceof FetchResponse f) {
        out.add(f);
      }
    }
    return out;
  }

  /**
   * {@code UID FETCH <uid> (BODY.PEEK[<section>]<offset.size>)}: never sets {@code \Seen}.
   *
   * @return the bytes (fewer than {@code size} at the end), or null if there is no such message
   */
  public ByteArray fetchPartial(long uid, String section, long offset, int size) throws ProtocolException {
    String item = "BODY.PEEK[" + section + "]<" + offset + "." + size + ">";
    for (FetchResponse f : uidFetch(Long.toString(uid), "(UID " + item + ")")) {
      UID u = f.getItem(UID.class);
      BODY body = f.getItem(BODY.class);
      if (u != null && u.uid == uid && body != null) {
        ByteArray bytes = body.getByteArray();
        return bytes == null ? new ByteArray(0) : bytes;
      }
    }
    return null;
  }

  /** {@code UID SEARCH <criteria>}: the UIDs found, ascending. */
  public long[] uidSearch(Argument criteria) throws ProtocolException {
    Response[] r = protocol.command("UID SEARCH", criteria);
    protocol.handleResult(r[r.length - 1]);
    List<Long> uids = new ArrayList<>();
    for (Response response : r) {
      if (response instanceof IMAPResponse search && search.keyEquals("SEARCH")) {
        long uid;
        while ((uid = search.readLong()) != -1) {
          uids.add(uid);
        }
      }
    }
    return uids.stream().mapToLong(Long::longValue).sorted().distinct().toArray();
  }

  /** {@code UID STORE <set> <op> (<flags>)}, e.g. {@code +FLAGS.SILENT (\Seen)}. */
  public void uidStore(String uidSet, String operation, String flags) throws ProtocolException {
    Response[] r = protocol.command("UID STORE " + uidSet + " " + operation + " (" + flags + ")", null);
    protocol.handleResult(r[r.length - 1]);
  }

  /** {@code UID MOVE} or {@code UID COPY}: every response, for the {@code COPYUID} code. */
  public Response[] uidTransfer(String command, String uidSet, String serverName) throws ProtocolException {
    Argument args = new Argument();
    args.writeAtom(uidSet);
    args.writeString(BASE64MailboxEncoder.encode(serverName));
    Response[] r = protocol.command("UID " + command, args);
    protocol.handleResult(r[r.length - 1]);
    return r;
  }

  /** {@code UID EXPUNGE <set>} (UIDPLUS). */
  public void uidExpunge(String uidSet) throws ProtocolException {
    Response[] r = protocol.command("UID EXPUNGE " + uidSet, null);
    protocol.handleResult(r[r.length - 1]);
  }

  /** {@code EXPUNGE}: every message flagged {@code \Deleted} in the selected folder. */
  public void expunge() throws ProtocolException {
    protocol.expunge();
  }

  // ----- a command left running (BodyCursor) -----

  /** Writes a command without waiting for its answer; returns its tag. */
  String send(String command) throws IOException, ProtocolException {
    return protocol.writeCommand(command, null);
  }

  /** Reads the next response from the server. */
  Response read() throws IOException, ProtocolException {
    return protocol.readResponse();
  }

  /** Throws for a NO, BAD or BYE answer. */
  void result(Response r) throws ProtocolException {
    protocol.handleResult(r);
  }

  void cursor(BodyCursor value) {
    this.cursor = value;
  }

  /** The command left running on this connection, if any. */
  public BodyCursor cursor() {
    return cursor;
  }

  /** Finishes any command left running, so the connection can take another. */
  public void settle() throws IOException, ProtocolException {
    BodyCursor c = cursor;
    if (c != null && !c.done()) {
      c.drain();
    }
    cursor = null;
  }

  // ----- IDLE -----

  /** Sends IDLE and waits for the server's continuation. */
  public void idleStart() throws ProtocolException {
    idleDone.set(false);
    boolean started = false;
    try {
      if (protocol instanceof ExchangeProtocol exchange) {
        exchange.startIdle();
      } else {
        protocol.idleStart();
      }
      started = true;
    } finally {
      if (!started) {
        idleDone.set(true); // refused: there is no IDLE to end with DONE
      }
    }
  }

  /** Blocks for the next response during IDLE. A lost connection comes back as a synthetic BYE. */
  public Response idleRead() {
    return protocol.readIdleResponse();
  }

  /** Handles one IDLE response; false once IDLE has ended (its tagged answer arrived). */
  public boolean idleProcess(Response r) throws ProtocolException {
    return protocol.processIdleResponse(r);
  }

  /** Ends IDLE with DONE, once; callable from any thread. */
  public void idleDone() {
    if (idleDone.compareAndSet(false, true)) {
      protocol.idleAbort();
    }
  }

  // ----- the end -----

  /**
   * LOGOUT (https://www.rfc-editor.org/rfc/rfc9051#section-6.1.3), then closes the socket; failures are ignored (the connection is going away anyway). A
   * streamed FETCH whose last message was taken is read to its end first (its tagged answer is all that is left: an
   * import that took every message ends this way). A server that has not answered within {@link #LOGOUT_BOUND} (or
   * the read timeout, if shorter) has its socket closed: a goodbye never holds a close for the read timeout.
   */
  public void logout() {
    if (cursor != null && !cursor.done() && !cursor.atEnd()) {
      // messages of a FETCH are still coming: no point reading them to say goodbye
      protocol.disconnect();
      return;
    }
    long bound = Math.min(LOGOUT_BOUND.toMillis(), budget.limits().responseTime().toMillis());
    ScheduledFuture<?> alarm = budget.abortAfter(bound);
    try {
      if (cursor != null && !cursor.done()) {
        cursor.drain();
      }
      protocol.logout();
    } catch (IOException | ProtocolException | RuntimeException e) {
      // the server may have gone already, or the watchdog closed the socket
    } finally {
      alarm.cancel(false);
      protocol.disconnect();
    }
  }

  /** Closes the socket without a word (after a failure). */
  @Override
  public void close() {
    protocol.disconnect();
  }

  /** The server's text of a failed command ({@code AUTHENTICATE failed.}). */
  public static String serverText(ProtocolException e) {
    Response r = e.getResponse();
    String rest = r == null ? null : r.getRest();
    if (rest == null || rest.isBlank()) {
      rest = e.getMessage();
    }
    return rest == null ? "" : rest.trim();
  }

  /** Whether the response is a tagged NO (as opposed to BAD or a lost connection). */
  public static boolean isNo(ProtocolException e) {
    return e instanceof CommandFailedException;
  }

  public static boolean isBad(ProtocolException e) {
    return e instanceof BadCommandException;
  }

}
