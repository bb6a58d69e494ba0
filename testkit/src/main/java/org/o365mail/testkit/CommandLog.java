package org.o365mail.testkit;

import java.util.ArrayDeque;
import java.util.List;

/**
 * The last {@value #CAPACITY} IMAP and SMTP commands the tenant's mail servers received, oldest first, and how
 * many older ones were dropped to keep that bound. Thread-safe: a lock guards the ring.
 */
final class CommandLog {
  static final int CAPACITY = 10_000;

  private final int capacity;
  private final ArrayDeque<RecordedCommand> ring = new ArrayDeque<>();
  private long dropped;

  CommandLog() {
    this(CAPACITY);
  }

  CommandLog(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be positive, was " + capacity);
    }
    this.capacity = capacity;
  }

  synchronized void add(RecordedCommand command) {
    if (ring.size() == capacity) {
      ring.pollFirst();
      dropped++;
    }
    ring.addLast(command);
  }

  synchronized List<RecordedCommand> all() {
    return List.copyOf(ring);
  }

  synchronized List<RecordedCommand> of(RecordedCommand.Protocol protocol) {
    return ring.stream().filter(c -> c.protocol() == protocol).toList();
  }

  synchronized long dropped() {
    return dropped;
  }

  synchronized void clear() {
    ring.clear();
    dropped = 0;
  }
}
