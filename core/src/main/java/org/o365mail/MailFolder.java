package org.o365mail;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;

/**
 * A folder of a mailbox as a connector lists it.
 *
 * @param id the connector's id of the folder (Graph folder id; for IMAP the folder's path)
 * @param path the path from the root with {@code /} between levels, such as {@code Inbox/Invoices}
 * @param displayName the folder's own name
 * @param wellKnown which well-known folder it is, if it is one
 * @param totalCount messages in it, or -1 when the connector does not know without extra calls
 * @param unreadCount unread messages in it, or -1
 * @param children its subfolders (empty when none or not listed)
 */
public record MailFolder(String id, String path, String displayName, Optional<WellKnownFolder> wellKnown,
    long totalCount, long unreadCount, List<MailFolder> children) {
  public MailFolder {
    requireNonNull(id, "id");
    requireNonNull(path, "path");
    requireNonNull(displayName, "displayName");
    requireNonNull(wellKnown, "wellKnown");
    children = List.copyOf(children);
  }

  /** For connectors: a folder as a service lists it, {@code wellKnown} {@code null} when it is none. */
  public static MailFolder of(String id, String path, String displayName, WellKnownFolder wellKnown,
      long totalCount, long unreadCount, List<MailFolder> children) {
    return new MailFolder(id, path, displayName, Optional.ofNullable(wellKnown), totalCount, unreadCount,
        children);
  }

  /** A reference to this folder by id. */
  public FolderRef ref() {
    return FolderRef.id(id);
  }

  @Override
  public String toString() {
    return "MailFolder[id=" + id + ", path=" + path + ", displayName=" + displayName + ", wellKnown="
        + wellKnown.orElse(null) + ", totalCount=" + totalCount + ", unreadCount=" + unreadCount + ", children="
        + children + "]";
  }
}
