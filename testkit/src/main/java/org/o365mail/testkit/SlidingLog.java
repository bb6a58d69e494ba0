package org.o365mail.testkit;

import java.util.ArrayDeque;

/**
 * What was let through in the last {@code window} milliseconds, as a log of (time, weight) entries: an entry counts
 * from the moment it is added until exactly {@code window} later. A sliding window, not fixed intervals: any period
 * of the window's length holds at most what the owner admits. Not thread-safe: its owner locks.
 */
final class SlidingLog {
  private final ArrayDeque<long[]> entries = new ArrayDeque<>();
  private long total;

  /** The weight logged in {@code (now - window, now]}. */
  long total(long now, long window) {
    expire(now, window);
    return total;
  }

  int entries() {
    return entries.size();
  }

  void add(long now, long weight) {
    entries.addLast(new long[] {now, weight});
    total += weight;
  }

  /**
   * Milliseconds from {@code now} until the logged weight has fallen to {@code target} or less as entries age out
   * (0 when it already has). A target below 0 means until the log is empty.
   */
  long millisUntilAtMost(long target, long now, long window) {
    expire(now, window);
    long left = total;
    long freedAt = now;
    for (long[] e : entries) {
      if (left <= Math.max(0, target)) {
        break;
      }
      left -= e[1];
      freedAt = e[0] + window;
    }
    return Math.max(0, freedAt - now);
  }

  private void expire(long now, long window) {
    while (!entries.isEmpty() && entries.peekFirst()[0] <= now - window) {
      total -= entries.pollFirst()[1];
    }
  }
}
