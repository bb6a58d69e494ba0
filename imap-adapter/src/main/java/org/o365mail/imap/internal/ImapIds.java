package org.o365mail.imap.internal;

import static java.util.Objects.requireNonNull;

import org.o365mail.MessageId;

/**
 * The IMAP connector's message ids: {@code imap:<UIDVALIDITY>:<UID>:<folder path>}, for example
 * {@code imap:1712345678:4711:Inbox/Invoices}. A UID means the same message only under the UIDVALIDITY it was
 * issued with, so the id carries both; the folder path is last because it may hold {@code :}.
 */
public final class ImapIds {
  private static final String PREFIX = "imap:";

  private ImapIds() {}

  /** A message of a folder. */
  public record Ref(String path, long uidValidity, long uid) {
    public Ref {
      requireNonNull(path, "path");
      if (uidValidity <= 0 || uid <= 0) {
        throw new IllegalArgumentException("UIDVALIDITY and UID must be positive");
      }
    }

    public MessageId toMessageId() {
      return new MessageId(PREFIX + uidValidity + ":" + uid + ":" + path);
    }
  }

  public static MessageId of(String path, long uidValidity, long uid) {
    return new Ref(path, uidValidity, uid).toMessageId();
  }

  /**
   * Parses an id this connector issued.
   *
   * @throws IllegalArgumentException if it is not one (a Graph id, a typo)
   */
  public static Ref parse(MessageId id) {
    requireNonNull(id, "id");
    String v = id.value();
    String[] parts = v.startsWith(PREFIX) ? v.substring(PREFIX.length()).split(":", 3) : new String[0];
    if (parts.length == 3 && !parts[2].isEmpty()) {
      try {
        return new Ref(parts[2], Long.parseLong(parts[0]), Long.parseLong(parts[1]));
      } catch (IllegalArgumentException e) {
        // reported below
      }
    }
    throw new IllegalArgumentException("'" + v + "' is not a message id of the IMAP connector"
        + " (imap:<UIDVALIDITY>:<UID>:<folder path>)");
  }
}
