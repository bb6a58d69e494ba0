package org.o365mail.graph;

import static java.util.Objects.requireNonNull;

import com.microsoft.graph.models.Attachment;
import com.microsoft.graph.models.AttachmentCollectionResponse;
import com.microsoft.graph.models.Message;
import com.microsoft.graph.models.odataerrors.ODataError;
import com.microsoft.graph.serviceclient.GraphServiceClient;
import com.microsoft.graph.users.item.mailfolders.item.messages.MessagesRequestBuilder;
import com.microsoft.graph.users.item.messages.item.move.MovePostRequestBody;
import com.microsoft.kiota.HttpMethod;
import com.microsoft.kiota.RequestInformation;
import com.microsoft.kiota.serialization.Parsable;
import com.microsoft.kiota.serialization.ParsableFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.o365mail.AttachmentInfo;
import org.o365mail.ConnectionCheck;
import org.o365mail.DeleteMode;
import org.o365mail.Diagnosis;
import org.o365mail.FolderRef;
import org.o365mail.ListOptions;
import org.o365mail.MailFolder;
import org.o365mail.MailboxConnector;
import org.o365mail.MailboxException;
import org.o365mail.MessageId;
import org.o365mail.MessageSummary;
import org.o365mail.OutgoingMessage;
import org.o365mail.Page;
import org.o365mail.Paged;
import org.o365mail.Protocol;
import org.o365mail.SetupStep;
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
import org.o365mail.graph.internal.GraphCall;
import org.o365mail.graph.internal.GraphCall.Access;
import org.o365mail.graph.internal.GraphErrors;
import org.o365mail.graph.internal.GraphErrors.Target;
import org.o365mail.graph.internal.GraphTransport;
import org.o365mail.graph.internal.MimeReadAhead;
import org.o365mail.graph.internal.PagingGuard;
import org.o365mail.graph.internal.Paths;
import org.o365mail.graph.internal.Sender;
import org.o365mail.graph.internal.SizeExpansion;
import org.o365mail.graph.internal.StalledBodies;
import org.o365mail.graph.internal.Summaries;
import org.o365mail.graph.internal.SummaryPages;
import org.o365mail.internal.Arguments;
import org.o365mail.internal.Futures;

/**
 * A {@link MailboxConnector} over Microsoft Graph ({@code /users/{mailbox}}, so app-only access to any mailbox
 * and to shared mailboxes works, and delegated access to another mailbox with the {@code .Shared} permissions).
 * Always asks for immutable ids; selects only what a summary shows; streams MIME; syncs folders by delta
 * queries; uses {@code $batch} for bulk reads and changes; sends large attachments through upload sessions.
 *
 * <p>Every request passes one governor per connector: at most {@link Builder#maxConcurrentRequests(int) four}
 * in flight for the mailbox, paced under Exchange's {@link Builder#requestWindow(int, Duration) request window},
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
 * it hands out: an open MIME stream holds one of the mailbox's request slots.
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
  /** Messages up to this size are fetched in {@code $batch} by {@link #forEachMime}; bigger ones are streamed. */
  static final long BATCH_MIME_LIMIT = 256 * 1024;
  private static final String PREFER_IMMUTABLE = "IdType=\"ImmutableId\"";

  private final String mailbox;
  private final CredentialStrategy credential;
  private final GraphTransport transport;
  private final GraphServiceClient graph;
  private final GraphErrors errors;
  private final Folders folders;
  private final Batcher batcher;
  private final DeltaSync delta;
  private final Sender sender;
  private final Prefetch prefetchThreads;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final MimeReadAhead readAhead;
  /** Whether listings and message look-ups may ask for the size (a national cloud refused it). */
  private final SizeExpansion listingSizes = new SizeExpansion();
  /** What this connector was built with, for {@link #forMailbox}. */
  private final Builder settings;

  private GraphMailboxConnector(Builder b) {
    this(b, null, null);
  }

  /**
   * The read-ahead threads, shared by a connector and those {@link #forMailbox} made from it; the last closes them.
   * Two read ahead for importers (one batch or page ahead each, however many mailboxes); {@link #forEachMime}, which
   * keeps up to four batches of one mailbox in flight, has four of its own, started when first needed.
   */
  private static final class Prefetch {
    final ExecutorService pool = pool("o365mail-graph-prefetch-", 2);
    private ExecutorService bulk;
    final AtomicInteger users = new AtomicInteger(1);

    private static ExecutorService pool(String name, int size) {
      AtomicInteger threads = new AtomicInteger();
      ThreadPoolExecutor p = new ThreadPoolExecutor(size, size, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
          r -> {
            Thread t = new Thread(r, name + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
          });
      p.allowCoreThreadTimeOut(true); // hundreds of idle mailboxes hold no thread
      return p;
    }

    /** Threads for the batches forEachMime keeps in flight. */
    synchronized ExecutorService bulk() {
      if (bulk == null) {
        bulk = pool("o365mail-graph-bulk-", Batcher.SERVER_PARALLELISM);
      }
      return bulk;
    }

    Prefetch share() {
      users.incrementAndGet();
      return this;
    }

    void release() {
      if (users.decrementAndGet() == 0) {
        pool.shutdownNow();
        synchronized (this) {
          if (bulk != null) {
            bulk.shutdownNow();
          }
        }
      }
    }
  }

  private GraphMailboxConnector(Builder b, GraphTransport poolOf, Prefetch sharedPrefetch) {
    this.settings = b.copy();
    this.mailbox = b.mailbox;
    this.credential = b.credential;
    URI base = b.baseUrl != null ? b.baseUrl : URI.create(b.credential.registration().cloud().graphEndpoint() + "/v1.0");
    boolean own = b.credential.kind() == CredentialKind.APP_ONLY
        || b.credential.username().map(u -> u.equalsIgnoreCase(b.mailbox)).orElse(!b.shared);
    String mailPermission = b.mailPermission != null ? b.mailPermission : own ? "Mail.ReadWrite" : "Mail.ReadWrite.Shared";
    String sendPermission = b.sendPermission != null ? b.sendPermission : own ? "Mail.Send" : "Mail.Send.Shared";
    GraphAuthentication auth = new GraphAuthentication(b.credential, base, b.allowedHosts, mailPermission, sendPermission);
    Clock clock = b.clock;
    Governor governor = new Governor(b.maxConcurrent, b.maxAttempts, b.maxWait, auth, b.windowRequests, b.window,
        clock == null ? System::nanoTime : () -> TimeUnit.MILLISECONDS.toNanos(clock.millis()));
    SSLContext trust = b.trust != null ? b.trust : b.credential.registration().trust().orElse(null);
    this.transport = poolOf == null ? new GraphTransport(base, auth, governor, trust, b.timeout, b.answerTimeout)
        : new GraphTransport(base, auth, governor, b.timeout, b.answerTimeout, poolOf);
    this.graph = transport.client();
    this.errors = new GraphErrors(mailbox, b.credential.registration().clientId(), auth, own, base);
    this.batcher = new Batcher(transport);
    this.folders = new Folders(graph, mailbox, errors, batcher);
    this.delta = new DeltaSync(transport, mailbox, folders, errors);
    this.sender = new Sender(transport, mailbox, errors);
    // two threads read ahead for this connector and every one forMailbox makes from it: a read the pool has not
    // started yet is run by the thread that needs it, so a busy pool slows nobody down
    this.prefetchThreads = sharedPrefetch == null ? new Prefetch() : sharedPrefetch.share();
    this.readAhead = new MimeReadAhead(Batcher.MAX_ITEMS, BATCH_MIME_LIMIT, prefetchThreads.pool,
        this::fetchMimeBodies);
  }

  /**
   * A connector for another mailbox with this one's credential and settings, sharing its connections to Graph: what
   * a service polling many mailboxes should use, so that one pool of connections (and TLS sessions) serves them
   * all. Each has its own request governor, as Exchange limits concurrency per mailbox. Close each when done.
   *
   * @param otherMailbox a user principal name or primary SMTP address, or an object id
   */
  public GraphMailboxConnector forMailbox(String otherMailbox) {
    Builder b = settings.copy();
    b.mailbox(otherMailbox);
    return new GraphMailboxConnector(b, transport, prefetchThreads);
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
    requireNonNull(ref, "folder");
    Folders.Resolved r = folders.resolve(ref);
    com.microsoft.graph.models.MailFolder f;
    try {
      f = graph.users().byUserId(mailbox).mailFolders().byMailFolderId(r.id()).get(rc -> {
        rc.queryParameters.select = new String[] {"id", "displayName", "totalItemCount", "unreadItemCount"};
        rc.options.add(GraphCall.READ);
        rc.headers.add("Prefer", PREFER_IMMUTABLE);
      });
    } catch (RuntimeException e) {
      throw errors.map(e, Target.FOLDER, "reading folder " + ref, Access.READ);
    }
    var known = folders.wellKnownIds();
    org.o365mail.WellKnownFolder wk = known.entrySet().stream().filter(e -> e.getValue().equals(r.id()))
        .map(Map.Entry::getKey).findFirst().orElse(null);
    return MailFolder.of(r.id(), r.path(), f.getDisplayName(), wk,
        f.getTotalItemCount() == null ? -1 : f.getTotalItemCount(),
        f.getUnreadItemCount() == null ? -1 : f.getUnreadItemCount(), List.of());
  }

  @Override
  public MailFolder createFolder(FolderRef path) {
    requireNonNull(path, "path");
    Folders.Resolved r = folders.create(path);
    return folder(FolderRef.id(r.id()));
  }

  // ----- messages -----

  @Override
  public Paged<MessageSummary> listMessages(FolderRef folder, ListOptions options) {
    requireNonNull(folder, "folder");
    requireNonNull(options, "options");
    PagingGuard paging = new PagingGuard("the listing of messages of folder " + folder);
    Paged<MessageSummary> listing = new Paged<>(token -> {
      if (token.isEmpty()) {
        paging.reset();
      }
      Optional<Folders.Resolved> known = folders.known(folder);
      FutureTask<Folders.Resolved> resolving = null;
      String target;
      if (known.isPresent()) {
        target = known.get().id();
      } else if (token.isEmpty() && folder.wellKnown().isPresent()) {
        // Graph takes the well-known name in the URL: the first page is asked for while the folder's id and path
        // are looked up, one round trip instead of two; run here if the read-ahead threads have not started it
        resolving = new FutureTask<>(() -> folders.resolve(folder));
        try {
          prefetchThreads.pool.execute(resolving);
        } catch (RejectedExecutionException e) {
          // run below
        }
        target = folder.wellKnown().get().graphName();
      } else {
        known = Optional.of(folders.resolve(folder));
        target = known.get().id();
      }
      SummaryPages.Page page;
      try {
        MessagesRequestBuilder messages = graph.users().byUserId(mailbox).mailFolders().byMailFolderId(target)
            .messages();
        String path = known.map(Folders.Resolved::path).orElse("");
        if (token.isPresent()) {
          RequestInformation request = messages.withUrl(token.get()).toGetRequestInformation();
          page = fetchPage(request, GraphCall.READ, path);
        } else {
          page = listingSizes.run((expand, call) -> fetchPage(firstPage(messages, options, expand), call, path));
        }
      } catch (RuntimeException e) {
        // a folder the mailbox does not have is reported as such, not as the listing's failure
        Folders.Resolved r;
        try {
          r = resolving != null ? resolved(resolving) : known.orElseThrow();
        } catch (MailboxException lookup) {
          throw lookup;
        } catch (RuntimeException lookup) {
          // the lookup failed as the listing did (a TLS or network failure): the listing's failure, mapped
          throw errors.map(e, Target.FOLDER, "listing messages of " + folder, Access.READ);
        }
        throw errors.map(e, Target.FOLDER, "listing messages of " + r.path(), Access.READ);
      }
      paging.page(page.entries().size(), page.nextLink());
      if (resolving == null) {
        return new Page<>(page.summaries(), Optional.ofNullable(page.nextLink()));
      }
      return new Page<>(SummaryPages.inFolder(page.summaries(), resolved(resolving).path()),
          Optional.ofNullable(page.nextLink()));
    });
    return options.readAhead() ? listing.readingAhead(prefetchThreads.pool) : listing;
  }

  /** The request for a listing's first page, with or without the size's {@code $expand}. */
  private static RequestInformation firstPage(MessagesRequestBuilder messages, ListOptions options, boolean expand) {
    return messages.toGetRequestInformation(rc -> {
      rc.queryParameters.select = Summaries.SELECT;
      if (expand) {
        rc.queryParameters.expand = Summaries.EXPAND;
      }
      rc.queryParameters.top = options.pageSize();
      rc.queryParameters.orderby = new String[] {"receivedDateTime " + (options.newestFirst() ? "desc" : "asc")};
      filter(options).ifPresent(f -> rc.queryParameters.filter = f);
    });
  }

  private SummaryPages.Page fetchPage(RequestInformation request, GraphCall call, String folderPath) {
    request.headers.add("Prefer", PREFER_IMMUTABLE);
    request.addRequestOptions(List.of(call));
    return SummaryPages.fetch(transport, request, folderPath);
  }

  /** A folder look-up's answer, run by the caller if no thread has started it; its failure thrown as it was. */
  private static Folders.Resolved resolved(FutureTask<Folders.Resolved> resolving) {
    resolving.run();
    return Futures.await(resolving, "looking up a folder");
  }

  /**
   * The {@code $filter}: {@code receivedDateTime} first, as Graph wants the {@code $orderby} property to lead the
   * filter (otherwise {@code InefficientFilter}).
   */
  private static Optional<String> filter(ListOptions options) {
    List<String> clauses = new ArrayList<>();
    if (options.receivedSince().isPresent()) {
      clauses.add("receivedDateTime ge " + DateTimeFormatter.ISO_INSTANT.format(
          options.receivedSince().get().truncatedTo(ChronoUnit.SECONDS)));
    }
    if (options.unreadOnly()) {
      if (clauses.isEmpty()) {
        clauses.add("receivedDateTime ge 1900-01-01T00:00:00Z");
      }
      clauses.add("isRead eq false");
    }
    return clauses.isEmpty() ? Optional.empty() : Optional.of(String.join(" and ", clauses));
  }

  @Override
  public MessageSummary message(MessageId id) {
    requireNonNull(id, "id");
    Message m;
    try {
      m = listingSizes.run((expand, call) -> getMessage(id, expand, call));
    } catch (RuntimeException e) {
      throw errors.map(e, Target.MESSAGE, "reading message " + id, Access.READ);
    }
    return Summaries.of(m, folderPath(m));
  }

  private Message getMessage(MessageId id, boolean expand, GraphCall call) {
    return graph.users().byUserId(mailbox).messages().byMessageId(id.value()).get(rc -> {
      rc.queryParameters.select = Summaries.SELECT;
      if (expand) {
        rc.queryParameters.expand = Summaries.EXPAND;
      }
      rc.options.add(call);
      rc.headers.add("Prefer", PREFER_IMMUTABLE);
    });
  }

  private String folderPath(Message m) {
    return m.getParentFolderId() == null ? "" : folders.pathOf(m.getParentFolderId());
  }

  @Override
  public Map<MessageId, MessageSummary> messages(Collection<MessageId> ids) {
    List<MessageId> list = List.copyOf(new LinkedHashSet<>(ids));
    boolean expand = listingSizes.wanted();
    List<Batcher.Result> results = batcher.run(summaryItems(list, expand), Access.READ, true);
    if (expand) {
      List<MessageId> refused = new ArrayList<>();
      for (int i = 0; i < list.size(); i++) {
        if (!results.get(i).ok() && SizeExpansion.isRefusal(results.get(i).failure())) {
          refused.add(list.get(i));
        }
      }
      if (!refused.isEmpty()) {
        // Graph refused the size's $expand: those items again without it, and no more asking on this connector
        List<Batcher.Result> again = batcher.run(summaryItems(refused, false), Access.READ, true);
        List<Batcher.Result> merged = new ArrayList<>(results);
        for (int i = 0, k = 0; i < list.size(); i++) {
          if (k < refused.size() && list.get(i).equals(refused.get(k))) {
            merged.set(i, again.get(k++));
          }
        }
        results = merged;
        listingSizes.refused();
      } else if (results.stream().anyMatch(Batcher.Result::ok)) {
        listingSizes.worked();
      }
    }
    Map<MessageId, MessageSummary> out = new LinkedHashMap<>();
    for (int i = 0; i < list.size(); i++) {
      Batcher.Result r = results.get(i);
      if (r.ok() && r.body() != null) {
        Message m = r.body().getObjectValue(Message::createFromDiscriminatorValue);
        out.put(list.get(i), Summaries.of(m, folderPath(m)));
      } else if (!isGone(r)) {
        throw errors.map(r.failure(), Target.MESSAGE, "reading message " + list.get(i), Access.READ, null);
      }
    }
    return out;
  }

  private List<Batcher.Item> summaryItems(List<MessageId> ids, boolean expand) {
    List<Batcher.Item> items = new ArrayList<>();
    for (MessageId id : ids) {
      items.add(new Batcher.Item("GET", messageUrl(id) + "?$select=" + Summaries.selectValue() + (expand ? "&$expand="
          + Summaries.EXPAND[0].replace(" ", "%20").replace("'", "%27") : ""), null));
    }
    return items;
  }

  /** Whether a batch item says its message is not in the mailbox: 404, or 400 for an id not of this mailbox. */
  private static boolean isGone(Batcher.Result r) {
    return r.status() == 404 || r.status() == 400 && GraphErrors.isForeignOrMalformedId(r.failure().code());
  }

  private String messageUrl(MessageId id) {
    return "/users/" + Paths.segment(mailbox) + "/messages/" + Paths.segment(id.value());
  }

  @Override
  public InputStream openMime(MessageId id) {
    requireNonNull(id, "id");
    Optional<byte[]> ahead = readAhead.take(id.value());
    if (ahead.isPresent()) {
      return new ByteArrayInputStream(ahead.get());
    }
    try {
      InputStream in = graph.users().byUserId(mailbox).messages().byMessageId(id.value()).content().get(rc -> {
        rc.options.add(GraphCall.READ);
        rc.headers.add("Prefer", PREFER_IMMUTABLE);
      });
      if (in == null) {
        throw new MailboxException("Graph sent no MIME for message " + id);
      }
      return StalledBodies.guard(in, "the MIME of message " + id, transport.timeout());
    } catch (RuntimeException e) {
      throw errors.map(e, Target.MESSAGE, "reading the MIME of message " + id, Access.READ);
    }
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
    requireNonNull(messages, "messages");
    requireNonNull(consumer, "consumer");
    Pipeline pipeline = new Pipeline(new Units(messages.iterator()), transport.governor().maxConcurrent());
    try {
      for (Unit unit = pipeline.next(); unit != null; unit = pipeline.next()) {
        if (unit.fetch() == null) {
          MessageSummary m = unit.messages().get(0);
          try (InputStream in = openMime(m.id())) {
            consumer.accept(m, in);
          }
          continue;
        }
        List<Batcher.Result> results = Futures.await(unit.fetch(), "fetching a batch of MIME");
        for (int i = 0; i < unit.messages().size(); i++) {
          Batcher.Result r = results.get(i);
          MessageSummary m = unit.messages().get(i);
          if (!r.ok()) {
            throw errors.map(r.failure(), Target.MESSAGE, "reading the MIME of message " + m.id(), Access.READ, null);
          }
          byte[] mime = r.mime();
          if (mime == null) {
            // the item's body did not decode to a message exactly: read on its own, never handed on as it came
            try (InputStream in = openMime(m.id())) {
              consumer.accept(m, in);
            }
            continue;
          }
          consumer.accept(m, new ByteArrayInputStream(mime));
        }
      }
    } catch (IOException e) {
      throw MailboxConnector.streamFailure("handing over MIME", e);
    } finally {
      pipeline.cancel();
    }
  }

  /** Messages read together: a batch of small ones (fetched ahead), or one too big for a batch (streamed). */
  private record Unit(List<MessageSummary> messages, CompletableFuture<List<Batcher.Result>> fetch) {}

  /**
   * The batches of a {@link #forEachMime}: as many in flight as the mailbox has slots, a new one sent as soon as any
   * finishes (not only the one the caller waits for), and at most twice that many fetched ahead of the caller.
   * Used by the calling thread only.
   */
  private final class Pipeline {
    private final Units units;
    private final int slots;
    /** Units not yet handed to the caller, in order; the batches among them that are not done are in flight. */
    private final Deque<Unit> ahead = new ArrayDeque<>();
    private final ExecutorService bulk = prefetchThreads.bulk();

    Pipeline(Units units, int slots) {
      this.units = units;
      this.slots = slots;
    }

    /** The next unit in order, batches topped up meanwhile; null when all were handed out. */
    Unit next() {
      refill(null);
      Unit unit = ahead.poll();
      if (unit == null || unit.fetch() == null) {
        return unit;
      }
      while (!unit.fetch().isDone()) {
        // whichever batch finishes first, its slot takes the next one
        List<CompletableFuture<?>> inFlight = new ArrayList<>(List.of(unit.fetch()));
        ahead.forEach(u -> {
          if (u.fetch() != null && !u.fetch().isDone()) {
            inFlight.add(u.fetch());
          }
        });
        try {
          CompletableFuture.anyOf(inFlight.toArray(CompletableFuture<?>[]::new)).get();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new MailboxException("interrupted while fetching MIME", e);
        } catch (ExecutionException e) {
          // one finished by failing: its failure is thrown when its unit's turn comes
        }
        refill(unit);
      }
      return unit;
    }

    /** Sends batches while a slot is free (the caller's {@code current} one counts) and the look-ahead has room. */
    private void refill(Unit current) {
      int running = current != null && !current.fetch().isDone() ? 1 : 0;
      for (Unit u : ahead) {
        running += u.fetch() != null && !u.fetch().isDone() ? 1 : 0;
      }
      while (running < slots && ahead.size() < 2 * slots) {
        List<MessageSummary> next = units.next();
        if (next == null) {
          return;
        }
        CompletableFuture<List<Batcher.Result>> fetch = null;
        if (isBatch(next)) {
          fetch = CompletableFuture.supplyAsync(
              () -> fetchMimeBatch(next.stream().map(MessageSummary::id).toList()), bulk);
          running++;
        }
        ahead.add(new Unit(next, fetch));
      }
    }

    void cancel() {
      ahead.forEach(u -> {
        if (u.fetch() != null) {
          u.fetch().cancel(true);
        }
      });
    }
  }

  /** Groups summaries, as they come, into batches of twenty small messages and single big ones. */
  private static final class Units {
    private final Iterator<MessageSummary> source;
    private MessageSummary big;

    Units(Iterator<MessageSummary> source) {
      this.source = source;
    }

    /** The next group, or null when there are no more summaries. */
    List<MessageSummary> next() {
      if (big != null) {
        List<MessageSummary> single = List.of(big);
        big = null;
        return single;
      }
      List<MessageSummary> group = new ArrayList<>();
      while (group.size() < Batcher.MAX_ITEMS && source.hasNext()) {
        MessageSummary m = requireNonNull(source.next(), "a message summary");
        if (m.size().orElse(-1) <= BATCH_MIME_LIMIT) { // unknown (-1) too: batched, bounded by Batcher.MAX_BODY_CHARS
          group.add(m);
        } else if (group.isEmpty()) {
          return List.of(m);
        } else {
          big = m; // after the small ones before it
          break;
        }
      }
      return group.isEmpty() ? null : group;
    }
  }

  private static boolean isBatch(List<MessageSummary> unit) {
    return unit.size() > 1 || unit.get(0).size().orElse(-1) <= BATCH_MIME_LIMIT;
  }

  /** The MIME of each message, or null for one whose item failed (it is then read on its own, errors and all). */
  private List<byte[]> fetchMimeBodies(List<String> ids) {
    List<byte[]> bodies = new ArrayList<>();
    for (Batcher.Result r : fetchMimeBatch(ids.stream().map(MessageId::new).toList())) {
      bodies.add(r.ok() ? r.mime() : null); // null: read on its own, where its error (if any) belongs
    }
    return bodies;
  }

  private List<Batcher.Result> fetchMimeBatch(List<MessageId> ids) {
    List<Batcher.Item> items = new ArrayList<>();
    for (MessageId id : ids) {
      items.add(new Batcher.Item("GET", messageUrl(id) + "/$value", null));
    }
    try {
      return batcher.runInSequence(items, Access.READ);
    } catch (Batcher.BodyTooLarge e) {
      // a message of unknown size was too big for a batch: each is read on its own, streamed
      return ids.stream().map(id -> new Batcher.Result(200, Map.of(), null, null)).toList();
    }
  }


  @Override
  public List<AttachmentInfo> listAttachments(MessageId id) {
    requireNonNull(id, "id");
    List<AttachmentInfo> out = new ArrayList<>();
    try {
      AttachmentCollectionResponse page = graph.users().byUserId(mailbox).messages().byMessageId(id.value())
          .attachments().get(rc -> {
            rc.queryParameters.select = new String[] {"id", "name", "contentType", "size", "isInline"};
            rc.options.add(GraphCall.READ);
            rc.headers.add("Prefer", PREFER_IMMUTABLE);
          });
      PagingGuard paging = new PagingGuard("the listing of attachments of message " + id);
      while (page != null) {
        paging.page(page.getValue() == null ? 0 : page.getValue().size(), page.getOdataNextLink());
        if (page.getValue() != null) {
          for (Attachment a : page.getValue()) {
            out.add(new AttachmentInfo(a.getId(), a.getName(), a.getContentType(), a.getSize() == null ? -1 : a.getSize(),
                Boolean.TRUE.equals(a.getIsInline())));
          }
        }
        if (page.getOdataNextLink() == null) {
          break;
        }
        page = graph.users().byUserId(mailbox).messages().byMessageId(id.value()).attachments()
            .withUrl(page.getOdataNextLink()).get(rc -> rc.options.add(GraphCall.READ));
      }
    } catch (RuntimeException e) {
      throw errors.map(e, Target.MESSAGE, "listing the attachments of message " + id, Access.READ);
    }
    return out;
  }

  @Override
  public InputStream openAttachment(MessageId id, String attachmentId) {
    requireNonNull(id, "id");
    requireNonNull(attachmentId, "attachmentId");
    Map<String, Object> path = new HashMap<>();
    path.put("user%2Did", mailbox);
    path.put("message%2Did", id.value());
    path.put("attachment%2Did", attachmentId);
    RequestInformation info = new RequestInformation(HttpMethod.GET,
        "{+baseurl}/users/{user%2Did}/messages/{message%2Did}/attachments/{attachment%2Did}/$value", path);
    info.headers.add("Accept", "application/octet-stream");
    info.headers.add("Prefer", PREFER_IMMUTABLE);
    info.addRequestOptions(List.of(GraphCall.READ));
    try {
      InputStream in = transport.adapter().sendPrimitive(info, odataErrors(), InputStream.class);
      if (in == null) {
        throw new MailboxException("Graph sent no content for attachment " + attachmentId + " of message " + id);
      }
      return StalledBodies.guard(in, "attachment " + attachmentId + " of message " + id, transport.timeout());
    } catch (RuntimeException e) {
      throw errors.map(e, Target.MESSAGE, "reading attachment " + attachmentId + " of message " + id, Access.READ);
    }
  }

  private static HashMap<String, ParsableFactory<? extends Parsable>> odataErrors() {
    HashMap<String, ParsableFactory<? extends Parsable>> map = new HashMap<>();
    map.put("XXX", ODataError::createFromDiscriminatorValue);
    return map;
  }

  // ----- actions -----

  @Override
  public void markRead(MessageId id, boolean read) {
    requireNonNull(id, "id");
    Message patch = new Message();
    patch.setIsRead(read);
    try {
      graph.users().byUserId(mailbox).messages().byMessageId(id.value()).patch(patch, rc -> {
        rc.options.add(GraphCall.WRITE);
        rc.headers.add("Prefer", PREFER_IMMUTABLE);
      });
    } catch (RuntimeException e) {
      throw errors.map(e, Target.MESSAGE, "marking message " + id + (read ? " read" : " unread"), Access.WRITE);
    }
  }

  /** Marks many messages in {@code $batch}es of twenty. */
  @Override
  public void markRead(Collection<MessageId> ids, boolean read) {
    List<MessageId> list = List.copyOf(new LinkedHashSet<>(ids));
    List<Batcher.Item> items = new ArrayList<>();
    for (MessageId id : list) {
      items.add(new Batcher.Item("PATCH", messageUrl(id), "{\"isRead\":" + read + "}"));
    }
    List<Batcher.Result> results = batcher.run(items, Access.WRITE, true);
    for (int i = 0; i < list.size(); i++) {
      if (!results.get(i).ok()) {
        throw errors.map(results.get(i).failure(), Target.MESSAGE, "marking message " + list.get(i)
            + (read ? " read" : " unread"), Access.WRITE, null);
      }
    }
  }

  @Override
  public MessageId move(MessageId id, FolderRef destination) {
    requireNonNull(id, "id");
    String target = folders.resolve(requireNonNull(destination, "destination")).id();
    return moveTo(id, target, "moving message " + id + " to " + destination);
  }

  private MessageId moveTo(MessageId id, String folderId, String what) {
    MovePostRequestBody body = new MovePostRequestBody();
    body.setDestinationId(folderId);
    try {
      Message moved = graph.users().byUserId(mailbox).messages().byMessageId(id.value()).move().post(body, rc -> {
        rc.options.add(GraphCall.WRITE);
        rc.headers.add("Prefer", PREFER_IMMUTABLE);
      });
      return new MessageId(moved.getId());
    } catch (RuntimeException e) {
      throw errors.map(e, Target.MESSAGE, what, Access.WRITE);
    }
  }

  /** Moves many messages in {@code $batch}es of twenty. */
  @Override
  public Map<MessageId, MessageId> move(Collection<MessageId> ids, FolderRef destination) {
    String target = folders.resolve(requireNonNull(destination, "destination")).id();
    List<MessageId> list = List.copyOf(new LinkedHashSet<>(ids));
    List<Batcher.Item> items = new ArrayList<>();
    for (MessageId id : list) {
      items.add(new Batcher.Item("POST", messageUrl(id) + "/move", "{\"destinationId\":" + Batcher.quote(target) + "}"));
    }
    List<Batcher.Result> results = batcher.run(items, Access.WRITE, true);
    Map<MessageId, MessageId> moved = new LinkedHashMap<>();
    for (int i = 0; i < list.size(); i++) {
      Batcher.Result r = results.get(i);
      if (!r.ok() || r.body() == null || r.body().getChildNode("id") == null) {
        throw errors.map(r.failure(), Target.MESSAGE, "moving message " + list.get(i) + " to " + destination,
            Access.WRITE, null);
      }
      moved.put(list.get(i), new MessageId(r.body().getChildNode("id").getStringValue()));
    }
    return moved;
  }

  @Override
  public void delete(MessageId id, DeleteMode mode) {
    requireNonNull(id, "id");
    requireNonNull(mode, "mode");
    if (mode == DeleteMode.MOVE_TO_DELETED_ITEMS) {
      moveTo(id, "deleteditems", "deleting message " + id);
      return;
    }
    try {
      graph.users().byUserId(mailbox).messages().byMessageId(id.value()).permanentDelete().post(
          rc -> rc.options.add(GraphCall.WRITE));
    } catch (ODataError e) {
      int status = e.getResponseStatusCode();
      String code = e.getError() == null || e.getError().getCode() == null ? "" : e.getError().getCode();
      boolean unavailable = status == 405 || status == 501
          || status == 400 && !code.startsWith("ErrorItem") && !GraphErrors.isForeignOrMalformedId(code)
          || status == 404 && !code.equals("ErrorItemNotFound")
              && !code.equals("ErrorInvalidUser");
      if (!unavailable) {
        throw errors.map(e, Target.MESSAGE, "deleting message " + id + " permanently", Access.WRITE);
      }
      try {
        graph.users().byUserId(mailbox).messages().byMessageId(id.value()).delete(rc -> rc.options.add(GraphCall.WRITE));
      } catch (RuntimeException e2) {
        throw errors.map(e2, Target.MESSAGE, "deleting message " + id, Access.WRITE);
      }
    } catch (RuntimeException e) {
      throw errors.map(e, Target.MESSAGE, "deleting message " + id + " permanently", Access.WRITE);
    }
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
    readAhead.plan(batch.messages()); // the caller reads these next: twenty to a $batch, one batch ahead
    return batch;
  }

  // ----- health -----

  @Override
  public ConnectionCheck checkConnection() {
    long start = System.nanoTime();
    try {
      transport.auth().bearer(transport.baseUrl(), Access.READ);
      com.microsoft.graph.models.MailFolder inbox = graph.users().byUserId(mailbox).mailFolders()
          .byMailFolderId("inbox").get(rc -> {
            rc.queryParameters.select = new String[] {"id", "totalItemCount"};
            rc.options.add(GraphCall.READ);
            rc.headers.add("Prefer", PREFER_IMMUTABLE);
          });
      int total = inbox.getTotalItemCount() == null ? 0 : inbox.getTotalItemCount();
      return ConnectionCheck.ok("Inbox of " + mailbox + " over Microsoft Graph: " + total + " messages", elapsed(start));
    } catch (RuntimeException e) {
      MailboxException m = errors.map(e, Target.MAILBOX, "checking the connection to " + mailbox, Access.READ);
      Diagnosis d = m.diagnosis().orElseGet(() -> Diagnosis.builder(SetupStep.UNKNOWN, m.getClass().getSimpleName())
          .summary(m.getMessage()).fix("See the exception's cause").build());
      return ConnectionCheck.failed(d, elapsed(start));
    }
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
    return checkSending(Optional.empty());
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
    return checkSending(Optional.of(testRecipient.trim()));
  }

  private ConnectionCheck checkSending(Optional<String> testRecipient) {
    long start = System.nanoTime();
    try {
      // the token for sending, pre-flighted against what sending needs (the bearer is never kept or shown)
      transport.auth().bearer(transport.baseUrl(), Access.SEND);
    } catch (MailboxException m) {
      Diagnosis d = m.diagnosis().orElseGet(() -> Diagnosis.builder(SetupStep.UNKNOWN, m.getClass().getSimpleName())
          .summary(m.getMessage()).fix("See the exception's cause").build());
      if (d.setupStep() == SetupStep.ADMIN_CONSENT && d.alternatives().isEmpty()
          && credential.kind() != CredentialKind.APP_ONLY) {
        // Entra ID answers AADSTS65001 alike for a permission not consented and one not added to the registration
        // (https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes)
        String send = transport.auth().scopesOf(Access.SEND);
        d = d.toBuilder().alternative(Diagnosis.builder(SetupStep.DELEGATED_PERMISSION, d.serviceCode())
            .summary("The send permission may not be added to the app registration at all (" + send + ")")
            .fix("App registration > API permissions > Add a permission > Microsoft Graph > Delegated permissions >"
                + " Mail.Send, then Grant admin consent").build()).build();
      }
      return ConnectionCheck.failed(d, elapsed(start));
    }
    String scopes = transport.auth().currentToken(Access.SEND).map(t -> credential.kind() == CredentialKind.APP_ONLY
        ? "roles " + new java.util.TreeSet<>(t.claims().roles()) : "scopes " + new java.util.TreeSet<>(t.claims()
        .scopes())).orElse("a token");
    if (testRecipient.isEmpty()) {
      return ConnectionCheck.ok("Sending as " + mailbox + " over Microsoft Graph: " + scopes + " fit sending; no test"
          + " message sent", elapsed(start));
    }
    try {
      sender.send(OutgoingMessage.builder().to(testRecipient.get())
          .subject("o365mail connection check")
          .text("A test message from the o365mail connection check of " + mailbox + ". No action needed.").build());
    } catch (MailboxException m) {
      Diagnosis d = m.diagnosis().orElseGet(() -> Diagnosis.builder(SetupStep.UNKNOWN, m.getClass().getSimpleName())
          .summary(m.getMessage()).fix("See the exception's cause").build());
      return ConnectionCheck.failed(d, elapsed(start));
    }
    return ConnectionCheck.ok("Sending as " + mailbox + " over Microsoft Graph: " + scopes + " fit sending; a test"
        + " message went to " + testRecipient.get(), elapsed(start));
  }

  private static Duration elapsed(long start) {
    return Duration.ofNanos(System.nanoTime() - start);
  }

  @Override
  public void close() {
    readAhead.clear();
    if (closed.compareAndSet(false, true)) {
      prefetchThreads.release();
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
   * and a minute of waiting per request, 100 s socket timeouts, 5 minutes per answer read whole.
   */
  public static final class Builder {
    private String mailbox;
    private CredentialStrategy credential;
    private URI baseUrl;
    private final Set<String> allowedHosts = new LinkedHashSet<>();
    private SSLContext trust;
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

    private Builder() {}

    private Builder copy() {
      Builder c = new Builder();
      c.mailbox = mailbox;
      c.credential = credential;
      c.baseUrl = baseUrl;
      c.allowedHosts.addAll(allowedHosts);
      c.trust = trust;
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
     * {@link #retryBudget(int, Duration)}.
     */
    public Builder timeout(Duration value) {
      this.timeout = Arguments.positive(value, "timeout");
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
      this.answerTimeout = Arguments.positive(value, "answerTimeout");
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

    public GraphMailboxConnector build() {
      if (mailbox == null || credential == null) {
        throw new IllegalStateException("missing required setting(s):" + (mailbox == null ? " mailbox()" : "")
            + (credential == null ? " credential()" : ""));
      }
      return new GraphMailboxConnector(this);
    }
  }
}
