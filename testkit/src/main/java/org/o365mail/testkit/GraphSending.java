package org.o365mail.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.icegreen.greenmail.store.MailFolder;
import com.icegreen.greenmail.store.StoredMessage;
import jakarta.mail.Address;
import jakarta.mail.Flags;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MailDateFormat;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import org.o365mail.testkit.MailStore.Location;

/**
 * Drafts and sending of the Graph stand-in: {@code POST .../messages} (a draft), {@code .../messages/{id}/send} and
 * {@code sendMail} (JSON or base64 MIME), each checked as Exchange checks a submission (recipients, the mailbox's
 * MaxSendSize, valid MIME) and handed to the tenant's delivery. Thread-safe: no state of its own.
 */
final class GraphSending {
  private final GraphServer server;
  private final GraphMessages messages;

  GraphSending(GraphServer server, GraphMessages messages) {
    this.server = server;
    this.messages = messages;
  }

  GraphResponse createDraft(GraphContext ctx, String folderIdOrName) throws GraphError {
    JsonNode json = ctx.request.json();
    MailFolder folder = messages.messageFolder(ctx, folderIdOrName);
    Instant now = server.now();
    MimeMessage built = GraphMime.fromJson(json, ctx.mailbox, now);
    MimeMessage stored = MailStore.parse(GraphMime.bytes(built));
    Flags flags = new Flags();
    flags.add(Flags.Flag.SEEN);
    flags.add(Flags.Flag.DRAFT);
    Location at = server.store().append(ctx.address, folder, stored, flags, now);
    return messages.single(ctx, 201, at, null);
  }

  GraphResponse sendMail(GraphContext ctx) throws GraphError {
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
      JsonNode m = GraphMessages.parameter(json, "message");
      if (!m.isObject()) {
        throw new GraphError(400, "ErrorInvalidRequest", "The 'message' property of sendMail is required.");
      }
      message = GraphMime.fromJson(m, ctx.mailbox, server.now());
      JsonNode save = GraphMessages.parameter(json, "saveToSentItems");
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

  GraphResponse sendDraft(GraphContext ctx, String id) throws GraphError {
    Location at = messages.locate(ctx, id);
    StoredMessage sm = GraphMessages.message(at);
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
    server.store().expunge(at);
    messages.forget(id);
    return GraphResponse.empty(202);
  }
}
