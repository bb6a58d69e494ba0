package org.o365mail.testkit;

import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;

/** RFC 822 messages for tests and benchmarks: plain text, with an attachment, or of a given size. */
public final class TestMessages {
  private static final DateTimeFormatter RFC_5322 =
      DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT);

  private TestMessages() {}

  /** A new unique {@code Message-ID} value, angle brackets included. */
  public static String newMessageId() {
    return "<" + UUID.randomUUID() + "@testkit.o365mail.org>";
  }

  /** A plain-text message with a fresh Message-ID. */
  public static byte[] text(String from, String to, String subject, String body) {
    return text(from, to, subject, body, newMessageId());
  }

  /** A plain-text message with the given Message-ID. */
  public static byte[] text(String from, String to, String subject, String body, String messageId) {
    StringBuilder m = headers(from, to, subject, messageId);
    m.append("Content-Type: text/plain; charset=UTF-8\r\n");
    m.append("Content-Transfer-Encoding: 8bit\r\n\r\n");
    m.append(body.replace("\r\n", "\n").replace("\n", "\r\n"));
    if (!body.endsWith("\n")) {
      m.append("\r\n");
    }
    return m.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** A multipart/mixed message with a text part and one base64 attachment. */
  public static byte[] withAttachment(
      String from, String to, String subject, String body, String fileName, String contentType, byte[] content) {
    String boundary = "----=_testkit_" + UUID.randomUUID();
    StringBuilder m = headers(from, to, subject, newMessageId());
    m.append("Content-Type: multipart/mixed; boundary=\"").append(boundary).append("\"\r\n\r\n");
    m.append("--").append(boundary).append("\r\n");
    m.append("Content-Type: text/plain; charset=UTF-8\r\n\r\n");
    m.append(body).append("\r\n");
    m.append("--").append(boundary).append("\r\n");
    m.append("Content-Type: ").append(contentType).append("; name=\"").append(fileName).append("\"\r\n");
    m.append("Content-Disposition: attachment; filename=\"").append(fileName).append("\"\r\n");
    m.append("Content-Transfer-Encoding: base64\r\n\r\n");
    m.append(Base64.getMimeEncoder(76, "\r\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(content));
    m.append("\r\n--").append(boundary).append("--\r\n");
    return m.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** A plain-text message padded with printable lines to about {@code size} bytes. */
  public static byte[] ofSize(String from, String to, String subject, int size) {
    StringBuilder body = new StringBuilder(size + 100);
    String line = "The quick brown fox jumps over the lazy dog 0123456789 abcdefghijklmnopqrstuvwxyz.\r\n";
    int header = 400;
    while (body.length() + header < size) {
      body.append(line);
    }
    return text(from, to, subject, body.toString());
  }

  private static StringBuilder headers(String from, String to, String subject, String messageId) {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    StringBuilder m = new StringBuilder(512);
    m.append("Message-ID: ").append(messageId).append("\r\n");
    m.append("Date: ").append(RFC_5322.format(ZonedDateTime.now(ZoneOffset.UTC))).append("\r\n");
    m.append("From: ").append(from).append("\r\n");
    m.append("To: ").append(to).append("\r\n");
    m.append("Subject: ").append(subject == null ? "" : subject).append("\r\n");
    m.append("MIME-Version: 1.0\r\n");
    return m;
  }

  static byte[] bytes(String rfc822) {
    return rfc822.replace("\r\n", "\n").replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8);
  }

  static byte[] bytes(MimeMessage message) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      message.writeTo(out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (MessagingException e) {
      throw new IllegalArgumentException("cannot serialise the message: " + e.getMessage(), e);
    }
  }
}
