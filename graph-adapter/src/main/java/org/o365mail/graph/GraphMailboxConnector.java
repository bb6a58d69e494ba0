package org.o365mail.graph;

import static java.util.Objects.requireNonNull;

import java.io.InputStream;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import javax.net.ssl.SSLContext;
import org.o365mail.AttachmentInfo;
import org.o365mail.ConnectionCheck;
import org.o365mail.DeleteMode;
import org.o365mail.FolderRef;
import org.o365mail.ListOptions;
import org.o365mail.MailFolder;
import org.o365mail.MailboxConnector;
import org.o365mail.MailboxException;
import org.o365mail.MessageId;
import org.o365mail.MessageSummary;
import org.o365mail.OutgoingMessage;
import org.o365mail.Paged;
import org.o365mail.Protocol;
import org.o365mail.ProxySettings;
import org.o365mail.SyncBatch;
import org.o365mail.SyncState;
import org.o365mail.auth.CredentialKind;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.graph.internal.Batcher;
import org.o365mail.graph.internal.BoundedAnswers;
import org.o365mail.graph.internal.DeltaSync;
import org.o365mail.graph.internal.Folders;
import org.o365mail.graph.internal.Governor;
import org.o365mail.graph.internal.GraphAuthentication;
import org.o365mail.graph.internal.GraphErrors;
import org.o365mail.graph.internal.GraphTransport;
import org.o365mail.graph.internal.MailboxState;
import org.o365mail.graph.internal.Paths;
import org.o365mail.graph.internal.Sender;
import org.o365mail.graph.internal.Sleeper;

/**
 * A {@link MailboxConnector} over Microsoft Graph ({@code /users/{mailbox}}, so app-only access to any mailbox
 * and to shared mailboxes works, and delegated access to another mailbox with the {@code .Shared} permissions).
 * Always asks for immutable ids; selects only what a summary shows; streams MIME; syncs folders by delta
 * queries; uses {@code $batch} for bulk reads and changes; sends large attachments through upload sessions.
 *
 * <p>Every request passes the connector's governor: at most {@link Builder#maxConcurrentRequests(int) four}
 * in flight for the mailbox (counted over every connector sharing its {@link Builder#mailboxes(GraphMailboxes)
 * GraphMailboxes}, a request waiting at most the {@link Builder#timeout(Duration) timeout} for one), paced under Exchange's {@link Builder#requestWindow(int, Duration) request window},
 * {@code Retry-After} honoured on 429/503 by pausing the mailbox, bounded back-off on
 * 5xx and connection failures, within a {@link Builder#retryBudget(int, Duration) retry budget} after which a
 * {@link org.o365mail.ThrottledException} says how long Graph asked to wait. The bearer token only ever goes to
 * the Graph base URL's exact origin, scheme, host and port (and origins added with {@link
 * Builder#allowedHosts(String...)}); a request anywhere else is refused before it is sent. A next or delta link
 * outside the base URL (another origin, or a path not under the base path) is refused, never followed or stored in
 * a sync state; a stored state holding such a link is discarded and its sync starts a new round ({@code resynced}).
 *
 * <p>The messages a {@link #sync} hands out are read ahead when the first of them is opened: twenty MIME bodies
 * (of at most 256 KiB each) to a {@code $batch}, one batch ahead of the caller, so that an importer reading one
 * message at a time pays one round trip per twenty. A message opened a second time, or one its batch could not
 * fetch, is read on its own.
 *
 * <p>Instances are thread-safe; share one per mailbox and close it when done. Close every stream
 * it hands out: an open MIME stream holds one of the mailbox's request slots. Reads ahead and {@link #forEachMime}'s
 * batches run on the connector's own daemon threads, or on the {@link Builder#executor(Executor) executor} given.
 *
 * <pre>{@code
 * try (MailboxConnector inbox = GraphMailboxConnector.builder()
 *     .mailbox("invoices@contoso.com")
 *     .credential(credential)
 *     .build()) {
 *   inbox.listMessages(FolderRef.INBOX).stream().limit(20).forEach(System.out::println);
 * }
 * }</pre>
 */
public final class GraphMailboxConnector implements MailboxConnector {
  private final String mailbox;
  private final CredentialStrategy credential;
  private final GraphTransport transport;
  private final DeltaSync delta;
  private final Sender sender;
  private final ConnectorThreads threads;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final GraphMailboxes mailboxes;
  /** The app and mailbox whose state this connector holds in {@link #mailboxes}. */
  private final String stateKey;
  private final MailboxState state;
  private final MailFolders folders;
  private final MessageListing listing;
  private final MimeBodies mime;
  private final Attachments attachments;
  private final MessageChanges changes;
  private final ConnectionChecks checks;
  /** What this connector was built with, for {@link #forMailbox}. */
  private final Builder settings;

  private GraphMailboxConnector(Builder b) {
    this(b, null, null);
  }

  private GraphMailboxConnector(Builder b, GraphTransport poolOf, ConnectorThreads sharedThreads) {
    this.settings = b.copy();
    this.mailboxes = b.mailboxes != null ? b.mailboxes : GraphMailboxes.builder().build();
    this.settings.mailboxes = mailboxes; // forMailbox shares it
    this.mailbox = b.mailbox;
    this.credential = b.credential;
    URI base = b.baseUrl != null ? b.baseUrl : URI.create(b.credential.registration().cloud().graphEndpoint() + "/v1.0");
    boolean own = b.credential.kind() == CredentialKind.APP_ONLY
        || b.credential.username().map(u -> u.equalsIgnoreCase(b.mailbox)).orElse(!b.shared);
    String mailPermission = b.mailPermission != null ? b.mailPermission : own ? "Mail.ReadWrite" : "Mail.ReadWrite.Shared";
    String sendPermission = b.sendPermission != null ? b.sendPermission : own ? "Mail.Send" : "Mail.Send.Shared";
    GraphAuthentication auth = new GraphAuthentication(b.credential, base, b.allowedHosts, mailPermission, sendPermission);
    ProxySettings proxy = b.proxy != null ? b.proxy : b.credential.registration().proxy();
    Clock clock = b.clock;
    LongSupplier nanoTime = clock == null ? System::nanoTime : () -> TimeUnit.MILLISECONDS.toNanos(clock.millis());
    // Exchange counts per app and mailbox (and the base URL tells clouds and test tenants apart)
    this.stateKey = base + " " + b.credential.registration().clientId() + " " + mailbox;
    this.state = mailboxes.states().acquire(stateKey,
        () -> new MailboxState(b.maxConcurrent, b.windowRequests, b.window, nanoTime));
    try {
      Governor governor = new Governor(state, b.maxAttempts, b.maxWait, auth, b.timeout, b.sleeper);
      SSLContext trust = b.trust != null ? b.trust : b.credential.registration().trust().orElse(null);
      this.transport = poolOf == null ? new GraphTransport(base, auth, governor, trust, proxy, b.timeout,
          b.answerTimeout)
          : new GraphTransport(base, auth, governor, b.timeout, b.answerTimeout, poolOf);
    } catch (RuntimeException | Error e) {
      mailboxes.states().release(stateKey, state); // no connector came of it: the state is not in use
      throw e;
    }
    GraphErrors errors = new GraphErrors(mailbox, b.credential.registration().clientId(), auth, own, base, proxy);
    Batcher batcher = new Batcher(transport);
    Folders folderCache = new Folders(transport.client(), mailbox, errors, batcher);
    GraphSession session = new GraphSession(mailbox, transport, transport.client(), errors, batcher, folderCache);
    this.delta = new DeltaSync(transport, mailbox, folderCache, errors);
    this.sender = new Sender(transport, mailbox, errors);
    // the threads read ahead for this connector and every one forMailbox makes from it
    this.threads = sharedThreads == null ? new ConnectorThreads(b.executor) : sharedThreads.share();
    this.folders = new MailFolders(session);
    this.listing = new MessageListing(session, threads);
    this.mime = new MimeBodies(session, threads);
    this.attachments = new Attachments(session);
    this.changes = new MessageChanges(session);
    this.checks = new ConnectionChecks(session, credential, sender);
  }

  /**
   * A connector for another mailbox with this one's credential and settings, sharing its connections to Graph: what
   * a service polling many mailboxes should use, so that one pool of connections (and TLS sessions) serves them
   * all, and the same {@link GraphMailboxes}: each mailbox has its own request slots and pauses, as Exchange limits
   * concurrency per mailbox. Close each when done.
   *
   * @param otherMailbox a user principal name or primary SMTP address, or an object id
   */
  public GraphMailboxConnector forMailbox(String otherMailbox) {
    Builder b = settings.copy();
    b.mailbox(otherMailbox);
    return new GraphMailboxConnector(b, transport, threads);
  }

  /** A builder; {@link Builder#mailbox(String)} and {@link Builder#credential(CredentialStrategy)} are required. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String mailbox() {
    return mailbox;
  }

  @Override
  public Protocol protocol() {
    return Protocol.GRAPH;
  }

  /** Graph requests retried so far by the governor (after 429, 503, 5xx or a connection failure). */
  public long retries() {
    return transport.governor().retries();
  }

  // ----- folders -----

  @Override
  public List<MailFolder> listFolders() {
    return folders.tree();
  }

  @Override
  public MailFolder folder(FolderRef ref) {
    return folders.folder(ref);
  }

  @Override
  public MailFolder createFolder(FolderRef path) {
    return folders.create(path);
  }

  // ----- messages -----

  @Override
  public Paged<MessageSummary> listMessages(FolderRef folder, ListOptions options) {
    return listing.list(folder, options);
  }

  @Override
  public MessageSummary message(MessageId id) {
    return listing.message(id);
  }

  @Override
  public Map<MessageId, MessageSummary> messages(Collection<MessageId> ids) {
    return listing.messages(ids);
  }

  @Override
  public InputStream openMime(MessageId id) {
    return mime.open(id);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Messages of at most 256 KiB, or whose size Graph did not give, go twenty to a {@code $batch} whose items run one after
   * another (holding one of the mailbox's slots), up to as many batches in flight as the mailbox has slots, fetched
   * ahead by workers while the caller handles the previous ones; others are streamed when their turn comes.
   */
  @Override
  public void forEachMime(Iterable<MessageSummary> messages, MimeConsumer consumer) {
    mime.forEachMime(messages, consumer);
  }

  @Override
  public List<AttachmentInfo> listAttachments(MessageId id) {
    return attachments.list(id);
  }

  @Override
  public InputStream openAttachment(MessageId id, String attachmentId) {
    return attachments.open(id, attachmentId);
  }

  // ----- actions -----

  @Override
  public void markRead(MessageId id, boolean read) {
    changes.markRead(id, read);
  }

  /** Marks many messages in {@code $batch}es of twenty. */
  @Override
  public void markRead(Collection<MessageId> ids, boolean read) {
    changes.markRead(ids, read);
  }

  @Override
  public MessageId move(MessageId id, FolderRef destination) {
    return changes.move(id, destination);
  }

  /** Moves many messages in {@code $batch}es of twenty. */
  @Override
  public Map<MessageId, MessageId> move(Collection<MessageId> ids, FolderRef destination) {
    return changes.move(ids, destination);
  }

  @Override
  public void delete(MessageId id, DeleteMode mode) {
    changes.delete(id, mode);
  }

  @Override
  public void send(OutgoingMessage message) {
    sender.send(requireNonNull(message, "message"));
  }

  // ----- sync -----

  @Override
  public SyncBatch sync(FolderRef folder, SyncState state, int maxMessages) {
    requireNonNull(folder, "folder");
    requireNonNull(state, "state");
    SyncBatch batch = delta.sync(folder, state, maxMessages);
    mime.plan(batch.messages()); // the caller reads these next: twenty to a $batch, one batch ahead
    return batch;
  }

  // ----- health -----

  @Override
  public ConnectionCheck checkConnection() {
    return checks.mailbox();
  }

  /**
   * Checks the send path instead of the mailbox, for a connection that only sends (delegated {@code Mail.Send} and
   * nothing to read, as the ImageManager guide sets it up): a token for the send permission, and its claims fit
   * for sending ({@code Mail.Send} or {@code Mail.Send.Shared} in {@code scp}, or the {@code Mail.Send} role, for
   * Microsoft Graph, of the configured tenant). Reads nothing and sends nothing. Shaped for {@code
   * Supplier<ConnectionCheck>}: {@code connector::checkSending}.
   *
   * @return passed, or failed with the step to fix
   */
  public ConnectionCheck checkSending() {
    return checks.sending(Optional.empty());
  }

  /**
   * {@link #checkSending()}, then sends a short test message from this mailbox to {@code testRecipient} through
   * {@code sendMail}, which also proves Exchange accepts the message (Send As, the mailbox's send limits).
   *
   * @param testRecipient the address the test message goes to
   */
  public ConnectionCheck checkSending(String testRecipient) {
    requireNonNull(testRecipient, "testRecipient");
    if (testRecipient.isBlank() || !testRecipient.contains("@")) {
      throw new IllegalArgumentException("testRecipient must be an email address, was '" + testRecipient + "'");
    }
    return checks.sending(Optional.of(testRecipient.trim()));
  }

  @Override
  public void close() {
    mime.clear();
    if (closed.compareAndSet(false, true)) {
      threads.release();
      mailboxes.states().release(stateKey, state);
    }
    transport.close();
  }

  @Override
  public String toString() {
    return "GraphMailboxConnector[" + transport.baseUrl().getHost() + ", " + credential.kind() + "]";
  }

  /**
   * Builds a {@link GraphMailboxConnector}. Required: {@link #mailbox(String)} and {@link
   * #credential(CredentialStrategy)}. Defaults: the Graph endpoint of the credential's cloud with {@code /v1.0},
   * the credential's trust (else the JVM's), four requests in flight, 10,000 requests per 10 minutes, eight attempts
   * and a minute of waiting per request, 100 s socket timeouts, 5 minutes per answer read whole, the JVM's monotonic
   * clock, per-mailbox state of its own ({@link GraphMailboxes}) and daemon threads of its own.
   */
  public static final class Builder {
    private String mailbox;
    private CredentialStrategy credential;
    private URI baseUrl;
    private final Set<String> allowedHosts = new LinkedHashSet<>();
    private SSLContext trust;
    private ProxySettings proxy;
    private int maxConcurrent = 4;
    private int maxAttempts = 8;
    private Duration maxWait = Duration.ofSeconds(60);
    private int windowRequests = 10_000;
    private Duration window = Duration.ofMinutes(10);
    private Clock clock;
    private Duration timeout = Duration.ofSeconds(100);
    private Duration answerTimeout = BoundedAnswers.DEFAULT_TIMEOUT;
    private String mailPermission;
    private String sendPermission;
    private boolean shared;
    private GraphMailboxes mailboxes;
    private Executor executor;
    private Sleeper sleeper = Sleeper.SYSTEM;

    private Builder() {}

    private Builder copy() {
      Builder c = new Builder();
      c.mailbox = mailbox;
      c.credential = credential;
      c.baseUrl = baseUrl;
      c.allowedHosts.addAll(allowedHosts);
      c.trust = trust;
      c.proxy = proxy;
      c.maxConcurrent = maxConcurrent;
      c.maxAttempts = maxAttempts;
      c.maxWait = maxWait;
      c.windowRequests = windowRequests;
      c.window = window;
      c.clock = clock;
      c.timeout = timeout;
      c.answerTimeout = answerTimeout;
      c.mailPermission = mailPermission;
      c.sendPermission = sendPermission;
      c.shared = shared;
      c.mailboxes = mailboxes;
      c.executor = executor;
      c.sleeper = sleeper;
      return c;
    }

    /** The mailbox: a user principal name or primary SMTP address (user or shared mailbox), or an object id. */
    public Builder mailbox(String value) {
      requireNonNull(value, "mailbox");
      if (value.isBlank()) {
        throw new IllegalArgumentException("mailbox must not be blank");
      }
      this.mailbox = value.trim().toLowerCase(Locale.ROOT);
      return this;
    }

    /** Where tokens come from: app-only (client credentials) or a signed-in user. Not closed by the connector. */
    public Builder credential(CredentialStrategy value) {
      this.credential = requireNonNull(value, "credential");
      return this;
    }

    /** The Graph base URL, {@code https://host[:port]/v1.0} (national clouds, test tenants); HTTPS only. */
    public Builder baseUrl(String value) {
      this.baseUrl = Paths.httpsBase(requireNonNull(value, "baseUrl"));
      return this;
    }

    /**
     * More origins that may receive the token, besides the base URL's: {@code host} means HTTPS on port 443 only
     * (not any port), {@code host:port} or {@code https://host:port} another port. Only HTTPS origins are accepted.
     */
    public Builder allowedHosts(String... hosts) {
      for (String h : hosts) {
        allowedHosts.add(requireNonNull(h, "host").toLowerCase(Locale.ROOT));
      }
      return this;
    }

    /**
     * How Graph is reached (default: the credential's {@code registration().proxy()}, whose own default is the
     * JVM's settings): HTTPS through an HTTP proxy's {@code CONNECT} tunnels, or a SOCKS5 proxy. See {@link
     * ProxySettings}.
     */
    public Builder proxy(ProxySettings value) {
      this.proxy = requireNonNull(value, "proxy");
      return this;
    }

    /** The TLS trust for the Graph host (default: the credential's registration's, else the JVM's). */
    public Builder trust(SSLContext value) {
      this.trust = requireNonNull(value, "trust");
      return this;
    }

    /** Requests in flight at once for this mailbox, 1 to 4 is what Exchange allows (default 4). */
    public Builder maxConcurrentRequests(int value) {
      if (value < 1) {
        throw new IllegalArgumentException("maxConcurrentRequests must be at least 1, was " + value);
      }
      this.maxConcurrent = value;
      return this;
    }

    /** Attempts per request and total wait per request before a throttled request fails (default 8, 60 s). */
    public Builder retryBudget(int attempts, Duration maxWait) {
      if (attempts < 1) {
        throw new IllegalArgumentException("attempts must be at least 1, was " + attempts);
      }
      this.maxAttempts = attempts;
      this.maxWait = requireNonNull(maxWait, "maxWait");
      return this;
    }

    /**
     * Exchange's request window for this app on this mailbox, which the requests are paced under (default 10,000
     * requests per 10 minutes, Microsoft's documented Outlook limit; every {@code $batch} item counts). A quiet
     * mailbox's requests leave at once (up to one in twenty of the window); past that they leave evenly spaced, at a
     * rate that keeps any period of {@code window} under {@code requests} with a margin of one in fifty, so a long
     * import is never told to wait out the rest of a window. Other processes using the same app on the same mailbox
     * share Exchange's window without this one knowing: give each its share.
     *
     * @param requests at least 40
     */
    public Builder requestWindow(int requests, Duration window) {
      requireNonNull(window, "window");
      if (requests < 40) {
        throw new IllegalArgumentException("requestWindow requests must be at least 40, was " + requests);
      }
      if (window.isNegative() || window.isZero()) {
        throw new IllegalArgumentException("requestWindow window must be positive, was " + window);
      }
      this.windowRequests = requests;
      this.window = window;
      return this;
    }

    /**
     * The clock the governor measures {@code Retry-After} pauses and the request window's pacing on (default the
     * JVM's monotonic clock). A test can pass the local tenant's clock, so that moving it moves both sides.
     */
    public Builder clock(Clock value) {
      this.clock = requireNonNull(value, "clock");
      return this;
    }

    /**
     * How long Graph may stay silent (default 100 s): the timeout of connecting, of each wait for the next bytes of
     * an answer (its headers included) and of each wait to send the next bytes of a request. It is not a limit on a
     * whole request: a large {@code $value} or upload chunk may take as long as it needs while its bytes keep
     * flowing; a stream that stalls longer than this fails with a {@link MailboxException}. Retries are bounded by
     * {@link #retryBudget(int, Duration)}. Also the longest a request waits for one of the mailbox's request slots
     * (held by requests in flight and by streams not yet closed) before it fails with a {@link MailboxException}.
     */
    public Builder timeout(Duration value) {
      this.timeout = Checks.positive(value, "timeout");
      return this;
    }

    /**
     * The most time one answer Graph sends to be read whole may take, from sending the request to the answer's last
     * byte (default 5 minutes): a page of messages or folders, a {@code $batch}, the answer to a send, an error. A
     * server that keeps sending a byte now and then never trips {@link #timeout(Duration)}; this ends such an answer
     * with a {@link MailboxException}. Each attempt has its own (waits for {@code Retry-After} do not count).
     * Streamed bodies ({@link #openMime}, {@link #openAttachment}) have no total limit, only {@link #timeout}.
     * Answers read whole are also limited in size (16 MiB, 1 MiB for an error).
     */
    public Builder answerTimeout(Duration value) {
      this.answerTimeout = Checks.positive(value, "answerTimeout");
      return this;
    }

    /**
     * Delegated tokens: the permissions asked for mail and for sending (default {@code Mail.ReadWrite} and {@code
     * Mail.Send}, or their {@code .Shared} forms for another user's mailbox). App-only tokens always ask for
     * {@code .default}.
     */
    public Builder delegatedPermissions(String mail, String send) {
      this.mailPermission = requireNonNull(mail, "mail");
      this.sendPermission = requireNonNull(send, "send");
      return this;
    }

    /** Delegated tokens: the mailbox is not the signed-in user's own (when the credential does not name the user). */
    public Builder sharedMailbox(boolean value) {
      this.shared = value;
      return this;
    }

    /**
     * The per-mailbox state (request slots, pauses, request window) this connector shares with others given the same
     * object (default: one of its own, shared only with the connectors {@link GraphMailboxConnector#forMailbox} makes
     * from it). Not closed by the connector.
     */
    public Builder mailboxes(GraphMailboxes value) {
      this.mailboxes = requireNonNull(value, "mailboxes");
      return this;
    }

    /**
     * Where the connector does its own work: reading MIME and pages ahead, and the {@code $batch}es {@link
     * GraphMailboxConnector#forEachMime} keeps in flight (default: the connector's own daemon threads, two for reading
     * ahead and four for {@code forEachMime}, ended when idle or closed). Shared with the connectors {@link
     * GraphMailboxConnector#forMailbox} makes; never shut down by the connector. A read ahead the executor has not
     * started when it is needed is run by the thread that needs it.
     */
    public Builder executor(Executor value) {
      this.executor = requireNonNull(value, "executor");
      return this;
    }

    /** How the governor waits (default: the thread sleeps); tests pass one that records waits and moves a clock. */
    Builder sleeper(Sleeper value) {
      this.sleeper = requireNonNull(value, "sleeper");
      return this;
    }

    public GraphMailboxConnector build() {
      if (mailbox == null || credential == null) {
        throw new IllegalStateException("missing required setting(s):" + (mailbox == null ? " mailbox()" : "")
            + (credential == null ? " credential()" : ""));
      }
      return new GraphMailboxConnector(this);
    }
  }
}
