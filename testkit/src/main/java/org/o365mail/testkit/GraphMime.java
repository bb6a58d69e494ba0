package org.o365mail.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.activation.DataHandler;
import jakarta.activation.DataSource;
import jakarta.mail.Address;
import jakarta.mail.BodyPart;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.internet.MimePart;
import jakarta.mail.internet.MimeUtility;
import jakarta.mail.util.ByteArrayDataSource;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.io.UnsupportedEncodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import org.o365mail.testkit.internal.Json;

/**
 * MIME for the Graph stand-in, with Jakarta Mail: reads the Graph view of a stored message (addresses, body,
 * preview, attachments with stable ids) and builds MIME from Graph's JSON ({@code sendMail}, drafts, file
 * attachments). Stateless; thread-safe.
 */
final class GraphMime {
  static final Session SESSION = Session.getInstance(new Properties());

  private GraphMime() {}

  /** A message that keeps its {@code Message-ID} through {@code saveChanges} (Jakarta Mail would invent one). */
  static final class Outgoing extends MimeMessage {
    Outgoing() {
      super(SESSION);
    }

    Outgoing(MimeMessage source) throws MessagingException {
      super(source);
    }

    @Override
    protected void updateMessageID() throws MessagingException {
      if (getHeader("Message-ID") == null) {
        setHeader("Message-ID", TestMessages.newMessageId());
      }
    }
  }

  /** A body as Graph reports it: {@code html} or {@code text}, and the content. */
  record Body(String contentType, String content) {}

  /**
   * A MIME part Graph shows as a file attachment.
   *
   * @param path the part's position ({@code 2} or {@code 1.3}); with the message id it makes the attachment id
   */
  record Attachment(String path, Part part, String name, String contentType, boolean inline, String contentId) {}

  // ----------------------------------------------------------------------------------------------
  // reading

  /** The first value of a header, unfolded and decoded, or empty. */
  static Optional<String> header(MimeMessage m, String name) {
    try {
      String value = m.getHeader(name, null);
      if (value == null) {
        return Optional.empty();
      }
      return Optional.of(decodeText(MimeUtility.unfold(value)).trim());
    } catch (MessagingException e) {
      return Optional.empty();
    }
  }

  private static String decodeText(String s) {
    try {
      return MimeUtility.decodeText(s);
    } catch (UnsupportedEncodingException e) {
      return s;
    }
  }

  /** The addresses of a header as Graph recipients ({@code [{"emailAddress":{"name","address"}}]}). */
  static ArrayNode recipients(MimeMessage m, String headerName) {
    ArrayNode result = Json.array();
    for (InternetAddress a : addresses(m, headerName)) {
      result.add(recipient(a));
    }
    return result;
  }

  /** The first address of a header as a Graph recipient, or null. */
  static ObjectNode firstRecipient(MimeMessage m, String headerName) {
    List<InternetAddress> list = addresses(m, headerName);
    return list.isEmpty() ? null : recipient(list.get(0));
  }

  static ObjectNode recipient(InternetAddress a) {
    ObjectNode emailAddress = Json.object();
    String address = a.getAddress() == null ? "" : a.getAddress();
    emailAddress.put("name", a.getPersonal() == null || a.getPersonal().isBlank() ? address : a.getPersonal());
    emailAddress.put("address", address);
    ObjectNode r = Json.object();
    r.set("emailAddress", emailAddress);
    return r;
  }

  static List<InternetAddress> addresses(MimeMessage m, String headerName) {
    List<InternetAddress> result = new ArrayList<>();
    try {
      String[] values = m.getHeader(headerName);
      if (values == null) {
        return result;
      }
      for (String value : values) {
        try {
          for (InternetAddress a : InternetAddress.parseHeader(MimeUtility.unfold(value), false)) {
            if (a.getAddress() != null && !a.getAddress().isBlank()) {
              result.add(a);
            }
          }
        } catch (AddressException e) {
          // an address Graph could not parse is left out, as Exchange does
        }
      }
    } catch (MessagingException e) {
      // no such header
    }
    return result;
  }

  /** Envelope recipients of a message: the addresses of To, Cc and Bcc, each once. */
  static List<String> envelopeRecipients(MimeMessage m) {
    Set<String> result = new LinkedHashSet<>();
    for (String h : List.of("To", "Cc", "Bcc")) {
      for (InternetAddress a : addresses(m, h)) {
        result.add(a.getAddress().toLowerCase(Locale.ROOT));
      }
    }
    return List.copyOf(result);
  }

  /** The message body: HTML over plain text, unless {@code preferText}. Missing body: empty text. */
  static Body body(MimeMessage m, boolean preferText) {
    try {
      Body found = findBody(m, preferText);
      return found == null ? new Body("text", "") : found;
    } catch (MessagingException | IOException e) {
      return new Body("text", "");
    }
  }

  private static Body findBody(Part part, boolean preferText) throws MessagingException, IOException {
    if (part.isMimeType("multipart/alternative")) {
      Multipart mp = (Multipart) part.getContent();
      Body html = null;
      Body text = null;
      for (int i = 0; i < mp.getCount(); i++) {
        Body b = findBody(mp.getBodyPart(i), preferText);
        if (b != null && b.contentType().equals("html") && html == null) {
          html = b;
        } else if (b != null && b.contentType().equals("text") && text == null) {
          text = b;
        }
      }
      if (preferText) {
        return text != null ? text : html;
      }
      return html != null ? html : text;
    }
    if (part.isMimeType("multipart/*")) {
      Multipart mp = (Multipart) part.getContent();
      for (int i = 0; i < mp.getCount(); i++) {
        BodyPart child = mp.getBodyPart(i);
        if (isAttachment(child)) {
          continue;
        }
        Body b = findBody(child, preferText);
        if (b != null) {
          return b;
        }
      }
      return null;
    }
    if (isAttachment(part)) {
      return null;
    }
    if (part.isMimeType("text/html")) {
      return new Body("html", text(part));
    }
    if (part.isMimeType("text/plain") || part.isMimeType("text/*")) {
      return new Body("text", text(part));
    }
    return null;
  }

  private static String text(Part part) throws MessagingException, IOException {
    try {
      Object content = part.getContent();
      if (content instanceof String s) {
        return s;
      }
    } catch (UnsupportedEncodingException e) {
      // an unknown charset: read the bytes as UTF-8 below
    }
    try (InputStream in = part.getInputStream()) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** Graph's {@code bodyPreview}: the first 255 characters of the body as plain text, whitespace collapsed. */
  static String preview(MimeMessage m) {
    Body b = body(m, true);
    String text = b.contentType().equals("html") ? stripHtml(b.content()) : b.content();
    String collapsed = text.replaceAll("\\s+", " ").trim();
    return collapsed.length() <= 255 ? collapsed : collapsed.substring(0, 255);
  }

  static String stripHtml(String html) {
    String noScripts = html.replaceAll("(?is)<(script|style)[^>]*>.*?</\\1>", " ");
    String text =
        noScripts.replaceAll("(?s)<br\\s*/?>", "\n").replaceAll("(?s)</p>", "\n").replaceAll("(?s)<[^>]*>", "");
    return text.replace("&nbsp;", " ").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"")
        .replace("&#39;", "'").replace("&amp;", "&");
  }

  static String escapeHtml(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  /** A part is an attachment when its disposition says so or it has a file name (and is not a multipart). */
  static boolean isAttachment(Part part) {
    try {
      if (part.isMimeType("multipart/*")) {
        return false;
      }
      return Part.ATTACHMENT.equalsIgnoreCase(part.getDisposition()) || part.getFileName() != null;
    } catch (MessagingException e) {
      return false;
    }
  }

  /** The file attachments of a message, in MIME order. */
  static List<Attachment> attachments(MimeMessage m) {
    List<Attachment> result = new ArrayList<>();
    try {
      if (m.isMimeType("multipart/*")) {
        collect((Multipart) m.getContent(), "", result);
      } else if (isAttachment(m)) {
        result.add(attachment(m, "0"));
      }
    } catch (MessagingException | IOException e) {
      // a structure Jakarta Mail cannot parse has no attachments Graph could show
    }
    return result;
  }

  private static void collect(Multipart mp, String prefix, List<Attachment> into)
      throws MessagingException, IOException {
    for (int i = 0; i < mp.getCount(); i++) {
      BodyPart part = mp.getBodyPart(i);
      String path = prefix + (i + 1);
      if (part.isMimeType("multipart/*")) {
        collect((Multipart) part.getContent(), path + ".", into);
      } else if (isAttachment(part)) {
        into.add(attachment(part, path));
      }
    }
  }

  private static Attachment attachment(Part part, String path) throws MessagingException {
    String name = part.getFileName();
    if (name != null) {
      name = decodeText(name);
    }
    String contentType = "application/octet-stream";
    try {
      contentType = new jakarta.mail.internet.ContentType(part.getContentType()).getBaseType().toLowerCase(Locale.ROOT);
    } catch (MessagingException e) {
      // keep the default
    }
    String contentId = part instanceof MimePart mp ? mp.getContentID() : null;
    if (contentId != null) {
      contentId = contentId.replaceAll("^<|>$", "");
    }
    boolean inline = Part.INLINE.equalsIgnoreCase(part.getDisposition());
    return new Attachment(path, part, name == null ? "attachment" : name, contentType, inline, contentId);
  }

  /** Whether the message has attachments Graph counts ({@code hasAttachments}: inline ones are not). */
  static boolean hasAttachments(MimeMessage m) {
    return attachments(m).stream().anyMatch(a -> !a.inline());
  }

  /** The stable id of an attachment: derived from the message's Graph id and the part's position. */
  static String attachmentId(String messageId, String path) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest((messageId + "/" + path).getBytes(StandardCharsets.UTF_8));
      return "AAMkAGAt" + Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Decoded size of a part in bytes. */
  static long size(Part part) {
    try (InputStream in = part.getInputStream()) {
      return in.transferTo(OutputStream.nullOutputStream());
    } catch (IOException | MessagingException e) {
      return 0;
    }
  }

  /** Writes a part's decoded bytes. */
  static void writeContent(Part part, OutputStream out) throws IOException {
    try (InputStream in = part.getInputStream()) {
      in.transferTo(out);
    } catch (MessagingException e) {
      throw new IOException("cannot decode the attachment: " + e.getMessage(), e);
    }
  }

  static byte[] content(Part part) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      writeContent(part, out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  // ----------------------------------------------------------------------------------------------
  // building

  /** A file attachment from Graph JSON ({@code #microsoft.graph.fileAttachment}). */
  record FileAttachment(String name, String contentType, boolean inline, String contentId, byte[] content) {}

  static FileAttachment fileAttachment(JsonNode a) throws GraphError {
    String type = a.path("@odata.type").asText("");
    if (type.isEmpty()) {
      throw GraphError.badRequest(
          "The attachment has no '@odata.type'; send \"#microsoft.graph.fileAttachment\".");
    }
    if (!type.equalsIgnoreCase("#microsoft.graph.fileAttachment")) {
      throw GraphError.badRequest(
          "The testkit's Graph stand-in supports only #microsoft.graph.fileAttachment, not " + type + ".");
    }
    String name = a.path("name").asText("");
    if (name.isBlank()) {
      throw new GraphError(400, "ErrorInvalidRequest", "The attachment name is required.");
    }
    byte[] content;
    try {
      content = Base64.getDecoder().decode(a.path("contentBytes").asText("").replaceAll("\\s+", ""));
    } catch (IllegalArgumentException e) {
      throw GraphError.badRequest("The contentBytes of attachment '" + name + "' is not valid base64.");
    }
    String contentType = a.path("contentType").asText("");
    return new FileAttachment(
        name,
        contentType.isBlank() ? "application/octet-stream" : contentType,
        a.path("isInline").asBoolean(false),
        a.path("contentId").asText(null),
        content);
  }

  /**
   * Builds the MIME of a Graph message JSON ({@code sendMail}'s {@code message}, a new draft). From is the
   * mailbox; {@code Bcc} stays in the MIME (leave it out when writing for recipients).
   */
  static MimeMessage fromJson(JsonNode json, Mailbox from, Instant now) throws GraphError {
    try {
      Outgoing m = new Outgoing();
      m.setFrom(new InternetAddress(from.address(), from.displayName(), "UTF-8"));
      // another From is the caller's to set; whether it may is decided when the message is sent (Send As)
      JsonNode fromAddress = json.path("from").path("emailAddress");
      String other = fromAddress.path("address").asText("").trim();
      if (!other.isEmpty() && !other.equalsIgnoreCase(from.address())) {
        InternetAddress address;
        try {
          address = new InternetAddress(other, true);
        } catch (AddressException e) {
          throw GraphError.badRequest("The from address '" + other + "' is not a valid email address.");
        }
        address.setPersonal(fromAddress.path("name").asText(null), "UTF-8");
        m.setFrom(address);
      }
      setRecipients(m, Message.RecipientType.TO, json.path("toRecipients"));
      setRecipients(m, Message.RecipientType.CC, json.path("ccRecipients"));
      setRecipients(m, Message.RecipientType.BCC, json.path("bccRecipients"));
      List<InternetAddress> replyTo = parseRecipients(json.path("replyTo"));
      if (!replyTo.isEmpty()) {
        m.setReplyTo(replyTo.toArray(new Address[0]));
      }
      m.setSubject(json.path("subject").asText(""), "UTF-8");
      m.setSentDate(Date.from(now));
      String importance = json.path("importance").asText("normal").toLowerCase(Locale.ROOT);
      if (importance.equals("high") || importance.equals("low")) {
        m.setHeader("Importance", importance.equals("high") ? "High" : "Low");
      }
      for (JsonNode h : json.path("internetMessageHeaders")) {
        String name = h.path("name").asText("");
        if (!name.regionMatches(true, 0, "x-", 0, 2)) {
          throw GraphError.badRequest(
              "The internet message header name '" + name + "' should start with 'x-' or 'X-'.");
        }
        m.addHeader(name, MimeUtility.encodeText(h.path("value").asText(""), "UTF-8", null));
      }
      List<FileAttachment> attachments = new ArrayList<>();
      for (JsonNode a : json.path("attachments")) {
        attachments.add(fileAttachment(a));
      }
      JsonNode body = json.path("body");
      boolean html = body.path("contentType").asText("text").equalsIgnoreCase("html");
      String content = body.path("content").asText("");
      if (attachments.isEmpty()) {
        setBody(m, html, content);
      } else {
        MimeMultipart mixed = new MimeMultipart("mixed");
        MimeBodyPart bodyPart = new MimeBodyPart();
        setBody(bodyPart, html, content);
        mixed.addBodyPart(bodyPart);
        for (FileAttachment a : attachments) {
          mixed.addBodyPart(
              attachmentPart(a.name(), a.contentType(), a.inline(), a.contentId(),
                  new ByteArrayDataSource(a.content(), a.contentType())));
        }
        m.setContent(mixed);
      }
      m.saveChanges();
      return m;
    } catch (MessagingException | UnsupportedEncodingException e) {
      throw GraphError.badRequest("The message cannot be written as MIME: " + e.getMessage());
    }
  }

  private static void setBody(MimePart part, boolean html, String content) throws MessagingException {
    if (html) {
      part.setContent(content, "text/html; charset=UTF-8");
    } else {
      part.setText(content, "UTF-8");
    }
  }

  private static void setRecipients(MimeMessage m, Message.RecipientType type, JsonNode list)
      throws GraphError, MessagingException {
    List<InternetAddress> addresses = parseRecipients(list);
    if (!addresses.isEmpty()) {
      m.setRecipients(type, addresses.toArray(new Address[0]));
    }
  }

  private static List<InternetAddress> parseRecipients(JsonNode list) throws GraphError {
    List<InternetAddress> result = new ArrayList<>();
    for (JsonNode r : list) {
      String address = r.path("emailAddress").path("address").asText("").trim();
      String name = r.path("emailAddress").path("name").asText("");
      try {
        InternetAddress a = new InternetAddress(address, true);
        if (!name.isBlank()) {
          a.setPersonal(name, "UTF-8");
        }
        result.add(a);
      } catch (AddressException | UnsupportedEncodingException e) {
        throw new GraphError(
            400, "ErrorInvalidRecipients", "At least one recipient is not valid., Recipient '" + address
                + "' is not resolved. All recipients must be resolved before a message can be submitted.");
      }
    }
    return result;
  }

  static MimeBodyPart attachmentPart(
      String name, String contentType, boolean inline, String contentId, DataSource data) throws MessagingException {
    MimeBodyPart part = new MimeBodyPart();
    part.setDataHandler(new DataHandler(data));
    part.setFileName(name);
    part.setDisposition(inline ? Part.INLINE : Part.ATTACHMENT);
    part.setHeader("Content-Type", contentType + "; name=\"" + name.replace("\"", "") + "\"");
    if (contentId != null && !contentId.isBlank()) {
      part.setContentID("<" + contentId.replaceAll("^<|>$", "") + ">");
    }
    part.setHeader("Content-Transfer-Encoding", "base64");
    return part;
  }

  /**
   * A copy of {@code original} with one more attachment at the end of its top-level multipart/mixed (a
   * single-part message becomes multipart/mixed with its old content first). Existing parts keep their
   * positions, so their attachment ids stay the same. Headers, Message-ID included, are kept.
   */
  static MimeMessage withAttachment(MimeMessage original, MimeBodyPart attachment) throws MessagingException {
    try {
      Outgoing copy = new Outgoing(original);
      MimeMultipart mixed;
      if (copy.isMimeType("multipart/mixed")) {
        mixed = (MimeMultipart) copy.getContent();
      } else {
        MimeBodyPart first = new MimeBodyPart();
        first.setDataHandler(copy.getDataHandler());
        first.setHeader("Content-Type", copy.getContentType());
        String encoding = copy.getEncoding();
        if (encoding != null) {
          first.setHeader("Content-Transfer-Encoding", encoding);
        }
        mixed = new MimeMultipart("mixed");
        mixed.addBodyPart(first);
      }
      mixed.addBodyPart(attachment);
      copy.setContent(mixed);
      copy.saveChanges();
      return copy;
    } catch (IOException e) {
      throw new MessagingException("cannot read the message content", e);
    }
  }

  /**
   * Serialises a built message through a temporary file and parses it back, so the stored message holds its
   * bytes (and no reference to the files or sources it was built from).
   */
  static MimeMessage materialize(MimeMessage built) {
    Path file = null;
    try {
      file = Files.createTempFile("testkit-graph-", ".eml");
      try (OutputStream out = Files.newOutputStream(file)) {
        built.writeTo(out);
      }
      try (InputStream in = Files.newInputStream(file)) {
        return MailStore.parse(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (MessagingException e) {
      throw new IllegalStateException("cannot write the message: " + e.getMessage(), e);
    } finally {
      if (file != null) {
        try {
          Files.deleteIfExists(file);
        } catch (IOException e) {
          // a temp file left behind is removed with the temp directory
        }
      }
    }
  }

  /** The message as RFC 822 bytes, leaving out the given headers (Bcc for recipients). */
  static byte[] bytes(MimeMessage m, String... leaveOut) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      m.writeTo(out, leaveOut);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (MessagingException e) {
      throw new IllegalStateException("cannot write the message: " + e.getMessage(), e);
    }
    return out.toByteArray();
  }
}
