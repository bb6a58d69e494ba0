package org.o365mail;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * Messages that arrived in a folder since a {@link SyncState}, oldest first, and the state to store once they
 * have all been handled.
 *
 * @param messages new messages, oldest first
 * @param next the state after these messages; store it only when all of them are handled
 * @param resynced true when the old state was no longer valid (UIDVALIDITY changed, delta token expired) and the
 *     connector started over: these messages may include ones handed out before, to be filtered by key
 * @param hasMore whether more new messages are waiting (call again with {@code next})
 */
public record SyncBatch(List<MessageSummary> messages, SyncState next, boolean resynced, boolean hasMore) {
  public SyncBatch {
    messages = List.copyOf(messages);
    requireNonNull(next, "next");
  }
}
