package org.o365mail.imap.internal;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Exchange Online's throttling, per mailbox: when the server says {@code Suggested Backoff Time: N milliseconds}
 * for a mailbox, every connector of this JVM leaves that mailbox alone for N ms, and only that mailbox. Waits use
 * the monotonic clock. Thread-safe; one per JVM.
 */
public final class MailboxGovernor {
  private static final MailboxGovernor SHARED = new MailboxGovernor();

  private final Map<String, Long> blockedUntilNanos = new ConcurrentHashMap<>();

  MailboxGovernor() {}

  public static MailboxGovernor shared() {
    return SHARED;
  }

  /** Records the server's request to leave {@code mailbox} alone for {@code backoff}. */
  public void block(String mailbox, Duration backoff) {
    long until = System.nanoTime() + Math.max(0, backoff.toNanos());
    blockedUntilNanos.merge(key(mailbox), until, (a, b) -> a - b > 0 ? a : b);
  }

  /** How long {@code mailbox} is still to be left alone (zero when it is free). */
  public Duration remaining(String mailbox) {
    Long until = blockedUntilNanos.get(key(mailbox));
    if (until == null) {
      return Duration.ZERO;
    }
    long left = until - System.nanoTime();
    if (left <= 0) {
      blockedUntilNanos.remove(key(mailbox), until);
      return Duration.ZERO;
    }
    return Duration.ofNanos(left);
  }

  private static String key(String mailbox) {
    return mailbox.trim().toLowerCase(Locale.ROOT);
  }
}
