package org.o365mail.imap;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;
import org.eclipse.angus.mail.iap.CommandFailedException;
import org.eclipse.angus.mail.iap.ProtocolException;
import org.eclipse.angus.mail.imap.protocol.Status;
import org.o365mail.FolderNotFoundException;
import org.o365mail.FolderRef;
import org.o365mail.MailFolder;
import org.o365mail.imap.internal.ImapConnection;
import org.o365mail.imap.internal.MailboxSession;

/**
 * The folders of one connector's mailbox: looked up (cached, see {@link Folders}), selected, listed and created.
 * The connection is the caller's: every method runs inside one {@link MailboxSession} operation or starts one.
 * Thread-safe.
 */
final class MailboxFolders {
  final String mailbox;
  final boolean logPii;
  final MailboxSession session;
  final Folders folders = new Folders();

  MailboxFolders(String mailbox, boolean logPii, MailboxSession session) {
    this.mailbox = mailbox;
    this.logPii = logPii;
    this.session = session;
  }

  List<MailFolder> listFolders() {
    return session.call("LIST", c -> Folders.tree(folders.refresh(c)));
  }

  MailFolder folder(FolderRef folder) {
    requireNonNull(folder, "folder");
    return session.call("LIST/STATUS", c -> {
      folders.refresh(c);
      Folders.ServerFolder f = resolve(c, folder);
      if (!f.selectable()) {
        return folders.toMailFolder(f, -1, -1);
      }
      Status status = c.status(f.serverName(), "MESSAGES", "UNSEEN");
      return folders.toMailFolder(f, status.total, status.unseen);
    });
  }

  MailFolder createFolder(FolderRef path) {
    requireNonNull(path, "path");
    String target = Folders.pathOf(path);
    return session.call("CREATE", c -> {
      Optional<Folders.ServerFolder> existing = folders.resolve(c, path);
      if (existing.isPresent()) {
        return folders.toMailFolder(existing.get(), -1, -1);
      }
      String[] segments = target.split("/");
      StringBuilder prefix = new StringBuilder();
      for (String segment : segments) {
        if (prefix.length() > 0) {
          prefix.append('/');
        }
        prefix.append(segment);
        FolderRef level = FolderRef.path(prefix.toString());
        if (folders.resolve(c, level).isEmpty()) {
          try {
            c.create(Folders.serverNameOf(prefix.toString(), folders.delimiter()));
          } catch (CommandFailedException e) {
            // created meanwhile by someone else: fine if it is there now
            folders.invalidate();
            if (folders.resolve(c, level).isEmpty()) {
              throw e;
            }
          }
          folders.invalidate();
        }
      }
      return folders.toMailFolder(resolve(c, path), -1, -1);
    });
  }

  Folders.ServerFolder resolve(ImapConnection c, FolderRef ref) throws ProtocolException {
    return folders.resolve(c, ref).orElseThrow(() -> new FolderNotFoundException("folder '" + ref + "' not found in"
        + " mailbox " + mailbox, null, null));
  }

  /** Selects the folder; a folder that cannot be selected any more is looked up again once. */
  long select(ImapConnection c, Folders.ServerFolder f) throws ProtocolException {
    try {
      return c.select(f.serverName());
    } catch (CommandFailedException e) {
      folders.invalidate();
      c.forgetSelection();
      throw new FolderNotFoundException("folder '" + f.path() + "' cannot be opened in mailbox " + mailbox + ": "
          + ImapConnection.serverText(e), null, e);
    }
  }
}
