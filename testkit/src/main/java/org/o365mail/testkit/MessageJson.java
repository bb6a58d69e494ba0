package org.o365mail.testkit;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.icegreen.greenmail.store.MailFolder;
import com.icegreen.greenmail.store.StoredMessage;
import jakarta.mail.Flags;
import jakarta.mail.Header;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.o365mail.testkit.internal.Json;

/**
 * Renders stored messages as Graph's message JSON: {@code @odata.etag}, {@code id}, then the selected properties in
 * Graph's order (body, recipients, headers, flags, change key and last-modified time, conversation id), and the size
 * as a single-value extended property when {@code $expand} asks for it. Keeps when each message last changed, for
 * {@code lastModifiedDateTime}. Thread-safe: that record is a concurrent map.
 */
final class MessageJson {
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

  private final GraphServer server;
  private final Map<String, Modified> modified = new ConcurrentHashMap<>();

  private record Modified(String changeKey, Instant at) {}

  MessageJson(GraphServer server) {
    this.server = server;
  }

  /** The Graph JSON of a stored message: {@code @odata.etag}, {@code id}, then the selected properties. */
  ObjectNode render(GraphContext ctx, MailFolder folder, StoredMessage sm, List<String> select, boolean withType) {
    String id = server.store().idOf(ctx.address, folder, sm.getUid());
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
        case "parentFolderId" -> o.put(p, server.store().folderId(ctx.address, folder));
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

  /** Forgets when a message last changed: it was deleted or moved away under this id. */
  void forget(String id) {
    modified.remove(id);
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
}
