package org.o365mail.graph.internal;

import com.microsoft.graph.models.Message;
import com.microsoft.graph.models.Recipient;
import com.microsoft.graph.models.SingleValueLegacyExtendedProperty;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.o365mail.EmailAddress;
import org.o365mail.MessageId;
import org.o365mail.MessageSummary;

/**
 * What a summary needs from Graph ({@code $select}, the size property) and how a Graph message becomes one.
 * Stateless.
 */
public final class Summaries {
  /** Only what a {@link MessageSummary} shows. */
  public static final String[] SELECT = {
    "id", "internetMessageId", "from", "toRecipients", "subject", "receivedDateTime", "hasAttachments", "isRead",
    "parentFolderId"
  };
  /** {@code PidTagMessageSize}, the size of the message in bytes, as Graph names the MAPI property. */
  public static final String SIZE_PROPERTY = "Integer 0x0E08";
  /** Asks for the size property alongside the selected ones. */
  public static final String[] EXPAND = {"singleValueExtendedProperties($filter=id eq '" + SIZE_PROPERTY + "')"};

  private Summaries() {}

  /** The {@code $select} as one query value. */
  public static String selectValue() {
    return String.join(",", SELECT);
  }

  public static MessageSummary of(Message m, String folderPath) {
    Instant received = m.getReceivedDateTime() == null ? Instant.EPOCH : m.getReceivedDateTime().toInstant();
    List<EmailAddress> to = new ArrayList<>();
    if (m.getToRecipients() != null) {
      for (Recipient r : m.getToRecipients()) {
        EmailAddress a = address(r);
        if (a != null) {
          to.add(a);
        }
      }
    }
    return MessageSummary.of(new MessageId(m.getId()), folderPath, m.getInternetMessageId(), address(m.getFrom()), to,
        m.getSubject(), received, size(m), Boolean.TRUE.equals(m.getHasAttachments()), Boolean.TRUE.equals(m.getIsRead()));
  }

  /** The size from the extended property, or -1 when Graph did not send it. */
  public static long size(Message m) {
    List<SingleValueLegacyExtendedProperty> props = m.getSingleValueExtendedProperties();
    if (props == null) {
      return -1;
    }
    for (SingleValueLegacyExtendedProperty p : props) {
      if (p.getId() != null && isSizeProperty(p.getId()) && p.getValue() != null) {
        try {
          return Long.parseLong(p.getValue().trim());
        } catch (NumberFormatException e) {
          return -1;
        }
      }
    }
    return -1;
  }

  /** {@code Integer 0x0E08} in any case and with or without the leading zero, as Graph echoes it. */
  static boolean isSizeProperty(String id) {
    String s = id.trim().toLowerCase(Locale.ROOT).replaceAll("\\s+", " ");
    return s.equals("integer 0xe08") || s.equals("integer 0x0e08");
  }

  private static EmailAddress address(Recipient r) {
    if (r == null || r.getEmailAddress() == null || r.getEmailAddress().getAddress() == null) {
      return null;
    }
    try {
      return EmailAddress.of(r.getEmailAddress().getAddress(), r.getEmailAddress().getName());
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
