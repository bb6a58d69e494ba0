package org.o365mail.imap;

import static java.util.Objects.requireNonNull;
import static org.o365mail.imap.Uids.SEARCH_DATE;
import static org.o365mail.imap.Uids.summaries;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.angus.mail.iap.Argument;
import org.o365mail.FolderRef;
import org.o365mail.ListOptions;
import org.o365mail.MailboxException;
import org.o365mail.MessageSummary;
import org.o365mail.Page;
import org.o365mail.Paged;
import org.o365mail.imap.internal.ImapIds;
import org.o365mail.imap.internal.MailboxSession;

/**
 * Listings: one UID SEARCH per listing, paged in UID order, newest (highest UID) first or not, each page's summaries
 * in as few FETCHes as a line allows. Pages are planned for {@link ReadAhead} and remembered in {@link
 * KnownMessageIds}. Thread-safe.
 */
final class Listing {
  private final MailboxFolders access;
  private final MailboxSession session;
  private final ReadAhead readAhead;
  private final KnownMessageIds handedOut;

  Listing(MailboxFolders access, ReadAhead readAhead, KnownMessageIds handedOut) {
    this.access = access;
    this.session = access.session;
    this.readAhead = readAhead;
    this.handedOut = handedOut;
  }

  Paged<MessageSummary> listMessages(FolderRef folder, ListOptions options) {
    requireNonNull(folder, "folder");
    requireNonNull(options, "options");
    AtomicReference<long[]> snapshot = new AtomicReference<>();
    AtomicReference<Long> snapshotValidity = new AtomicReference<>();
    return new Paged<>(token -> session.call("UID SEARCH/UID FETCH page", c -> {
      Folders.ServerFolder f = access.resolve(c, folder);
      long validity = access.select(c, f);
      long after = -1;
      if (token.isPresent()) {
        String[] parts = token.get().split(":");
        if (Long.parseLong(parts[0]) != validity) {
          throw new MailboxException("the UIDVALIDITY of folder '" + f.path() + "' changed during the listing"
              + " (Exchange rebuilt its numbering); list it again");
        }
        after = Long.parseLong(parts[1]);
      }
      long[] uids = snapshot.get();
      Long known = snapshotValidity.get();
      if (token.isEmpty() || uids == null || known == null || known != validity) {
        uids = c.uidSearch(criteria(options));
        snapshot.set(uids);
        snapshotValidity.set(validity);
      }
      long[] page = pageOf(uids, after, options.pageSize(), options.newestFirst());
      List<MessageSummary> items = summaries(c, f.path(), validity, page);
      if (!options.newestFirst()) {
        items.sort((a, b) -> Long.compare(ImapIds.parse(a.id()).uid(), ImapIds.parse(b.id()).uid()));
      } else {
        items.sort((a, b) -> Long.compare(ImapIds.parse(b.id()).uid(), ImapIds.parse(a.id()).uid()));
      }
      Optional<Instant> since = options.receivedSince();
      if (since.isPresent()) {
        items.removeIf(m -> m.receivedAt().isBefore(since.get()));
      }
      readAhead.plan(f.path(), validity, items);
      handedOut.remember(items);
      boolean more = page.length > 0 && hasBeyond(uids, page[page.length - 1], options.newestFirst());
      return new Page<>(items, more ? Optional.of(validity + ":" + page[page.length - 1]) : Optional.empty());
    }));
  }

  static Argument criteria(ListOptions options) {
    Argument a = new Argument();
    boolean any = false;
    if (options.unreadOnly()) {
      a.writeAtom("UNSEEN");
      any = true;
    }
    if (options.receivedSince().isPresent()) {
      // SINCE compares days in the server's time zone: a day earlier, then filtered exactly by INTERNALDATE
      a.writeAtom("SINCE");
      a.writeAtom(SEARCH_DATE.format(options.receivedSince().get().minus(Duration.ofDays(1))));
      any = true;
    }
    if (!any) {
      a.writeAtom("ALL");
    }
    return a;
  }

  static long[] pageOf(long[] ascending, long after, int size, boolean newestFirst) {
    List<Long> out = new ArrayList<>(size);
    if (newestFirst) {
      for (int i = ascending.length - 1; i >= 0 && out.size() < size; i--) {
        if (after < 0 || ascending[i] < after) {
          out.add(ascending[i]);
        }
      }
    } else {
      for (int i = 0; i < ascending.length && out.size() < size; i++) {
        if (ascending[i] > after) {
          out.add(ascending[i]);
        }
      }
    }
    return out.stream().mapToLong(Long::longValue).toArray();
  }

  static boolean hasBeyond(long[] ascending, long last, boolean newestFirst) {
    return newestFirst ? ascending.length > 0 && ascending[0] < last
        : ascending.length > 0 && ascending[ascending.length - 1] > last;
  }
}
