package org.o365mail.testkit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.o365mail.testkit.internal.HttpExchange;
import org.o365mail.testkit.internal.HttpService;
import org.o365mail.testkit.internal.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Microsoft Graph stand-in: the mail endpoints under {@code /v1.0} over HTTPS, on the mailbox store IMAP
 * and SMTP use. Every request is checked the way Graph and Exchange Online check it (token signature,
 * audience, lifetime, tenant, roles or scopes, mailbox permissions, application access policies), throttled
 * per app and mailbox the way Exchange is ({@link Faults#mailboxConcurrencyLimit()}, {@link
 * Faults#graphRequestWindow(int, Duration)}, {@link Faults#graphUploadWindow(long, Duration)}), and recorded. The
 * endpoints live in {@link GraphMessages} (folders, messages, sending), {@link GraphAttachments} (attachments
 * and upload sessions), {@link GraphDelta}, {@link GraphBatch} and {@link GraphDirectory} ({@code /users/{id}},
 * {@code /applications}). Thread-safe.
 */
final class GraphServer implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(GraphServer.class);
  private static final String GRAPH_APP_ID = ApiResource.MICROSOFT_GRAPH.appId();

  private final LocalTenant tenant;
  private final Directory directory;
  private final HttpService http;
  private final GraphThrottle throttle = new GraphThrottle();
  private final Map<String, List<StoredMail>> recoverableItems = new ConcurrentHashMap<>();
  private final GraphMessages messages;
  private final GraphAttachments attachments;
  private final GraphDelta delta;
  private final GraphBatch batch;
  private final GraphDirectory directoryApi;

  /** Who calls: the verified token, its tenant, and for a delegated token the signed-in user. */
  record Caller(VerifiedToken token, Tenant tenant, Optional<User> user) {
    boolean appOnly() {
      return token.appOnly();
    }

    String appId() {
      return token.appId();
    }
  }

  /** What a mailbox request needs of the token. */
  enum Access {
    /** Summaries: folders, message properties without body ({@code Mail.ReadBasic} is enough). */
    READ_BASIC,
    /** Bodies, MIME, attachments ({@code Mail.Read}). */
    READ,
    /** Changes ({@code Mail.ReadWrite}). */
    WRITE,
    /** Sending ({@code Mail.Send}). */
    SEND
  }

  /** A request's handler, run once the caller is authorised and holds a throttle slot. */
  @FunctionalInterface
  interface Handler {
    GraphResponse run() throws GraphError;
  }

  /** A routed mailbox request: what it needs and what it does. */
  record Route(Access access, Handler handler) {}

  GraphServer(LocalTenant tenant, int port) {
    this.tenant = tenant;
    this.directory = tenant.directory();
    this.messages = new GraphMessages(this);
    this.attachments = new GraphAttachments(this);
    this.delta = new GraphDelta(this);
    this.batch = new GraphBatch(this);
    this.directoryApi = new GraphDirectory(this);
    this.http = new HttpService("graph", tenant.serverTls(), port, this::handle);
    http.start();
  }

  int port() {
    return http.port();
  }

  @Override
  public void close() {
    http.close();
    attachments.close();
  }

  // ----- for the other Graph classes and LocalTenant -----

  LocalTenant tenant() {
    return tenant;
  }

  Directory directory() {
    return directory;
  }

  MailStore store() {
    return tenant.mailStore();
  }

  Instant now() {
    return directory.clock().instant();
  }

  GraphMessages messages() {
    return messages;
  }

  GraphAttachments attachments() {
    return attachments;
  }

  GraphDelta delta() {
    return delta;
  }

  int peakConcurrency(String mailbox) {
    return throttle.peak(MailStore.key(mailbox));
  }

  long concurrencyRejections() {
    return throttle.rejections();
  }

  void addRecoverable(String mailbox, StoredMail mail) {
    recoverableItems.computeIfAbsent(MailStore.key(mailbox), k -> new CopyOnWriteArrayList<>()).add(mail);
  }

  List<StoredMail> recoverableItems(String mailbox) {
    return List.copyOf(recoverableItems.getOrDefault(MailStore.key(mailbox), List.of()));
  }

  // ----------------------------------------------------------------------------------------------
  // the socket

  private void handle(HttpExchange ex) {
    GraphRequest request = GraphRequest.of(ex, http.port());
    GraphResponse response = dispatch(request);
    try {
      request.drain();
      response.headers.forEach(ex::setHeader);
      // the slot goes back before the answer's last byte leaves: a client that has the whole answer may send its
      // next request at once, and must not find this one still counted
      if (response.json != null) {
        ex.beforeResponse(status -> response.done());
        ex.sendJson(response.status, response.json);
      } else if (response.writer != null) {
        ex.stream(response.status, response.contentType, out -> {
          response.writer.writeTo(directory.faults().shapeGraphBody(out));
          response.done();
        });
      } else {
        ex.beforeResponse(status -> response.done());
        ex.sendEmpty(response.status);
      }
    } finally {
      response.done();
    }
  }

  /**
   * Answers one request, from the socket or a {@code $batch}: routes, authenticates, authorises, throttles, runs
   * the handler, turns failures into Graph error bodies, adds {@code request-id}/{@code client-request-id} and
   * records it. Never throws.
   */
  GraphResponse dispatch(GraphRequest request) {
    String requestId = UUID.randomUUID().toString();
    String clientRequestId = request.header("client-request-id").orElse(requestId);
    GraphResponse response;
    String errorCode = "";
    try {
      response = route(request);
    } catch (GraphError e) {
      response = error(e, requestId, clientRequestId);
      errorCode = e.code;
    } catch (RuntimeException e) {
      logger.warn("graph: {} {} failed", request.method, request.rawPath, e);
      GraphError failure =
          new GraphError(
              500, "InternalServerError", "The testkit's Graph stand-in failed: " + e.getClass().getSimpleName());
      response = error(failure, requestId, clientRequestId);
      errorCode = failure.code;
    }
    response.header("request-id", requestId).header("client-request-id", clientRequestId);
    tenant.record(
        new RecordedRequest(
            "graph", request.method, request.rawPath,
            Map.of("mailbox", request.mailbox, "appid", request.appId, "batchItem", Boolean.toString(request.batchItem),
                "connection", request.connection),
            response.status, errorCode, now()));
    return response;
  }

  private GraphResponse route(GraphRequest req) throws GraphError {
    List<String> s = req.segments;
    if (s.size() == 4 && s.get(0).equals("api") && s.get(1).equals("v2.0") && s.get(2).equals("attachmentSessions")) {
      return attachments.upload(req, s.get(3));
    }
    if (s.isEmpty() || !s.get(0).equals("v1.0")) {
      throw GraphError.badRequest("Invalid version: " + (s.isEmpty() ? "" : s.get(0)));
    }
    Caller caller = authenticate(req);
    req.appId = caller.appId();
    List<String> rest = s.subList(1, s.size());
    if (rest.isEmpty()) {
      throw GraphError.noResource("v1.0");
    }
    String first = rest.get(0);
    if (first.equals("$batch") && rest.size() == 1) {
      if (req.batchItem) {
        throw GraphError.badRequest("A $batch request cannot contain another $batch request.");
      }
      if (!req.method.equals("POST")) {
        throw GraphError.methodNotAllowed();
      }
      sleep(directory.faults().graphLatency());
      return batch.handle(req);
    }
    if (first.startsWith("applications")) {
      return execute(req, caller.appId(), null, () -> directoryApi.application(req, caller, rest));
    }
    if (first.equals("servicePrincipals") || first.equals("oauth2PermissionGrants")) {
      return execute(req, caller.appId(), null, () -> directoryApi.servicePrincipals(req, caller, rest));
    }
    Mailbox mailbox;
    List<String> tail;
    if (first.equals("me")) {
      if (caller.appOnly()) {
        throw GraphError.badRequest("/me request is only valid with delegated authentication flow.");
      }
      User me = caller.user().orElseThrow(GraphServer::invalidToken);
      mailbox = me.tenant().findMailbox(me.userPrincipalName()).orElseThrow(GraphServer::mailboxNotEnabled);
      tail = rest.subList(1, rest.size());
    } else if (first.equals("users") && rest.size() == 1 && req.option("$filter").isPresent()) {
      return execute(req, caller.appId(), null, () -> directoryApi.userList(req, caller));
    } else if (first.equals("users") && rest.size() >= 2) {
      if (rest.size() == 2) {
        return execute(req, caller.appId(), null, () -> directoryApi.user(req, caller, rest.get(1)));
      }
      if (rest.size() == 3 && rest.get(2).equalsIgnoreCase("mailboxSettings")) {
        return execute(req, caller.appId(), null, () -> directoryApi.mailboxSettings(req, caller, rest.get(1)));
      }
      mailbox = resolveMailbox(caller, rest.get(1));
      tail = rest.subList(2, rest.size());
    } else {
      throw GraphError.noResource(first);
    }
    req.mailbox = mailbox.address();
    if (tail.isEmpty()) {
      return execute(req, caller.appId(), null, () -> directoryApi.user(req, caller, mailbox.address()));
    }
    GraphContext ctx = new GraphContext(req, caller, mailbox);
    Route route = messages.route(ctx, tail);
    ctx.basicOnly = authorize(caller, mailbox, route.access());
    GraphResponse response = execute(req, caller.appId(), mailbox.address(), route.handler());
    List<String> applied = new ArrayList<>();
    Optional.ofNullable(response.headers.get("Preference-Applied")).ifPresent(applied::add);
    if (ctx.immutableIds) {
      applied.add("IdType=\"ImmutableId\"");
    }
    ctx.preferredBodyType().ifPresent(t -> applied.add("outlook.body-content-type=\"" + t + "\""));
    if (!applied.isEmpty()) {
      response.header("Preference-Applied", String.join(", ", applied));
    }
    return response;
  }

  // ----------------------------------------------------------------------------------------------
  // tokens and permissions

  private Caller authenticate(GraphRequest req) throws GraphError {
    String header = req.header("Authorization").orElse("").trim();
    String token = header;
    if (header.regionMatches(true, 0, "Bearer", 0, 6) && (header.length() == 6 || header.charAt(6) == ' ')) {
      token = header.substring(6).trim();
    }
    if (token.isEmpty()) {
      throw unauthorized("Access token is empty.");
    }
    VerifiedToken verified = tenant.tokens().verify(token).orElseThrow(GraphServer::invalidToken);
    if (!verified.isFor(ApiResource.MICROSOFT_GRAPH)) {
      throw unauthorized("Access token validation failure. Invalid audience.");
    }
    Instant now = now();
    if (verified.expiredAt(now)) {
      throw unauthorized("Lifetime validation failed, the token is expired.");
    }
    if (verified.notBefore().isAfter(now.plus(Duration.ofMinutes(5)))) {
      throw unauthorized("Lifetime validation failed, the token is not yet valid.");
    }
    Tenant tokenTenant = directory.tenant(verified.tenantId()).orElseThrow(GraphServer::invalidToken);
    Optional<User> user = Optional.empty();
    if (!verified.appOnly()) {
      user = tokenTenant.findUserByObjectId(verified.objectId());
      if (user.isEmpty()) {
        throw invalidToken();
      }
    }
    return new Caller(verified, tokenTenant, user);
  }

  private static GraphError invalidToken() {
    return unauthorized("Access token validation failure.");
  }

  private static GraphError unauthorized(String message) {
    return new GraphError(401, "InvalidAuthenticationToken", message)
        .header(
            "WWW-Authenticate",
            "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\","
                + " client_id=\"" + GRAPH_APP_ID + "\"");
  }

  /** The mailbox a {@code /users/{id}} segment names (UPN, address or object id) in the caller's tenant. */
  Mailbox resolveMailbox(Caller caller, String segment) throws GraphError {
    Optional<Mailbox> mailbox = findMailbox(caller.tenant(), segment);
    if (mailbox.isPresent()) {
      return mailbox.get();
    }
    boolean userWithoutMailbox = caller.tenant().findUser(segment.trim()).isPresent()
        || caller.tenant().findUserByObjectId(Tenant.lower(segment)).isPresent();
    if (userWithoutMailbox) {
      throw mailboxNotEnabled();
    }
    if (!caller.appOnly()) {
      // delegated, Exchange answers a mailbox it cannot open for the signed-in user, one that does not exist as one
      // the user may not open, with the store's not-found (https://github.com/O365/python-o365/issues/170,
      // https://github.com/microsoftgraph/msgraph-sdk-powershell/issues/622)
      throw GraphError.itemNotFound();
    }
    // app-only, an address no user or mailbox has (https://github.com/microsoftgraph/microsoft-graph-docs/issues/4097,
    // https://github.com/InnoGE/laravel-msgraph-mail/issues/16)
    throw new GraphError(404, "ErrorInvalidUser", "The requested user '" + segment + "' is invalid.");
  }

  /**
   * A user without a mailbox (no Exchange Online licence): {@code 404 MailboxNotEnabledForRESTAPI}, as in
   * microsoftgraph/msgraph-sdk-javascript#1756, iyear/E5SubBot#39 and O365/python-o365#438 (the status).
   */
  static GraphError mailboxNotEnabled() {
    return new GraphError(404, "MailboxNotEnabledForRESTAPI",
        "The mailbox is either inactive, soft-deleted, or is hosted on-premise.");
  }

  /** The user a {@code /users/{id}} segment names (UPN or object id) in {@code tenant}, mailbox or not. */
  static Optional<User> findUser(Tenant tenant, String segment) {
    String key = segment.trim();
    if (key.isEmpty()) {
      return Optional.empty();
    }
    Optional<User> byUpn = tenant.findUser(key);
    return byUpn.isPresent() ? byUpn : tenant.findUserByObjectId(Tenant.lower(key));
  }

  static Optional<Mailbox> findMailbox(Tenant tenant, String segment) {
    String key = segment.trim();
    if (key.isEmpty()) {
      return Optional.empty();
    }
    Optional<Mailbox> byAddress = tenant.findMailbox(key);
    if (byAddress.isPresent()) {
      return byAddress;
    }
    Optional<User> byId = tenant.findUserByObjectId(Tenant.lower(key));
    if (byId.isPresent()) {
      return tenant.findMailbox(byId.get().userPrincipalName());
    }
    return tenant.mailboxes().stream().filter(m -> objectId(m).equals(Tenant.lower(key))).findFirst();
  }

  /** A mailbox's directory object id: its user's, or a stable one for a shared mailbox. */
  static String objectId(Mailbox mailbox) {
    return mailbox
        .owner()
        .map(User::objectId)
        .orElseGet(
            () -> UUID.nameUUIDFromBytes(("shared-mailbox:" + mailbox.address()).getBytes(StandardCharsets.UTF_8))
                .toString());
  }

  /**
   * Checks the token's permissions for {@code access} on the mailbox, as Exchange does for Graph. Returns
   * whether only summaries may be shown ({@code Mail.ReadBasic}).
   */
  static boolean authorize(Caller caller, Mailbox mailbox, Access access) throws GraphError {
    VerifiedToken token = caller.token();
    if (caller.appOnly()) {
      Set<String> roles = token.roles();
      boolean full = roles.contains("Mail.Read") || roles.contains("Mail.ReadWrite");
      boolean basic = roles.contains("Mail.ReadBasic") || roles.contains("Mail.ReadBasic.All");
      boolean allowed =
          switch (access) {
            case READ_BASIC -> full || basic;
            case READ -> full;
            case WRITE -> roles.contains("Mail.ReadWrite");
            case SEND -> roles.contains("Mail.Send");
          };
      if (!allowed) {
        throw GraphError.accessDenied();
      }
      if (!caller.tenant().applicationAccessAllowed(token.appId(), mailbox.address())) {
        throw new GraphError(403, "ErrorAccessDenied", "Access to OData is disabled.");
      }
      return !full;
    }
    User user = caller.user().orElseThrow(GraphServer::invalidToken);
    Set<String> scopes = token.scopes();
    boolean own = mailbox.owner().map(o -> o.objectId().equals(user.objectId())).orElse(false);
    boolean full;
    boolean basic;
    boolean write;
    boolean send;
    if (own) {
      full = scopes.contains("Mail.Read") || scopes.contains("Mail.ReadWrite")
          || scopes.contains("Mail.Read.Shared") || scopes.contains("Mail.ReadWrite.Shared");
      basic = scopes.contains("Mail.ReadBasic");
      write = scopes.contains("Mail.ReadWrite") || scopes.contains("Mail.ReadWrite.Shared");
      send = scopes.contains("Mail.Send") || scopes.contains("Mail.Send.Shared");
    } else {
      full = scopes.contains("Mail.Read.Shared") || scopes.contains("Mail.ReadWrite.Shared");
      basic = false;
      write = scopes.contains("Mail.ReadWrite.Shared");
      send = scopes.contains("Mail.Send.Shared");
    }
    boolean allowed =
        switch (access) {
          case READ_BASIC -> full || basic;
          case READ -> full;
          case WRITE -> write;
          case SEND -> send;
        };
    if (!allowed || (!own && !mailbox.hasFullAccess(user.objectId()))) {
      throw GraphError.accessDenied();
    }
    return !full;
  }

  // ----------------------------------------------------------------------------------------------
  // throttling and faults

  /**
   * Runs a handler of a request from the socket: like {@link #execute(String, String, Handler)}, with the
   * configured latency (a network round trip) slept while holding the slot; a {@code $batch} item adds no latency
   * of its own, its {@code $batch} request paid it once.
   */
  GraphResponse execute(GraphRequest req, String appId, String mailbox, Handler handler) throws GraphError {
    boolean upload = req.method.equals("POST") || req.method.equals("PUT") || req.method.equals("PATCH");
    return execute(appId, mailbox, handler, !req.batchItem, upload ? Math.max(0, req.declaredLength()) : 0);
  }

  /**
   * Runs a handler as Exchange would: when there is a mailbox, counts the request against the app's request window
   * on it and an upload's bytes against its upload window (over either: 429 with the time until the window frees),
   * then takes a concurrency slot on (app, mailbox) (one over the limit: 429), sleeps the configured latency holding
   * it, draws the random 429/503 faults, then runs. The slot is given back when the response has been written.
   */
  GraphResponse execute(String appId, String mailbox, Handler handler) throws GraphError {
    return execute(appId, mailbox, handler, true, 0);
  }

  private GraphResponse execute(String appId, String mailbox, Handler handler, boolean latency, long uploadBytes)
      throws GraphError {
    if (mailbox == null) {
      return throttledExecute(appId, null, handler, latency, uploadBytes);
    }
    // the mailbox is touched from here until the answer is written (or embedded in its $batch), refused or not
    MailboxAccessLog.Activity activity = tenant.beginMailboxAccess(mailbox, appId);
    GraphResponse response = null;
    try {
      response = throttledExecute(appId, mailbox, handler, latency, uploadBytes);
      return response;
    } finally {
      if (response != null) {
        response.whenDone(activity::end);
      } else {
        activity.end();
      }
    }
  }

  private GraphResponse throttledExecute(
      String appId, String mailbox, Handler handler, boolean latency, long uploadBytes) throws GraphError {
    Faults faults = directory.faults();
    boolean acquired = false;
    if (mailbox != null) {
      long now = now().toEpochMilli();
      String key = MailStore.key(mailbox);
      Optional<Duration> wait =
          throttle.countRequest(appId, key, now, faults.graphRequestWindowRequests(), faults.graphRequestWindow());
      if (wait.isPresent()) {
        throw windowThrottled("Application is over its Request limit.", wait.get());
      }
      wait = throttle.countUpload(
          appId, key, uploadBytes, now, faults.graphUploadWindowBytes(), faults.graphUploadWindow());
      if (wait.isPresent()) {
        throw windowThrottled("Application is over its IncomingBytes limit.", wait.get());
      }
      acquired = throttle.tryAcquire(appId, mailbox, faults.mailboxConcurrencyLimit());
      if (!acquired) {
        throw throttled("Application is over its MailboxConcurrency limit.");
      }
    }
    GraphResponse response = null;
    try {
      if (latency) {
        sleep(faults.graphLatency());
      }
      sleep(faults.graphProcessingTime());
      if (faults.roll(faults.graphThrottleRate())) {
        throw throttled(
            faults.nextInt(2) == 0
                ? "Application is over its MailboxConcurrency limit."
                : "Application is over its IncomingBytes limit.");
      }
      if (faults.roll(faults.graphUnavailableRate())) {
        throw new GraphError(503, "ServiceUnavailable", "The service is temporarily unavailable. Please retry later.")
            .header("Retry-After", retryAfterSeconds());
      }
      response = handler.run();
      return response;
    } finally {
      if (acquired) {
        Runnable release = () -> throttle.release(appId, mailbox);
        if (response != null) {
          response.whenDone(release);
        } else {
          release.run();
        }
      }
    }
  }

  /** A 429 of a request or upload window, its {@code Retry-After} the whole seconds until the window has room. */
  private static GraphError windowThrottled(String message, Duration untilFree) {
    long seconds = Math.max(1, (untilFree.toMillis() + 999) / 1000);
    return new GraphError(429, "ApplicationThrottled", message).header("Retry-After", Long.toString(seconds));
  }

  long windowRejections() {
    return throttle.windowRejections();
  }

  long uploadRejections() {
    return throttle.uploadRejections();
  }

  private GraphError throttled(String message) {
    return new GraphError(429, "ApplicationThrottled", message).header("Retry-After", retryAfterSeconds());
  }

  private String retryAfterSeconds() {
    long millis = directory.faults().graphRetryAfter().toMillis();
    return Long.toString(Math.max(1, (millis + 999) / 1000));
  }

  private static void sleep(Duration d) {
    if (d.isZero()) {
      return;
    }
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while simulating Graph latency", e);
    }
  }

  // ----------------------------------------------------------------------------------------------
  // errors and formats

  private GraphResponse error(GraphError e, String requestId, String clientRequestId) {
    ObjectNode inner = Json.object();
    inner.put("date", LocalDateTime.ofInstant(now().truncatedTo(ChronoUnit.SECONDS), ZoneOffset.UTC).toString());
    inner.put("request-id", requestId);
    inner.put("client-request-id", clientRequestId);
    ObjectNode error = Json.object();
    error.put("code", e.code);
    error.put("message", e.getMessage());
    error.set("innerError", inner);
    ObjectNode body = Json.object();
    body.set("error", error);
    if (e.extra != null) {
      body.setAll(e.extra);
    }
    GraphResponse response = GraphResponse.json(e.status, body);
    e.headers.forEach(response::header);
    return response;
  }

  /** Graph's date-time format: UTC, whole seconds, {@code Z}. */
  static String format(Instant instant) {
    return instant.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  /** The page a list query asks for: {@code $top} (1 to 1000, default {@code def}) and the skip. */
  static int top(GraphRequest req, int def) throws GraphError {
    Optional<String> top = req.option("$top");
    if (top.isEmpty()) {
      return def;
    }
    int n;
    try {
      n = Integer.parseInt(top.get());
    } catch (NumberFormatException e) {
      throw GraphError.badRequest("Invalid value '" + top.get() + "' for query option $top.");
    }
    if (n > 1000) {
      throw GraphError.badRequest(
          "The limit of '1000' for Top query has been exceeded. The value from the incoming request is '" + n + "'.");
    }
    if (n < 1) {
      throw GraphError.badRequest("Invalid value '" + top.get() + "' for query option $top.");
    }
    return n;
  }

  /** The offset a page starts at: {@code $skiptoken} as issued in a nextLink, or {@code $skip}. */
  static int skip(GraphRequest req) throws GraphError {
    Optional<String> token = req.option("$skiptoken");
    String value;
    if (token.isPresent()) {
      String decoded;
      try {
        decoded = new String(Base64.getUrlDecoder().decode(token.get()), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw GraphError.badRequest("The $skiptoken is not valid.");
      }
      if (!decoded.startsWith("skip:")) {
        throw GraphError.badRequest("The $skiptoken is not valid.");
      }
      value = decoded.substring(5);
    } else {
      value = req.option("$skip").orElse("0");
    }
    try {
      int n = Integer.parseInt(value);
      if (n < 0) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw GraphError.badRequest("Invalid value '" + value + "' for query option $skip.");
    }
  }

  /**
   * An absolute link to the same resource with the client's other query options and one more: built from the
   * host the client used, the server port, and the path exactly as the client encoded it ({@code %40}).
   */
  static String link(GraphRequest req, String name, String value) {
    List<String> kept = new ArrayList<>();
    for (String pair : req.rawQuery.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String key = HttpExchange.decode(eq < 0 ? pair : pair.substring(0, eq));
      if (key.equals("$skiptoken") || key.equals("$skip") || key.equals("$deltatoken")) {
        continue;
      }
      kept.add(pair);
    }
    kept.add(name + "=" + value);
    return req.origin + req.rawPath + "?" + String.join("&", kept);
  }

  static String skipToken(int offset) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(("skip:" + offset).getBytes(StandardCharsets.UTF_8));
  }
}
