package org.o365mail.imap.internal;

import jakarta.mail.Flags;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeUtility;
import jakarta.mail.internet.ParameterList;
import java.io.UnsupportedEncodingException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.eclipse.angus.mail.imap.protocol.BODYSTRUCTURE;
import org.eclipse.angus.mail.imap.protocol.ENVELOPE;
import org.eclipse.angus.mail.imap.protocol.FLAGS;
import org.eclipse.angus.mail.imap.protocol.FetchResponse;
import org.eclipse.angus.mail.imap.protocol.INTERNALDATE;
import org.eclipse.angus.mail.imap.protocol.RFC822SIZE;
import org.eclipse.angus.mail.imap.protocol.UID;
import org.o365mail.AttachmentInfo;
import org.o365mail.EmailAddress;
import org.o365mail.MessageSummary;

/**
 * Message summaries and attachment lists from FETCH responses. The items fetched for a summary are what a
 * {@code FetchProfile} of ENVELOPE, FLAGS, INTERNALDATE, SIZE and CONTENT_INFO asks for, by UID:
 * {@link #ITEMS}.
 */
public final class Summaries {
  /** The FETCH items of a summary; BODYSTRUCTURE tells whether there are attachments. */
  public static final String ITEMS = "(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE)";

  private Summaries() {}

  /** A summary, or empty when the response is not a complete answer to {@link #ITEMS} (an unsolicited FETCH). */
  public static Optional<MessageSummary> summary(FetchResponse f, String path, long uidValidity) {
    UID uid = f.getItem(UID.class);
    ENVELOPE envelope = f.getItem(ENVELOPE.class);
    INTERNALDATE date = f.getItem(INTERNALDATE.class);
    if (uid == null || envelope == null || date == null) {
      return Optional.empty();
    }
    RFC822SIZE size = f.getItem(RFC822SIZE.class);
    FLAGS flags = f.getItem(FLAGS.class);
    BODYSTRUCTURE structure = f.getItem(BODYSTRUCTURE.class);
    boolean attachments = structure != null
        && attachments(structure).stream().anyMatch(a -> !a.inline());
    return Optional.of(MessageSummary.of(
        ImapIds.of(path, uidValidity, uid.uid),
        path,
        blankToNull(envelope.messageId),
        first(envelope.from),
        addresses(envelope.to),
        decode(envelope.subject),
        Instant.ofEpochMilli(date.getDate().getTime()),
        size == null ? -1 : size.size,
        attachments,
        flags != null && flags.contains(Flags.Flag.SEEN)));
  }

  /** The UID of a FETCH response, or -1. */
  public static long uid(FetchResponse f) {
    UID uid = f.getItem(UID.class);
    return uid == null ? -1 : uid.uid;
  }

  /**
   * The attachments of a message: parts with {@code Content-Disposition: attachment}, parts with a file name,
   * attached messages, and non-text parts other than the body; inline ones (pictures in an HTML body) marked so.
   * Their ids are IMAP section numbers ({@code 2}, {@code 1.2}).
   */
  public static List<AttachmentInfo> attachments(BODYSTRUCTURE root) {
    List<AttachmentInfo> out = new ArrayList<>();
    if (root.isMulti()) {
      walk(root, "", out);
    } else if (isAttachment(root, false)) {
      out.add(info(root, "1"));
    }
    return out;
  }

  /** The part at {@code section}, or null. */
  public static BODYSTRUCTURE part(BODYSTRUCTURE root, String section) {
    if (!root.isMulti()) {
      return section.equals("1") ? root : null;
    }
    BODYSTRUCTURE current = root;
    for (String level : section.split("\\.")) {
      int index;
      try {
        index = Integer.parseInt(level) - 1;
      } catch (NumberFormatException e) {
        return null;
      }
      if (current.bodies == null || index < 0 || index >= current.bodies.length) {
        return null;
      }
      current = current.bodies[index];
    }
    return current;
  }

  private static void walk(BODYSTRUCTURE multi, String prefix, List<AttachmentInfo> out) {
    for (int i = 0; i < multi.bodies.length; i++) {
      BODYSTRUCTURE part = multi.bodies[i];
      String section = prefix.isEmpty() ? Integer.toString(i + 1) : prefix + "." + (i + 1);
      if (part.isMulti()) {
        walk(part, section, out);
      } else if (isAttachment(part, i > 0 || !prefix.isEmpty())) {
        out.add(info(part, section));
      }
    }
  }

  private static boolean isAttachment(BODYSTRUCTURE part, boolean notFirst) {
    String disposition = part.disposition == null ? "" : part.disposition.toLowerCase(Locale.ROOT);
    if (disposition.equals("attachment") || part.isNested() || fileName(part) != null) {
      return true;
    }
    String type = part.type == null ? "" : part.type.toLowerCase(Locale.ROOT);
    // the text or HTML body, and its alternatives, are not attachments
    return notFirst && !type.equals("text");
  }

  private static AttachmentInfo info(BODYSTRUCTURE part, String section) {
    String name = fileName(part);
    String type = (part.type == null ? "application" : part.type.toLowerCase(Locale.ROOT)) + "/"
        + (part.subtype == null ? "octet-stream" : part.subtype.toLowerCase(Locale.ROOT));
    String encoding = part.encoding == null ? "7bit" : part.encoding.toLowerCase(Locale.ROOT);
    boolean identity = encoding.equals("7bit") || encoding.equals("8bit") || encoding.equals("binary");
    boolean inline = "inline".equalsIgnoreCase(part.disposition)
        || (part.disposition == null && part.id != null && !part.isNested());
    return new AttachmentInfo(section, name == null ? "" : name, type, identity ? part.size : -1, inline);
  }

  /** The file name from the disposition's {@code filename} or the type's {@code name}, decoded. */
  static String fileName(BODYSTRUCTURE part) {
    String name = param(part.dParams, "filename");
    if (name == null) {
      name = param(part.cParams, "name");
    }
    return name == null ? null : decode(name);
  }

  private static String param(ParameterList list, String name) {
    return list == null ? null : blankToNull(list.get(name));
  }

  private static EmailAddress first(InternetAddress[] addresses) {
    List<EmailAddress> all = addresses(addresses);
    return all.isEmpty() ? null : all.get(0);
  }

  private static List<EmailAddress> addresses(InternetAddress[] addresses) {
    List<EmailAddress> out = new ArrayList<>();
    if (addresses == null) {
      return out;
    }
    for (InternetAddress a : addresses) {
      if (a == null || a.getAddress() == null) {
        continue;
      }
      try {
        out.add(EmailAddress.of(a.getAddress(), a.getPersonal()));
      } catch (IllegalArgumentException e) {
        // a group or an address without a domain: not one a product can write to
      }
    }
    return out;
  }

  static String decode(String text) {
    if (text == null) {
      return "";
    }
    try {
      return MimeUtility.decodeText(text);
    } catch (UnsupportedEncodingException | RuntimeException e) {
      return text;
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }
}
