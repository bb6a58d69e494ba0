package org.o365mail.imap;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.eclipse.angus.mail.iap.ProtocolException;
import org.eclipse.angus.mail.imap.protocol.ListInfo;
import org.o365mail.FolderRef;
import org.o365mail.MailFolder;
import org.o365mail.WellKnownFolder;
import org.o365mail.imap.internal.ImapConnection;

/**
 * The folders of a mailbox as IMAP lists them, with paths written the SDK's way ({@code Inbox/Invoices}, whatever
 * the server's delimiter and however it spells INBOX) and the well-known folders recognised by their special-use
 * attribute ({@code \Sent}, {@code \Trash}...) or, failing that, by their English name, as Exchange Online
 * names them. A snapshot is kept between calls and refreshed when a folder is not found in it. Thread-safe.
 */
final class Folders {
  /** A folder as the server knows it. */
  public record ServerFolder(String path, String serverName, String displayName, WellKnownFolder wellKnown,
      boolean selectable) {}

  private static final ServerFolder INBOX = new ServerFolder(WellKnownFolder.INBOX.displayName(), "INBOX",
      WellKnownFolder.INBOX.displayName(), WellKnownFolder.INBOX, true);

  private volatile Map<String, ServerFolder> byPath = Map.of();
  private volatile char delimiter = '/';

  /** Lists every folder from the server and keeps the snapshot. */
  public List<ServerFolder> refresh(ImapConnection c) throws ProtocolException {
    Map<String, ServerFolder> fresh = new LinkedHashMap<>();
    for (ListInfo info : c.list("*")) {
      if (info.separator != '\0') {
        delimiter = info.separator;
      }
      ServerFolder f = describe(info);
      fresh.putIfAbsent(key(f.path()), f);
    }
    byPath = fresh;
    return List.copyOf(fresh.values());
  }

  /** The server's hierarchy delimiter ({@code /} for Exchange Online). */
  public char delimiter() {
    return delimiter;
  }

  /** Forgets the snapshot (after a folder was created, or one in it could not be selected). */
  public void invalidate() {
    byPath = Map.of();
  }

  /** The folder {@code ref} names, looking at the server when the snapshot does not have it. */
  public Optional<ServerFolder> resolve(ImapConnection c, FolderRef ref) throws ProtocolException {
    Optional<ServerFolder> found = find(ref);
    if (found.isEmpty() && isInbox(ref)) {
      // every IMAP mailbox has INBOX under that name: no LIST needed to open it
      return Optional.of(INBOX);
    }
    if (found.isEmpty()) {
      refresh(c);
      found = find(ref);
    }
    return found;
  }

  private static boolean isInbox(FolderRef ref) {
    if (ref.wellKnown().isPresent()) {
      return ref.wellKnown().get() == WellKnownFolder.INBOX;
    }
    return pathOf(ref).equalsIgnoreCase("inbox");
  }

  /** The path {@code ref} stands for, without asking the server (for messages and checks). */
  public static String pathOf(FolderRef ref) {
    if (ref.id().isPresent()) {
      return ref.id().get();
    }
    return ref.path().orElseThrow();
  }

  private Optional<ServerFolder> find(FolderRef ref) {
    Map<String, ServerFolder> snapshot = byPath;
    if (ref.wellKnown().isPresent()) {
      WellKnownFolder w = ref.wellKnown().get();
      Optional<ServerFolder> byUse = snapshot.values().stream().filter(f -> f.wellKnown() == w).findFirst();
      if (byUse.isPresent()) {
        return byUse;
      }
    }
    return Optional.ofNullable(snapshot.get(key(pathOf(ref))));
  }

  /** The server's name for a path that may not exist yet (to create it): INBOX spelled as IMAP wants. */
  public static String serverNameOf(String path, char delimiter) {
    String[] segments = path.split("/");
    if (segments[0].equalsIgnoreCase("inbox")) {
      segments[0] = "INBOX";
    }
    return String.join(String.valueOf(delimiter), segments);
  }

  /** The folders as a tree of {@link MailFolder}s (top level first), counts unknown (-1). */
  public static List<MailFolder> tree(List<ServerFolder> folders) {
    List<ServerFolder> sorted = new ArrayList<>(folders);
    sorted.sort(Comparator.comparing(ServerFolder::path, String.CASE_INSENSITIVE_ORDER));
    return children("", sorted);
  }

  private static List<MailFolder> children(String parent, List<ServerFolder> all) {
    List<MailFolder> out = new ArrayList<>();
    for (ServerFolder f : all) {
      String p = f.path();
      boolean child = parent.isEmpty() ? !p.contains("/")
          : p.regionMatches(true, 0, parent + "/", 0, parent.length() + 1) && p.indexOf('/', parent.length() + 1) < 0;
      if (child) {
        out.add(MailFolder.of(p, p, f.displayName(), f.wellKnown(), -1, -1, children(p, all)));
      }
    }
    return out;
  }

  /** A {@link MailFolder} for one folder with its counts and subfolders. */
  public MailFolder toMailFolder(ServerFolder f, long total, long unread) {
    List<ServerFolder> all = List.copyOf(byPath.values());
    List<ServerFolder> sorted = new ArrayList<>(all);
    sorted.sort(Comparator.comparing(ServerFolder::path, String.CASE_INSENSITIVE_ORDER));
    return MailFolder.of(f.path(), f.path(), f.displayName(), f.wellKnown(), total, unread, children(f.path(), sorted));
  }

  static ServerFolder describe(ListInfo info) {
    char delimiter = info.separator == '\0' ? '/' : info.separator;
    String[] segments = info.name.split(Pattern.quote(String.valueOf(delimiter)), -1);
    boolean inbox = segments[0].equalsIgnoreCase("INBOX");
    if (inbox) {
      segments[0] = WellKnownFolder.INBOX.displayName();
    }
    String path = String.join("/", segments);
    String displayName = segments[segments.length - 1];
    WellKnownFolder wellKnown = null;
    if (segments.length == 1) {
      wellKnown = inbox ? WellKnownFolder.INBOX : specialUse(info.attrs).orElse(byName(displayName));
    }
    boolean selectable = true;
    if (info.attrs != null) {
      for (String a : info.attrs) {
        if (a.equalsIgnoreCase("\\Noselect") || a.equalsIgnoreCase("\\NonExistent")) {
          selectable = false;
        }
      }
    }
    return new ServerFolder(path, info.name, displayName, wellKnown, selectable);
  }

  private static Optional<WellKnownFolder> specialUse(String[] attrs) {
    if (attrs == null) {
      return Optional.empty();
    }
    for (String a : attrs) {
      switch (a.toLowerCase(Locale.ROOT)) {
        case "\\sent" -> {
          return Optional.of(WellKnownFolder.SENT_ITEMS);
        }
        case "\\trash" -> {
          return Optional.of(WellKnownFolder.DELETED_ITEMS);
        }
        case "\\drafts" -> {
          return Optional.of(WellKnownFolder.DRAFTS);
        }
        case "\\junk" -> {
          return Optional.of(WellKnownFolder.JUNK_EMAIL);
        }
        case "\\archive" -> {
          return Optional.of(WellKnownFolder.ARCHIVE);
        }
        default -> {
          // not a special-use attribute
        }
      }
    }
    return Optional.empty();
  }

  private static WellKnownFolder byName(String name) {
    for (WellKnownFolder w : WellKnownFolder.values()) {
      if (w.displayName().equalsIgnoreCase(name)) {
        return w;
      }
    }
    return null;
  }

  private static String key(String path) {
    return path.toLowerCase(Locale.ROOT);
  }
}
