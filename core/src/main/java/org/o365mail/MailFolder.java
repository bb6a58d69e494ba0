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
 * @param wellKnown which well-known folder it is, or {@code null}
 * @param totalCount messages in it, or -1 when the connector does not know without extra calls
 * @param unreadCount unread messages in it, or -1
 * @param children its subfolders (empty when none or not listed)
 */
public record MailFolder(String id, String path, String displayName, WellKnownFolder wellKnown, long totalCount,
    long unreadCount, List<MailFolder> children) {
  public MailFolder {
    requireNonNull(id, "id");
    requireNonNull(path, "path");
    requireNonNull(displayName, "displayName");
    children = List.copyOf(children);
  }

  public Optional<WellKnownFolder> wellKnownFolder() {
    return Optional.ofNullable(wellKnown);
  }

  /** A reference to this folder by id. */
  public FolderRef ref() {
    return FolderRef.id(id);
  }
}
