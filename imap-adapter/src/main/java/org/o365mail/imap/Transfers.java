package org.o365mail.imap;

import static java.util.Objects.requireNonNull;
import static org.o365mail.imap.Uids.UIDS_PER_COMMAND;
import static org.o365mail.imap.Uids.byFolder;
import static org.o365mail.imap.Uids.messageIds;
import static org.o365mail.imap.Uids.uidCriteria;
import static org.o365mail.imap.Uids.uidSet;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.eclipse.angus.mail.iap.Argument;
import org.eclipse.angus.mail.iap.ProtocolException;
import org.eclipse.angus.mail.iap.Response;
import org.eclipse.angus.mail.imap.protocol.Status;
import org.eclipse.angus.mail.imap.protocol.UIDSet;
import org.o365mail.FolderRef;
import org.o365mail.MessageId;
import org.o365mail.imap.internal.ImapConnection;
import org.o365mail.imap.internal.ImapIds;
import org.o365mail.imap.internal.MailboxSession;
import org.o365mail.imap.internal.Pii;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moving messages between folders: {@code UID MOVE} where the server offers MOVE, otherwise {@code UID COPY},
 * {@code \Deleted} and {@code UID EXPUNGE} (plain {@code EXPUNGE} without UIDPLUS), new UIDs from {@code COPYUID}
 * or found by Message-ID; safe to run again after a lost connection. Thread-safe.
 */
final class Transfers {
  private static final Logger logger = LoggerFactory.getLogger(Transfers.class);
  private final MailboxFolders access;
  private final String mailbox;
  private final MailboxSession session;
  private final Folders folders;
  private final boolean logPii;
  private final Renumbering renumbering;
  private final KnownMessageIds handedOut;

  Transfers(MailboxFolders access, Renumbering renumbering, KnownMessageIds handedOut) {
    this.access = access;
    this.mailbox = access.mailbox;
    this.session = access.session;
    this.folders = access.folders;
    this.logPii = access.logPii;
    this.renumbering = renumbering;
    this.handedOut = handedOut;
  }

  /** See {@link ImapMailboxConnector#move(MessageId, FolderRef)}. */
  MessageId move(MessageId id, FolderRef destination) {
    MessageId moved = move(List.of(id), destination).get(id);
    if (moved == null) {
      throw renumbering.notFound(ImapIds.parse(id), null);
    }
    return moved;
  }

  /** See {@link ImapMailboxConnector#move(Collection, FolderRef)}: one {@link Transfer} per source folder. */
  Map<MessageId, MessageId> move(Collection<MessageId> ids, FolderRef destination) {
    requireNonNull(ids, "ids");
    requireNonNull(destination, "destination");
    Map<MessageId, MessageId> moved = new LinkedHashMap<>();
    for (Map.Entry<String, List<ImapIds.Ref>> group : byFolder(ids).entrySet()) {
      Transfer transfer = new Transfer(group.getValue());
      session.call("UID MOVE", c -> {
        transfer.run(c, destination);
        return null;
      });
      moved.putAll(transfer.moved);
    }
    Map<MessageId, MessageId> inOrder = new LinkedHashMap<>();
    for (MessageId id : ids) {
      MessageId to = moved.get(id);
      if (to != null) {
        inOrder.put(id, to);
      }
    }
    return inOrder;
  }

  /**
   * Moving the messages of one folder: {@code UID MOVE} when the server offers MOVE, otherwise {@code UID COPY},
   * {@code \Deleted} and {@code UID EXPUNGE} (plain {@code EXPUNGE} without UIDPLUS). New UIDs come from {@code
   * COPYUID}, else by searching the destination for the messages' Message-IDs. Safe to run again after a lost
   * connection: messages already gone from the source, or already copied, are found in the destination instead
   * of being moved twice. A copy is looked for only where it can be: above the destination's UIDNEXT from before
   * the first COPY of this call, or of an earlier call that copied the message and gave up before its source was
   * deleted (remembered in {@link #handedOut}); a message with the same Message-ID that was in the destination
   * before is not taken for a copy. A process that dies between COPY and {@code \Deleted} forgets: moving the
   * message again leaves two copies in the destination, none lost.
   */
  private final class Transfer {
    final List<ImapIds.Ref> refs;
    final Map<MessageId, MessageId> moved = new LinkedHashMap<>();
    Map<Long, String> messageIds;
    long messageIdsValidity = -1;
    long destUidNext = -1;
    long destValidityBefore = -1;

    Transfer(List<ImapIds.Ref> refs) {
      this.refs = refs;
    }

    void run(ImapConnection c, FolderRef destination) throws ProtocolException {
      ImapIds.Ref first = refs.get(0);
      Folders.ServerFolder dest = access.resolve(c, destination);
      if (dest.path().equalsIgnoreCase(first.path())) {
        refs.forEach(r -> moved.put(r.toMessageId(), r.toMessageId()));
        return;
      }
      Renumbering.Placement placement = renumbering.place(c, refs);
      long[] uids = placement.now().values().stream().mapToLong(ImapIds.Ref::uid).sorted().distinct().toArray();
      if (uids.length == 0) {
        handedOut.copiesFinished(refs);
        return; // none of them is there any more
      }
      if (messageIds == null || messageIdsValidity != placement.uidValidity()) {
        messageIds = messageIds(c, uids);
        messageIdsValidity = placement.uidValidity();
      }
      boolean move = c.hasCapability("MOVE");
      long[] present = uids;
      long[] mayBeCopied;
      if (destUidNext < 0) {
        Status status = c.status(dest.serverName(), "UIDNEXT", "UIDVALIDITY");
        destUidNext = status.uidnext;
        destValidityBefore = status.uidvalidity;
        mayBeCopied = move ? new long[0] : copiedBefore(dest, placement);
      } else {
        present = c.uidSearch(uidCriteria(uids));
        mayBeCopied = present; // by the attempt before, on the connection that was lost
      }
      Map<Long, Long> newUids = new HashMap<>();
      long destValidity = -1;
      if (present.length > 0) {
        long[] toTransfer = present;
        if (!move && mayBeCopied.length > 0) {
          // a COPY may have happened before the connection was lost: do not copy those again
          Map<Long, Long> copied = findByMessageId(c, dest, mayBeCopied);
          newUids.putAll(copied);
          renumbering.selectFolderOf(c, first);
          toTransfer = Arrays.stream(present).filter(u -> !copied.containsKey(u)).toArray();
        }
        if (!move) {
          copyStarting(toTransfer, placement, dest);
        }
        for (int from = 0; from < toTransfer.length; from += UIDS_PER_COMMAND) {
          long[] part = Arrays.copyOfRange(toTransfer, from, Math.min(toTransfer.length, from + UIDS_PER_COMMAND));
          Response[] answer = c.uidTransfer(move ? "MOVE" : "COPY", uidSet(part), dest.serverName());
          destValidity = copyUid(answer, newUids, destValidity);
        }
        if (!move) {
          for (int from = 0; from < present.length; from += UIDS_PER_COMMAND) {
            long[] part = Arrays.copyOfRange(present, from, Math.min(present.length, from + UIDS_PER_COMMAND));
            c.uidStore(uidSet(part), "+FLAGS.SILENT", "\\Deleted");
            if (c.hasCapability("UIDPLUS")) {
              c.uidExpunge(uidSet(part));
            }
          }
          if (!c.hasCapability("UIDPLUS")) {
            logger.debug("imap {}: no UIDPLUS; EXPUNGE removes every \\Deleted message of the folder",
                Pii.mailbox(mailbox, logPii));
            c.expunge();
          }
        }
      }
      handedOut.copiesFinished(refs);
      long[] unmapped = Arrays.stream(uids).filter(u -> !newUids.containsKey(u)).toArray();
      if (unmapped.length > 0) {
        newUids.putAll(findByMessageId(c, dest, unmapped));
      }
      if (destValidity < 0) {
        destValidity = c.status(dest.serverName(), "UIDVALIDITY").uidvalidity;
      }
      for (ImapIds.Ref r : refs) {
        ImapIds.Ref now = placement.now().get(r);
        Long to = now == null ? null : newUids.get(now.uid());
        if (to != null) {
          moved.put(r.toMessageId(), ImapIds.of(dest.path(), destValidity, to));
        }
      }
    }

    /**
     * The source UIDs (now) of the messages an earlier call started copying to {@code dest} and did not see through;
     * lowers {@link #destUidNext} to where the first of those copies can be (to 1 if the destination was renumbered
     * since).
     */
    private long[] copiedBefore(Folders.ServerFolder dest, Renumbering.Placement placement) {
      List<Long> found = new ArrayList<>();
      for (ImapIds.Ref r : refs) {
        ImapIds.Ref now = placement.now().get(r);
        Optional<KnownMessageIds.Copy> copy = handedOut.unfinishedCopy(r, dest.path());
        if (now == null || copy.isEmpty()) {
          continue;
        }
        long from = copy.get().destinationValidity() == destValidityBefore ? copy.get().uidNextBefore() : 1;
        destUidNext = Math.min(destUidNext, from);
        found.add(now.uid());
        if (copy.get().messageId() != null) {
          messageIds.putIfAbsent(now.uid(), copy.get().messageId()); // gone from the source if it was expunged
        }
      }
      return found.stream().mapToLong(Long::longValue).sorted().distinct().toArray();
    }

    /** Remembers, before {@code UID COPY}, where the copies of {@code sourceUids} will be, in case this call fails. */
    private void copyStarting(long[] sourceUids, Renumbering.Placement placement, Folders.ServerFolder dest) {
      Set<Long> copying = Arrays.stream(sourceUids).boxed().collect(Collectors.toSet());
      for (ImapIds.Ref r : refs) {
        ImapIds.Ref now = placement.now().get(r);
        if (now != null && copying.contains(now.uid())) {
          handedOut.copyStarted(r, new KnownMessageIds.Copy(dest.path(), destValidityBefore, destUidNext,
              messageIds.get(now.uid())));
        }
      }
    }

    /** Finds the messages by Message-ID among the destination's UIDs from before the first attempt on. */
    private Map<Long, Long> findByMessageId(ImapConnection c, Folders.ServerFolder dest, long[] sourceUids)
        throws ProtocolException {
      Map<Long, Long> found = new HashMap<>();
      access.select(c, dest);
      for (long u : sourceUids) {
        String messageId = messageIds.get(u);
        if (messageId == null) {
          continue;
        }
        Argument a = new Argument();
        a.writeAtom("UID");
        a.writeAtom(Math.max(1, destUidNext) + ":4294967295");
        a.writeAtom("HEADER");
        a.writeAtom("Message-ID");
        a.writeString(messageId);
        for (long hit : c.uidSearch(a)) {
          if (hit >= destUidNext && !found.containsValue(hit)) {
            found.put(u, hit);
            break;
          }
        }
      }
      return found;
    }
  }

  /** Reads {@code [COPYUID validity src dst]} from MOVE's or COPY's answers; returns the destination UIDVALIDITY. */
  static long copyUid(Response[] answer, Map<Long, Long> into, long validitySoFar) {
    long validity = validitySoFar;
    for (Response r : answer) {
      String text = r.toString();
      int at = text.indexOf("[COPYUID ");
      if (at < 0) {
        continue;
      }
      int end = text.indexOf(']', at);
      String[] parts = text.substring(at + 9, end < 0 ? text.length() : end).trim().split("\\s+");
      if (parts.length != 3) {
        continue;
      }
      long[] src = UIDSet.toArray(UIDSet.parseUIDSets(parts[1]));
      long[] dst = UIDSet.toArray(UIDSet.parseUIDSets(parts[2]));
      if (src != null && dst != null && src.length == dst.length) {
        validity = Long.parseLong(parts[0]);
        for (int i = 0; i < src.length; i++) {
          into.put(src[i], dst[i]);
        }
      }
    }
    return validity;
  }
}
