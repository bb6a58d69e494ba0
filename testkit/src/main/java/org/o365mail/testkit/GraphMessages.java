package org.o365mail.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.icegreen.greenmail.store.MailFolder;
import com.icegreen.greenmail.store.StoredMessage;
import jakarta.mail.Address;
import jakarta.mail.Flags;
import jakarta.mail.Header;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MailDateFormat;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.Date;
import java.util.Enumeration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.o365mail.testkit.GraphServer.Access;
import org.o365mail.testkit.GraphServer.Route;
import org.o365mail.testkit.MailStore.Location;
import org.o365mail.testkit.internal.Json;

/**
 * Folders, messages and sending of the Graph stand-in: {@code mailFolders} (list, get, childFolders, create),
 * {@code messages} (list with {@code $top}/{@code $select}/{@code $filter}/{@code $orderby} and nextLink paging,
 * get, {@code $value}, PATCH, move, copy, delete, permanentDelete), drafts and their {@code send}, and {@code
 * sendMail}. Messages are rendered from the stored MIME with Jakarta Mail. Thread-safe.
 */
final class GraphMessages {
  /** Message properties in Graph's order; without {@code $select} all of these are returned. */
  static final List<String> PROPERTIES =
      List.of(
          "createdDateTime", "lastModifiedDateTime", "changeKey", "categories", "receivedDateTime", "sentDateTime",
          "hasAttachments", "internetMessageId", "subject", "bodyPreview", "importance", "parentFolderId",
          "conversationId", "isDeliveryReceiptRequested", "isReadReceiptRequested", "isRead", "isDraft", "webLink",
          "inferenceClassification", "body", "sender", "from", "toRecipients", "ccRecipients", "bccRecipients",
          "replyTo", "flag");
  /** Properties returned only when selected. */
  static final List<String> SELECT_ONLY = List.of("uniqueBody", "internetMessageHeaders");
  /** What {@code Mail.ReadBasic} does not show. */
  static final Set<String> BODY_PROPERTIES = Set.of("body", "bodyPreview", "uniqueBody", "internetMessageHeaders");
  static final String ROOT = "msgfolderroot";
  private static final int DEFAULT_PAGE = 10;

  private final GraphServer server;
  private final Map<String, Modified> modified = new ConcurrentHashMap<>();

  private record Modified(String changeKey, Instant at) {}

  /** A message in a folder. */
  record Item(MailFolder folder, StoredMessage message) {}

  GraphMessages(GraphServer server) {
    this.server = server;
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
        yield new Route(Access.SEND, () -> sendMail(ctx));
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
          : new Route(Access.WRITE, () -> createDraft(ctx, folderId == null ? "drafts" : folderId));
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
        return new Route(Access.SEND, () -> sendDraft(ctx, id));
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

  private static final java.util.regex.Pattern SIZE_EXPAND = java.util.regex.Pattern.compile(
      "(?i)\\s*singleValueExtendedProperties\\s*\\(\\s*\\$filter\\s*=\\s*id\\s+eq\\s+'Integer\\s+0x0*e08'\\s*\\)\\s*");

  /**
   * Whether a {@code $expand} asks for the message size as Graph serves MAPI properties: {@code
   * singleValueExtendedProperties($filter=id eq 'Integer 0x0E08')} (hex digits in any case, leading zeros or not).
   * Other expansions are ignored, as before.
   */
  static boolean expandsSize(String expand) {
    if (expand == null) {
      return false;
    }
    for (String part : expand.split(",(?![^(]*\\))")) {
      if (SIZE_EXPAND.matcher(part).matches()) {
        return true;
      }
    }
    return false;
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
    return "AAMkAGR" + hash("msgfolderroot/" + address).substring(0, 30);
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
    o.put("parentFolderId", "AAMkAGR" + hash("root-parent/" + ctx.address).substring(0, 30));
    o.put("childFolderCount", store().children(ctx.address, null).size());
    o.put("unreadItemCount", 0);
    o.put("totalItemCount", 0);
    o.put("isHidden", false);
    return o;
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
    List<String> select = select(ctx.request);
    Optional<String> filterText = ctx.request.option("$filter");
    List<Clause> clauses = filterText.isPresent() ? parseFilter(filterText.get()) : List.of();
    Comparator<Item> order = BY_RECEIVED.reversed();
    Optional<String> orderBy = ctx.request.option("$orderby");
    if (orderBy.isPresent()) {
      String[] parts = orderBy.get().trim().split("\\s+");
      if (!parts[0].equalsIgnoreCase("receivedDateTime") || parts.length > 2
          || (parts.length == 2 && !parts[1].equalsIgnoreCase("desc") && !parts[1].equalsIgnoreCase("asc"))) {
        throw GraphError.badRequest(
            "The testkit's Graph stand-in orders messages only by receivedDateTime (asc or desc), not '"
                + orderBy.get() + "'.");
      }
      order = parts.length == 2 && parts[1].equalsIgnoreCase("desc") ? BY_RECEIVED.reversed() : BY_RECEIVED;
      if (!clauses.isEmpty() && !clauses.get(0).property().equals("receivedDateTime")) {
        throw new GraphError(
            400, "InefficientFilter", "The restriction or sort order is too complex for this operation.");
      }
    }
    int top = GraphServer.top(ctx.request, DEFAULT_PAGE);
    int skip = GraphServer.skip(ctx.request);
    Predicate<Item> filter = predicate(clauses);
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

  /** One comparison of a {@code $filter}: property, operator, literal. */
  record Clause(String property, String operator, String value) {}

  private static GraphError invalidFilter() {
    return new GraphError(400, "ErrorInvalidUrlQueryFilter", "The query filter contains one or more invalid nodes.");
  }

  /**
   * Parses {@code prop op literal [and prop op literal]...} for receivedDateTime (eq ne ge gt le lt), isRead,
   * isDraft, hasAttachments (eq ne true/false), subject and from/emailAddress/address (eq ne 'text').
   */
  static List<Clause> parseFilter(String text) throws GraphError {
    List<String> tokens = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\'') {
        if (quoted && i + 1 < text.length() && text.charAt(i + 1) == '\'') {
          current.append('\'');
          i++;
          continue;
        }
        quoted = !quoted;
        current.append(c);
      } else if (Character.isWhitespace(c) && !quoted) {
        if (current.length() > 0) {
          tokens.add(current.toString());
          current.setLength(0);
        }
      } else {
        current.append(c);
      }
    }
    if (quoted) {
      throw invalidFilter();
    }
    if (current.length() > 0) {
      tokens.add(current.toString());
    }
    List<Clause> clauses = new ArrayList<>();
    int i = 0;
    while (true) {
      if (i + 3 > tokens.size()) {
        throw invalidFilter();
      }
      String property = canonicalFilterProperty(tokens.get(i));
      String op = tokens.get(i + 1).toLowerCase(Locale.ROOT);
      String literal = tokens.get(i + 2);
      validate(property, op, literal);
      clauses.add(new Clause(property, op, literal));
      i += 3;
      if (i == tokens.size()) {
        return clauses;
      }
      if (!tokens.get(i).equalsIgnoreCase("and")) {
        throw invalidFilter();
      }
      i++;
    }
  }

  private static String canonicalFilterProperty(String token) throws GraphError {
    for (String p :
        List.of("receivedDateTime", "isRead", "isDraft", "hasAttachments", "subject", "from/emailAddress/address")) {
      if (p.equalsIgnoreCase(token)) {
        return p;
      }
    }
    throw invalidFilter();
  }

  private static void validate(String property, String op, String literal) throws GraphError {
    switch (property) {
      case "receivedDateTime" -> {
        if (!Set.of("eq", "ne", "ge", "gt", "le", "lt").contains(op)) {
          throw invalidFilter();
        }
        instant(literal);
      }
      case "isRead", "isDraft", "hasAttachments" -> {
        if (!Set.of("eq", "ne").contains(op) || !(literal.equals("true") || literal.equals("false"))) {
          throw invalidFilter();
        }
      }
      default -> {
        boolean quoted = literal.length() >= 2 && literal.startsWith("'") && literal.endsWith("'");
        if (!Set.of("eq", "ne").contains(op) || !quoted) {
          throw invalidFilter();
        }
      }
    }
  }

  /** An OData date-time literal: {@code 2026-01-01T00:00:00Z}, with an offset, without a zone (UTC), or a date. */
  static Instant instant(String literal) throws GraphError {
    String s = literal.replace("'", "");
    try {
      return Instant.parse(s);
    } catch (DateTimeParseException e) {
      // try the other forms
    }
    try {
      return OffsetDateTime.parse(s).toInstant();
    } catch (DateTimeParseException e) {
      // try the other forms
    }
    try {
      return LocalDateTime.parse(s).toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      // try the other forms
    }
    try {
      return LocalDate.parse(s).atStartOfDay().toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      throw invalidFilter();
    }
  }

  Predicate<Item> predicate(List<Clause> clauses) throws GraphError {
    Predicate<Item> all = i -> true;
    for (Clause c : clauses) {
      all = all.and(predicate(c));
    }
    return all;
  }

  private Predicate<Item> predicate(Clause c) throws GraphError {
    boolean negate = c.operator().equals("ne");
    switch (c.property()) {
      case "receivedDateTime" -> {
        Instant bound = instant(c.value());
        String op = c.operator();
        return i -> {
          int cmp = i.message().getReceivedDate().toInstant().compareTo(bound);
          return switch (op) {
            case "eq" -> cmp == 0;
            case "ne" -> cmp != 0;
            case "ge" -> cmp >= 0;
            case "gt" -> cmp > 0;
            case "le" -> cmp <= 0;
            default -> cmp < 0;
          };
        };
      }
      case "isRead", "isDraft", "hasAttachments" -> {
        boolean wanted = Boolean.parseBoolean(c.value()) != negate;
        return switch (c.property()) {
          case "isRead" -> i -> i.message().isSet(Flags.Flag.SEEN) == wanted;
          case "isDraft" -> i -> i.message().isSet(Flags.Flag.DRAFT) == wanted;
          default -> i -> GraphMime.hasAttachments(i.message().getMimeMessage()) == wanted;
        };
      }
      default -> {
        String wanted = c.value().substring(1, c.value().length() - 1).replace("''", "'");
        boolean subject = c.property().equals("subject");
        return i -> {
          MimeMessage m = i.message().getMimeMessage();
          String actual =
              subject
                  ? subject(m)
                  : GraphMime.addresses(m, "From").stream().findFirst().map(InternetAddress::getAddress).orElse("");
          return actual.equalsIgnoreCase(wanted) != negate;
        };
      }
    }
  }

  /** The {@code $select}ed message properties in Graph's order, or null for the default set. */
  static List<String> select(GraphRequest req) throws GraphError {
    Optional<String> select = req.option("$select");
    if (select.isEmpty()) {
      return null;
    }
    return parseSelect(select.get());
  }

  static List<String> parseSelect(String select) throws GraphError {
    Set<String> wanted = new LinkedHashSet<>();
    for (String raw : select.split(",")) {
      String name = raw.trim();
      if (name.isEmpty() || name.equalsIgnoreCase("id")) {
        continue;
      }
      Optional<String> canonical =
          Stream.concat(PROPERTIES.stream(), SELECT_ONLY.stream())
              .filter(p -> p.equalsIgnoreCase(name))
              .findFirst();
      if (canonical.isEmpty()) {
        throw new GraphError(400, "RequestBroker--ParseUri",
            "Could not find a property named '" + name + "' on type 'Microsoft.OutlookServices.Message'.");
      }
      wanted.add(canonical.get());
    }
    List<String> ordered = new ArrayList<>();
    for (String p : PROPERTIES) {
      if (wanted.contains(p)) {
        ordered.add(p);
      }
    }
    for (String p : SELECT_ONLY) {
      if (wanted.contains(p)) {
        ordered.add(p);
      }
    }
    return ordered;
  }

  // ----------------------------------------------------------------------------------------------
  // rendering

  /** The Graph JSON of a stored message: {@code @odata.etag}, {@code id}, then the selected properties. */
  ObjectNode render(GraphContext ctx, MailFolder folder, StoredMessage sm, List<String> select, boolean withType) {
    String id = store().idOf(ctx.address, folder, sm.getUid());
    MimeMessage m = sm.getMimeMessage();
    String changeKey = changeKey(id, sm);
    Instant received = sm.getReceivedDate().toInstant();
    ObjectNode o = Json.object();
    if (withType) {
      o.put("@odata.type", "#microsoft.graph.message");
    }
    o.put("@odata.etag", "W/\"" + changeKey + "\"");
    o.put("id", id);
    for (String p : select == null ? PROPERTIES : select) {
      if (ctx.basicOnly && BODY_PROPERTIES.contains(p)) {
        continue;
      }
      switch (p) {
        case "createdDateTime", "receivedDateTime" -> o.put(p, GraphServer.format(received));
        case "lastModifiedDateTime" -> o.put(p, GraphServer.format(lastModified(id, changeKey, received)));
        case "changeKey" -> o.put(p, changeKey);
        case "categories" -> o.set(p, Json.array());
        case "sentDateTime" -> o.put(p, GraphServer.format(sentDate(m).orElse(received)));
        case "hasAttachments" -> o.put(p, GraphMime.hasAttachments(m));
        case "internetMessageId" -> {
          Optional<String> messageId = GraphMime.header(m, "Message-ID");
          if (messageId.isPresent()) {
            o.put(p, messageId.get());
          } else {
            o.putNull(p);
          }
        }
        case "subject" -> o.put(p, subject(m));
        case "bodyPreview" -> o.put(p, GraphMime.preview(m));
        case "importance" -> o.put(p, importance(m));
        case "parentFolderId" -> o.put(p, store().folderId(ctx.address, folder));
        case "conversationId" -> o.put(p, conversationId(m, id));
        case "isDeliveryReceiptRequested" -> o.put(p, GraphMime.header(m, "Return-Receipt-To").isPresent());
        case "isReadReceiptRequested" -> o.put(p, GraphMime.header(m, "Disposition-Notification-To").isPresent());
        case "isRead" -> o.put(p, sm.isSet(Flags.Flag.SEEN));
        case "isDraft" -> o.put(p, sm.isSet(Flags.Flag.DRAFT));
        case "webLink" ->
            o.put(p, "https://outlook.office365.com/owa/?ItemID=" + URLEncoder.encode(id, StandardCharsets.UTF_8)
                + "&exvsurl=1&viewmodel=ReadMessageItem");
        case "inferenceClassification" -> o.put(p, "focused");
        case "body", "uniqueBody" -> o.set(p, body(ctx, m));
        case "sender" -> {
          ObjectNode sender = GraphMime.firstRecipient(m, "Sender");
          setOrNull(o, p, sender != null ? sender : GraphMime.firstRecipient(m, "From"));
        }
        case "from" -> setOrNull(o, p, GraphMime.firstRecipient(m, "From"));
        case "toRecipients" -> o.set(p, GraphMime.recipients(m, "To"));
        case "ccRecipients" -> o.set(p, GraphMime.recipients(m, "Cc"));
        case "bccRecipients" -> o.set(p, GraphMime.recipients(m, "Bcc"));
        case "replyTo" -> o.set(p, GraphMime.recipients(m, "Reply-To"));
        case "flag" ->
            o.set(p, Json.object().put("flagStatus", sm.isSet(Flags.Flag.FLAGGED) ? "flagged" : "notFlagged"));
        case "internetMessageHeaders" -> o.set(p, headers(m));
        default -> throw new IllegalStateException("unhandled property " + p);
      }
    }
    Faults faults = server.directory().faults();
    if (ctx.expandSize && !faults.roll(faults.graphOmitSizeRate())) { // left out: see Faults#graphOmitSizeRate
      ArrayNode props = o.putArray("singleValueExtendedProperties");
      props.addObject().put("id", "Integer 0xe08").put("value", Long.toString(MailStore.size(sm)));
    }
    return o;
  }

  private static void setOrNull(ObjectNode o, String name, ObjectNode value) {
    if (value == null) {
      o.putNull(name);
    } else {
      o.set(name, value);
    }
  }

  private static ObjectNode body(GraphContext ctx, MimeMessage m) {
    Optional<String> preferred = ctx.preferredBodyType();
    GraphMime.Body b = GraphMime.body(m, preferred.map("text"::equals).orElse(false));
    String type = b.contentType();
    String content = b.content();
    if (preferred.isPresent() && !preferred.get().equals(type)) {
      content =
          preferred.get().equals("text")
              ? GraphMime.stripHtml(content)
              : "<html><body><div style=\"white-space: pre-wrap\">" + GraphMime.escapeHtml(content)
                  + "</div></body></html>";
      type = preferred.get();
    }
    return Json.object().put("contentType", type).put("content", content);
  }

  private static ArrayNode headers(MimeMessage m) {
    ArrayNode list = Json.array();
    try {
      Enumeration<Header> all = m.getAllHeaders();
      while (all.hasMoreElements()) {
        Header h = all.nextElement();
        list.addObject().put("name", h.getName()).put("value", h.getValue());
      }
    } catch (MessagingException e) {
      // headers that cannot be read are left out
    }
    return list;
  }

  static String subject(MimeMessage m) {
    try {
      String s = m.getSubject();
      return s == null ? "" : s;
    } catch (MessagingException e) {
      return "";
    }
  }

  private static Optional<Instant> sentDate(MimeMessage m) {
    try {
      Date d = m.getSentDate();
      return Optional.ofNullable(d).map(Date::toInstant);
    } catch (MessagingException e) {
      return Optional.empty();
    }
  }

  private static String importance(MimeMessage m) {
    String importance = GraphMime.header(m, "Importance").orElse("").toLowerCase(Locale.ROOT);
    if (importance.equals("high") || importance.equals("low")) {
      return importance;
    }
    String priority = GraphMime.header(m, "X-Priority").orElse("3").trim();
    if (priority.startsWith("1") || priority.startsWith("2")) {
      return "high";
    }
    if (priority.startsWith("4") || priority.startsWith("5")) {
      return "low";
    }
    return "normal";
  }

  private static String conversationId(MimeMessage m, String id) {
    String root =
        GraphMime.header(m, "References").map(r -> r.trim().split("\\s+")[0])
            .or(() -> GraphMime.header(m, "In-Reply-To"))
            .or(() -> GraphMime.header(m, "Message-ID"))
            .orElse(id);
    return "AAQkAD" + hash("conversation/" + root).substring(0, 32);
  }

  /** The change key of a message: it changes whenever flags or content (its UID) change. */
  static String changeKey(String id, StoredMessage sm) {
    String state =
        id + "|" + sm.getUid() + "|" + sm.isSet(Flags.Flag.SEEN) + sm.isSet(Flags.Flag.FLAGGED)
            + sm.isSet(Flags.Flag.DRAFT) + sm.isSet(Flags.Flag.ANSWERED);
    return "CQAAABYAAAD" + hash(state).substring(0, 16);
  }

  private Instant lastModified(String id, String changeKey, Instant received) {
    Instant now = server.now();
    return modified
        .compute(
            id,
            (k, old) ->
                old == null
                    ? new Modified(changeKey, received)
                    : old.changeKey().equals(changeKey) ? old : new Modified(changeKey, now))
        .at();
  }

  static String hash(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

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

  private GraphResponse single(GraphContext ctx, int status, Location at, List<String> select) throws GraphError {
    ObjectNode body = Json.object();
    body.put("@odata.context", ctx.base() + "/$metadata#users('" + ctx.address + "')/messages/$entity");
    body.setAll(render(ctx, at.folder(), message(at), select, false));
    return GraphResponse.json(status, body);
  }

  private GraphResponse getMessage(GraphContext ctx, String id) throws GraphError {
    refuseExpand(ctx, false);
    List<String> select = select(ctx.request);
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
    modified.remove(id);
    return GraphResponse.empty(204);
  }

  private GraphResponse permanentDelete(GraphContext ctx, String id) throws GraphError {
    Location at = locate(ctx, id);
    store().expunge(at);
    modified.remove(id);
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
        modified.remove(id);
      }
    }
    return single(ctx, 201, result, null);
  }

  // ----------------------------------------------------------------------------------------------
  // drafts and sending

  private GraphResponse createDraft(GraphContext ctx, String folderIdOrName) throws GraphError {
    JsonNode json = ctx.request.json();
    MailFolder folder = messageFolder(ctx, folderIdOrName);
    Instant now = server.now();
    MimeMessage built = GraphMime.fromJson(json, ctx.mailbox, now);
    MimeMessage stored = MailStore.parse(GraphMime.bytes(built));
    Flags flags = new Flags();
    flags.add(Flags.Flag.SEEN);
    flags.add(Flags.Flag.DRAFT);
    Location at = store().append(ctx.address, folder, stored, flags, now);
    return single(ctx, 201, at, null);
  }

  private GraphResponse sendMail(GraphContext ctx) throws GraphError {
    String contentType = ctx.request.header("Content-Type").orElse("application/json").toLowerCase(Locale.ROOT);
    byte[] raw = ctx.request.body(GraphRequest.MAX_BODY);
    MimeMessage message;
    boolean saveToSentItems = true;
    if (contentType.startsWith("text/plain")) {
      byte[] decoded;
      try {
        decoded = Base64.getDecoder().decode(new String(raw, StandardCharsets.US_ASCII).replaceAll("\\s+", ""));
      } catch (IllegalArgumentException e) {
        throw mimeInvalid();
      }
      if (decoded.length == 0) {
        throw mimeInvalid();
      }
      try {
        message = MailStore.parse(decoded);
        if (message.getHeader("From") == null) {
          message.setFrom(new InternetAddress(ctx.address));
        }
      } catch (IllegalArgumentException | MessagingException e) {
        throw mimeInvalid();
      }
    } else {
      JsonNode json = ctx.request.json();
      JsonNode m = parameter(json, "message");
      if (!m.isObject()) {
        throw new GraphError(400, "ErrorInvalidRequest", "The 'message' property of sendMail is required.");
      }
      message = GraphMime.fromJson(m, ctx.mailbox, server.now());
      JsonNode save = parameter(json, "saveToSentItems");
      if (!save.isMissingNode() && !save.isNull()) {
        saveToSentItems = save.isBoolean() ? save.booleanValue() : !save.asText().equalsIgnoreCase("false");
      }
    }
    List<String> recipients = GraphMime.envelopeRecipients(message);
    if (recipients.isEmpty()) {
      throw noRecipients();
    }
    byte[] out = GraphMime.bytes(message, "Bcc");
    checkSubmission(ctx, message, out.length);
    server.tenant().delivery().deliver(ctx.address, recipients, out, saveToSentItems);
    return GraphResponse.empty(202);
  }

  /**
   * What Exchange checks when a message is submitted ({@code sendMail}, or {@code send} of a draft):
   *
   * <ul>
   *   <li>a From other than the mailbox needs Send As (or Send on Behalf, which the testkit does not tell apart) on
   *       that address for the mailbox's owner, the shared mailbox, or the signed-in identity ({@link
   *       Tenant#addRecipientPermission}); otherwise {@code 403 ErrorSendAsDenied} with the message of the Graph
   *       documentation's example (microsoftgraph/microsoft-graph-docs-contrib, {@code
   *       concepts/outlook-send-mail-from-other-user.md}, Example 2);
   *   <li>a message larger than the mailbox's {@link Mailbox#maxSendSize()} gets {@code ErrorMessageSizeExceeded}
   *       with status 400, as public transcripts show it (motze92/office365-mail#39, on adding an attachment to a
   *       draft; microsoftgraph/microsoft-graph-docs-contrib#2561, during an upload session). Microsoft's pages
   *       give neither the status nor the point at which the limit is checked; here it is checked when the message
   *       is sent, and when an attachment (directly or by an upload session) would take a draft over the limit.
   * </ul>
   */
  private static void checkSubmission(GraphContext ctx, MimeMessage message, long size) throws GraphError {
    String from;
    try {
      Address[] addresses = message.getFrom();
      from = addresses == null || addresses.length == 0 || !(addresses[0] instanceof InternetAddress a)
          ? ctx.address : a.getAddress();
    } catch (MessagingException e) {
      throw mimeInvalid();
    }
    if (!ctx.mailbox.tenant().maySendAs(ctx.mailbox, ctx.caller.token().objectId(), from)) {
      throw new GraphError(403, "ErrorSendAsDenied", "The user account which was used to submit this request does"
          + " not have the right to send mail on behalf of the specified sending account. Cannot submit message.");
    }
    if (size > ctx.mailbox.maxSendSize()) {
      throw messageSizeExceeded();
    }
  }

  /** {@code 400 ErrorMessageSizeExceeded}: a message larger than its mailbox's MaxSendSize. */
  static GraphError messageSizeExceeded() {
    return new GraphError(400, "ErrorMessageSizeExceeded", "The message exceeds the maximum supported size.,"
        + " Cannot save changes made to an item to store.");
  }

  private static GraphError mimeInvalid() {
    return new GraphError(400, "ErrorMimeContentInvalidBase64String", "Invalid base64 string for MIME content.");
  }

  private static GraphError noRecipients() {
    return new GraphError(400, "ErrorInvalidRecipients", "At least one recipient is required, but none were found.");
  }

  private GraphResponse sendDraft(GraphContext ctx, String id) throws GraphError {
    Location at = locate(ctx, id);
    StoredMessage sm = message(at);
    if (!sm.isSet(Flags.Flag.DRAFT)) {
      throw new GraphError(400, "ErrorInvalidRequest", "Only a draft can be sent; this message is not a draft.");
    }
    MimeMessage m = sm.getMimeMessage();
    List<String> recipients = GraphMime.envelopeRecipients(m);
    if (recipients.isEmpty()) {
      throw noRecipients();
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      String date = new MailDateFormat().format(Date.from(server.now()));
      out.write(("Date: " + date + "\r\n").getBytes(StandardCharsets.US_ASCII));
      m.writeTo(out, new String[] {"Bcc", "Date"});
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (MessagingException e) {
      throw new IllegalStateException("cannot write draft " + id, e);
    }
    checkSubmission(ctx, m, out.size());
    server.tenant().delivery().deliver(ctx.address, recipients, out.toByteArray(), true);
    store().expunge(at);
    modified.remove(id);
    return GraphResponse.empty(202);
  }
}
