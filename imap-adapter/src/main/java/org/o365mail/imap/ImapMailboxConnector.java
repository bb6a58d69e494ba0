package org.o365mail.imap;

import static java.util.Objects.requireNonNull;

import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import javax.net.ssl.SSLContext;
import org.o365mail.AttachmentInfo;
import org.o365mail.ConnectionCheck;
import org.o365mail.DeleteMode;
import org.o365mail.Diagnosis;
import org.o365mail.EmailAddress;
import org.o365mail.FolderNotFoundException;
import org.o365mail.FolderRef;
import org.o365mail.ListOptions;
import org.o365mail.MailFolder;
import org.o365mail.MailboxConnector;
import org.o365mail.MailboxException;
import org.o365mail.MessageId;
import org.o365mail.MessageNotFoundException;
import org.o365mail.MessageSummary;
import org.o365mail.OutgoingMessage;
import org.o365mail.Paged;
import org.o365mail.Protocol;
import org.o365mail.ProxySettings;
import org.o365mail.SetupStep;
import org.o365mail.SyncBatch;
import org.o365mail.SyncState;
import org.o365mail.auth.CredentialKind;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.imap.internal.DefaultThreads;
import org.o365mail.imap.internal.ImapEndpoint;
import org.o365mail.imap.internal.MailboxSession;
import org.o365mail.imap.internal.Pii;
import org.o365mail.imap.internal.Sleeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Exchange Online mailbox over IMAP with SASL XOAUTH2, for imports: folders, listings, incremental sync with
 * (UIDVALIDITY, UID) checkpoints, MIME and attachments streamed, flags, moves and deletes, IDLE, and sending
 * through {@link SmtpSender}.
 *
 * <pre>{@code
 * try (ImapMailboxConnector inbox = ImapMailboxConnector.builder()
 *     .mailbox("invoices@contoso.com")
 *     .credential(CredentialStrategy.clientCredentials(app).secret(secret).build())
 *     .build()) {
 *   SyncBatch batch = inbox.sync(FolderRef.INBOX, checkpoint, 100);
 *   for (MessageSummary m : batch.messages()) {
 *     try (InputStream mime = inbox.openMime(m.id())) {
 *       store(m, mime);
 *     }
 *   }
 *   checkpoint = batch.next();
 * }
 * }</pre>
 *
 * <p><b>Connection.</b> One IMAP connection per connector, opened on first use and shared by every thread; the
 * connector is thread-safe and its operations take turns on the connection. Connectors sharing an {@link
 * ExchangeSessions} keep at most its {@link ExchangeSessions#maxOpenConnections()} open at once, the least recently
 * used idle one logged out and reopened on its next use. Defaults are Exchange Online's in the
 * credential's cloud: {@code outlook.office365.com:993} with implicit TLS. Host names are always verified;
 * {@link Builder#startTls()} uses STARTTLS on port 143 instead, and {@link Builder#insecurePlaintextForTestsOnly()}
 * no TLS at all. The login is XOAUTH2 and nothing else, with {@code user=} the mailbox, so shared mailboxes work
 * with app-only and delegated tokens alike; the token passes {@link org.o365mail.auth.TokenPreflight} first. The
 * connection is replaced by a new login before the token's {@code exp} (minus {@link Builder#reauthMargin}), and an
 * operation whose connection is dropped or ended with {@code BYE ... AccessTokenExpired} runs again on a new one.
 * {@code Request is throttled. Suggested Backoff Time: N milliseconds}, which Exchange answers to the login or to any
 * later command ({@code NO} or {@code BAD}, often followed by {@code * BYE}), makes every connector sharing its
 * {@link ExchangeSessions} (see {@link Builder#sessions}) leave that mailbox (and only that one) alone for N ms; the
 * throttled command was not carried out, so the operation runs again from its start on a new login, without counting
 * against {@link Builder#maxAttempts}. Throttling is waited out up to {@link Builder#throttleBudget}, after which a
 * {@link org.o365mail.ThrottledException} says how long to wait.
 *
 * <p><b>Bounds.</b> A server is never waited for without end, nor read into memory without limit. Each read waits at
 * most {@link Builder#timeout}; a response that has started must then go on at 1 KiB/s, and one operation's reads end
 * after ten timeouts plus one second per KiB read. A line of a response is at most 16 MiB (a {@code SEARCH} of a
 * million UIDs fits), a literal 16 MiB (twice the largest partial fetch) and a whole response 24 MiB, so one
 * connection holds at most a few tens of MB however the server answers. A server past a bound, or silent for a
 * timeout, fails the operation at once with a {@link org.o365mail.MailboxException} naming it and the bound: it is not
 * retried on a new connection, which would only wait as long again.
 *
 * <p><b>Ids and checkpoints.</b> A {@link MessageId} is {@code imap:<UIDVALIDITY>:<UID>:<folder path>}. When Exchange
 * renumbers a folder (a new UIDVALIDITY), an id this connector handed out (by {@link #sync}, a listing or {@link
 * #message}; the last 20,000, or the last {@link ExchangeSessions#maxKnownMessageIds()} of all the connectors
 * sharing an {@link ExchangeSessions}) still names its message, found again by its Message-ID, so that reads,
 * flags, moves and deletes of a batch in hand go on; any other id of the old numbering gives {@link MessageNotFoundException}, as
 * does one whose Message-ID is no longer unique in the folder. A {@link SyncState} holds the
 * folder's UIDVALIDITY, the last UID handed out and that message's INTERNALDATE and Message-ID: when Exchange
 * changes the UIDVALIDITY, sync finds that Message-ID in the new numbering (falling back to the date) and goes on
 * after it, marking the batch {@link SyncBatch#resynced()}. "Newest first" in listings is the folder's arrival
 * order (highest UID first).
 *
 * <p><b>Content.</b> MIME is read with {@code BODY.PEEK[]} (never setting {@code \Seen}): messages handed out by
 * {@link #sync} or a listing and opened in turn come from one streamed FETCH per batch (messages up to 1 MB,
 * see {@link Builder#readAhead}); others in partial fetches of 256 KB growing to 8 MB as the stream is consumed, so
 * message size does not matter to memory. Attachments come from
 * BODYSTRUCTURE, their ids are IMAP section numbers, and their content is streamed and decoded.
 *
 * <p>Methods block. Failures are the SDK's unchecked exceptions, diagnosed: see {@link MailboxConnector}.
 */
public final class ImapMailboxConnector implements MailboxConnector {
  private static final Logger logger = LoggerFactory.getLogger(ImapMailboxConnector.class);
  /** Messages handed out whose Message-IDs a connector with no shared {@link ExchangeSessions} keeps. */
  private static final int KNOWN_MESSAGE_IDS = 20_000;
  private static final long READ_AHEAD_MESSAGE_SIZE = 1024 * 1024;

  private final String mailbox;
  private final CredentialStrategy credential;
  private final MailboxSession session;
  private final ImapEndpoint endpoint;
  private final SmtpSender smtp;
  private final boolean logPii;
  private final MailboxFolders folders;
  private final Listing listing;
  private final Content content;
  private final Transfers transfers;
  private final MessageActions actions;
  private final FolderSync folderSync;

  private ImapMailboxConnector(Builder b) {
    this.mailbox = b.mailbox;
    this.credential = b.credential;
    this.logPii = b.logPii;
    SSLContext trust = b.trust != null ? b.trust : b.credential.registration().trust().orElse(null);
    ProxySettings proxy = b.proxy != null ? b.proxy : b.credential.registration().proxy();
    ImapEndpoint.Security security = b.insecure ? ImapEndpoint.Security.PLAINTEXT
        : b.startTls ? ImapEndpoint.Security.STARTTLS : ImapEndpoint.Security.IMPLICIT_TLS;
    int port = b.port != null ? b.port : security == ImapEndpoint.Security.IMPLICIT_TLS ? 993 : 143;
    ExchangeSessions exchange = b.sessions != null ? b.sessions
        : ExchangeSessions.builder().sleeper(b.sleeper).maxKnownMessageIds(KNOWN_MESSAGE_IDS).build();
    this.endpoint = new ImapEndpoint(b.host != null ? b.host : b.credential.registration().cloud().imapHost(), port,
        security, trust == null ? null : trust.getSocketFactory(), b.timeout, b.timeout,
        b.executor != null ? b.executor : DefaultThreads.watchdog(), proxy);
    this.session = new MailboxSession(new MailboxSession.Settings(endpoint, b.mailbox, b.credential, b.clock,
        b.reauthMargin, b.throttleBudget, b.maxAttempts, b.logPii,
        b.executor != null ? b.executor : DefaultThreads.idleTimers(), b.sleeper, exchange.governor(),
        exchange.logins(), exchange.openConnections()));
    SmtpSender.Builder smtpBuilder = SmtpSender.builder().mailbox(b.mailbox).credential(b.credential)
        .port(b.smtpPort).timeout(b.timeout).logPii(b.logPii).sessions(exchange);
    if (b.executor != null) {
      smtpBuilder.executor(b.executor);
    }
    if (b.smtpHost != null) {
      smtpBuilder.host(b.smtpHost);
    }
    if (trust != null) {
      smtpBuilder.trust(trust);
    }
    smtpBuilder.proxy(proxy);
    this.smtp = smtpBuilder.build();
    ReadAhead readAhead = new ReadAhead(b.readAhead, READ_AHEAD_MESSAGE_SIZE);
    KnownMessageIds handedOut = new KnownMessageIds(exchange.knownMessageIds());
    this.folders = new MailboxFolders(b.mailbox, b.logPii, session);
    Renumbering renumbering = new Renumbering(folders, readAhead, handedOut);
    this.listing = new Listing(folders, readAhead, handedOut);
    this.content = new Content(folders, renumbering, readAhead, handedOut);
    this.transfers = new Transfers(folders, renumbering, handedOut);
    this.actions = new MessageActions(folders, renumbering, transfers);
    this.folderSync = new FolderSync(folders, b.clock, readAhead, handedOut);
    if (b.insecure) {
      logger.warn("IMAP connector for {} uses insecurePlaintextForTestsOnly(): tokens and mail cross the network"
          + " UNENCRYPTED; never use this outside tests", Pii.mailbox(mailbox, logPii));
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String mailbox() {
    return mailbox;
  }

  @Override
  public Protocol protocol() {
    return Protocol.IMAP;
  }

  /** The sender {@link #send} uses, for products that also send on their own. */
  public SmtpSender smtpSender() {
    return smtp;
  }

  @Override
  public List<MailFolder> listFolders() {
    return folders.listFolders();
  }

  @Override
  public MailFolder folder(FolderRef folder) {
    return folders.folder(folder);
  }

  @Override
  public MailFolder createFolder(FolderRef path) {
    return folders.createFolder(path);
  }

  @Override
  public Paged<MessageSummary> listMessages(FolderRef folder, ListOptions options) {
    return listing.listMessages(folder, options);
  }

  @Override
  public MessageSummary message(MessageId id) {
    return content.message(id);
  }

  @Override
  public InputStream openMime(MessageId id) {
    return content.openMime(id);
  }

  @Override
  public List<AttachmentInfo> listAttachments(MessageId id) {
    return content.listAttachments(id);
  }

  @Override
  public InputStream openAttachment(MessageId id, String attachmentId) {
    return content.openAttachment(id, attachmentId);
  }

  @Override
  public void markRead(MessageId id, boolean read) {
    actions.markRead(requireNonNull(id, "id"), read);
  }

  @Override
  public void markRead(Collection<MessageId> ids, boolean read) {
    actions.markRead(ids, read);
  }

  /**
   * {@inheritDoc}
   *
   * @throws MessageNotFoundException if the message no longer exists
   * @throws FolderNotFoundException if {@code destination} does not exist
   */
  @Override
  public MessageId move(MessageId id, FolderRef destination) {
    return transfers.move(requireNonNull(id, "id"), destination);
  }

  /**
   * {@inheritDoc} Messages of one folder move in one command ({@code UID MOVE}, or {@code UID COPY}, {@code
   * \Deleted} and {@code UID EXPUNGE} where MOVE is not offered); messages that no longer exist are left out of
   * the map. Without MOVE, a call that failed after the server had copied some of the messages leaves them in
   * both folders; calling again with the same ids finishes the move without copying them a second time.
   *
   * @throws FolderNotFoundException if {@code destination} does not exist
   */
  @Override
  public Map<MessageId, MessageId> move(Collection<MessageId> ids, FolderRef destination) {
    return transfers.move(ids, destination);
  }

  @Override
  public void delete(MessageId id, DeleteMode mode) {
    actions.delete(id, mode);
  }

  @Override
  public void send(OutgoingMessage message) {
    smtp.send(message);
  }

  @Override
  public SyncBatch sync(FolderRef folder, SyncState state, int maxMessages) {
    return folderSync.sync(folder, state, maxMessages);
  }

  @Override
  public boolean awaitChanges(FolderRef folder, Duration timeout) {
    return folderSync.awaitChanges(folder, timeout);
  }

  // health

  @Override
  public ConnectionCheck checkConnection() {
    long start = System.nanoTime();
    try {
      int messages = session.callDedicated("EXAMINE INBOX", c -> {
        c.select("INBOX");
        return c.exists();
      });
      return ConnectionCheck.ok("INBOX of " + mailbox + ": " + messages + " messages (IMAP at " + endpoint.host()
          + ":" + endpoint.port() + ", " + (credential.kind() == CredentialKind.APP_ONLY ? "app-only" : "delegated")
          + ")", Duration.ofNanos(System.nanoTime() - start));
    } catch (MailboxException e) {
      Diagnosis d = e.diagnosis().orElseGet(() -> Diagnosis.builder(SetupStep.UNKNOWN, e.getClass().getSimpleName())
          .summary(String.valueOf(e.getMessage())).fix("See the cause").build());
      return ConnectionCheck.failed(d, Duration.ofNanos(System.nanoTime() - start));
    }
  }

  @Override
  public void close() {
    session.close();
  }

  @Override
  public String toString() {
    return "ImapMailboxConnector[" + Pii.mailbox(mailbox, logPii) + " at " + endpoint + "]";
  }


  /** Builds an {@link ImapMailboxConnector}; {@link #build()} needs {@link #mailbox} and {@link #credential}. */
  public static final class Builder {
    private String mailbox;
    private CredentialStrategy credential;
    private String host;
    private Integer port;
    private boolean startTls;
    private boolean insecure;
    private SSLContext trust;
    private ProxySettings proxy;
    private String smtpHost;
    private int smtpPort = 587;
    private Clock clock = Clock.systemUTC();
    private Duration reauthMargin = Duration.ofMinutes(2);
    private Duration throttleBudget = Duration.ofMinutes(2);
    private int maxAttempts = 4;
    private Duration timeout = Duration.ofSeconds(60);
    private boolean logPii;
    private long readAhead = 8L * 1024 * 1024;
    private ExchangeSessions sessions;
    private ScheduledExecutorService executor;
    private Sleeper sleeper = Sleeper.SYSTEM;

    private Builder() {}

    /**
     * The mailbox to open, such as {@code invoices@contoso.com}: sent as XOAUTH2's {@code user=}, so it may be a
     * shared mailbox the identity has FullAccess to.
     */
    public Builder mailbox(String address) {
      this.mailbox = EmailAddress.of(requireNonNull(address, "mailbox")).address().toLowerCase(Locale.ROOT);
      return this;
    }

    /**
     * Where tokens come from: app-only ({@code IMAP.AccessAsApp}, plus {@code SMTP.SendAsApp} to send) or delegated
     * ({@code IMAP.AccessAsUser.All}, plus {@code SMTP.Send}).
     */
    public Builder credential(CredentialStrategy value) {
      this.credential = requireNonNull(value, "credential");
      return this;
    }

    /** IMAP host (default: the credential's cloud, {@code outlook.office365.com} in the global cloud). */
    public Builder host(String value) {
      this.host = Arguments.notBlank(value, "host");
      return this;
    }

    /** IMAP port (default 993, or 143 with {@link #startTls()}). */
    public Builder port(int value) {
      this.port = Arguments.port(value, "port");
      return this;
    }

    /** STARTTLS on a plain port (143) instead of implicit TLS; a server without STARTTLS is refused. */
    public Builder startTls() {
      this.startTls = true;
      return this;
    }

    /**
     * No TLS at all: the token and the mail cross the network in clear text. Only for tests against a local
     * server; logged as a warning when built and at every login.
     */
    public Builder insecurePlaintextForTestsOnly() {
      this.insecure = true;
      return this;
    }

    /**
     * How the IMAP server (and the SMTP server of {@code send}) is reached, default the credential's {@code
     * registration().proxy()} (whose default is the JVM's settings): an HTTP proxy through a {@code CONNECT} tunnel
     * opened before anything of IMAP is sent, or a SOCKS5 proxy. See {@link ProxySettings}.
     */
    public Builder proxy(ProxySettings value) {
      this.proxy = requireNonNull(value, "proxy");
      return this;
    }

    /**
     * TLS trust instead of the credential's {@code AppRegistration.trust()} or the JVM's default; host names are
     * verified all the same.
     */
    public Builder trust(SSLContext value) {
      this.trust = requireNonNull(value, "trust");
      return this;
    }

    /**
     * SMTP host for {@link ImapMailboxConnector#send} (default: the cloud's, {@code smtp.office365.com}). For
     * personal Microsoft accounts (outlook.com) Microsoft's "POP, IMAP, and SMTP settings for Outlook.com" names
     * {@code smtp-mail.outlook.com} (port 587, STARTTLS, OAuth2) and IMAP on {@code outlook.office365.com}.
     */
    public Builder smtpHost(String value) {
      this.smtpHost = Arguments.notBlank(value, "smtpHost");
      return this;
    }

    /** SMTP submission port for {@link ImapMailboxConnector#send} (default 587, STARTTLS). */
    public Builder smtpPort(int value) {
      this.smtpPort = Arguments.port(value, "smtpPort");
      return this;
    }

    /** The clock token-expiry decisions use (default the system clock; tests inject the tenant's). */
    public Builder clock(Clock value) {
      this.clock = requireNonNull(value, "clock");
      return this;
    }

    /**
     * How long before the token's {@code exp} the connection is replaced by a new login (default 2 minutes; at
     * most a quarter of the token's lifetime is used).
     */
    public Builder reauthMargin(Duration value) {
      requireNonNull(value, "reauthMargin");
      if (value.isNegative()) {
        throw new IllegalArgumentException("reauthMargin must not be negative, was " + value);
      }
      this.reauthMargin = value;
      return this;
    }

    /**
     * The longest an operation waits for Exchange's throttling in all (default 2 minutes); beyond it a {@link
     * org.o365mail.ThrottledException} carries the wait the server asked for.
     */
    public Builder throttleBudget(Duration value) {
      requireNonNull(value, "throttleBudget");
      if (value.isNegative()) {
        throw new IllegalArgumentException("throttleBudget must not be negative, was " + value);
      }
      this.throttleBudget = value;
      return this;
    }

    /**
     * Connections an operation may use when they keep being lost, 1 to 10 (default 4). Connections given up because
     * Exchange throttled a command do not count: {@link #throttleBudget} bounds those.
     */
    public Builder maxAttempts(int value) {
      if (value < 1 || value > 10) {
        throw new IllegalArgumentException("maxAttempts must be 1 to 10, was " + value);
      }
      this.maxAttempts = value;
      return this;
    }

    /**
     * Connect and read timeout (default 60 s); IDLE re-issues itself before it. A response that has started must
     * then keep coming at 1 KiB/s, and one operation may read for ten timeouts plus one second per KiB.
     */
    public Builder timeout(Duration value) {
      this.timeout = Arguments.positive(value, "timeout");
      return this;
    }

    /** Whether log lines may show mailbox addresses (default false: {@code i***@contoso.com}). */
    public Builder logPii(boolean value) {
      this.logPii = value;
      return this;
    }

    /**
     * How many bytes of small messages (up to 1 MB each) {@link ImapMailboxConnector#openMime} may fetch ahead and
     * hold, in one command, when a sync batch or listing page is read message by message (default 8 MB; 0 turns it
     * off, and every message is then streamed with its own commands). Larger messages are always streamed.
     */
    public Builder readAhead(long bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("readAhead must not be negative, was " + bytes);
      }
      this.readAhead = bytes;
      return this;
    }

    /**
     * What this connector learns from Exchange Online and shares with the connectors and senders given the same
     * object: mailboxes to leave alone while Exchange throttles them, and the logins that sharpen diagnoses (default:
     * one of its own, shared only with its {@link ImapMailboxConnector#smtpSender() sender}). See {@link
     * ExchangeSessions}.
     */
    public Builder sessions(ExchangeSessions value) {
      this.sessions = requireNonNull(value, "sessions");
      return this;
    }

    /**
     * Where the connector times its IDLE cycles and the deadlines of its writes, short tasks that never block
     * (default: the adapter's own daemon threads {@code o365mail-imap-idle-N} and {@code o365mail-imap-watchdog-N},
     * shared by the connectors given none). The connector's operations run on the caller's threads, not here.
     * {@link ImapMailboxConnector#close()} does not shut an executor given here down: it is the caller's.
     */
    public Builder executor(ScheduledExecutorService value) {
      this.executor = requireNonNull(value, "executor");
      return this;
    }

    /** The throttling and reconnect waits (default real ones; tests pass one that records them). */
    Builder sleeper(Sleeper value) {
      this.sleeper = requireNonNull(value, "sleeper");
      return this;
    }

    public ImapMailboxConnector build() {
      if (mailbox == null || credential == null) {
        throw new IllegalStateException("missing required setting(s):" + (mailbox == null ? " mailbox()" : "")
            + (credential == null ? " credential()" : ""));
      }
      if (startTls && insecure) {
        throw new IllegalStateException("startTls() and insecurePlaintextForTestsOnly() contradict each other:"
            + " choose one");
      }
      return new ImapMailboxConnector(this);
    }
  }
}
