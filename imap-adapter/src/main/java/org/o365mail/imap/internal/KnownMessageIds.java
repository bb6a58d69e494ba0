package org.o365mail.imap.internal;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.o365mail.MessageSummary;

/**
 * The Message-IDs of the messages a connector handed out, by folder, UIDVALIDITY and UID: what finds a message again
 * when Exchange renumbers its folder (a new UIDVALIDITY) while a caller still holds the id it was handed, such as an
 * importer with post-actions pending or the rest of a batch still to read. Holds the most recent {@code capacity}
 * entries (about 150 bytes each). Thread-safe.
 */
public final class KnownMessageIds {
  private final int capacity;
  private final LinkedHashMap<ReadAhead.Key, String> ids = new LinkedHashMap<>();

  public KnownMessageIds(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be positive, was " + capacity);
    }
    this.capacity = capacity;
  }

  /** Remembers the Message-IDs of summaries just handed out (those without one cannot be found again). */
  public synchronized void remember(List<MessageSummary> messages) {
    for (MessageSummary m : messages) {
      String messageId = m.internetMessageId();
      if (messageId == null || messageId.isBlank()) {
        continue;
      }
      ImapIds.Ref ref = ImapIds.parse(m.id());
      ReadAhead.Key key = new ReadAhead.Key(ref.path(), ref.uidValidity(), ref.uid());
      ids.remove(key);
      ids.put(key, messageId.trim());
    }
    Iterator<Map.Entry<ReadAhead.Key, String>> oldest = ids.entrySet().iterator();
    while (ids.size() > capacity && oldest.hasNext()) {
      oldest.next();
      oldest.remove();
    }
  }

  /** The Message-ID of the message {@code ref} named when it was handed out, if it is still remembered. */
  public synchronized Optional<String> messageId(ImapIds.Ref ref) {
    return Optional.ofNullable(ids.get(new ReadAhead.Key(ref.path(), ref.uidValidity(), ref.uid())));
  }
}
