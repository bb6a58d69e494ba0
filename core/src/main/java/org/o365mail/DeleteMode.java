package org.o365mail;

/** How a message is deleted. */
public enum DeleteMode {
  /** Moved to Deleted Items, where users can still find it. */
  MOVE_TO_DELETED_ITEMS,
  /** Removed for good. */
  PERMANENT
}
