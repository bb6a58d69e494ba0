package org.o365mail.imap;

import static java.util.Objects.requireNonNull;
import static org.o365mail.imap.Uids.SEARCH_DATE;
import static org.o365mail.imap.Uids.UIDS_PER_COMMAND;
import static org.o365mail.imap.Uids.messageIds;
import static org.o365mail.imap.Uids.summaries;
import static org.o365mail.imap.Uids.uidCriteria;
import static org.o365mail.imap.Uids.uidSet;
import static org.o365mail.ServiceText.printable;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.angus.mail.iap.Argument;
import org.eclipse.angus.mail.iap.ProtocolException;
import org.eclipse.angus.mail.imap.protocol.FetchResponse;
import org.eclipse.angus.mail.imap.protocol.INTERNALDATE;
import org.eclipse.angus.mail.imap.protocol.Status;
import org.o365mail.FolderRef;
import org.o365mail.MessageSummary;
import org.o365mail.SyncBatch;
import org.o365mail.SyncState;
import org.o365mail.imap.internal.ImapConnection;
import org.o365mail.imap.internal.ImapIds;
import org.o365mail.imap.internal.ImapSyncState;
import org.o365mail.imap.internal.MailboxSession;
import org.o365mail.imap.internal.Pii;
import org.o365mail.imap.internal.Summaries;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Incremental sync with (UIDVALIDITY, UID) checkpoints, re-based by Message-ID or date after Exchange renumbers a
 * folder, and waiting for changes (IDLE). Thread-safe.
 */
final class FolderSync {
  private static final Logger logger = LoggerFactory.getLogger(FolderSync.class);
  private final MailboxFolders access;
  private final String mailbox;
  private final MailboxSession session;
  private final boolean logPii;
  private final Clock clock;
  private final ReadAhead readAhead;
  private final KnownMessageIds handedOut;
  private final Map<String, Long> uidNextSeen = new ConcurrentHashMap<>();

  FolderSync(MailboxFolders access, Clock clock, ReadAhead readAhead, KnownMessageIds handedOut) {
    this.access = access;
    this.mailbox = access.mailbox;
    this.session = access.session;
    this.logPii = access.logPii;
    this.clock = clock;
    this.readAhead = readAhead;
    this.handedOut = handedOut;
  }

  SyncBatch sync(FolderRef folder, SyncState state, int maxMessages) {
    requireNonNull(folder, "folder");
    requireNonNull(state, "state");
    if (maxMessages < 1) {
      throw new IllegalArgumentException("maxMessages must be at least 1, was " + maxMessages);
    }
    return session.call("sync", c -> {
      Folders.ServerFolder f = access.resolve(c, folder);
      String path = f.path();
      long validity = access.select(c, f);
      long uidNext = c.uidNext();
      if (!c.freshlySelected() || uidNext < 1) {
        // selected earlier: ask what the folder looks like now (new mail, or a new UIDVALIDITY)
        Status status = c.status(f.serverName(), "UIDVALIDITY", "UIDNEXT");
        if (status.uidvalidity != validity) {
          validity = c.reselect(f.serverName());
        }
        uidNext = status.uidnext;
      }
      uidNextSeen.put(path.toLowerCase(Locale.ROOT), uidNext);
      if (state.isNow()) {
        return new SyncBatch(List.of(), baseline(c, path, validity, uidNext).toSyncState(), false, false);
      }
      ImapSyncState from = state.isBeginning()
          ? new ImapSyncState(path, validity, 0, Optional.empty(), Optional.empty())
          : ImapSyncState.parse(state, path);
      boolean resynced = false;
      long after = from.lastUid();
      if (from.uidValidity() != validity) {
        after = rebaseline(c, from, uidNext);
        resynced = true;
        logger.debug("imap {}: UIDVALIDITY of {} changed from {} to {}; going on after UID {}",
            Pii.mailbox(mailbox, logPii), printable(path), from.uidValidity(), validity, after);
      }
      if (resynced) {
        readAhead.forget(path);
      }
      List<MessageSummary> messages = new ArrayList<>();
      boolean more = false;
      long last = uidNext - 1;
      if (after < last) {
        // UIDs are usually dense: the next maxMessages UIDs in one FETCH, searching only where there are gaps
        long to = Math.min(last, after + maxMessages);
        messages.addAll(summaries(c, path, validity, after + 1, to));
        more = to < last;
        if (messages.size() < maxMessages && more) {
          Batch rest = collect(c, to, last, maxMessages - messages.size());
          messages.addAll(summaries(c, path, validity, rest.uids()));
          more = rest.more();
        }
      }
      readAhead.plan(path, validity, messages);
      handedOut.remember(messages);
      ImapSyncState next;
      if (messages.isEmpty()) {
        next = new ImapSyncState(path, validity, Math.max(after, 0), from.lastReceived(), from.lastMessageId());
      } else {
        MessageSummary newest = messages.get(messages.size() - 1);
        next = new ImapSyncState(path, validity, ImapIds.parse(newest.id()).uid(), Optional.of(newest.receivedAt()),
            newest.internetMessageId());
      }
      return new SyncBatch(messages, next.toSyncState(), resynced, more);
    });
  }

  record Batch(long[] uids, boolean more) {}

  /**
   * Up to {@code max} UIDs in {@code (after, last]}: one direct range when UIDs are dense (the usual case), then
   * searches over growing windows where they are sparse.
   */
  static Batch collect(ImapConnection c, long after, long last, int max) throws ProtocolException {
    List<Long> found = new ArrayList<>();
    long from = after + 1;
    long window = max;
    while (from <= last && found.size() < max) {
      long to = Math.min(last, from + window - 1);
      for (long u : c.uidSearch(uidCriteria(from + ":" + to))) {
        if (u >= from && u <= to) {
          found.add(u);
        }
      }
      from = to + 1;
      window = Math.min(window * 4, 1_000_000);
    }
    boolean more = found.size() > max || from <= last;
    List<Long> taken = found.size() > max ? found.subList(0, max) : found;
    return new Batch(taken.stream().mapToLong(Long::longValue).toArray(), more);
  }

  /** The state for {@link SyncState#NOW}: after UIDNEXT-1, remembering the newest message to find the place again. */
  ImapSyncState baseline(ImapConnection c, String path, long validity, long uidNext) throws ProtocolException {
    long last = uidNext - 1;
    if (last >= 1) {
      long[] recent = c.uidSearch(uidCriteria(Math.max(1, last - 63) + ":" + last));
      long newest = -1;
      for (long u : recent) {
        if (u <= last) {
          newest = Math.max(newest, u);
        }
      }
      if (newest > 0) {
        List<MessageSummary> s = summaries(c, path, validity, new long[] {newest});
        if (!s.isEmpty()) {
          return new ImapSyncState(path, validity, last, Optional.of(s.get(0).receivedAt()),
              s.get(0).internetMessageId());
        }
      }
    }
    return new ImapSyncState(path, validity, Math.max(0, last), Optional.of(clock.instant()), Optional.empty());
  }

  /**
   * After a UIDVALIDITY change: the UID in the new numbering after which the messages are new. The last message
   * handed out is found by its Message-ID; failing that, messages received from its INTERNALDATE on count as new
   * (some may have been handed out before: the batch is marked resynced).
   */
  long rebaseline(ImapConnection c, ImapSyncState from, long uidNext) throws ProtocolException {
    if (from.lastUid() == 0 && from.lastReceived().isEmpty()) {
      return 0;
    }
    if (from.lastMessageId().isPresent()) {
      String wanted = from.lastMessageId().get();
      Argument a = new Argument();
      a.writeAtom("HEADER");
      a.writeAtom("Message-ID");
      a.writeString(wanted);
      long[] hits = c.uidSearch(a);
      if (hits.length > 0) {
        Map<Long, String> ids = messageIds(c, hits);
        for (long hit : hits) {
          if (wanted.equalsIgnoreCase(ids.get(hit))) {
            return hit;
          }
        }
      }
    }
    if (from.lastReceived().isPresent()) {
      Instant since = from.lastReceived().get();
      Argument a = new Argument();
      a.writeAtom("SINCE");
      a.writeAtom(SEARCH_DATE.format(since.minus(Duration.ofDays(1))));
      long[] candidates = c.uidSearch(a);
      for (int i = 0; i < candidates.length; i += UIDS_PER_COMMAND) {
        long[] part = Arrays.copyOfRange(candidates, i, Math.min(candidates.length, i + UIDS_PER_COMMAND));
        long firstNew = Long.MAX_VALUE;
        for (FetchResponse f : c.uidFetch(uidSet(part), "(UID INTERNALDATE)")) {
          INTERNALDATE d = f.getItem(INTERNALDATE.class);
          long u = Summaries.uid(f);
          if (d != null && u > 0 && !Instant.ofEpochMilli(d.getDate().getTime()).isBefore(since)) {
            firstNew = Math.min(firstNew, u);
          }
        }
        if (firstNew != Long.MAX_VALUE) {
          return firstNew - 1;
        }
      }
      return uidNext - 1;
    }
    return 0;
  }

  boolean awaitChanges(FolderRef folder, Duration timeout) {
    requireNonNull(folder, "folder");
    requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      return false;
    }
    return session.idle(c -> {
      Folders.ServerFolder f = access.resolve(c, folder);
      access.select(c, f);
      long uidNext = c.status(f.serverName(), "UIDNEXT").uidnext;
      Long seen = uidNextSeen.put(f.path().toLowerCase(Locale.ROOT), uidNext);
      return seen != null && uidNext > seen;
    }, timeout);
  }
}
