package org.o365mail.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.icegreen.greenmail.store.MailFolder;
import com.icegreen.greenmail.store.StoredMessage;
import jakarta.mail.Flags;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.o365mail.testkit.GraphServer.Access;
import org.o365mail.testkit.GraphServer.Route;
import org.o365mail.testkit.MailStore.Location;
import org.o365mail.testkit.internal.Json;

/**
 * Folders, messages and sending of the Graph stand-in: {@code mailFolders} (list, get, childFolders, create),
 * {@code messages} (list with {@code $top}/{@code $select}/{@code $filter}/{@code $orderby} and nextLink paging,
 * get, {@code $value}, PATCH, move, copy, delete, permanentDelete), drafts and their {@code send}, and {@code
 * sendMail}. Messages are rendered from the stored MIME by {@link MessageJson}, the query options parsed by {@link
 * ODataQuery}, drafts and submissions handled by {@link GraphSending}. Thread-safe.
 */
final class GraphMessages {
  static final String ROOT = "msgfolderroot";
  private static final int DEFAULT_PAGE = 10;

  private final GraphServer server;
  private final MessageJson renderer;
  private final GraphSending sending;

  /** A message in a folder. */
  record Item(MailFolder folder, StoredMessage message) {}

  GraphMessages(GraphServer server) {
    this.server = server;
    this.renderer = new MessageJson(server);
    this.sending = new GraphSending(server, this);
  }

  private MailStore store() {
    return server.store();
  }

  // ----------------------------------------------------------------------------------------------
  // routing

  /** Routes the part of the path after {@code /users/{id}}. */
  Route route(GraphContext ctx, List<String> tail) throws GraphError {
    String head = tail.get(0);
    List<String> rest = tail.subList(1, tail.size());
    return switch (head) {
      case "mailFolders" -> folderRoute(ctx, rest);
      case "messages" -> messagesRoute(ctx, null, rest);
      case "sendMail" -> {
        if (!rest.isEmpty()) {
          throw GraphError.noResource(rest.get(0));
        }
        requireMethod(ctx, "POST");
        yield new Route(Access.SEND, () -> sending.sendMail(ctx));
      }
      default -> throw GraphError.noResource(head);
    };
  }

  private Route folderRoute(GraphContext ctx, List<String> t) throws GraphError {
    String method = ctx.request.method;
    if (t.isEmpty()) {
      requireMethod(ctx, "GET", "POST");
      return method.equals("GET")
          ? new Route(Access.READ_BASIC, () -> listFolders(ctx, ROOT))
          : new Route(Access.WRITE, () -> createFolder(ctx, ROOT));
    }
    String folderId = t.get(0);
    if (t.size() == 1) {
      requireMethod(ctx, "GET");
      return new Route(Access.READ_BASIC, () -> getFolder(ctx, folderId));
    }
    String sub = t.get(1);
    if (sub.equals("childFolders") && t.size() == 2) {
      requireMethod(ctx, "GET", "POST");
      return method.equals("GET")
          ? new Route(Access.READ_BASIC, () -> listFolders(ctx, folderId))
          : new Route(Access.WRITE, () -> createFolder(ctx, folderId));
    }
    if (sub.equals("messages")) {
      if (t.size() == 3 && (t.get(2).equals("delta") || t.get(2).equals("delta()"))) {
        requireMethod(ctx, "GET");
        return new Route(Access.READ_BASIC, () -> server.delta().delta(ctx, folderId));
      }
      return messagesRoute(ctx, folderId, t.subList(2, t.size()));
    }
    throw GraphError.noResource(sub);
  }

  private Route messagesRoute(GraphContext ctx, String folderId, List<String> t) throws GraphError {
    String method = ctx.request.method;
    if (t.isEmpty()) {
      requireMethod(ctx, "GET", "POST");
      return method.equals("GET")
          ? new Route(Access.READ_BASIC, () -> listMessages(ctx, folderId))
          : new Route(Access.WRITE, () -> sending.createDraft(ctx, folderId == null ? "drafts" : folderId));
    }
    String id = t.get(0);
    checkId(ctx, id);
    if (t.size() == 1) {
      requireMethod(ctx, "GET", "PATCH", "DELETE");
      return switch (method) {
        case "GET" -> new Route(Access.READ_BASIC, () -> getMessage(ctx, id));
        case "PATCH" -> new Route(Access.WRITE, () -> patch(ctx, id));
        default -> new Route(Access.WRITE, () -> delete(ctx, id));
      };
    }
    String action = t.get(1);
    if (action.equals("attachments")) {
      return server.attachments().route(ctx, id, t.subList(2, t.size()));
    }
    if (t.size() != 2) {
      throw GraphError.noResource(t.get(2));
    }
    switch (action) {
      case "$value" -> {
        requireMethod(ctx, "GET");
        return new Route(Access.READ, () -> mime(ctx, id));
      }
      case "move", "copy" -> {
        requireMethod(ctx, "POST");
        boolean copy = action.equals("copy");
        return new Route(Access.WRITE, () -> moveOrCopy(ctx, id, copy));
      }
      case "permanentDelete" -> {
        requireMethod(ctx, "POST");
        return new Route(Access.WRITE, () -> permanentDelete(ctx, id));
      }
      case "send" -> {
        requireMethod(ctx, "POST");
        return new Route(Access.SEND, () -> sending.sendDraft(ctx, id));
      }
      default -> throw GraphError.noResource(action);
    }
  }

  /**
   * With {@link Faults#graphRejectMalformedIds(boolean)} on, refuses a message id this tenant never handed out ({@code
   * 400 ErrorInvalidIdMalformed}) or handed out for another mailbox ({@code 400 ErrorInvalidMailboxItemId}); sources
   * on the knob.
   */
  private void checkId(GraphContext ctx, String id) throws GraphError {
    if (!server.directory().faults().graphRejectMalformedIds()) {
      return;
    }
    Optional<String> owner = store().issuedTo(id);
    if (owner.isEmpty()) {
      throw new GraphError(400, "ErrorInvalidIdMalformed", "Id is malformed.");
    }
    if (!owner.get().equals(MailStore.key(ctx.address))) {
      throw new GraphError(400, "ErrorInvalidMailboxItemId", "Item Id doesn't belong to the current mailbox.");
    }
  }

  /**
   * A parameter of an action body ({@code move}, {@code sendMail}, {@code createUploadSession}): Graph matches their
   * names case-insensitively, and the Graph SDKs send them capitalised ({@code DestinationId}, {@code Message}).
   */
  static JsonNode parameter(JsonNode body, String name) {
    if (body == null) {
      return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    }
    JsonNode exact = body.get(name);
    if (exact != null) {
      return exact;
    }
    for (Map.Entry<String, JsonNode> e : body.properties()) {
      if (e.getKey().equalsIgnoreCase(name)) {
        return e.getValue();
      }
    }
    return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
  }

  /**
   * Refuses the request's {@code $expand} when a knob says so: on the first request of a delta round ({@link
   * Faults#graphRefuseExpandOnDelta(boolean)}, one of three answers drawn from the seeded generator, the third in
   * words no report shows) or on message
   * listings and single messages ({@link Faults#graphRefuseExpandOnMessages(boolean)}); sources on the knobs.
   */
  void refuseExpand(GraphContext ctx, boolean delta) throws GraphError {
    Optional<String> expand = ctx.request.option("$expand");
    if (expand.isEmpty()) {
      return;
    }
    Faults faults = server.directory().faults();
    if (delta && faults.graphRefuseExpandOnDelta()) {
      int answer = faults.nextInt(3);
      if (answer == 0) {
        throw new GraphError(500, "InternalServerError", "Value cannot be null.\r\nParameter name: type");
      }
      if (answer == 1) {
        throw GraphError.badRequest("Parsing OData Select and Expand failed: Value cannot be null. (Parameter"
            + " 'initialState')");
      }
      // Microsoft documents none of these refusals and their words are taken from users' reports: a third, in
      // words no report shows, so that a client recognising the refusal only by its text fails here
      throw GraphError.badRequest("The query option $expand is not supported for this request.");
    }
    if (!delta && faults.graphRefuseExpandOnMessages()
        && expand.get().toLowerCase(Locale.ROOT).contains("singlevalueextendedproperties")) {
      throw GraphError.badRequest("Parsing OData Select and Expand failed: Could not find a property named"
          + " 'singleValueExtendedProperties' on type 'microsoft.graph.message'.");
    }
  }

  static void requireMethod(GraphContext ctx, String... methods) throws GraphError {
    for (String m : methods) {
      if (m.equals(ctx.request.method)) {
        return;
      }
    }
    throw GraphError.methodNotAllowed();
  }

  // ----------------------------------------------------------------------------------------------
  // folders

  /** A folder by id or well-known name; empty for {@code msgfolderroot}. Unknown: 404. */
  Optional<MailFolder> folder(GraphContext ctx, String idOrName) throws GraphError {
    if (isRoot(ctx, idOrName)) {
      return Optional.empty();
    }
    MailFolder folder = store().resolveFolder(ctx.address, idOrName).orElseThrow(GraphError::itemNotFound);
    return Optional.of(folder);
  }

  /** A folder that may hold messages (not the root). */
  MailFolder messageFolder(GraphContext ctx, String idOrName) throws GraphError {
    return folder(ctx, idOrName).orElseThrow(GraphError::itemNotFound);
  }

  private boolean isRoot(GraphContext ctx, String idOrName) {
    return idOrName.equalsIgnoreCase(ROOT) || idOrName.equals(rootId(ctx.address));
  }

  static String rootId(String address) {
    return "AAMkAGR" + MessageJson.hash("msgfolderroot/" + address).substring(0, 30);
  }

  private GraphResponse getFolder(GraphContext ctx, String idOrName) throws GraphError {
    Optional<MailFolder> folder = folder(ctx, idOrName);
    ObjectNode body = folder.isPresent() ? folderJson(ctx, folder.get()) : rootJson(ctx);
    body.put("@odata.context", ctx.base() + "/$metadata#users('" + ctx.address + "')/mailFolders/$entity");
    return GraphResponse.json(200, reorderContext(body));
  }

  private ObjectNode rootJson(GraphContext ctx) {
    ObjectNode o = Json.object();
    o.put("id", rootId(ctx.address));
    o.put("displayName", "Top of Information Store");
    o.put("parentFolderId", "AAMkAGR" + MessageJson.hash("root-parent/" + ctx.address).substring(0, 30));
    o.put("childFolderCount", store().children(ctx.address, null).size());
    o.put("unreadItemCount", 0);
    o.put("totalItemCount", 0);
    o.put("isHidden", false);
    return o;
  }

  /** Forgets when a message last changed ({@link MessageJson#forget}). */
  void forget(String id) {
    renderer.forget(id);
  }

  /** The Graph JSON of a stored message ({@link MessageJson#render}). */
  ObjectNode render(GraphContext ctx, MailFolder folder, StoredMessage sm, List<String> select, boolean withType) {
    return renderer.render(ctx, folder, sm, select, withType);
  }

  ObjectNode folderJson(GraphContext ctx, MailFolder folder) {
    String path = store().pathOf(ctx.address, folder);
    int slash = path.lastIndexOf('/');
    String parentId =
        slash < 0
            ? rootId(ctx.address)
            : store().findFolder(ctx.address, path.substring(0, slash))
                .map(p -> store().folderId(ctx.address, p))
                .orElse(rootId(ctx.address));
    ObjectNode o = Json.object();
    o.put("id", store().folderId(ctx.address, folder));
    o.put("displayName", slash < 0 ? path : path.substring(slash + 1));
    o.put("parentFolderId", parentId);
    o.put("childFolderCount", store().children(ctx.address, folder).size());
    o.put("unreadItemCount", folder.getUnseenCount());
    o.put("totalItemCount", folder.getMessageCount());
    o.put("isHidden", false);
    return o;
  }

  private GraphResponse listFolders(GraphContext ctx, String parentIdOrName) throws GraphError {
    MailFolder parent = folder(ctx, parentIdOrName).orElse(null);
    List<MailFolder> children = new ArrayList<>(store().children(ctx.address, parent));
    children.sort(Comparator.comparing(f -> displayName(ctx, f).toLowerCase(Locale.ROOT)));
    int top = GraphServer.top(ctx.request, DEFAULT_PAGE);
    int skip = GraphServer.skip(ctx.request);
    ArrayNode value = Json.array();
    for (int i = skip; i < Math.min(children.size(), skip + top); i++) {
      value.add(folderJson(ctx, children.get(i)));
    }
    ObjectNode body = Json.object();
    body.put("@odata.context", ctx.base() + "/$metadata#users('" + ctx.address + "')/mailFolders");
    body.set("value", value);
    if (skip + top < children.size()) {
      body.put("@odata.nextLink", server.directory().faults().hostileLink(
          GraphServer.link(ctx.request, "$skiptoken", GraphServer.skipToken(skip + top))));
    }
    return GraphResponse.json(200, body);
  }

  private String displayName(GraphContext ctx, MailFolder f) {
    String path = store().pathOf(ctx.address, f);
    return path.substring(path.lastIndexOf('/') + 1);
  }

  private GraphResponse createFolder(GraphContext ctx, String parentIdOrName) throws GraphError {
    JsonNode json = ctx.request.json();
    MailFolder parent = folder(ctx, parentIdOrName).orElse(null);
    String name = json.path("displayName").asText("").trim();
    if (name.isEmpty()) {
      throw new GraphError(400, "ErrorInvalidRequest", "The displayName of a new folder is required.");
    }
    if (name.contains("/") || name.contains(".")) {
      throw GraphError.badRequest(
          "The testkit's mail store cannot hold a folder name with '/' or '.': '" + name + "'.");
    }
    for (MailFolder sibling : store().children(ctx.address, parent)) {
      if (displayName(ctx, sibling).equalsIgnoreCase(name)) {
        throw new GraphError(409, "ErrorFolderExists", "A folder with the specified name already exists.");
      }
    }
    String path = parent == null ? name : store().pathOf(ctx.address, parent) + "/" + name;
    MailFolder created = store().createFolder(ctx.address, path);
    ObjectNode body = folderJson(ctx, created);
    body.put("@odata.context", ctx.base() + "/$metadata#users('" + ctx.address + "')/mailFolders/$entity");
    return GraphResponse.json(201, reorderContext(body));
  }

  private static ObjectNode reorderContext(ObjectNode body) {
    ObjectNode ordered = Json.object();
    ordered.set("@odata.context", body.get("@odata.context"));
    for (Map.Entry<String, JsonNode> e : body.properties()) {
      if (!e.getKey().equals("@odata.context")) {
        ordered.set(e.getKey(), e.getValue());
      }
    }
    return ordered;
  }

  // ----------------------------------------------------------------------------------------------
  // listing messages

  /** Every message of a folder, or of the whole mailbox for {@code null}. */
  List<Item> items(GraphContext ctx, MailFolder folderOrNull) {
    List<MailFolder> folders = folderOrNull != null ? List.of(folderOrNull) : store().folders(ctx.address);
    List<Item> items = new ArrayList<>();
    for (MailFolder f : folders) {
      for (StoredMessage m : f.getMessages()) {
        items.add(new Item(f, m));
      }
    }
    return items;
  }

  static final Comparator<Item> BY_RECEIVED =
      Comparator.comparing((Item i) -> i.message().getReceivedDate())
          .thenComparing(i -> i.folder().getFullName())
          .thenComparingLong(i -> i.message().getUid());

  private GraphResponse listMessages(GraphContext ctx, String folderIdOrNull) throws GraphError {
    MailFolder folder = folderIdOrNull == null ? null : messageFolder(ctx, folderIdOrNull);
    refuseExpand(ctx, false);
    List<String> select = ODataQuery.select(ctx.request);
    Optional<String> filterText = ctx.request.option("$filter");
    List<ODataQuery.Clause> clauses = filterText.isPresent() ? ODataQuery.parseFilter(filterText.get()) : List.of();
    Comparator<Item> order = ODataQuery.order(ctx.request.option("$orderby"), clauses);
    int top = GraphServer.top(ctx.request, DEFAULT_PAGE);
    int skip = GraphServer.skip(ctx.request);
    Predicate<Item> filter = ODataQuery.predicate(clauses);
    List<Item> matching = items(ctx, folder).stream().filter(filter).sorted(order).toList();
    ArrayNode value = Json.array();
    for (int i = skip; i < Math.min(matching.size(), skip + top); i++) {
      Item item = matching.get(i);
      value.add(render(ctx, item.folder(), item.message(), select, false));
    }
    ObjectNode body = Json.object();
    body.put("@odata.context", ctx.base() + "/$metadata#users('" + ctx.address + "')/messages");
    body.set("value", value);
    if (skip + top < matching.size()) {
      body.put("@odata.nextLink", server.directory().faults().hostileLink(
          GraphServer.link(ctx.request, "$skiptoken", GraphServer.skipToken(skip + top))));
    }
    return GraphResponse.json(200, body);
  }

  // ----------------------------------------------------------------------------------------------
  // rendering

  // ----------------------------------------------------------------------------------------------
  // single messages

  /** Where a message id is now; 404 {@code ErrorItemNotFound} when not in this mailbox. */
  Location locate(GraphContext ctx, String id) throws GraphError {
    return store().locate(ctx.address, id).orElseThrow(GraphError::itemNotFound);
  }

  static StoredMessage message(Location at) throws GraphError {
    StoredMessage sm = at.folder().getMessage(at.uid());
    if (sm == null) {
      throw GraphError.itemNotFound();
    }
    return sm;
  }

  GraphResponse single(GraphContext ctx, int status, Location at, List<String> select) throws GraphError {
    ObjectNode body = Json.object();
    body.put("@odata.context", ctx.base() + "/$metadata#users('" + ctx.address + "')/messages/$entity");
    body.setAll(render(ctx, at.folder(), message(at), select, false));
    return GraphResponse.json(status, body);
  }

  private GraphResponse getMessage(GraphContext ctx, String id) throws GraphError {
    refuseExpand(ctx, false);
    List<String> select = ODataQuery.select(ctx.request);
    return single(ctx, 200, locate(ctx, id), select);
  }

  private GraphResponse mime(GraphContext ctx, String id) throws GraphError {
    StoredMessage sm = store().find(ctx.address, id).orElseThrow(GraphError::itemNotFound);
    return GraphResponse.stream(200, "text/plain", out -> MailStore.writeTo(sm, out));
  }

  private GraphResponse patch(GraphContext ctx, String id) throws GraphError {
    JsonNode json = ctx.request.json();
    Location at = locate(ctx, id);
    Boolean read = null;
    Boolean flagged = null;
    for (Map.Entry<String, JsonNode> field : json.properties()) {
      String name = field.getKey();
      JsonNode value = field.getValue();
      switch (name) {
        case "isRead" -> {
          if (!value.isBoolean()) {
            throw GraphError.badRequest(
                "Cannot convert the literal '" + value + "' to the expected type 'Edm.Boolean'.");
          }
          read = value.booleanValue();
        }
        case "flag" -> {
          String status = value.path("flagStatus").asText("");
          if (!Set.of("flagged", "notFlagged", "complete").contains(status)) {
            throw GraphError.badRequest("flag.flagStatus must be flagged, notFlagged or complete.");
          }
          flagged = status.equals("flagged");
        }
        case "@odata.type", "@odata.etag", "id" -> {
          // read-only echoes of what GET returned
        }
        default -> throw GraphError.badRequest(
            "The testkit's Graph stand-in updates only isRead and flag of a message, not '" + name + "'.");
      }
    }
    if (read != null) {
      store().setFlag(at, Flags.Flag.SEEN, read);
    }
    if (flagged != null) {
      store().setFlag(at, Flags.Flag.FLAGGED, flagged);
    }
    return single(ctx, 200, at, null);
  }

  private GraphResponse delete(GraphContext ctx, String id) throws GraphError {
    Location at = locate(ctx, id);
    StoredMessage sm = message(at);
    StoredMail snapshot = store().describe(ctx.address, at.folder(), sm);
    store().expunge(at);
    server.addRecoverable(ctx.address, snapshot);
    renderer.forget(id);
    return GraphResponse.empty(204);
  }

  private GraphResponse permanentDelete(GraphContext ctx, String id) throws GraphError {
    Location at = locate(ctx, id);
    store().expunge(at);
    renderer.forget(id);
    return GraphResponse.empty(204);
  }

  private GraphResponse moveOrCopy(GraphContext ctx, String id, boolean copy) throws GraphError {
    JsonNode json = ctx.request.json();
    String destination = parameter(json, "destinationId").asText("").trim();
    if (destination.isEmpty()) {
      throw new GraphError(400, "ErrorInvalidRequest", "The destinationId of the " + (copy ? "copy" : "move")
          + " is required.");
    }
    Location at = locate(ctx, id);
    MailFolder target = messageFolder(ctx, destination);
    Location result;
    if (copy) {
      result = store().copy(at, target);
    } else {
      result = store().move(at, target);
      if (!ctx.immutableIds) {
        store().reassignId(result);
        renderer.forget(id);
      }
    }
    return single(ctx, 201, result, null);
  }

}
