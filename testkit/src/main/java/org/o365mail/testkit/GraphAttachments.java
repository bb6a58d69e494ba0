package org.o365mail.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.icegreen.greenmail.store.StoredMessage;
import jakarta.activation.DataSource;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.util.ByteArrayDataSource;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.o365mail.testkit.GraphServer.Access;
import org.o365mail.testkit.GraphServer.Route;
import org.o365mail.testkit.MailStore.Location;
import org.o365mail.testkit.internal.Json;

/**
 * Attachments of the Graph stand-in: list, get (with {@code contentBytes}), {@code $value}, add a file attachment
 * under 3 MB, and upload sessions for larger ones. An upload URL is pre-authenticated by a random token in its
 * query and takes sequential {@code PUT}s of at most 4 MiB with {@code Content-Range}; the bytes go to a temporary
 * file and the draft's MIME is rebuilt once, when the last range arrives. Sessions expire after {@link
 * #SESSION_LIFETIME} on the tenant clock. Thread-safe.
 */
final class GraphAttachments implements AutoCloseable {
  /** Largest attachment {@code POST .../attachments} takes; bigger ones need an upload session. */
  static final int MAX_DIRECT = 3 * 1024 * 1024;
  /** Largest fragment one upload {@code PUT} may carry. */
  static final int MAX_FRAGMENT = 4 * 1024 * 1024;
  /** Largest attachment an upload session takes (Outlook: 150 MB). */
  static final long MAX_UPLOAD = 150L * 1024 * 1024;
  static final Duration SESSION_LIFETIME = Duration.ofHours(6);
  private static final Pattern CONTENT_RANGE = Pattern.compile("bytes\\s+(\\d+)-(\\d+)/(\\d+)");

  private final GraphServer server;
  private final Map<String, UploadSession> sessions = new ConcurrentHashMap<>();
  private final Object rebuildLock = new Object();

  /** One upload session: where its bytes go and how far they got. Guarded by itself. */
  private static final class UploadSession {
    final String id;
    final String authToken;
    final String mailbox;
    final String appId;
    final String messageId;
    final String name;
    final String contentType;
    final boolean inline;
    final String contentId;
    final long size;
    final Path file;
    final Instant expiresAt;
    long received;

    UploadSession(
        String id, String authToken, String mailbox, String appId, String messageId, String name, String contentType,
        boolean inline, String contentId, long size, Path file, Instant expiresAt) {
      this.id = id;
      this.authToken = authToken;
      this.mailbox = mailbox;
      this.appId = appId;
      this.messageId = messageId;
      this.name = name;
      this.contentType = contentType;
      this.inline = inline;
      this.contentId = contentId;
      this.size = size;
      this.file = file;
      this.expiresAt = expiresAt;
    }
  }

  GraphAttachments(GraphServer server) {
    this.server = server;
  }

  // ----------------------------------------------------------------------------------------------
  // routing

  /** Routes {@code .../messages/{id}/attachments[...]}. */
  Route route(GraphContext ctx, String messageId, List<String> t) throws GraphError {
    String method = ctx.request.method;
    if (t.isEmpty()) {
      GraphMessages.requireMethod(ctx, "GET", "POST");
      return method.equals("GET")
          ? new Route(Access.READ, () -> list(ctx, messageId))
          : new Route(Access.WRITE, () -> add(ctx, messageId));
    }
    String head = t.get(0);
    if (head.equals("createUploadSession") && t.size() == 1) {
      GraphMessages.requireMethod(ctx, "POST");
      return new Route(Access.WRITE, () -> createSession(ctx, messageId));
    }
    if (t.size() == 1) {
      GraphMessages.requireMethod(ctx, "GET");
      return new Route(Access.READ, () -> get(ctx, messageId, head));
    }
    if (t.size() == 2 && t.get(1).equals("$value")) {
      GraphMessages.requireMethod(ctx, "GET");
      return new Route(Access.READ, () -> value(ctx, messageId, head));
    }
    throw GraphError.noResource(t.get(t.size() - 1));
  }

  // ----------------------------------------------------------------------------------------------
  // reading

  private StoredMessage message(GraphContext ctx, String messageId) throws GraphError {
    return GraphMessages.message(server.messages().locate(ctx, messageId));
  }

  private ObjectNode json(String messageId, GraphMime.Attachment a, Instant modified, boolean withContent) {
    ObjectNode o = Json.object();
    o.put("@odata.type", "#microsoft.graph.fileAttachment");
    o.put("@odata.mediaContentType", a.contentType());
    o.put("id", GraphMime.attachmentId(messageId, a.path()));
    o.put("lastModifiedDateTime", GraphServer.format(modified));
    o.put("name", a.name());
    o.put("contentType", a.contentType());
    o.put("size", GraphMime.size(a.part()));
    o.put("isInline", a.inline());
    if (a.contentId() != null) {
      o.put("contentId", a.contentId());
    } else {
      o.putNull("contentId");
    }
    if (withContent) {
      o.put("contentBytes", Base64.getEncoder().encodeToString(GraphMime.content(a.part())));
    }
    return o;
  }

  private GraphResponse list(GraphContext ctx, String messageId) throws GraphError {
    StoredMessage sm = message(ctx, messageId);
    Instant modified = sm.getReceivedDate().toInstant();
    ObjectNode body = Json.object();
    body.put("@odata.context",
        ctx.base() + "/$metadata#users('" + ctx.address + "')/messages('" + messageId + "')/attachments");
    var value = body.putArray("value");
    for (GraphMime.Attachment a : GraphMime.attachments(sm.getMimeMessage())) {
      value.add(json(messageId, a, modified, false));
    }
    return GraphResponse.json(200, body);
  }

  private GraphMime.Attachment find(StoredMessage sm, String messageId, String attachmentId) throws GraphError {
    for (GraphMime.Attachment a : GraphMime.attachments(sm.getMimeMessage())) {
      if (GraphMime.attachmentId(messageId, a.path()).equals(attachmentId)) {
        return a;
      }
    }
    throw GraphError.itemNotFound();
  }

  private GraphResponse get(GraphContext ctx, String messageId, String attachmentId) throws GraphError {
    StoredMessage sm = message(ctx, messageId);
    GraphMime.Attachment a = find(sm, messageId, attachmentId);
    ObjectNode body = Json.object();
    body.put("@odata.context",
        ctx.base() + "/$metadata#users('" + ctx.address + "')/messages('" + messageId + "')/attachments/$entity");
    body.setAll(json(messageId, a, sm.getReceivedDate().toInstant(), true));
    return GraphResponse.json(200, body);
  }

  private GraphResponse value(GraphContext ctx, String messageId, String attachmentId) throws GraphError {
    StoredMessage sm = message(ctx, messageId);
    GraphMime.Attachment a = find(sm, messageId, attachmentId);
    return GraphResponse.stream(200, a.contentType(), out -> GraphMime.writeContent(a.part(), out));
  }

  // ----------------------------------------------------------------------------------------------
  // adding

  private GraphResponse add(GraphContext ctx, String messageId) throws GraphError {
    JsonNode json = ctx.request.json();
    GraphMime.FileAttachment attachment = GraphMime.fileAttachment(json);
    if (attachment.content().length >= MAX_DIRECT) {
      throw GraphError.tooLarge(
          "The attachment '" + attachment.name() + "' is " + attachment.content().length + " bytes; attachments of 3 MB"
              + " or more need an upload session (attachments/createUploadSession).");
    }
    DataSource data = new ByteArrayDataSource(attachment.content(), attachment.contentType());
    Instant now = server.now();
    GraphMime.Attachment added =
        attach(ctx.address, messageId, attachment.name(), attachment.contentType(), attachment.inline(),
            attachment.contentId(), data);
    ObjectNode body = Json.object();
    body.put("@odata.context",
        ctx.base() + "/$metadata#users('" + ctx.address + "')/messages('" + messageId + "')/attachments/$entity");
    body.setAll(json(messageId, added, now, true));
    return GraphResponse.json(201, body);
  }

  /** Rebuilds a message's MIME with one more attachment, keeping its id; returns the new attachment. */
  private GraphMime.Attachment attach(
      String mailbox, String messageId, String name, String contentType, boolean inline, String contentId,
      DataSource data) throws GraphError {
    synchronized (rebuildLock) {
      Location at = server.store().locate(mailbox, messageId).orElseThrow(GraphError::itemNotFound);
      MimeMessage original = GraphMessages.message(at).getMimeMessage();
      MimeMessage rebuilt;
      try {
        MimeBodyPart part = GraphMime.attachmentPart(name, contentType, inline, contentId, data);
        rebuilt = GraphMime.materialize(GraphMime.withAttachment(original, part));
      } catch (MessagingException e) {
        throw new IllegalStateException("cannot add an attachment to message " + messageId, e);
      }
      if (GraphMime.bytes(rebuilt).length > server.tenant().mailbox(mailbox).maxSendSize()) {
        // the draft would be larger than its mailbox may send: refused as it grows, when the attachment is added
        // or an upload session's last range arrives (motze92/office365-mail#39, microsoft-graph-docs-contrib#2561)
        throw GraphSending.messageSizeExceeded();
      }
      server.store().replace(at, rebuilt);
      List<GraphMime.Attachment> attachments = GraphMime.attachments(rebuilt);
      return attachments.get(attachments.size() - 1);
    }
  }

  // ----------------------------------------------------------------------------------------------
  // upload sessions

  private GraphResponse createSession(GraphContext ctx, String messageId) throws GraphError {
    JsonNode item = GraphMessages.parameter(ctx.request.json(), "AttachmentItem");
    if (!item.isObject()) {
      throw new GraphError(400, "ErrorInvalidRequest", "The AttachmentItem of the upload session is required.");
    }
    String type = item.path("attachmentType").asText("file");
    if (!type.equalsIgnoreCase("file")) {
      throw GraphError.badRequest(
          "The testkit's Graph stand-in takes upload sessions for file attachments only, not '" + type + "'.");
    }
    String name = item.path("name").asText("").trim();
    if (name.isEmpty()) {
      throw new GraphError(400, "ErrorInvalidRequest", "The AttachmentItem name is required.");
    }
    long size = item.path("size").asLong(-1);
    if (size <= 0 || size > MAX_UPLOAD) {
      String code =
          size <= 0
              ? "ErrorAttachmentSizeShouldNotBeLessThanMinimumSize"
              : "ErrorAttachmentSizeShouldNotBeGreaterThanMaximumSize";
      throw new GraphError(
          400, code, "The AttachmentItem size must be between 1 and " + MAX_UPLOAD + " bytes, was " + size + ".");
    }
    server.messages().locate(ctx, messageId);
    String contentType = item.path("contentType").asText("");
    Path file;
    try {
      file = Files.createTempFile("testkit-upload-", ".bin");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Instant expires = server.now().plus(SESSION_LIFETIME);
    UploadSession session =
        new UploadSession(
            Application.randomToken(24), Application.randomToken(32), ctx.address, ctx.caller.appId(), messageId, name,
            contentType.isBlank() ? "application/octet-stream" : contentType, item.path("isInline").asBoolean(false),
            item.path("contentId").asText(null), size, file, expires);
    sessions.put(session.id, session);
    ObjectNode body = Json.object();
    body.put("@odata.context", ctx.base() + "/$metadata#microsoft.graph.uploadSession");
    body.put("uploadUrl", ctx.request.origin + "/api/v2.0/attachmentSessions/" + session.id + "?authtoken="
        + session.authToken);
    body.put("expirationDateTime", GraphServer.format(expires));
    body.putArray("nextExpectedRanges").add("0-");
    return GraphResponse.json(201, body);
  }

  /**
   * A request to an upload URL. Pre-authenticated: the token in the query decides, an {@code Authorization}
   * header is ignored. It still counts against the app's concurrency on the mailbox.
   */
  GraphResponse upload(GraphRequest req, String sessionId) throws GraphError {
    UploadSession session = sessions.get(sessionId);
    if (session == null) {
      throw new GraphError(404, "ErrorItemNotFound", "The upload session was not found; it has completed or expired.");
    }
    byte[] expected = session.authToken.getBytes(StandardCharsets.US_ASCII);
    byte[] given = req.query.getOrDefault("authtoken", "").getBytes(StandardCharsets.US_ASCII);
    if (!MessageDigest.isEqual(expected, given)) {
      throw new GraphError(401, "InvalidAuthenticationToken", "Access token validation failure.");
    }
    req.mailbox = session.mailbox;
    req.appId = session.appId;
    if (!server.now().isBefore(session.expiresAt)) {
      discard(session);
      throw new GraphError(404, "ErrorItemNotFound", "The upload session was not found; it has completed or expired.");
    }
    if (req.method.equals("DELETE")) {
      discard(session);
      return GraphResponse.empty(204);
    }
    if (!req.method.equals("PUT")) {
      throw GraphError.methodNotAllowed();
    }
    return server.execute(req, session.appId, session.mailbox, () -> put(req, session));
  }

  private GraphResponse put(GraphRequest req, UploadSession session) throws GraphError {
    synchronized (session) {
      Matcher m = CONTENT_RANGE.matcher(req.header("Content-Range").orElse("").trim());
      if (!m.matches()) {
        req.drain();
        throw GraphError.badRequest(
            "The Content-Range header is missing or malformed; expected 'bytes start-end/total'.");
      }
      long start = Long.parseLong(m.group(1));
      long end = Long.parseLong(m.group(2));
      long total = Long.parseLong(m.group(3));
      if (total != session.size) {
        req.drain();
        throw GraphError.badRequest(
            "The Content-Range total " + total + " does not match the upload session's size " + session.size + ".");
      }
      if (end < start || end >= total) {
        req.drain();
        throw GraphError.badRequest("The Content-Range 'bytes " + start + "-" + end + "/" + total + "' is not valid.");
      }
      long length = end - start + 1;
      if (length > MAX_FRAGMENT) {
        req.drain();
        throw GraphError.tooLarge(
            "A fragment may be at most " + MAX_FRAGMENT + " bytes (4 MiB); this one has " + length + " bytes.");
      }
      if (start != session.received) {
        req.drain();
        ObjectNode extra = Json.object();
        extra.putArray("nextExpectedRanges").add(session.received + "-");
        throw new GraphError(416, "InvalidRange",
            "The fragment starts at byte " + start + " but the next expected byte is " + session.received + ".", extra);
      }
      long written = write(req.bodyStream(), session.file, start, length);
      if (written != length) {
        throw GraphError.badRequest(
            "The request body has " + written + " bytes but its Content-Range announces " + length + ".");
      }
      session.received = end + 1;
      if (session.received < session.size) {
        ObjectNode body = Json.object();
        body.put("@odata.context", req.origin + "/v1.0/$metadata#microsoft.graph.uploadSession");
        body.put("expirationDateTime", GraphServer.format(session.expiresAt));
        body.putArray("nextExpectedRanges").add(session.received + "-");
        return GraphResponse.json(200, body);
      }
      try {
        GraphMime.Attachment added =
            attach(session.mailbox, session.messageId, session.name, session.contentType, session.inline,
                session.contentId, new FileSource(session.file, session.contentType, session.name));
        String location =
            req.origin + "/v1.0/users/" + URLEncoder.encode(session.mailbox, StandardCharsets.UTF_8) + "/messages/"
                + session.messageId + "/attachments/" + GraphMime.attachmentId(session.messageId, added.path());
        return GraphResponse.empty(201).header("Location", location);
      } finally {
        discard(session);
      }
    }
  }

  /** Copies exactly up to {@code length + 1} bytes of the body into the file at {@code position}; returns the count. */
  private static long write(InputStream in, Path file, long position, long length) {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
      byte[] buffer = new byte[65536];
      long total = 0;
      long at = position;
      int n;
      while ((n = in.read(buffer)) > 0) {
        total += n;
        if (total > length) {
          in.transferTo(OutputStream.nullOutputStream());
          return total;
        }
        ByteBuffer b = ByteBuffer.wrap(buffer, 0, n);
        while (b.hasRemaining()) {
          at += channel.write(b, at);
        }
      }
      return total;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void discard(UploadSession session) {
    sessions.remove(session.id);
    try {
      Files.deleteIfExists(session.file);
    } catch (IOException e) {
      // a temp file left behind is removed with the temp directory
    }
  }

  @Override
  public void close() {
    for (UploadSession s : List.copyOf(sessions.values())) {
      discard(s);
    }
  }

  /** An uploaded file as an attachment's content, with the content type the session announced. */
  private static final class FileSource implements DataSource {
    private final Path file;
    private final String contentType;
    private final String name;

    FileSource(Path file, String contentType, String name) {
      this.file = file;
      this.contentType = contentType;
      this.name = name;
    }

    @Override
    public InputStream getInputStream() throws IOException {
      return Files.newInputStream(file);
    }

    @Override
    public OutputStream getOutputStream() throws IOException {
      throw new IOException("read-only");
    }

    @Override
    public String getContentType() {
      return contentType;
    }

    @Override
    public String getName() {
      return name;
    }
  }
}
