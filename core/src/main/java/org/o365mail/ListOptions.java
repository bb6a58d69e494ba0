package org.o365mail;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Optional;

/** Filters and order of a message listing. Immutable; defaults: all messages, newest first, pages of 50. */
public final class ListOptions {
  private static final ListOptions DEFAULTS = new ListOptions(false, null, 50, true, false);

  private final boolean unreadOnly;
  private final Instant receivedSince;
  private final int pageSize;
  private final boolean newestFirst;
  private final boolean readAhead;

  private ListOptions(boolean unreadOnly, Instant receivedSince, int pageSize, boolean newestFirst,
      boolean readAhead) {
    this.unreadOnly = unreadOnly;
    this.receivedSince = receivedSince;
    this.pageSize = pageSize;
    this.newestFirst = newestFirst;
    this.readAhead = readAhead;
  }

  public static ListOptions defaults() {
    return DEFAULTS;
  }

  /** Only unread messages. */
  public ListOptions unreadOnly(boolean value) {
    return new ListOptions(value, receivedSince, pageSize, newestFirst, readAhead);
  }

  /** Only messages received at or after {@code instant}. */
  public ListOptions receivedSince(Instant instant) {
    return new ListOptions(unreadOnly, requireNonNull(instant, "receivedSince"), pageSize, newestFirst,
        readAhead);
  }

  /** Messages fetched per page, 1 to 1000 (default 50). */
  public ListOptions pageSize(int value) {
    if (value < 1 || value > 1000) {
      throw new IllegalArgumentException("pageSize must be 1 to 1000, was " + value);
    }
    return new ListOptions(unreadOnly, receivedSince, value, newestFirst, readAhead);
  }

  /** Oldest first instead of newest first. */
  public ListOptions oldestFirst() {
    return new ListOptions(unreadOnly, receivedSince, pageSize, false, readAhead);
  }

  /**
   * Fetches each next page while the caller handles the one it has (one page ahead), where the connector can do so
   * without holding up its other work (Graph can; IMAP, with one connection per mailbox, ignores it). For callers
   * that go through the whole listing: one that stops early has had one page fetched for nothing.
   */
  public ListOptions readAhead(boolean value) {
    return new ListOptions(unreadOnly, receivedSince, pageSize, newestFirst, value);
  }

  /** Whether only unread messages are listed. */
  public boolean unreadOnly() {
    return unreadOnly;
  }

  /** The earliest receipt time listed, if limited. */
  public Optional<Instant> receivedSince() {
    return Optional.ofNullable(receivedSince);
  }

  /** Messages fetched per page. */
  public int pageSize() {
    return pageSize;
  }

  /** Whether newest messages come first (the default) rather than oldest. */
  public boolean newestFirst() {
    return newestFirst;
  }

  /** Whether each next page is fetched while the caller handles the current one. */
  public boolean readAhead() {
    return readAhead;
  }

  @Override
  public String toString() {
    return "ListOptions[unreadOnly=" + unreadOnly + ", receivedSince=" + receivedSince + ", pageSize=" + pageSize
        + ", newestFirst=" + newestFirst + ", readAhead=" + readAhead + "]";
  }
}
