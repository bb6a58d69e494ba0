package org.o365mail.imap;

import static java.util.Objects.requireNonNull;
import static org.o365mail.imap.Uids.UIDS_PER_COMMAND;
import static org.o365mail.imap.Uids.byFolder;
import static org.o365mail.imap.Uids.uidCriteria;
import static org.o365mail.imap.Uids.uidSet;

import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.eclipse.angus.mail.iap.ProtocolException;
import org.o365mail.DeleteMode;
import org.o365mail.FolderRef;
import org.o365mail.MessageId;
import org.o365mail.MessageNotFoundException;
import org.o365mail.imap.internal.ImapConnection;
import org.o365mail.imap.internal.ImapIds;
import org.o365mail.imap.internal.MailboxSession;

/**
 * Changes to messages in place: {@code \Seen} set or cleared for many messages in few commands, and deletes
 * (to Deleted Items through {@link Transfers}, or for good with {@code UID EXPUNGE}). Thread-safe.
 */
final class MessageActions {
  private final MailboxFolders access;
  private final String mailbox;
  private final MailboxSession session;
  private final Renumbering renumbering;
  private final Transfers transfers;

  MessageActions(MailboxFolders access, Renumbering renumbering, Transfers transfers) {
    this.access = access;
    this.mailbox = access.mailbox;
    this.session = access.session;
    this.renumbering = renumbering;
    this.transfers = transfers;
  }

  void markRead(MessageId id, boolean read) {
    markRead(List.of(id), read);
  }

  void markRead(Collection<MessageId> ids, boolean read) {
    requireNonNull(ids, "ids");
    for (Map.Entry<String, List<ImapIds.Ref>> group : byFolder(ids).entrySet()) {
      List<ImapIds.Ref> refs = group.getValue();
      session.call("UID STORE \\Seen", c -> {
        Map<ImapIds.Ref, ImapIds.Ref> now = renumbering.place(c, refs).now();
        long[] uids = now.values().stream().mapToLong(ImapIds.Ref::uid).sorted().distinct().toArray();
        for (int from = 0; from < uids.length; from += UIDS_PER_COMMAND) {
          long[] part = Arrays.copyOfRange(uids, from, Math.min(uids.length, from + UIDS_PER_COMMAND));
          c.uidStore(uidSet(part), read ? "+FLAGS.SILENT" : "-FLAGS.SILENT", "\\Seen");
        }
        requireAll(c, refs, now);
        return null;
      });
    }
  }

  /**
   * Throws {@link MessageNotFoundException} if a message of {@code refs} could not be placed ({@code now}) or is not
   * in the selected folder.
   */
  void requireAll(ImapConnection c, List<ImapIds.Ref> refs, Map<ImapIds.Ref, ImapIds.Ref> now)
      throws ProtocolException {
    long[] uids = now.values().stream().mapToLong(ImapIds.Ref::uid).sorted().distinct().toArray();
    Set<Long> present = new TreeSet<>();
    for (int from = 0; from < uids.length; from += UIDS_PER_COMMAND) {
      long[] part = Arrays.copyOfRange(uids, from, Math.min(uids.length, from + UIDS_PER_COMMAND));
      for (long found : c.uidSearch(uidCriteria(part))) {
        present.add(found);
      }
    }
    List<ImapIds.Ref> missing = refs.stream().filter(r -> now.get(r) == null || !present.contains(now.get(r).uid()))
        .distinct().toList();
    if (!missing.isEmpty()) {
      ImapIds.Ref first = missing.get(0);
      throw new MessageNotFoundException(missing.size() == 1 ? "message " + first.toMessageId()
          + " no longer exists in folder '" + first.path() + "' of mailbox " + mailbox
          : missing.size() + " of the messages no longer exist in folder '" + first.path() + "' of mailbox "
              + mailbox + ", first " + first.toMessageId(), null, null);
    }
  }

  void delete(MessageId id, DeleteMode mode) {
    ImapIds.Ref ref = ImapIds.parse(id);
    requireNonNull(mode, "mode");
    if (mode == DeleteMode.MOVE_TO_DELETED_ITEMS) {
      boolean inDeletedItems = session.call("LIST", c -> access.resolve(c, FolderRef.DELETED_ITEMS).path())
          .equalsIgnoreCase(ref.path());
      if (!inDeletedItems) {
        if (transfers.move(List.of(id), FolderRef.DELETED_ITEMS).isEmpty()) {
          throw renumbering.notFound(ref, null);
        }
        return;
      }
    }
    session.call("UID STORE \\Deleted/UID EXPUNGE", c -> {
      long[] uid = {renumbering.current(c, ref).uid()};
      if (c.uidSearch(uidCriteria(uid)).length == 0) {
        throw renumbering.notFound(ref, null);
      }
      c.uidStore(uidSet(uid), "+FLAGS.SILENT", "\\Deleted");
      if (c.hasCapability("UIDPLUS")) {
        c.uidExpunge(uidSet(uid));
      } else {
        c.expunge();
      }
      return null;
    });
  }
}
