package org.o365mail.imap;

import static java.util.Objects.requireNonNull;

import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.eclipse.angus.mail.iap.Argument;
import org.eclipse.angus.mail.iap.ProtocolException;
import org.eclipse.angus.mail.imap.protocol.ENVELOPE;
import org.eclipse.angus.mail.imap.protocol.FetchResponse;
import org.eclipse.angus.mail.imap.protocol.UIDSet;
import org.o365mail.MessageId;
import org.o365mail.MessageSummary;
import org.o365mail.imap.internal.ImapConnection;
import org.o365mail.imap.internal.ImapIds;
import org.o365mail.imap.internal.Summaries;

/**
 * UID sets, searches and the FETCHes of summaries and Message-IDs that the connector's parts share. Stateless.
 */
final class Uids {
  /** UIDs in one command, which keeps the command line short. */
  static final int UIDS_PER_COMMAND = 500;
  /** The date of {@code SEARCH SINCE}. */
  static final DateTimeFormatter SEARCH_DATE = DateTimeFormatter.ofPattern("d-MMM-yyyy", Locale.ROOT)
      .withZone(ZoneOffset.UTC);

  private Uids() {}

  /** Summaries of {@code uids} (any order), in UID order, fetched in as few commands as a line allows. */
  static List<MessageSummary> summaries(ImapConnection c, String path, long validity, long[] uids)
      throws ProtocolException {
    List<MessageSummary> out = new ArrayList<>(uids.length);
    long[] sorted = uids.clone();
    Arrays.sort(sorted);
    for (int from = 0; from < sorted.length; from += UIDS_PER_COMMAND) {
      long[] part = Arrays.copyOfRange(sorted, from, Math.min(sorted.length, from + UIDS_PER_COMMAND));
      Set<Long> wanted = new TreeSet<>();
      for (long u : part) {
        wanted.add(u);
      }
      for (FetchResponse f : c.uidFetch(uidSet(part), Summaries.ITEMS)) {
        if (wanted.remove(Summaries.uid(f))) {
          Summaries.summary(f, path, validity).ifPresent(out::add);
        }
      }
    }
    return out;
  }

  /** Summaries of the messages with UIDs {@code from} to {@code to}, in UID order. */
  static List<MessageSummary> summaries(ImapConnection c, String path, long validity, long from, long to)
      throws ProtocolException {
    List<FetchResponse> answers = new ArrayList<>();
    for (FetchResponse f : c.uidFetch(from + ":" + to, Summaries.ITEMS)) {
      long uid = Summaries.uid(f);
      if (uid >= from && uid <= to) {
        answers.add(f);
      }
    }
    answers.sort((a, b) -> Long.compare(Summaries.uid(a), Summaries.uid(b)));
    List<MessageSummary> out = new ArrayList<>(answers.size());
    for (FetchResponse f : answers) {
      Summaries.summary(f, path, validity).ifPresent(out::add);
    }
    return out;
  }

  static Map<Long, String> messageIds(ImapConnection c, long[] uids) throws ProtocolException {
    Map<Long, String> ids = new HashMap<>();
    for (int from = 0; from < uids.length; from += UIDS_PER_COMMAND) {
      long[] part = Arrays.copyOfRange(uids, from, Math.min(uids.length, from + UIDS_PER_COMMAND));
      for (FetchResponse f : c.uidFetch(uidSet(part), "(UID ENVELOPE)")) {
        ENVELOPE e = f.getItem(ENVELOPE.class);
        if (e != null && e.messageId != null && !e.messageId.isBlank() && Summaries.uid(f) > 0) {
          ids.put(Summaries.uid(f), e.messageId.trim());
        }
      }
    }
    return ids;
  }

  static Map<String, List<ImapIds.Ref>> byFolder(Collection<MessageId> ids) {
    Map<String, List<ImapIds.Ref>> groups = new LinkedHashMap<>();
    for (MessageId id : ids) {
      ImapIds.Ref ref = ImapIds.parse(requireNonNull(id, "id"));
      groups.computeIfAbsent(ref.path().toLowerCase(Locale.ROOT) + "\n" + ref.uidValidity(), k -> new ArrayList<>())
          .add(ref);
    }
    return groups;
  }

  static String uidSet(long[] sortedUids) {
    return UIDSet.toString(UIDSet.createUIDSets(sortedUids));
  }

  static Argument uidCriteria(long[] sortedUids) {
    return uidCriteria(uidSet(sortedUids));
  }

  static Argument uidCriteria(String set) {
    Argument a = new Argument();
    a.writeAtom("UID");
    a.writeAtom(set);
    return a;
  }
}
