package org.o365mail.graph.internal;

import static org.o365mail.ServiceText.printable;

import com.microsoft.graph.models.odataerrors.ODataError;
import com.microsoft.graph.serviceclient.GraphServiceClient;
import com.microsoft.kiota.RequestInformation;
import com.microsoft.graph.users.item.mailfolders.item.messages.delta.DeltaRequestBuilder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.o365mail.FolderRef;
import org.o365mail.MailboxException;
import org.o365mail.MessageSummary;
import org.o365mail.SyncBatch;
import org.o365mail.SyncState;
import org.o365mail.graph.internal.GraphCall.Access;
import org.o365mail.graph.internal.GraphErrors.Target;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Incremental sync of one folder through {@code messages/delta}: a round pages through the folder's changes
 * ({@code Prefer: odata.maxpagesize} no more than the batch has room for), hands out the messages not seen before
 * whatever order or repetition the pages come in ({@link SyncCursor}), and stores the delta link as the state; a
 * round cut by {@code maxMessages} (or after {@link #MAX_PAGES_PER_CALL} pages) stores its next link.
 * {@code 410 SyncStateNotFound} (and {@code SyncStateInvalid}) start a new round that skips what the state
 * says was seen, and the batch says {@code resynced}. {@link SyncState#NOW} runs a round handing out nothing.
 * Thread-safe (stateless between calls).
 */
public final class DeltaSync {
  private static final Logger logger = LoggerFactory.getLogger(DeltaSync.class);
  private static final int MAX_PAGE = 200;
  /**
   * Pages read by one call before it returns what it has with {@code hasMore}: a service that keeps answering empty
   * or already-seen pages with a new next link still lets the caller checkpoint, report progress and stop.
   */
  static final int MAX_PAGES_PER_CALL = 50;
  /**
   * Empty pages (no entry at all) in a row, across the calls of one round, after which the round is given up as a
   * loop. Graph may answer a page with no entries and a next link ("This is true even if the current response may
   * contain an empty result", microsoft-graph-docs-contrib concepts/delta-query-overview.md; an empty first page of
   * a calendar delta in msgraph-sdk-javascript issue 129), so some are followed; Microsoft documents no bound, and a
   * recovery (a new round) only for {@code 410 Gone}. A server that answered 1,910 empty pages in 90 s with no end
   * is not syncing: the call fails, its state is not advanced, and each later call fails after at most this many
   * requests, until the service recovers.
   */
  static final int MAX_EMPTY_PAGES = 50;

  private final GraphServiceClient graph;
  private final GraphTransport transport;
  private final String user;
  private final Folders folders;
  private final GraphErrors errors;
  /** Whether this connector's delta rounds may ask for the size (Graph has refused it on delta). */
  private final SizeExpansion sizes = new SizeExpansion();

  public DeltaSync(GraphTransport transport, String user, Folders folders, GraphErrors errors) {
    this.graph = transport.client();
    this.transport = transport;
    this.user = user;
    this.folders = folders;
    this.errors = errors;
  }

  public SyncBatch sync(FolderRef folder, SyncState state, int maxMessages) {
    if (maxMessages < 1) {
      throw new IllegalArgumentException("maxMessages must be at least 1, was " + maxMessages);
    }
    boolean skipAll = state.isNow();
    SyncCursor cursor = state.isBeginning() || state.isNow() ? SyncCursor.fresh() : SyncCursor.decode(state.value());
    Folders.Resolved where = folders.resolve(folder);
    List<MessageSummary> out = new ArrayList<>();
    boolean resynced = false;
    if (cursor.link != null && !SummaryPages.isOwnLink(transport.baseUrl(), cursor.link)) {
      // a state written before links were checked, or tampered with: its link is never followed (it would get the
      // token); a new round skips what the state says was seen, as after a 410
      logger.warn("graph delta: the sync state of folder {} held a link outside the configured Graph base URL; "
          + "starting a new round that skips what was seen", where.path());
      cursor.restart();
      resynced = true;
    }
    Set<String> handedOut = new HashSet<>();
    int pages = 0;
    while (true) {
      int room = skipAll ? MAX_PAGE : Math.min(MAX_PAGE, maxMessages - out.size());
      SummaryPages.Page page;
      try {
        page = fetch(where, cursor.link, room);
      } catch (ODataError e) {
        String code = e.getError() == null || e.getError().getCode() == null ? "" : e.getError().getCode();
        boolean lost = e.getResponseStatusCode() == 410 || code.equalsIgnoreCase("SyncStateNotFound")
            || code.equalsIgnoreCase("SyncStateInvalid") || code.equalsIgnoreCase("resyncRequired");
        if (lost && !resynced && cursor.link != null) {
          logger.debug("graph delta: sync state gone ({} {}); starting a new round that skips what was seen",
              e.getResponseStatusCode(), printable(code));
          resynced = true;
          cursor.restart();
          continue;
        }
        throw errors.map(e, Target.FOLDER, "syncing folder " + where.path(), Access.READ);
      } catch (RuntimeException e) {
        throw errors.map(e, Target.FOLDER, "syncing folder " + where.path(), Access.READ);
      }
      pages++;
      if (page.nextLink() != null) {
        if (!cursor.newLink(page.nextLink())) {
          throw loop(where, "answered an @odata.nextLink it had already given in this round (after " + pages
              + " page(s) in this call)");
        }
        if (cursor.page(page.entries().isEmpty()) >= MAX_EMPTY_PAGES) {
          throw loop(where, "answered " + MAX_EMPTY_PAGES + " empty pages in a row, each with a new @odata.nextLink"
              + " (the connector's limit)");
        }
      }
      for (SummaryPages.Entry m : page.entries()) {
        if (m.removed()) {
          continue;
        }
        // Graph gives every message of a mail folder a receivedDateTime; one without is judged by its id alone
        long t = m.received() == null ? SyncCursor.UNKNOWN_TIME : m.received().getEpochSecond();
        String h = SyncCursor.hash(m.id());
        if (!skipAll && !cursor.seen(t, h) && handedOut.add(m.id())) {
          out.add(m.summary());
        }
        cursor.visit(t, h);
      }
      if (page.nextLink() != null) {
        cursor.cut(page.nextLink());
        if (!skipAll && (out.size() >= maxMessages || pages >= MAX_PAGES_PER_CALL)) {
          break;
        }
      } else if (page.deltaLink() != null) {
        cursor.completeRound(page.deltaLink());
        break;
      } else {
        throw new MailboxException("Graph's delta answer for folder " + where.path() + " had neither a next nor a delta link");
      }
    }
    out.sort(Comparator.comparing(MessageSummary::receivedAt).thenComparing(s -> s.id().value()));
    return new SyncBatch(out, new SyncState(cursor.encode()), resynced, cursor.midRound);
  }

  /**
   * A delta round that does not end. Nothing of the call is handed out and its state is not advanced: the caller
   * keeps the state it passed in, which neither loses a message nor hands one out twice; calling again from it costs
   * at most {@link #MAX_EMPTY_PAGES} requests before the same failure.
   */
  private static MailboxException loop(Folders.Resolved where, String what) {
    String message = "Graph's delta for folder " + where.path() + " " + what + ": a paging loop, stopped; the sync"
        + " state was not advanced";
    return new MailboxException(message, org.o365mail.Diagnosis.builder(org.o365mail.SetupStep.SERVICE,
        "DeltaPagingLoop").summary(message).fix("Sync again later from the same state: nothing was handed out, and"
        + " the service may have recovered").retryable(true).build(), null);
  }

  /**
   * One page. A round's first request asks for the size with {@code $expand} unless Graph refused that on this
   * connector before; a refusal (see {@link SizeExpansion}) is answered by the same request without it, once, and
   * remembered, so that later rounds do not send a request known to fail. Summaries then have size -1.
   */
  private SummaryPages.Page fetch(Folders.Resolved folder, String link, int pageSize) {
    if (link != null) {
      return fetch(folder, link, pageSize, false, GraphCall.READ);
    }
    return sizes.run((expand, call) -> fetch(folder, null, pageSize, expand, call));
  }

  private SummaryPages.Page fetch(Folders.Resolved folder, String link, int pageSize, boolean expand, GraphCall call) {
    DeltaRequestBuilder delta = link == null
        ? graph.users().byUserId(user).mailFolders().byMailFolderId(folder.id()).messages().delta()
        : graph.users().byUserId(user).mailFolders().byMailFolderId(folder.id()).messages().delta().withUrl(link);
    RequestInformation request = delta.toGetRequestInformation(rc -> {
      if (link == null) {
        rc.queryParameters.select = Summaries.SELECT;
        if (expand) {
          rc.queryParameters.expand = Summaries.EXPAND;
        }
        rc.queryParameters.orderby = new String[] {"receivedDateTime desc"};
      }
    });
    request.headers.add("Prefer", "IdType=\"ImmutableId\"");
    request.headers.add("Prefer", "odata.maxpagesize=" + pageSize);
    request.addRequestOptions(List.of(call));
    return SummaryPages.fetch(transport, request, folder.path());
  }
}
