package org.o365mail;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Optional;

/** Filters and order of a message listing. Immutable; defaults: all messages, newest first, pages of 50. */
public final class ListOptions {
  private static final ListOptions DEFAULTS = new ListOptions(false, null, 50, true);

  private final boolean unreadOnly;
  private final Instant receivedSince;
  private final int pageSize;
  private final boolean newestFirst;

  private ListOptions(boolean unreadOnly, Instant receivedSince, int pageSize, boolean newestFirst) {
    this.unreadOnly = unreadOnly;
    this.receivedSince = receivedSince;
    this.pageSize = pageSize;
    this.newestFirst = newestFirst;
  }

  public static ListOptions defaults() {
    return DEFAULTS;
  }

  /** Only unread messages. */
  public ListOptions unreadOnly(boolean value) {
    return new ListOptions(value, receivedSince, pageSize, newestFirst);
  }

  /** Only messages received at or after {@code instant}. */
  public ListOptions receivedSince(Instant instant) {
    return new ListOptions(unreadOnly, requireNonNull(instant, "receivedSince"), pageSize, newestFirst);
  }

  /** Messages fetched per page, 1 to 1000 (default 50). */
  public ListOptions pageSize(int value) {
    if (value < 1 || value > 1000) {
      throw new IllegalArgumentException("pageSize must be 1 to 1000, was " + value);
    }
    return new ListOptions(unreadOnly, receivedSince, value, newestFirst);
  }

  /** Oldest first instead of newest first. */
  public ListOptions oldestFirst() {
    return new ListOptions(unreadOnly, receivedSince, pageSize, false);
  }

  public boolean isUnreadOnly() {
    return unreadOnly;
  }

  public Optional<Instant> getReceivedSince() {
    return Optional.ofNullable(receivedSince);
  }

  public int getPageSize() {
    return pageSize;
  }

  public boolean isNewestFirst() {
    return newestFirst;
  }

  @Override
  public String toString() {
    return "ListOptions[unreadOnly=" + unreadOnly + ", receivedSince=" + receivedSince + ", pageSize=" + pageSize
        + ", newestFirst=" + newestFirst + "]";
  }
}
