package org.o365mail.testkit;

import java.util.HashMap;
import java.util.Map;

/**
 * Exchange's concurrency throttle for Graph: requests in flight per (app id, mailbox), with a limit ({@link
 * Faults#mailboxConcurrencyLimit()}); one over it is refused. Also keeps, per mailbox, the highest number of
 * requests that were in flight at once (refused ones not counted) and the number of refusals. Thread-safe.
 */
final class GraphThrottle {
  private final Object lock = new Object();
  private final Map<String, Integer> perAppAndMailbox = new HashMap<>();
  private final Map<String, Integer> perMailbox = new HashMap<>();
  private final Map<String, Integer> peaks = new HashMap<>();
  private long rejections;

  /** Takes a slot, or returns false (and counts a rejection) when the app already has {@code limit} in flight. */
  boolean tryAcquire(String appId, String mailbox, int limit) {
    String key = appId + "\n" + mailbox;
    synchronized (lock) {
      int current = perAppAndMailbox.getOrDefault(key, 0);
      if (current >= limit) {
        rejections++;
        return false;
      }
      perAppAndMailbox.put(key, current + 1);
      int onMailbox = perMailbox.merge(mailbox, 1, Integer::sum);
      peaks.merge(mailbox, onMailbox, Math::max);
      return true;
    }
  }

  void release(String appId, String mailbox) {
    String key = appId + "\n" + mailbox;
    synchronized (lock) {
      perAppAndMailbox.computeIfPresent(key, (k, v) -> v <= 1 ? null : v - 1);
      perMailbox.computeIfPresent(mailbox, (k, v) -> v <= 1 ? null : v - 1);
    }
  }

  int peak(String mailbox) {
    synchronized (lock) {
      return peaks.getOrDefault(mailbox, 0);
    }
  }

  long rejections() {
    synchronized (lock) {
      return rejections;
    }
  }
}
