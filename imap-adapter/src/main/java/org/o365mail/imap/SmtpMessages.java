package org.o365mail.imap;

import jakarta.activation.DataHandler;
import jakarta.activation.DataSource;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UnsupportedEncodingException;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.o365mail.EmailAddress;
import org.o365mail.OutgoingAttachment;
import org.o365mail.OutgoingMessage;

/**
 * An {@link OutgoingMessage} as a MIME message for SMTP. Attachments are {@link DataSource}s over {@link
 * OutgoingAttachment#open()}: their content is read once, while the message is written to the server, and encoded
 * as base64 on the way (the encoding is set up front so that nothing reads the content to choose one).
 */
final class SmtpMessages {
  private SmtpMessages() {}

  /** The message to submit from {@code from}. */
  public static MimeMessage build(Session session, OutgoingMessage message, EmailAddress from) throws MessagingException {
    MimeMessage mime = new OwnIdMessage(session, domainOf(from.address()));
    mime.setFrom(address(from));
    mime.setRecipients(Message.RecipientType.TO, addresses(message.to()));
    if (!message.cc().isEmpty()) {
      mime.setRecipients(Message.RecipientType.CC, addresses(message.cc()));
    }
    if (!message.replyTo().isEmpty()) {
      mime.setReplyTo(addresses(message.replyTo()));
    }
    mime.setSubject(message.subject(), StandardCharsets.UTF_8.name());
    mime.setSentDate(new Date());
    if (message.attachments().isEmpty()) {
      mime.setText(message.body(), StandardCharsets.UTF_8.name(), message.html() ? "html" : "plain");
    } else {
      MimeBodyPart body = new MimeBodyPart();
      body.setText(message.body(), StandardCharsets.UTF_8.name(), message.html() ? "html" : "plain");
      MimeMultipart mixed = new MimeMultipart("mixed");
      mixed.addBodyPart(body);
      for (OutgoingAttachment a : message.attachments()) {
        MimeBodyPart part = new MimeBodyPart();
        part.setDataHandler(new DataHandler(new AttachmentSource(a)));
        part.setDisposition(Part.ATTACHMENT);
        part.setFileName(a.name());
        part.setHeader("Content-Transfer-Encoding", "base64");
        mixed.addBodyPart(part);
      }
      mime.setContent(mixed);
    }
    mime.saveChanges();
    return mime;
  }

  /** Envelope recipients: To, Cc and Bcc. */
  public static InternetAddress[] recipients(OutgoingMessage message) throws MessagingException {
    return addresses(message.allRecipients());
  }

  private static InternetAddress[] addresses(List<EmailAddress> list) throws MessagingException {
    InternetAddress[] out = new InternetAddress[list.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = address(list.get(i));
    }
    return out;
  }

  static InternetAddress address(EmailAddress a) throws MessagingException {
    try {
      return a.displayName().isPresent()
          ? new InternetAddress(a.address(), a.displayName().get(), StandardCharsets.UTF_8.name())
          : new InternetAddress(a.address(), true);
    } catch (UnsupportedEncodingException e) {
      throw new MessagingException("cannot encode " + a, e);
    }
  }

  private static String domainOf(String address) {
    int at = address.lastIndexOf('@');
    return at < 0 ? "localhost" : address.substring(at + 1).toLowerCase(Locale.ROOT);
  }

  /** A message whose Message-ID names the sender's domain, so no local host name is looked up for it. */
  private static final class OwnIdMessage extends MimeMessage {
    private final String domain;

    OwnIdMessage(Session session, String domain) {
      super(session);
      this.domain = domain;
    }

    @Override
    protected void updateMessageID() throws MessagingException {
      setHeader("Message-ID", "<" + UUID.randomUUID() + "@" + domain + ">");
    }
  }

  /** An attachment's content, opened when the message is written. */
  static final class AttachmentSource implements DataSource {
    private final OutgoingAttachment attachment;

    AttachmentSource(OutgoingAttachment attachment) {
      this.attachment = attachment;
    }

    @Override
    public InputStream getInputStream() throws IOException {
      return attachment.open();
    }

    @Override
    public OutputStream getOutputStream() throws IOException {
      throw new IOException("attachments are read-only");
    }

    @Override
    public String getContentType() {
      return attachment.contentType();
    }

    @Override
    public String getName() {
      return attachment.name();
    }
  }
}
