package org.o365mail.imap;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.o365mail.MessageSummary;
import org.o365mail.imap.internal.ImapIds;

/**
 * The Message-IDs of the messages a connector handed out, by folder, UIDVALIDITY and UID: what finds a message again
 * when Exchange renumbers its folder (a new UIDVALIDITY) while a caller still holds the id it was handed, such as an
 * importer with post-actions pending or the rest of a batch still to read. Also where such messages were found in
 * the new numbering, or that they were not, so that each is searched for once. And the copies started and not seen
 * through (a move by COPY on a server without MOVE, whose source was not yet confirmed deleted when the connection was
 * lost), so that moving the message again finds the copy instead of making a second one. Holds the most recent
 * {@code capacity} entries of each (about 150 bytes an entry). Thread-safe.
 */
final class KnownMessageIds {
  private final int capacity;
  private final LinkedHashMap<ReadAhead.Key, String> ids = new LinkedHashMap<>();
  private final LinkedHashMap<ReadAhead.Key, ImapIds.Ref> foundAgain = new LinkedHashMap<>();
  private final LinkedHashMap<ReadAhead.Key, Long> notFoundAgain = new LinkedHashMap<>();
  private final LinkedHashMap<ReadAhead.Key, Copy> unfinishedCopies = new LinkedHashMap<>();

  /**
   * Where a copy of a message may be: the destination folder's path and UIDVALIDITY, and its UIDNEXT before the
   * COPY, the lowest UID the copy can have; and the Message-ID to find it by (null if the message has none).
   */
  public record Copy(String destinationPath, long destinationValidity, long uidNextBefore, String messageId) {}

  public KnownMessageIds(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be positive, was " + capacity);
    }
    this.capacity = capacity;
  }

  /** Remembers the Message-IDs of summaries just handed out (those without one cannot be found again). */
  public synchronized void remember(List<MessageSummary> messages) {
    for (MessageSummary m : messages) {
      String messageId = m.internetMessageId().orElse(null);
      if (messageId != null && !messageId.isBlank()) {
        put(ids, key(ImapIds.parse(m.id())), messageId.trim());
      }
    }
  }

  /** The Message-ID of the message {@code ref} named when it was handed out, if it is still remembered. */
  public synchronized Optional<String> messageId(ImapIds.Ref ref) {
    return Optional.ofNullable(ids.get(key(ref)));
  }

  /** Notes where the message {@code old} named was found after a renumbering ({@code now}, same Message-ID). */
  public synchronized void foundAgain(ImapIds.Ref old, ImapIds.Ref now) {
    put(foundAgain, key(old), now);
    String messageId = ids.get(key(old));
    if (messageId != null) {
      put(ids, key(now), messageId); // found again if the folder is renumbered once more
    }
  }

  /** Where the message {@code old} named was found after a renumbering, if it was. */
  public synchronized Optional<ImapIds.Ref> foundAgain(ImapIds.Ref old) {
    return Optional.ofNullable(foundAgain.get(key(old)));
  }

  /** Notes that the message {@code old} named is not to be found in the numbering {@code uidValidity}. */
  public synchronized void notFoundAgain(ImapIds.Ref old, long uidValidity) {
    put(notFoundAgain, key(old), uidValidity);
  }

  /** Whether the message {@code old} named was looked for in the numbering {@code uidValidity}, found or not. */
  public synchronized boolean lookedFor(ImapIds.Ref old, long uidValidity) {
    ImapIds.Ref found = foundAgain.get(key(old));
    Long missing = notFoundAgain.get(key(old));
    return (found != null && found.uidValidity() == uidValidity) || (missing != null && missing == uidValidity);
  }

  /**
   * Notes that the message {@code source} names is about to be copied as {@code copy} says; {@code copy} starts at
   * or below the UIDNEXT of any copy noted before, which it replaces.
   */
  public synchronized void copyStarted(ImapIds.Ref source, Copy copy) {
    put(unfinishedCopies, key(source), copy);
  }

  /** A copy of the message {@code source} names to {@code destinationPath} that was started and not seen through. */
  public synchronized Optional<Copy> unfinishedCopy(ImapIds.Ref source, String destinationPath) {
    return Optional.ofNullable(unfinishedCopies.get(key(source)))
        .filter(c -> c.destinationPath().equalsIgnoreCase(destinationPath));
  }

  /** Notes that the messages of {@code sources} are moved (or gone): no copy of theirs is unfinished any more. */
  public synchronized void copiesFinished(List<ImapIds.Ref> sources) {
    if (!unfinishedCopies.isEmpty()) {
      sources.forEach(r -> unfinishedCopies.remove(key(r)));
    }
  }

  private <V> void put(LinkedHashMap<ReadAhead.Key, V> map, ReadAhead.Key key, V value) {
    map.remove(key);
    map.put(key, value);
    Iterator<Map.Entry<ReadAhead.Key, V>> oldest = map.entrySet().iterator();
    while (map.size() > capacity && oldest.hasNext()) {
      oldest.next();
      oldest.remove();
    }
  }

  private static ReadAhead.Key key(ImapIds.Ref ref) {
    return new ReadAhead.Key(ref.path(), ref.uidValidity(), ref.uid());
  }
}
