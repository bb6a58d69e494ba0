package org.o365mail.graph;

import static java.util.Objects.requireNonNull;

import com.microsoft.graph.models.Message;
import com.microsoft.graph.users.item.mailfolders.item.messages.MessagesRequestBuilder;
import com.microsoft.kiota.RequestInformation;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import org.o365mail.FolderRef;
import org.o365mail.ListOptions;
import org.o365mail.MailboxException;
import org.o365mail.MessageId;
import org.o365mail.MessageSummary;
import org.o365mail.Page;
import org.o365mail.Paged;
import org.o365mail.graph.internal.Batcher;
import org.o365mail.graph.internal.Folders;
import org.o365mail.graph.internal.GraphCall;
import org.o365mail.graph.internal.GraphCall.Access;
import org.o365mail.graph.internal.GraphErrors;
import org.o365mail.graph.internal.GraphErrors.Target;
import org.o365mail.graph.internal.PagingGuard;
import org.o365mail.graph.internal.SizeExpansion;
import org.o365mail.graph.internal.Summaries;
import org.o365mail.graph.internal.SummaryPages;

/**
 * Message summaries: a folder's listing, paged lazily (its first page asked for while a well-known folder is looked
 * up), one message and many in {@code $batch}. Asks for the size's {@code $expand} until Graph refuses it (a
 * national cloud), then no more on this connector. Thread-safe.
 */
final class MessageListing {
  private final GraphSession session;
  private final ConnectorThreads threads;
  /** Whether listings and message look-ups may ask for the size (a national cloud refused it). */
  private final SizeExpansion listingSizes = new SizeExpansion();

  MessageListing(GraphSession session, ConnectorThreads threads) {
    this.session = session;
    this.threads = threads;
  }

  Paged<MessageSummary> list(FolderRef folder, ListOptions options) {
    requireNonNull(folder, "folder");
    requireNonNull(options, "options");
    Folders folders = session.folders();
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
          threads.readAhead().execute(resolving);
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
        MessagesRequestBuilder messages = session.graph().users().byUserId(session.mailbox()).mailFolders()
            .byMailFolderId(target).messages();
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
          throw session.errors().map(e, Target.FOLDER, "listing messages of " + folder, Access.READ);
        }
        throw session.errors().map(e, Target.FOLDER, "listing messages of " + r.path(), Access.READ);
      }
      paging.page(page.entries().size(), page.nextLink());
      if (resolving == null) {
        return new Page<>(page.summaries(), Optional.ofNullable(page.nextLink()));
      }
      return new Page<>(SummaryPages.inFolder(page.summaries(), resolved(resolving).path()),
          Optional.ofNullable(page.nextLink()));
    });
    return options.readAhead() ? listing.readingAhead(threads.readAhead()) : listing;
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
    request.headers.add("Prefer", GraphSession.PREFER_IMMUTABLE);
    request.addRequestOptions(List.of(call));
    return SummaryPages.fetch(session.transport(), request, folderPath);
  }

  /** A folder look-up's answer, run by the caller if no thread has started it; its failure thrown as it was. */
  private static Folders.Resolved resolved(FutureTask<Folders.Resolved> resolving) {
    resolving.run();
    return Checks.await(resolving, "looking up a folder");
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

  MessageSummary message(MessageId id) {
    requireNonNull(id, "id");
    Message m;
    try {
      m = listingSizes.run((expand, call) -> getMessage(id, expand, call));
    } catch (RuntimeException e) {
      throw session.errors().map(e, Target.MESSAGE, "reading message " + id, Access.READ);
    }
    return Summaries.of(m, folderPath(m));
  }

  private Message getMessage(MessageId id, boolean expand, GraphCall call) {
    return session.message(id).get(rc -> {
      rc.queryParameters.select = Summaries.SELECT;
      if (expand) {
        rc.queryParameters.expand = Summaries.EXPAND;
      }
      rc.options.add(call);
      rc.headers.add("Prefer", GraphSession.PREFER_IMMUTABLE);
    });
  }

  private String folderPath(Message m) {
    return m.getParentFolderId() == null ? "" : session.folders().pathOf(m.getParentFolderId());
  }

  Map<MessageId, MessageSummary> messages(Collection<MessageId> ids) {
    List<MessageId> list = List.copyOf(new LinkedHashSet<>(ids));
    boolean expand = listingSizes.wanted();
    Batcher batcher = session.batcher();
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
        throw session.errors().map(r.failure(), Target.MESSAGE, "reading message " + list.get(i), Access.READ, null);
      }
    }
    return out;
  }

  private List<Batcher.Item> summaryItems(List<MessageId> ids, boolean expand) {
    List<Batcher.Item> items = new ArrayList<>();
    for (MessageId id : ids) {
      items.add(new Batcher.Item("GET", session.messageUrl(id) + "?$select=" + Summaries.selectValue()
          + (expand ? "&$expand=" + Summaries.EXPAND[0].replace(" ", "%20").replace("'", "%27") : ""), null));
    }
    return items;
  }

  /** Whether a batch item says its message is not in the mailbox: 404, or 400 for an id not of this mailbox. */
  private static boolean isGone(Batcher.Result r) {
    return r.status() == 404 || r.status() == 400 && GraphErrors.isForeignOrMalformedId(r.failure().code());
  }
}
