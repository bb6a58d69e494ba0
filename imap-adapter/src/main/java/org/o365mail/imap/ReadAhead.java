package org.o365mail.imap;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.eclipse.angus.mail.iap.ByteArray;
import org.o365mail.MessageSummary;
import org.o365mail.imap.internal.ImapIds;

/**
 * What makes importing many small messages fast. Each IMAP command costs at least a round trip (tens of
 * milliseconds to Exchange Online) and the server's own per-command work, so reading thousands of messages one
 * command each is slow. When {@code sync} or a listing hands out summaries, their UIDs and sizes are remembered as
 * the folder's plan; when the MIME of one of them is opened, one {@link BodyCursor} streams it and the planned small
 * messages after it, read one at a time as they are opened. Messages passed over, or drained when the connection
 * is needed for something else, are held here up to the budget bytes (the oldest dropped first; dropped ones
 * are fetched again when opened). Only messages up to the largest message size given go this way; larger ones are read in
 * partial fetches. A UID under one UIDVALIDITY names immutable content, so nothing held here can be stale.
 * Thread-safe.
 */
final class ReadAhead {
  private static final int PLAN_LIMIT = 10_000;

  private final long budget;
  private final long maxMessageSize;
  private final Map<String, Plan> plans = new HashMap<>();
  private final LinkedHashMap<Key, ByteArray> held = new LinkedHashMap<>();
  private long heldBytes;

  /** A message of a folder under one UIDVALIDITY. */
  public record Key(String folder, long uidValidity, long uid) {
    public Key {
      folder = folder.toLowerCase(Locale.ROOT);
    }
  }

  private record Plan(long uidValidity, long[] uids, long[] sizes, Map<Long, Integer> positions) {}

  /**
   * @param budget bytes held at most (0 turns read-ahead off)
   * @param maxMessageSize largest message fetched in a batch
   */
  public ReadAhead(long budget, long maxMessageSize) {
    this.budget = budget;
    this.maxMessageSize = Math.min(maxMessageSize, budget);
  }

  /** Remembers the messages just handed out for {@code folder}, in the order they were handed out. */
  public synchronized void plan(String folder, long uidValidity, List<MessageSummary> messages) {
    if (budget <= 0 || messages.isEmpty()) {
      return;
    }
    int n = Math.min(messages.size(), PLAN_LIMIT);
    long[] uids = new long[n];
    long[] sizes = new long[n];
    Map<Long, Integer> positions = new HashMap<>(n * 2);
    for (int i = 0; i < n; i++) {
      uids[i] = ImapIds.parse(messages.get(i).id()).uid();
      sizes[i] = messages.get(i).size().orElse(-1);
      positions.put(uids[i], i);
    }
    plans.put(folder.toLowerCase(Locale.ROOT), new Plan(uidValidity, uids, sizes, positions));
  }

  /** The held content of a message, handed over (it is not held any more). */
  public synchronized Optional<ByteArray> take(Key key) {
    ByteArray bytes = held.remove(key);
    if (bytes != null) {
      heldBytes -= bytes.getCount();
    }
    return Optional.ofNullable(bytes);
  }

  /**
   * The UIDs to stream in one command when {@code key} is opened: it and the small planned messages after it;
   * empty when {@code key} is not planned or not small (then it is read in partial fetches).
   */
  public synchronized long[] cursorFor(Key key) {
    Plan plan = plans.get(key.folder());
    if (budget <= 0 || plan == null || plan.uidValidity() != key.uidValidity()) {
      return new long[0];
    }
    int at = plan.positions().getOrDefault(key.uid(), -1);
    if (at < 0 || plan.sizes()[at] < 0 || plan.sizes()[at] > maxMessageSize) {
      return new long[0];
    }
    // the server answers in UID order: planned messages with higher UIDs come after the one opened and are read
    // as they are opened; those with lower UIDs (a newest-first listing) come before it and must be held, so only
    // as many as the budget holds are asked for
    List<Long> batch = new ArrayList<>();
    long before = 0;
    for (int i = at; i < plan.uids().length; i++) {
      long uid = plan.uids()[i];
      long size = plan.sizes()[i];
      if (size < 0 || size > maxMessageSize
          || (i > at && held.containsKey(new Key(key.folder(), key.uidValidity(), uid)))) {
        continue;
      }
      if (uid < key.uid()) {
        if (before + size > budget) {
          continue;
        }
        before += size;
      }
      batch.add(uid);
    }
    return batch.stream().mapToLong(Long::longValue).toArray();
  }

  /** The UIDs planned for {@code folder} under {@code uidValidity}, in the order handed out (empty if none). */
  public synchronized long[] planned(String folder, long uidValidity) {
    Plan plan = plans.get(folder.toLowerCase(Locale.ROOT));
    return plan == null || plan.uidValidity() != uidValidity ? new long[0] : plan.uids().clone();
  }

  /** Holds fetched content until it is opened, dropping the oldest held content beyond the budget. */
  public synchronized void hold(Key key, ByteArray bytes) {
    if (budget <= 0 || bytes.getCount() > budget) {
      return;
    }
    ByteArray old = held.put(key, bytes);
    if (old != null) {
      heldBytes -= old.getCount();
    }
    heldBytes += bytes.getCount();
    Iterator<Map.Entry<Key, ByteArray>> oldest = held.entrySet().iterator();
    while (heldBytes > budget && oldest.hasNext()) {
      Map.Entry<Key, ByteArray> e = oldest.next();
      heldBytes -= e.getValue().getCount();
      oldest.remove();
    }
  }

  /**
   * Moves what is planned and held for a folder under {@code oldValidity} to the folder's new numbering: messages
   * {@code newUid} knows (old UID to new) under their new UIDs, the others dropped. Content stays valid, as it is the
   * same message's.
   */
  public synchronized void renumber(String folder, long oldValidity, long newValidity,
      Function<Long, Optional<Long>> newUid) {
    String f = folder.toLowerCase(Locale.ROOT);
    Plan plan = plans.get(f);
    if (plan != null && plan.uidValidity() == oldValidity) {
      List<Long> uids = new ArrayList<>();
      List<Long> sizes = new ArrayList<>();
      for (int i = 0; i < plan.uids().length; i++) {
        Optional<Long> now = newUid.apply(plan.uids()[i]);
        if (now.isPresent()) {
          uids.add(now.get());
          sizes.add(plan.sizes()[i]);
        }
      }
      Map<Long, Integer> positions = new HashMap<>(uids.size() * 2);
      for (int i = 0; i < uids.size(); i++) {
        positions.put(uids.get(i), i);
      }
      plans.put(f, new Plan(newValidity, uids.stream().mapToLong(Long::longValue).toArray(),
          sizes.stream().mapToLong(Long::longValue).toArray(), positions));
    }
    Map<Key, ByteArray> moved = new LinkedHashMap<>();
    Iterator<Map.Entry<Key, ByteArray>> it = held.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<Key, ByteArray> e = it.next();
      if (e.getKey().folder().equals(f) && e.getKey().uidValidity() == oldValidity) {
        it.remove();
        Optional<Long> now = newUid.apply(e.getKey().uid());
        if (now.isPresent()) {
          moved.put(new Key(f, newValidity, now.get()), e.getValue());
        } else {
          heldBytes -= e.getValue().getCount();
        }
      }
    }
    held.putAll(moved);
  }

  /** Drops what is held and planned for a folder (its UIDVALIDITY changed). */
  public synchronized void forget(String folder) {
    String f = folder.toLowerCase(Locale.ROOT);
    plans.remove(f);
    held.entrySet().removeIf(e -> {
      if (e.getKey().folder().equals(f)) {
        heldBytes -= e.getValue().getCount();
        return true;
      }
      return false;
    });
  }
}
