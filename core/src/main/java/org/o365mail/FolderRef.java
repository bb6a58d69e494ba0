package org.o365mail;

import static java.util.Objects.requireNonNull;

import java.util.Locale;
import java.util.Optional;

/**
 * Names a folder: a well-known folder ({@link #INBOX}), a path from the mailbox root with {@code /} between
 * levels ({@code Inbox/Invoices}), or a connector's own folder id. Immutable.
 */
public final class FolderRef {
  public static final FolderRef INBOX = new FolderRef(WellKnownFolder.INBOX, null, null);
  public static final FolderRef SENT_ITEMS = new FolderRef(WellKnownFolder.SENT_ITEMS, null, null);
  public static final FolderRef DELETED_ITEMS = new FolderRef(WellKnownFolder.DELETED_ITEMS, null, null);
  public static final FolderRef DRAFTS = new FolderRef(WellKnownFolder.DRAFTS, null, null);
  public static final FolderRef JUNK_EMAIL = new FolderRef(WellKnownFolder.JUNK_EMAIL, null, null);
  public static final FolderRef ARCHIVE = new FolderRef(WellKnownFolder.ARCHIVE, null, null);

  private final WellKnownFolder wellKnown;
  private final String path;
  private final String id;

  private FolderRef(WellKnownFolder wellKnown, String path, String id) {
    this.wellKnown = wellKnown;
    this.path = path;
    this.id = id;
  }

  public static FolderRef of(WellKnownFolder folder) {
    return new FolderRef(requireNonNull(folder, "folder"), null, null);
  }

  /**
   * A folder by path ({@code Inbox/Invoices}) or by a well-known name ({@code inbox}, {@code sentitems}); a
   * single path segment equal to a well-known folder's display name ({@code Sent Items}) is that folder.
   */
  public static FolderRef path(String path) {
    requireNonNull(path, "path");
    String p = path.strip();
    while (p.startsWith("/")) {
      p = p.substring(1);
    }
    while (p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    if (p.isEmpty()) {
      throw new IllegalArgumentException("folder path must not be empty");
    }
    if (p.contains("//")) {
      throw new IllegalArgumentException("folder path '" + path + "' has an empty level");
    }
    if (!p.contains("/")) {
      for (WellKnownFolder w : WellKnownFolder.values()) {
        if (w.graphName().equalsIgnoreCase(p) || w.displayName().equalsIgnoreCase(p)) {
          return of(w);
        }
      }
    }
    return new FolderRef(null, p, null);
  }

  /** A folder by the connector's own id (a Graph folder id). */
  public static FolderRef id(String id) {
    requireNonNull(id, "id");
    if (id.isBlank()) {
      throw new IllegalArgumentException("folder id must not be blank");
    }
    return new FolderRef(null, null, id);
  }

  public Optional<WellKnownFolder> wellKnown() {
    return Optional.ofNullable(wellKnown);
  }

  /** The path as given (for well-known folders, their display name; for ids, empty). */
  public Optional<String> path() {
    if (wellKnown != null) {
      return Optional.of(wellKnown.displayName());
    }
    return Optional.ofNullable(path);
  }

  public Optional<String> id() {
    return Optional.ofNullable(id);
  }

  /** The path's levels, the first one being a top-level folder. */
  public String[] segments() {
    return path().map(p -> p.split("/")).orElse(new String[0]);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof FolderRef f)) {
      return false;
    }
    return wellKnown == f.wellKnown
        && (path == null ? f.path == null : f.path != null && path.toLowerCase(Locale.ROOT).equals(f.path.toLowerCase(Locale.ROOT)))
        && (id == null ? f.id == null : id.equals(f.id));
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(wellKnown, path == null ? null : path.toLowerCase(Locale.ROOT), id);
  }

  @Override
  public String toString() {
    if (wellKnown != null) {
      return wellKnown.displayName();
    }
    return path != null ? path : "id:" + id;
  }
}
