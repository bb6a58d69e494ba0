package org.o365mail.graph;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Map;
import org.o365mail.FolderRef;
import org.o365mail.MailFolder;
import org.o365mail.WellKnownFolder;
import org.o365mail.graph.internal.Folders;
import org.o365mail.graph.internal.GraphCall;
import org.o365mail.graph.internal.GraphCall.Access;
import org.o365mail.graph.internal.GraphErrors.Target;

/** The mailbox's folders as the API shows them: the tree, one folder with its counts, a new folder. Thread-safe. */
final class MailFolders {
  private final GraphSession session;

  MailFolders(GraphSession session) {
    this.session = session;
  }

  List<MailFolder> tree() {
    return session.folders().tree();
  }

  MailFolder folder(FolderRef ref) {
    requireNonNull(ref, "folder");
    Folders folders = session.folders();
    Folders.Resolved r = folders.resolve(ref);
    com.microsoft.graph.models.MailFolder f;
    try {
      f = session.graph().users().byUserId(session.mailbox()).mailFolders().byMailFolderId(r.id()).get(rc -> {
        rc.queryParameters.select = new String[] {"id", "displayName", "totalItemCount", "unreadItemCount"};
        rc.options.add(GraphCall.READ);
        rc.headers.add("Prefer", GraphSession.PREFER_IMMUTABLE);
      });
    } catch (RuntimeException e) {
      throw session.errors().map(e, Target.FOLDER, "reading folder " + ref, Access.READ);
    }
    var known = folders.wellKnownIds();
    WellKnownFolder wk = known.entrySet().stream().filter(e -> e.getValue().equals(r.id()))
        .map(Map.Entry::getKey).findFirst().orElse(null);
    return MailFolder.of(r.id(), r.path(), f.getDisplayName(), wk,
        f.getTotalItemCount() == null ? -1 : f.getTotalItemCount(),
        f.getUnreadItemCount() == null ? -1 : f.getUnreadItemCount(), List.of());
  }

  MailFolder create(FolderRef path) {
    requireNonNull(path, "path");
    Folders.Resolved r = session.folders().create(path);
    return folder(FolderRef.id(r.id()));
  }
}
