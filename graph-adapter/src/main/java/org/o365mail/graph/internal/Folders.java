package org.o365mail.graph.internal;

import com.microsoft.graph.models.MailFolder;
import com.microsoft.graph.models.MailFolderCollectionResponse;
import com.microsoft.graph.models.odataerrors.ODataError;
import com.microsoft.graph.serviceclient.GraphServiceClient;
import com.microsoft.kiota.serialization.ParseNode;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.o365mail.FolderNotFoundException;
import org.o365mail.FolderRef;
import org.o365mail.MailboxException;
import org.o365mail.WellKnownFolder;
import org.o365mail.graph.internal.GraphCall.Access;
import org.o365mail.graph.internal.GraphErrors.Target;

/**
 * Folder names to Graph folder ids and back, for one mailbox: well-known names ({@code inbox}), paths ({@code
 * Inbox/Invoices}, matched level by level, case-insensitively) and ids. Ids and paths are cached; folder ids do
 * not change, a path is looked up again when its cached folder is gone. Thread-safe.
 */
public final class Folders {
  private static final String[] FOLDER_SELECT = {
    "id", "displayName", "parentFolderId", "childFolderCount", "totalItemCount", "unreadItemCount"
  };

  private final GraphServiceClient graph;
  private final String user;
  private final GraphErrors errors;
  private final Batcher batcher;
  private final Map<String, String> pathById = new ConcurrentHashMap<>();
  private final Map<String, String> idByPath = new ConcurrentHashMap<>();
  private volatile Map<WellKnownFolder, String> wellKnownIds;
  private volatile String rootId;

  /** A folder as resolved: its id and path. */
  public record Resolved(String id, String path) {}

  public Folders(GraphServiceClient graph, String user, GraphErrors errors, Batcher batcher) {
    this.graph = graph;
    this.user = user;
    this.errors = errors;
    this.batcher = batcher;
  }

  private static String key(String path) {
    return path.toLowerCase(Locale.ROOT);
  }

  private void remember(String id, String path) {
    pathById.put(id, path);
    idByPath.put(key(path), id);
  }

  /** The id of the mailbox root (Top of Information Store). */
  String rootId() {
    if (rootId == null) {
      rootId = get("msgfolderroot").getId();
    }
    return rootId;
  }

  private MailFolder get(String idOrName) {
    try {
      return graph.users().byUserId(user).mailFolders().byMailFolderId(idOrName).get(rc -> {
        rc.queryParameters.select = FOLDER_SELECT;
        rc.options.add(GraphCall.READ);
        rc.headers.add("Prefer", "IdType=\"ImmutableId\"");
      });
    } catch (RuntimeException e) {
      throw errors.map(e, Target.FOLDER, "looking up folder " + idOrName, Access.READ);
    }
  }

  /**
   * The ids of the well-known folders this mailbox has, in one {@code $batch} that also reads the mailbox root: the
   * paths of those directly under it (all of them, in a mailbox as Exchange makes it) are then known without a
   * request each.
   */
  public Map<WellKnownFolder, String> wellKnownIds() {
    Map<WellKnownFolder, String> known = wellKnownIds;
    if (known != null) {
      return known;
    }
    // in sequence, so the batch holds one of the mailbox's slots and a listing may start beside it; the root first,
    // and Archive, which many mailboxes lack, last: a 404 stops the items after it (Graph answers them 424)
    List<WellKnownFolder> order = new ArrayList<>();
    for (WellKnownFolder w : WellKnownFolder.values()) {
      if (w != WellKnownFolder.ARCHIVE) {
        order.add(w);
      }
    }
    order.add(WellKnownFolder.ARCHIVE);
    List<Batcher.Item> items = new ArrayList<>();
    items.add(new Batcher.Item("GET", "/users/" + Paths.segment(user) + "/mailFolders/msgfolderroot?$select=id", null));
    for (WellKnownFolder w : order) {
      items.add(new Batcher.Item("GET", "/users/" + Paths.segment(user) + "/mailFolders/" + w.graphName()
          + "?$select=id,displayName,parentFolderId", null));
    }
    List<Batcher.Result> results;
    try {
      results = batcher.runInSequence(items, Access.READ);
    } catch (RuntimeException e) {
      // a transport failure (a proxy refusing the tunnel, say) is diagnosed like every other call's
      throw errors.map(e, GraphErrors.Target.MAILBOX, "reading the well-known folders", Access.READ);
    }
    Batcher.Result root = results.get(0);
    String rootFolder = root.ok() ? text(root.body(), "id") : null;
    if (rootFolder != null) {
      rootId = rootFolder;
    }
    Map<WellKnownFolder, String> ids = new EnumMap<>(WellKnownFolder.class);
    for (int i = 0; i < order.size(); i++) {
      Batcher.Result r = results.get(i + 1);
      ParseNode body = r.ok() ? r.body() : null;
      String id = text(body, "id");
      if (id != null) {
        ids.put(order.get(i), id);
        String name = text(body, "displayName");
        if (rootFolder != null && name != null && rootFolder.equals(text(body, "parentFolderId"))) {
          remember(id, name);
        }
      } else if (r.status() != 404) {
        throw errors.map(r.failure(), Target.MAILBOX, "looking up the well-known folders", Access.READ, null);
      }
    }
    wellKnownIds = ids;
    return ids;
  }

  private static String text(ParseNode body, String field) {
    ParseNode node = body == null ? null : body.getChildNode(field);
    return node == null ? null : node.getStringValue();
  }

  /** The folder tree: top-level folders with their children. */
  public List<org.o365mail.MailFolder> tree() {
    Map<WellKnownFolder, String> known = wellKnownIds();
    Map<String, WellKnownFolder> byId = new java.util.HashMap<>();
    known.forEach((w, id) -> byId.put(id, w));
    return children(null, "", byId);
  }

  private List<org.o365mail.MailFolder> children(String parentId, String parentPath, Map<String, WellKnownFolder> known) {
    List<org.o365mail.MailFolder> out = new ArrayList<>();
    for (MailFolder f : list(parentId)) {
      String path = parentPath.isEmpty() ? f.getDisplayName() : parentPath + "/" + f.getDisplayName();
      remember(f.getId(), path);
      List<org.o365mail.MailFolder> kids = f.getChildFolderCount() != null && f.getChildFolderCount() > 0
          ? children(f.getId(), path, known)
          : List.of();
      out.add(org.o365mail.MailFolder.of(f.getId(), path, f.getDisplayName(), known.get(f.getId()),
          count(f.getTotalItemCount()), count(f.getUnreadItemCount()), kids));
    }
    return out;
  }

  private static long count(Integer n) {
    return n == null ? -1 : n;
  }

  /** All child folders of {@code parentId} (top level for null), following nextLinks. */
  private List<MailFolder> list(String parentId) {
    List<MailFolder> all = new ArrayList<>();
    try {
      MailFolderCollectionResponse page = parentId == null
          ? graph.users().byUserId(user).mailFolders().get(rc -> {
            rc.queryParameters.select = FOLDER_SELECT;
            rc.queryParameters.top = 100;
            rc.options.add(GraphCall.READ);
            rc.headers.add("Prefer", "IdType=\"ImmutableId\"");
          })
          : graph.users().byUserId(user).mailFolders().byMailFolderId(parentId).childFolders().get(rc -> {
            rc.queryParameters.select = FOLDER_SELECT;
            rc.queryParameters.top = 100;
            rc.options.add(GraphCall.READ);
            rc.headers.add("Prefer", "IdType=\"ImmutableId\"");
          });
      PagingGuard paging = new PagingGuard("the listing of folders");
      while (page != null) {
        paging.page(page.getValue() == null ? 0 : page.getValue().size(), page.getOdataNextLink());
        if (page.getValue() != null) {
          all.addAll(page.getValue());
        }
        String next = page.getOdataNextLink();
        if (next == null) {
          break;
        }
        page = graph.users().byUserId(user).mailFolders().withUrl(next).get(rc -> {
          rc.options.add(GraphCall.READ);
          rc.headers.add("Prefer", "IdType=\"ImmutableId\"");
        });
      }
    } catch (RuntimeException e) {
      throw errors.map(e, Target.FOLDER, "listing folders", Access.READ);
    }
    return all;
  }

  /** The folder's id and path if they are known already (no request needed), else empty. */
  public Optional<Resolved> known(FolderRef ref) {
    String id;
    if (ref.wellKnown().isPresent()) {
      Map<WellKnownFolder, String> ids = wellKnownIds;
      id = ids == null ? null : ids.get(ref.wellKnown().get());
    } else if (ref.id().isPresent()) {
      id = ref.id().get();
    } else {
      id = idByPath.get(key(ref.path().orElseThrow()));
    }
    String path = id == null ? null : pathById.get(id);
    return path == null ? Optional.empty() : Optional.of(new Resolved(id, path));
  }

  /** Resolves a reference to the folder's id and path. */
  public Resolved resolve(FolderRef ref) {
    Optional<WellKnownFolder> w = ref.wellKnown();
    if (w.isPresent()) {
      String id = wellKnownIds().get(w.get());
      if (id == null) {
        throw new FolderNotFoundException("mailbox has no " + w.get().displayName() + " folder", null, null);
      }
      String path = pathOf(id);
      return new Resolved(id, path);
    }
    if (ref.id().isPresent()) {
      String id = ref.id().get();
      return new Resolved(id, pathOf(id));
    }
    String path = ref.path().orElseThrow();
    String cached = idByPath.get(key(path));
    if (cached != null) {
      return new Resolved(cached, pathById.getOrDefault(cached, path));
    }
    return walk(ref.segments(), false, path);
  }

  /** Creates the folders of {@code ref}'s path that are missing. */
  public Resolved create(FolderRef ref) {
    if (ref.wellKnown().isPresent() || ref.id().isPresent()) {
      return resolve(ref);
    }
    return walk(ref.segments(), true, ref.path().orElseThrow());
  }

  private Resolved walk(String[] segments, boolean create, String wanted) {
    String parentId = null;
    String parentPath = "";
    for (int i = 0; i < segments.length; i++) {
      String name = segments[i];
      String id = null;
      String display = null;
      if (i == 0) {
        for (WellKnownFolder w : WellKnownFolder.values()) {
          if (w.graphName().equalsIgnoreCase(name) && wellKnownIds().containsKey(w)) {
            id = wellKnownIds().get(w);
            display = pathOf(id);
          }
        }
      }
      if (id == null) {
        for (MailFolder f : list(parentId)) {
          if (f.getDisplayName() != null && f.getDisplayName().equalsIgnoreCase(name)) {
            id = f.getId();
            display = f.getDisplayName();
            break;
          }
        }
      }
      if (id == null) {
        if (!create) {
          throw new FolderNotFoundException("folder " + wanted + " not found in " + user + " (no '" + name + "' in "
              + (parentPath.isEmpty() ? "the mailbox root" : parentPath) + ")", null, null);
        }
        id = createChild(parentId, name);
        display = name;
      }
      String path = parentPath.isEmpty() ? display : parentPath + "/" + display;
      remember(id, path);
      parentId = id;
      parentPath = path;
    }
    return new Resolved(parentId, parentPath);
  }

  private String createChild(String parentId, String name) {
    MailFolder body = new MailFolder();
    body.setDisplayName(name);
    try {
      MailFolder created = parentId == null
          ? graph.users().byUserId(user).mailFolders().post(body, rc -> rc.options.add(GraphCall.WRITE))
          : graph.users().byUserId(user).mailFolders().byMailFolderId(parentId).childFolders().post(body,
              rc -> rc.options.add(GraphCall.WRITE));
      return created.getId();
    } catch (ODataError e) {
      if (e.getResponseStatusCode() == 409) {
        for (MailFolder f : list(parentId)) {
          if (name.equalsIgnoreCase(f.getDisplayName())) {
            return f.getId();
          }
        }
      }
      throw errors.map(e, Target.FOLDER, "creating folder " + name, Access.WRITE);
    } catch (RuntimeException e) {
      throw errors.map(e, Target.FOLDER, "creating folder " + name, Access.WRITE);
    }
  }

  /** The path of a folder id, walking up its parents (cached). */
  public String pathOf(String folderId) {
    String cached = pathById.get(folderId);
    if (cached != null) {
      return cached;
    }
    List<String> names = new ArrayList<>();
    List<String> ids = new ArrayList<>();
    String root = rootId();
    String current = folderId;
    for (int depth = 0; depth < 64; depth++) {
      String known = pathById.get(current);
      if (known != null) {
        names.add(known);
        ids.add(null);
        break;
      }
      MailFolder f = get(current);
      if (f.getId() != null && f.getId().equals(root)) {
        break;
      }
      names.add(f.getDisplayName());
      ids.add(f.getId());
      if (f.getParentFolderId() == null || f.getParentFolderId().equals(root)) {
        break;
      }
      current = f.getParentFolderId();
    }
    if (names.isEmpty()) {
      throw new MailboxException("folder " + folderId + " is the mailbox root, which holds no messages");
    }
    String path = "";
    for (int i = names.size() - 1; i >= 0; i--) {
      path = path.isEmpty() ? names.get(i) : path + "/" + names.get(i);
      if (ids.get(i) != null) {
        remember(ids.get(i), path);
      }
    }
    return path;
  }
}
