package org.o365mail.graph.internal;

import com.microsoft.graph.models.Message;
import com.microsoft.graph.models.odataerrors.ODataError;
import com.microsoft.graph.serviceclient.GraphServiceClient;
import com.microsoft.graph.users.item.mailfolders.item.messages.delta.DeltaGetResponse;
import com.microsoft.graph.users.item.mailfolders.item.messages.delta.DeltaRequestBuilder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
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
 * (newest first, {@code Prefer: odata.maxpagesize} no more than the batch has room for), hands out the messages
 * not seen before, and stores the delta link as the state; a round cut by {@code maxMessages} stores its next
 * link. {@code 410 SyncStateNotFound} (and {@code SyncStateInvalid}) start a new round that skips what the state
 * says was seen, and the batch says {@code resynced}. {@link SyncState#NOW} runs a round handing out nothing.
 * Thread-safe (stateless between calls).
 */
public final class DeltaSync {
  private static final Logger logger = LoggerFactory.getLogger(DeltaSync.class);
  private static final int MAX_PAGE = 200;

  private final GraphServiceClient graph;
  private final String user;
  private final Folders folders;
  private final GraphErrors errors;

  public DeltaSync(GraphServiceClient graph, String user, Folders folders, GraphErrors errors) {
    this.graph = graph;
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
    while (true) {
      int room = skipAll ? MAX_PAGE : Math.min(MAX_PAGE, maxMessages - out.size());
      DeltaGetResponse page;
      try {
        page = fetch(where.id(), cursor.link, room);
      } catch (ODataError e) {
        String code = e.getError() == null || e.getError().getCode() == null ? "" : e.getError().getCode();
        boolean lost = e.getResponseStatusCode() == 410 || code.equalsIgnoreCase("SyncStateNotFound")
            || code.equalsIgnoreCase("SyncStateInvalid") || code.equalsIgnoreCase("resyncRequired");
        if (lost && !resynced && cursor.link != null) {
          logger.debug("graph delta: sync state gone ({} {}); starting a new round that skips what was seen",
              e.getResponseStatusCode(), code);
          resynced = true;
          cursor.restart();
          continue;
        }
        throw errors.map(e, Target.FOLDER, "syncing folder " + where.path(), Access.READ);
      } catch (RuntimeException e) {
        throw errors.map(e, Target.FOLDER, "syncing folder " + where.path(), Access.READ);
      }
      if (page.getValue() != null) {
        for (Message m : page.getValue()) {
          Map<String, Object> extra = m.getAdditionalData();
          if (m.getId() == null || extra != null && extra.containsKey("@removed") || m.getReceivedDateTime() == null) {
            continue;
          }
          long t = m.getReceivedDateTime().toEpochSecond();
          String h = SyncCursor.hash(m.getId());
          if (!skipAll && !cursor.seen(t, h)) {
            out.add(Summaries.of(m, where.path()));
          }
          cursor.visit(t, h);
        }
      }
      if (page.getOdataNextLink() != null) {
        cursor.cut(page.getOdataNextLink());
        if (!skipAll && out.size() >= maxMessages) {
          break;
        }
      } else if (page.getOdataDeltaLink() != null) {
        cursor.completeRound(page.getOdataDeltaLink());
        break;
      } else {
        throw new MailboxException("Graph's delta answer for folder " + where.path() + " had neither a next nor a delta link");
      }
    }
    out.sort(Comparator.comparing(MessageSummary::receivedAt).thenComparing(s -> s.id().value()));
    return new SyncBatch(out, new SyncState(cursor.encode()), resynced, cursor.midRound);
  }

  private DeltaGetResponse fetch(String folderId, String link, int pageSize) {
    DeltaRequestBuilder delta = link == null
        ? graph.users().byUserId(user).mailFolders().byMailFolderId(folderId).messages().delta()
        : graph.users().byUserId(user).mailFolders().byMailFolderId(folderId).messages().delta().withUrl(link);
    return delta.get(rc -> {
      if (link == null) {
        rc.queryParameters.select = Summaries.SELECT;
        rc.queryParameters.expand = Summaries.EXPAND;
        rc.queryParameters.orderby = new String[] {"receivedDateTime desc"};
      }
      rc.headers.add("Prefer", "IdType=\"ImmutableId\"");
      rc.headers.add("Prefer", "odata.maxpagesize=" + pageSize);
      rc.options.add(GraphCall.READ);
    });
  }
}
