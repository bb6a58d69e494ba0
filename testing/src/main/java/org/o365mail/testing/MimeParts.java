package org.o365mail.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.o365mail.AttachmentInfo;

/**
 * The attachments of an RFC 822 message, for the in-memory connector: the parts the IMAP connector counts as
 * attachments (a part with an {@code attachment} disposition or a file name, a nested message, or a part past the
 * first that is not text), numbered by IMAP section ({@code 2}, {@code 1.2}), decoded from base64 or
 * quoted-printable. Enough for test messages; not a full MIME parser (no RFC 2231 parameter continuations). Stateless.
 */
final class MimeParts {
  private static final Pattern PARAMETER_START = Pattern.compile(";\\s*([A-Za-z0-9*_.-]+)\\s*=\\s*");

  private MimeParts() {}

  /** One attachment: what a listing says, and its decoded content. */
  record Attachment(AttachmentInfo info, byte[] content) {}

  /** The attachments of {@code rfc822}, in order. */
  static List<Attachment> attachments(byte[] rfc822) {
    // ISO-8859-1 maps each byte to one char, so offsets and bodies survive any charset
    String text = new String(rfc822, StandardCharsets.ISO_8859_1);
    List<Attachment> out = new ArrayList<>();
    Part root = Part.parse(text);
    if (root.isMultipart()) {
      walk(root, "", out);
    } else if (isAttachment(root, false)) {
      out.add(attachment(root, "1"));
    }
    return out;
  }

  /** One attachment by the id a listing gave it. */
  static Optional<Attachment> attachment(byte[] rfc822, String id) {
    return attachments(rfc822).stream().filter(a -> a.info().id().equals(id)).findFirst();
  }

  private static void walk(Part multipart, String prefix, List<Attachment> out) {
    List<Part> parts = multipart.children();
    for (int i = 0; i < parts.size(); i++) {
      Part part = parts.get(i);
      String section = prefix.isEmpty() ? Integer.toString(i + 1) : prefix + "." + (i + 1);
      if (part.isMultipart()) {
        walk(part, section, out);
      } else if (isAttachment(part, i > 0 || !prefix.isEmpty())) {
        out.add(attachment(part, section));
      }
    }
  }

  private static boolean isAttachment(Part part, boolean notFirst) {
    if (part.disposition().equals("attachment") || part.fileName() != null || part.type().equals("message/rfc822")) {
      return true;
    }
    return notFirst && !part.type().startsWith("text/");
  }

  private static Attachment attachment(Part part, String section) {
    byte[] content = part.decoded();
    String name = part.fileName();
    return new Attachment(new AttachmentInfo(section, name == null ? "" : name, part.type(), content.length,
        part.disposition().equals("inline")), content);
  }

  /** A part: its headers (names in lower case) and its body, both as ISO-8859-1 text. */
  private record Part(Map<String, String> headers, String body) {
    static Part parse(String text) {
      Map<String, String> headers = new LinkedHashMap<>();
      int at = 0;
      String name = null;
      StringBuilder value = new StringBuilder();
      while (at < text.length()) {
        int end = text.indexOf('\n', at);
        String line = (end < 0 ? text.substring(at) : text.substring(at, end)).replaceAll("\r$", "");
        at = end < 0 ? text.length() : end + 1;
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
        name = colon > 0 ? line.substring(0, colon).trim().toLowerCase(Locale.ROOT) : null;
        value = new StringBuilder(colon > 0 ? line.substring(colon + 1).trim() : "");
      }
      if (name != null) {
        headers.putIfAbsent(name, value.toString());
      }
      return new Part(headers, text.substring(at));
    }

    String type() {
      String contentType = headers.getOrDefault("content-type", "text/plain");
      int semicolon = contentType.indexOf(';');
      return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
    }

    String disposition() {
      String d = headers.getOrDefault("content-disposition", "");
      int semicolon = d.indexOf(';');
      return (semicolon < 0 ? d : d.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
    }

    String fileName() {
      String name = parameter(headers.get("content-disposition"), "filename");
      return name != null ? name : parameter(headers.get("content-type"), "name");
    }

    boolean isMultipart() {
      return type().startsWith("multipart/") && parameter(headers.get("content-type"), "boundary") != null;
    }

    List<Part> children() {
      String delimiter = "--" + parameter(headers.get("content-type"), "boundary");
      List<Part> parts = new ArrayList<>();
      int start = body.startsWith(delimiter) ? 0 : body.indexOf("\n" + delimiter);
      if (start < 0) {
        return parts;
      }
      start = body.startsWith(delimiter) ? 0 : start + 1;
      while (!body.startsWith(delimiter + "--", start)) {
        int contentStart = body.indexOf('\n', start);
        int next = contentStart < 0 ? -1 : body.indexOf("\n" + delimiter, contentStart);
        if (next < 0) {
          break;
        }
        int contentEnd = next > 0 && body.charAt(next - 1) == '\r' ? next - 1 : next;
        parts.add(parse(body.substring(contentStart + 1, Math.max(contentStart + 1, contentEnd))));
        start = next + 1;
      }
      return parts;
    }

    byte[] decoded() {
      String encoding = headers.getOrDefault("content-transfer-encoding", "7bit").trim().toLowerCase(Locale.ROOT);
      byte[] raw = body.getBytes(StandardCharsets.ISO_8859_1);
      if (encoding.equals("base64")) {
        return Base64.getMimeDecoder().decode(raw);
      }
      if (encoding.equals("quoted-printable")) {
        return quotedPrintable(body);
      }
      return raw;
    }
  }

  private static String parameter(String header, String name) {
    if (header == null) {
      return null;
    }
    Matcher m = PARAMETER_START.matcher(header);
    while (m.find()) {
      if (!m.group(1).equalsIgnoreCase(name)) {
        continue;
      }
      int from = m.end();
      if (from < header.length() && header.charAt(from) == '"') {
        int close = header.indexOf('"', from + 1);
        return header.substring(from + 1, close < 0 ? header.length() : close);
      }
      int end = header.indexOf(';', from);
      return header.substring(from, end < 0 ? header.length() : end).trim();
    }
    return null;
  }

  private static byte[] quotedPrintable(String text) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '=' && i + 1 < text.length() && (text.charAt(i + 1) == '\r' || text.charAt(i + 1) == '\n')) {
        i += text.charAt(i + 1) == '\r' && i + 2 < text.length() && text.charAt(i + 2) == '\n' ? 2 : 1; // soft break
      } else if (c == '=' && i + 2 < text.length()
          && Character.digit(text.charAt(i + 1), 16) >= 0 && Character.digit(text.charAt(i + 2), 16) >= 0) {
        out.write(Integer.parseInt(text.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        out.write(c);
      }
    }
    return out.toByteArray();
  }
}
