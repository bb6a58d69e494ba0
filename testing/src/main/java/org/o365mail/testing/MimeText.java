package org.o365mail.testing;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.o365mail.EmailAddress;
import org.o365mail.OutgoingMessage;

/**
 * The in-memory connector's reading and writing of RFC 822 text: the header fields a summary shows, the addresses in
 * them, and the plain message a sent one is kept as in Sent Items. Stateless.
 */
final class MimeText {
  private MimeText() {}

  /** The header fields of a message, names in lower case, the first of each name, folded lines joined. */
  static Map<String, String> headers(byte[] mime) {
    Map<String, String> headers = new LinkedHashMap<>();
    String text = new String(mime, StandardCharsets.UTF_8);
    String name = null;
    StringBuilder value = new StringBuilder();
    for (String line : text.split("\r?\n", -1)) {
      if (line.isEmpty()) {
        break;
      }
      if ((line.startsWith(" ") || line.startsWith("\t")) && name != null) {
        value.append(' ').append(line.trim());
        continue;
      }
      if (name != null) {
        headers.putIfAbsent(name, value.toString());
      }
      int colon = line.indexOf(':');
      if (colon <= 0) {
        name = null;
        continue;
      }
      name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      value = new StringBuilder(line.substring(colon + 1).trim());
    }
    if (name != null) {
      headers.putIfAbsent(name, value.toString());
    }
    return headers;
  }

  /** An address such as {@code "Name" <box@contoso.com>} or {@code box@contoso.com}; empty when it is none. */
  static Optional<EmailAddress> address(String text) {
    if (text == null || text.isBlank()) {
      return Optional.empty();
    }
    String t = text.trim();
    int lt = t.indexOf('<');
    int gt = t.indexOf('>');
    try {
      if (lt >= 0 && gt > lt) {
        String name = t.substring(0, lt).trim().replaceAll("^\"|\"$", "");
        return Optional.of(EmailAddress.of(t.substring(lt + 1, gt), name.isEmpty() ? null : name));
      }
      return Optional.of(EmailAddress.of(t));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** {@code m} as a plain RFC 822 message from {@code mailbox} (or its From), with {@code messageId}. */
  static byte[] render(OutgoingMessage m, String mailbox, String messageId) {
    StringBuilder mime = new StringBuilder();
    mime.append("From: ").append(m.from().map(EmailAddress::address).orElse(mailbox)).append("\r\n");
    header(mime, "To", m.to());
    header(mime, "Cc", m.cc());
    mime.append("Subject: ").append(m.subject()).append("\r\n")
        .append("Message-ID: ").append(messageId).append("\r\n")
        .append("MIME-Version: 1.0\r\n")
        .append("Content-Type: text/").append(m.html() ? "html" : "plain").append("; charset=UTF-8\r\n\r\n")
        .append(m.body()).append("\r\n");
    return mime.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void header(StringBuilder mime, String name, List<EmailAddress> addresses) {
    if (!addresses.isEmpty()) {
      mime.append(name).append(": ")
          .append(String.join(", ", addresses.stream().map(EmailAddress::address).toList())).append("\r\n");
    }
  }
}
