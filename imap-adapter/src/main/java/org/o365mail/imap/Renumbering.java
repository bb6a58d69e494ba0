package org.o365mail.imap;

import static org.o365mail.imap.Uids.messageIds;
import static org.o365mail.ServiceText.printable;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.eclipse.angus.mail.iap.Argument;
import org.eclipse.angus.mail.iap.CommandFailedException;
import org.eclipse.angus.mail.iap.ProtocolException;
import org.eclipse.angus.mail.imap.protocol.Status;
import org.o365mail.FolderRef;
import org.o365mail.MessageNotFoundException;
import org.o365mail.imap.internal.ImapConnection;
import org.o365mail.imap.internal.ImapIds;
import org.o365mail.imap.internal.MailboxSession;
import org.o365mail.imap.internal.Pii;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a message handed out under an earlier UIDVALIDITY is now: when Exchange renumbers a folder, the messages
 * this connector handed out (the last ones, see {@link KnownMessageIds}) are found again by their Message-IDs,
 * and what {@link ReadAhead} planned or holds moves to the new numbering with them. Thread-safe; runs inside the
 * caller's {@link MailboxSession} operation.
 */
final class Renumbering {
  private static final Logger logger = LoggerFactory.getLogger(Renumbering.class);
  private final MailboxFolders access;
  private final String mailbox;
  private final Folders folders;
  private final boolean logPii;
  private final ReadAhead readAhead;
  private final KnownMessageIds handedOut;

  Renumbering(MailboxFolders access, ReadAhead readAhead, KnownMessageIds handedOut) {
    this.access = access;
    this.mailbox = access.mailbox;
    this.folders = access.folders;
    this.logPii = access.logPii;
    this.readAhead = readAhead;
    this.handedOut = handedOut;
  }
  /** Message-IDs ORed into one UID SEARCH when messages are found again after a renumbering. */
  private static final int MESSAGE_IDS_PER_SEARCH = 50;

  /**
   * Selects the message's folder; returns its UIDVALIDITY now. A folder selected by an earlier operation is asked
   * for its UIDVALIDITY: after a renumbering the old selection would answer for the old numbering.
   */
  long selectFolderOf(ImapConnection c, ImapIds.Ref ref) throws ProtocolException {
    Optional<Folders.ServerFolder> f = folders.resolve(c, FolderRef.path(ref.path()));
    if (f.isEmpty()) {
      throw new MessageNotFoundException("message " + ref.toMessageId() + " is gone: its folder '" + ref.path()
          + "' no longer exists in mailbox " + mailbox, null, null);
    }
    long validity;
    try {
      validity = c.select(f.get().serverName());
    } catch (CommandFailedException e) {
      folders.invalidate();
      throw new MessageNotFoundException("message " + ref.toMessageId() + " is gone: its folder '" + ref.path()
          + "' cannot be opened (" + ImapConnection.serverText(e) + ")", null, e);
    }
    if (!c.freshlySelected() || validity != ref.uidValidity()) {
      // the selection may predate a change: ask the server what the folder's UIDVALIDITY is now
      Status now = c.status(f.get().serverName(), "UIDVALIDITY");
      if (now.uidvalidity != validity) {
        validity = c.reselect(f.get().serverName());
      }
    }
    return validity;
  }

  /** Where the messages of {@code refs} (all of one folder and UIDVALIDITY) are now: see {@link #place}. */
  record Placement(long uidValidity, Map<ImapIds.Ref, ImapIds.Ref> now) {}

  /**
   * Selects the folder of {@code refs} (all of one folder and one UIDVALIDITY) and says where each of their messages
   * is in it now: where the id says while the folder's UIDVALIDITY is still the ids'. After Exchange renumbered the
   * folder, a message this connector handed out is found again by the Message-ID it had; messages it cannot place
   * (never handed out here, gone, or their Message-ID no longer unique) are left out.
   */
  Placement place(ImapConnection c, List<ImapIds.Ref> refs) throws ProtocolException {
    ImapIds.Ref first = refs.get(0);
    long validity = selectFolderOf(c, first);
    Map<ImapIds.Ref, ImapIds.Ref> now = new LinkedHashMap<>();
    if (validity == first.uidValidity()) {
      refs.forEach(r -> now.put(r, r));
    } else {
      now.putAll(findAgain(c, refs, validity));
    }
    return new Placement(validity, now);
  }

  /** The one message {@code ref} names now, found again after a renumbering if need be (see {@link #place}). */
  ImapIds.Ref current(ImapConnection c, ImapIds.Ref ref) throws ProtocolException {
    Placement p = place(c, List.of(ref));
    ImapIds.Ref now = p.now().get(ref);
    if (now == null) {
      throw new MessageNotFoundException("message " + ref.toMessageId() + " was issued under UIDVALIDITY "
          + ref.uidValidity() + " of folder '" + ref.path() + "', which now has UIDVALIDITY " + p.uidValidity()
          + ": Exchange renumbered the folder, so the id no longer names a message; find it again with sync() or"
          + " listMessages()", null, null);
    }
    return now;
  }

  /**
   * The messages of {@code refs} (of one folder, issued under one earlier UIDVALIDITY) in the folder's numbering now
   * ({@code validity}, selected): each by the Message-ID it had when this connector handed it out, when exactly one
   * message has it. The messages planned to be read with them (the rest of a batch in hand) are looked for at the
   * same time, 50 Message-IDs to a UID SEARCH checked exactly in the ENVELOPE; what is learnt is kept as it comes,
   * so that a lost connection costs only the last 50 and each message is looked for once. Once all are looked for,
   * what is planned and held to read moves to the new numbering along with them.
   */
  Map<ImapIds.Ref, ImapIds.Ref> findAgain(ImapConnection c, List<ImapIds.Ref> refs, long validity)
      throws ProtocolException {
    ImapIds.Ref first = refs.get(0);
    Set<ImapIds.Ref> lookFor = new LinkedHashSet<>(refs);
    for (long uid : readAhead.planned(first.path(), first.uidValidity())) {
      lookFor.add(new ImapIds.Ref(first.path(), first.uidValidity(), uid));
    }
    lookFor.removeIf(r -> handedOut.lookedFor(r, validity));
    if (!lookFor.isEmpty()) {
      Map<String, List<ImapIds.Ref>> byMessageId = new LinkedHashMap<>();
      for (ImapIds.Ref r : lookFor) {
        Optional<String> id = handedOut.messageId(r);
        if (id.isPresent()) {
          byMessageId.computeIfAbsent(id.get(), k -> new ArrayList<>()).add(r);
        } else {
          handedOut.notFoundAgain(r, validity); // never handed out here: nothing to look for it by
        }
      }
      List<String> wanted = new ArrayList<>(byMessageId.keySet());
      int found = 0;
      for (int from = 0; from < wanted.size(); from += MESSAGE_IDS_PER_SEARCH) {
        List<String> part = wanted.subList(from, Math.min(wanted.size(), from + MESSAGE_IDS_PER_SEARCH));
        Argument a = new Argument();
        for (int i = 0; i < part.size(); i++) {
          if (i < part.size() - 1) {
            a.writeAtom("OR");
          }
          a.writeAtom("HEADER");
          a.writeAtom("Message-ID");
          a.writeString(part.get(i));
        }
        // SEARCH HEADER matches substrings, ignoring case: only the exact Message-ID counts
        Map<String, List<Long>> uids = new HashMap<>();
        messageIds(c, c.uidSearch(a)).forEach((uid, id) -> uids.computeIfAbsent(id, k -> new ArrayList<>()).add(uid));
        for (String id : part) {
          List<Long> hits = uids.getOrDefault(id, List.of());
          for (ImapIds.Ref r : byMessageId.get(id)) {
            if (hits.size() == 1) {
              handedOut.foundAgain(r, new ImapIds.Ref(r.path(), validity, hits.get(0)));
              found++;
            } else {
              handedOut.notFoundAgain(r, validity); // gone, or no longer unique
            }
          }
        }
      }
      logger.debug("imap {}: folder {} was renumbered (UIDVALIDITY {} now {}); {} of {} messages handed out under"
          + " the old one found again by Message-ID", Pii.mailbox(mailbox, logPii), printable(first.path()),
          first.uidValidity(),
          validity, found, lookFor.size());
    }
    readAhead.renumber(first.path(), first.uidValidity(), validity,
        uid -> foundAgain(new ImapIds.Ref(first.path(), first.uidValidity(), uid), validity).map(ImapIds.Ref::uid));
    Map<ImapIds.Ref, ImapIds.Ref> now = new LinkedHashMap<>();
    for (ImapIds.Ref r : refs) {
      foundAgain(r, validity).ifPresent(there -> now.put(r, there));
    }
    return now;
  }

  Optional<ImapIds.Ref> foundAgain(ImapIds.Ref ref, long validity) {
    return handedOut.foundAgain(ref).filter(f -> f.uidValidity() == validity);
  }

  MessageNotFoundException notFound(ImapIds.Ref ref, Throwable cause) {
    return new MessageNotFoundException("message " + ref.toMessageId() + " no longer exists in folder '"
        + ref.path() + "' of mailbox " + mailbox + " (deleted or moved)", null, cause);
  }
}
