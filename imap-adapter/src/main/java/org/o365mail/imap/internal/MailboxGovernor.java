package org.o365mail.imap.internal;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Exchange Online's throttling, per mailbox: when the server says {@code Suggested Backoff Time: N milliseconds}
 * for a mailbox, every connector sharing this governor leaves that mailbox alone for N ms, and only that mailbox.
 * Waits use a monotonic clock. Holds at most {@code maxMailboxes} mailboxes, forgetting the least recently used
 * first (a forgotten block only costs one more throttled login). Thread-safe.
 */
public final class MailboxGovernor {
  private final LongSupplier nanoTime;
  private final Map<String, Long> blockedUntilNanos;

  /**
   * @param maxMailboxes the most mailboxes remembered at once
   * @param nanoTime the monotonic clock ({@code System::nanoTime})
   */
  public MailboxGovernor(int maxMailboxes, LongSupplier nanoTime) {
    if (maxMailboxes < 1) {
      throw new IllegalArgumentException("maxMailboxes must be at least 1, was " + maxMailboxes);
    }
    this.nanoTime = requireNonNull(nanoTime, "nanoTime");
    this.blockedUntilNanos = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
        return size() > maxMailboxes;
      }
    };
  }

  MailboxGovernor() {
    this(10_000, System::nanoTime);
  }

  /** Records the server's request to leave {@code mailbox} alone for {@code backoff}. */
  public void block(String mailbox, Duration backoff) {
    long until = nanoTime.getAsLong() + Math.max(0, backoff.toNanos());
    synchronized (blockedUntilNanos) {
      blockedUntilNanos.merge(key(mailbox), until, (a, b) -> a - b > 0 ? a : b);
    }
  }

  /** How long {@code mailbox} is still to be left alone (zero when it is free). */
  public Duration remaining(String mailbox) {
    String key = key(mailbox);
    synchronized (blockedUntilNanos) {
      Long until = blockedUntilNanos.get(key);
      if (until == null) {
        return Duration.ZERO;
      }
      long left = until - nanoTime.getAsLong();
      if (left <= 0) {
        blockedUntilNanos.remove(key);
        return Duration.ZERO;
      }
      return Duration.ofNanos(left);
    }
  }

  /** How many mailboxes are remembered now (blocked, or blocked until recently and not asked about since). */
  public int size() {
    synchronized (blockedUntilNanos) {
      return blockedUntilNanos.size();
    }
  }

  private static String key(String mailbox) {
    return mailbox.trim().toLowerCase(Locale.ROOT);
  }
}
