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
 * lost), so that moving the message again finds the copy instead of making a second one.
 *
 * <p>The entries of the connectors sharing an {@link ExchangeSessions} are kept in one {@link Shared} store, which
 * holds the most recent {@code capacity} entries of each kind among them all (about 170 bytes an entry), whatever
 * the number of connectors. An entry forgotten costs only when its folder is renumbered while a caller still holds
 * the id: that id then gives {@code MessageNotFoundException} (an importer parks the message). Thread-safe.
 */
final class KnownMessageIds {
  /** The entries of every connector sharing it, each kind bounded by {@code capacity}. Thread-safe. */
  static final class Shared {
    private final int capacity;
    private final LinkedHashMap<Key, String> ids = new LinkedHashMap<>();
    private final LinkedHashMap<Key, ImapIds.Ref> foundAgain = new LinkedHashMap<>();
    private final LinkedHashMap<Key, Long> notFoundAgain = new LinkedHashMap<>();
    private final LinkedHashMap<Key, Copy> unfinishedCopies = new LinkedHashMap<>();

    Shared(int capacity) {
      if (capacity < 1) {
        throw new IllegalArgumentException("capacity must be positive, was " + capacity);
      }
      this.capacity = capacity;
    }

    int capacity() {
      return capacity;
    }

    synchronized int size() {
      return ids.size() + foundAgain.size() + notFoundAgain.size() + unfinishedCopies.size();
    }
  }

  /** A message of one connector's mailbox: the connector (equal by identity), folder, UIDVALIDITY and UID. */
  private record Key(KnownMessageIds owner, String path, long uidValidity, long uid) {}

  private final Shared shared;
  private final int capacity;
  private final LinkedHashMap<Key, String> ids;
  private final LinkedHashMap<Key, ImapIds.Ref> foundAgain;
  private final LinkedHashMap<Key, Long> notFoundAgain;
  private final LinkedHashMap<Key, Copy> unfinishedCopies;

  /**
   * Where a copy of a message may be: the destination folder's path and UIDVALIDITY, and its UIDNEXT before the
   * COPY, the lowest UID the copy can have; and the Message-ID to find it by (null if the message has none).
   */
  public record Copy(String destinationPath, long destinationValidity, long uidNextBefore, String messageId) {}

  /** One connector's entries, kept in {@code shared} among those of the connectors sharing it. */
  KnownMessageIds(Shared shared) {
    this.shared = shared;
    this.capacity = shared.capacity;
    this.ids = shared.ids;
    this.foundAgain = shared.foundAgain;
    this.notFoundAgain = shared.notFoundAgain;
    this.unfinishedCopies = shared.unfinishedCopies;
  }

  /** Remembers the Message-IDs of summaries just handed out (those without one cannot be found again). */
  public void remember(List<MessageSummary> messages) {
    synchronized (shared) {
      for (MessageSummary m : messages) {
        String messageId = m.internetMessageId().orElse(null);
        if (messageId != null && !messageId.isBlank()) {
          put(ids, key(ImapIds.parse(m.id())), messageId.trim());
        }
      }
    }
  }

  /** The Message-ID of the message {@code ref} named when it was handed out, if it is still remembered. */
  public Optional<String> messageId(ImapIds.Ref ref) {
    synchronized (shared) {
      return Optional.ofNullable(ids.get(key(ref)));
    }
  }

  /** Notes where the message {@code old} named was found after a renumbering ({@code now}, same Message-ID). */
  public void foundAgain(ImapIds.Ref old, ImapIds.Ref now) {
    synchronized (shared) {
      put(foundAgain, key(old), now);
      String messageId = ids.get(key(old));
      if (messageId != null) {
        put(ids, key(now), messageId); // found again if the folder is renumbered once more
      }
    }
  }

  /** Where the message {@code old} named was found after a renumbering, if it was. */
  public Optional<ImapIds.Ref> foundAgain(ImapIds.Ref old) {
    synchronized (shared) {
      return Optional.ofNullable(foundAgain.get(key(old)));
    }
  }

  /** Notes that the message {@code old} named is not to be found in the numbering {@code uidValidity}. */
  public void notFoundAgain(ImapIds.Ref old, long uidValidity) {
    synchronized (shared) {
      put(notFoundAgain, key(old), uidValidity);
    }
  }

  /** Whether the message {@code old} named was looked for in the numbering {@code uidValidity}, found or not. */
  public boolean lookedFor(ImapIds.Ref old, long uidValidity) {
    synchronized (shared) {
      ImapIds.Ref found = foundAgain.get(key(old));
      Long missing = notFoundAgain.get(key(old));
      return (found != null && found.uidValidity() == uidValidity) || (missing != null && missing == uidValidity);
    }
  }

  /**
   * Notes that the message {@code source} names is about to be copied as {@code copy} says; {@code copy} starts at
   * or below the UIDNEXT of any copy noted before, which it replaces.
   */
  public void copyStarted(ImapIds.Ref source, Copy copy) {
    synchronized (shared) {
      put(unfinishedCopies, key(source), copy);
    }
  }

  /** A copy of the message {@code source} names to {@code destinationPath} that was started and not seen through. */
  public Optional<Copy> unfinishedCopy(ImapIds.Ref source, String destinationPath) {
    synchronized (shared) {
      return Optional.ofNullable(unfinishedCopies.get(key(source)))
          .filter(c -> c.destinationPath().equalsIgnoreCase(destinationPath));
    }
  }

  /** Notes that the messages of {@code sources} are moved (or gone): no copy of theirs is unfinished any more. */
  public void copiesFinished(List<ImapIds.Ref> sources) {
    synchronized (shared) {
      if (!unfinishedCopies.isEmpty()) {
        sources.forEach(r -> unfinishedCopies.remove(key(r)));
      }
    }
  }

  private <V> void put(LinkedHashMap<Key, V> map, Key key, V value) {
    map.remove(key);
    map.put(key, value);
    Iterator<Map.Entry<Key, V>> oldest = map.entrySet().iterator();
    while (map.size() > capacity && oldest.hasNext()) {
      oldest.next();
      oldest.remove();
    }
  }

  private Key key(ImapIds.Ref ref) {
    return new Key(this, ref.path(), ref.uidValidity(), ref.uid());
  }
}
