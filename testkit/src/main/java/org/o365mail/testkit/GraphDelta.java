package org.o365mail.testkit;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.icegreen.greenmail.store.MailFolder;
import com.icegreen.greenmail.store.StoredMessage;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.o365mail.testkit.MailStore.Location;
import org.o365mail.testkit.internal.Json;

/**
 * Per-folder message delta ({@code GET .../mailFolders/{id}/messages/delta}) by snapshots. A round starts
 * from the folder's state (message id to change key) and hands out, in pages of {@code Prefer:
 * odata.maxpagesize} (default 10), every message on the first round and, on later rounds, the messages added
 * or changed since the state the delta link stands for plus an {@code @removed} entry for each message gone
 * from the folder, in the order and with the repeats the {@link Faults} ask for ({@link Faults.DeltaOrder}; by
 * default newest first, removals last). Its last page carries a delta link standing for the state the round started from, so a
 * change made while paging shows up (again) on the next round: replays happen, losses do not.
 *
 * <p>Tokens live on the server, the newest {@link #MAX_TOKENS} (skip and delta tokens together). Answers:
 * a token from before {@link Faults#dropDeltaTokens()}, evicted, or issued for another folder or mailbox is
 * {@code 410 Gone} {@code SyncStateNotFound} with a {@code Location} holding a fresh delta URL (the round's
 * {@code $select} and {@code $filter} kept when known), as Outlook answers an expired sync state; a token this
 * server cannot have issued (malformed) is {@code 400 SyncStateInvalid}. Thread-safe.
 */
final class GraphDelta {
  static final int MAX_TOKENS = 10_000;
  private static final int DEFAULT_PAGE = 10;
  private static final Pattern TOKEN = Pattern.compile("[DS][A-Za-z0-9_-]{32}");

  private final GraphServer server;
  private final Map<String, Object> tokens =
      new LinkedHashMap<>() {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Object> eldest) {
          return size() > MAX_TOKENS;
        }
      };

  /** A change handed out in a round: a message to show, or an id that is gone. */
  private record Change(String id, boolean removed) {}

  /**
   * A round of delta paging.
   *
   * @param select the {@code $select} of the first request, or null
   * @param selectText the same as the client wrote it, for the 410 Location
   * @param filterText the {@code $filter} of the first round, or null
   * @param snapshot the folder's state (id to change key) when the round started
   */
  private record Round(
      String mailbox,
      String folderId,
      List<String> select,
      String selectText,
      String filterText,
      boolean expandSize,
      int generation,
      List<Change> changes,
      Map<String, String> snapshot,
      String[] deltaToken) {}

  /** What a delta token stands for: the state its round started from. */
  private record Sync(
      String mailbox, String folderId, List<String> select, String selectText, String filterText, boolean expandSize,
      int generation, Map<String, String> snapshot) {}

  /** What a skip token stands for: a page of a round. */
  private record Page(Round round, int offset) {}

  GraphDelta(GraphServer server) {
    this.server = server;
  }

  GraphResponse delta(GraphContext ctx, String folderIdOrName) throws GraphError {
    GraphMessages messages = server.messages();
    MailFolder folder = messages.messageFolder(ctx, folderIdOrName);
    String folderId = server.store().folderId(ctx.address, folder);
    int pageSize = pageSize(ctx.request);
    int generation = server.directory().faults().deltaGeneration();
    Optional<String> skipToken = ctx.request.option("$skiptoken");
    Optional<String> deltaToken = ctx.request.option("$deltatoken");
    GraphResponse response;
    if (skipToken.isPresent()) {
      Page page = lookup(ctx, skipToken.get(), 'S', Page.class);
      Round r = page.round();
      check(ctx, r.mailbox(), r.folderId(), folderId, r.generation(), generation, r.selectText(), r.filterText());
      response = page(ctx, folder, r, page.offset(), pageSize);
    } else if (deltaToken.isPresent()) {
      Sync sync = lookup(ctx, deltaToken.get(), 'D', Sync.class);
      check(ctx, sync.mailbox(), sync.folderId(), folderId, sync.generation(), generation, sync.selectText(),
          sync.filterText());
      Predicate<GraphMessages.Item> filter =
          sync.filterText() == null ? i -> true : ODataQuery.predicate(ODataQuery.parseFilter(sync.filterText()));
      Map<String, String> now = snapshot(ctx, folder, filter);
      List<Change> changes = new ArrayList<>();
      now.forEach((id, key) -> {
        if (!key.equals(sync.snapshot().get(id))) {
          changes.add(new Change(id, false));
        }
      });
      for (String id : sync.snapshot().keySet()) {
        if (!now.containsKey(id)) {
          changes.add(new Change(id, true));
        }
      }
      Round r = new Round(ctx.address, folderId, sync.select(), sync.selectText(), sync.filterText(),
          sync.expandSize(), generation, arrange(ctx, folder, changes, false), now, new String[1]);
      response = page(ctx, folder, r, 0, pageSize);
    } else {
      messages.refuseExpand(ctx, true);
      List<String> select = ODataQuery.select(ctx.request);
      String selectText = ctx.request.option("$select").orElse(null);
      String filterText = ctx.request.option("$filter").orElse(null);
      Predicate<GraphMessages.Item> filter = i -> true;
      if (filterText != null) {
        List<ODataQuery.Clause> clauses = ODataQuery.parseFilter(filterText);
        for (ODataQuery.Clause c : clauses) {
          if (!c.property().equals("receivedDateTime") || !(c.operator().equals("ge") || c.operator().equals("gt"))) {
            throw new GraphError(400, "ErrorInvalidUrlQueryFilter",
                "The query filter contains one or more invalid nodes. Delta takes only receivedDateTime ge or gt.");
          }
        }
        filter = ODataQuery.predicate(clauses);
      }
      Optional<String> orderBy = ctx.request.option("$orderby");
      if (orderBy.isPresent()
          && !orderBy.get().trim().replaceAll("\\s+", " ").equalsIgnoreCase("receivedDateTime desc")) {
        throw GraphError.badRequest("Delta orders only by receivedDateTime desc, not '" + orderBy.get() + "'.");
      }
      Map<String, String> now = snapshot(ctx, folder, filter);
      List<Change> changes = new ArrayList<>();
      for (String id : now.keySet()) {
        changes.add(new Change(id, false));
      }
      Round r =
          new Round(ctx.address, folderId, select, selectText, filterText, ctx.expandSize, generation,
              arrange(ctx, folder, changes, orderBy.isPresent()), now, new String[1]);
      response = page(ctx, folder, r, 0, pageSize);
    }
    if (ctx.request.preference("odata.maxpagesize").isPresent()) {
      response.header("Preference-Applied", "odata.maxpagesize=" + pageSize);
    }
    return response;
  }

  /**
   * Puts a round's changes (newest first, removals last) in the order {@link Faults#graphDeltaOrder()} asks for and
   * repeats some anywhere in the round ({@link Faults#graphDeltaRepeatRate()}), every draw from the tenant's seeded
   * generator. A first round that asked {@code $orderby=receivedDateTime desc} keeps that order unless the faults
   * override it; repeats apply to every round.
   */
  private List<Change> arrange(GraphContext ctx, MailFolder folder, List<Change> changes, boolean orderedByRequest) {
    Faults faults = server.directory().faults();
    Faults.DeltaOrder order = orderedByRequest && !faults.graphDeltaOrderOverridesOrderBy()
        ? Faults.DeltaOrder.NEWEST_FIRST : faults.graphDeltaOrder();
    double repeat = faults.graphDeltaRepeatRate();
    if (order == Faults.DeltaOrder.NEWEST_FIRST && repeat == 0) {
      return changes;
    }
    Random random = faults.split();
    List<Change> shown = new ArrayList<>();
    List<Change> removed = new ArrayList<>();
    for (Change c : changes) {
      (c.removed() ? removed : shown).add(c);
    }
    List<Change> out;
    switch (order) {
      case OLDEST_FIRST -> {
        out = new ArrayList<>(shown);
        Collections.reverse(out);
        interleave(out, removed, random);
      }
      case CHANGE_ORDER -> {
        out = new ArrayList<>(shown);
        Map<String, Long> uids = new HashMap<>();
        for (Change c : out) {
          uids.put(c.id(), server.store().locate(ctx.address, c.id())
              .filter(at -> at.folder() == folder).map(at -> at.uid()).orElse(Long.MAX_VALUE));
        }
        out.sort(Comparator.comparing(c -> uids.get(c.id())));
        interleave(out, removed, random);
      }
      case RANDOM -> {
        out = new ArrayList<>(changes);
        Collections.shuffle(out, random);
      }
      default -> out = new ArrayList<>(changes);
    }
    if (repeat > 0) {
      List<Change> copies = new ArrayList<>();
      for (Change c : out) {
        if (!c.removed() && random.nextDouble() < repeat) {
          copies.add(c);
        }
      }
      for (Change c : copies) {
        out.add(random.nextInt(out.size() + 1), c);
      }
    }
    return List.copyOf(out);
  }

  private static void interleave(List<Change> into, List<Change> removed, Random random) {
    for (Change c : removed) {
      into.add(random.nextInt(into.size() + 1), c);
    }
  }

  private static int pageSize(GraphRequest req) throws GraphError {
    Optional<String> preferred = req.preference("odata.maxpagesize");
    if (preferred.isPresent()) {
      try {
        int n = Integer.parseInt(preferred.get());
        return Math.max(1, Math.min(n, 1000));
      } catch (NumberFormatException e) {
        throw GraphError.badRequest("Invalid odata.maxpagesize preference '" + preferred.get() + "'.");
      }
    }
    return GraphServer.top(req, DEFAULT_PAGE);
  }

  /** The folder's messages (those the round's filter keeps), newest first: id to change key. */
  private Map<String, String> snapshot(GraphContext ctx, MailFolder folder, Predicate<GraphMessages.Item> filter) {
    Map<String, String> snapshot = new LinkedHashMap<>();
    server.messages().items(ctx, folder).stream()
        .filter(filter)
        .sorted(GraphMessages.BY_RECEIVED.reversed())
        .forEach(i -> {
          String id = server.store().idOf(ctx.address, folder, i.message().getUid());
          snapshot.put(id, MessageJson.changeKey(id, i.message()));
        });
    return snapshot;
  }

  private GraphResponse page(GraphContext ctx, MailFolder folder, Round round, int offset, int pageSize) {
    ctx.expandSize = round.expandSize();
    Faults faults = server.directory().faults();
    // odata.maxpagesize is a maximum: a page may hold fewer, none at all, and still have a next link
    int take = faults.graphDeltaShortPages() ? faults.nextInt(pageSize + 1) : pageSize;
    int end = Math.min(round.changes().size(), offset + take);
    ArrayNode value = Json.array();
    for (int i = offset; i < end; i++) {
      Change change = round.changes().get(i);
      if (change.removed()) {
        ObjectNode removed = value.addObject();
        removed.put("@odata.type", "#microsoft.graph.message");
        removed.put("id", change.id());
        removed.putObject("@removed").put("reason", "deleted");
        continue;
      }
      Optional<Location> at = server.store().locate(ctx.address, change.id());
      if (at.isEmpty() || at.get().folder() != folder) {
        continue;
      }
      StoredMessage sm = at.get().folder().getMessage(at.get().uid());
      if (sm != null) {
        value.add(server.messages().render(ctx, folder, sm, round.select(), true));
      }
    }
    ObjectNode body = Json.object();
    body.put("@odata.context", ctx.base() + "/$metadata#Collection(message)");
    body.set("value", value);
    String base = ctx.request.origin + ctx.request.rawPath;
    if (end < round.changes().size()) {
      body.put("@odata.nextLink", faults.hostileLink(base + "?$skiptoken=" + register('S', new Page(round, end))));
    } else {
      body.put("@odata.deltaLink", faults.hostileLink(base + "?$deltatoken=" + deltaToken(round)));
    }
    return GraphResponse.json(200, body);
  }

  private String deltaToken(Round round) {
    synchronized (round.deltaToken()) {
      if (round.deltaToken()[0] == null) {
        round.deltaToken()[0] =
            register('D', new Sync(round.mailbox(), round.folderId(), round.select(), round.selectText(),
                round.filterText(), round.expandSize(), round.generation(), round.snapshot()));
      }
      return round.deltaToken()[0];
    }
  }

  private String register(char kind, Object value) {
    String token = kind + Application.randomToken(24);
    synchronized (tokens) {
      tokens.put(token, value);
    }
    return token;
  }

  private <T> T lookup(GraphContext ctx, String token, char kind, Class<T> type) throws GraphError {
    if (!TOKEN.matcher(token).matches() || token.charAt(0) != kind) {
      throw new GraphError(400, "SyncStateInvalid", "The sync state is invalid.");
    }
    Object value;
    synchronized (tokens) {
      value = tokens.get(token);
    }
    if (!type.isInstance(value)) {
      throw gone(ctx, null, null);
    }
    return type.cast(value);
  }

  private static void check(
      GraphContext ctx, String mailbox, String folderId, String currentFolderId, int generation, int currentGeneration,
      String selectText, String filterText) throws GraphError {
    if (!mailbox.equals(ctx.address) || !folderId.equals(currentFolderId)) {
      throw gone(ctx, null, null);
    }
    if (generation < currentGeneration) {
      throw gone(ctx, selectText, filterText);
    }
  }

  private static GraphError gone(GraphContext ctx, String selectText, String filterText) {
    List<String> query = new ArrayList<>();
    if (selectText != null) {
      query.add("$select=" + URLEncoder.encode(selectText, StandardCharsets.UTF_8));
    }
    if (filterText != null) {
      query.add("$filter=" + URLEncoder.encode(filterText, StandardCharsets.UTF_8).replace("+", "%20"));
    }
    String fresh = ctx.request.origin + ctx.request.rawPath + (query.isEmpty() ? "" : "?" + String.join("&", query));
    return new GraphError(410, "SyncStateNotFound", "The sync state generation is not found.")
        .header("Location", fresh);
  }
}
