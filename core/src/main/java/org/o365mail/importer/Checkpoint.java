package org.o365mail.importer;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.o365mail.SyncState;

/**
 * Where the import of one folder stands, written after every handled message (or group of them):
 * <ul>
 *   <li>{@code state}: the connector's sync state of the last completed batch (a delta link, UIDVALIDITY + UID);
 *   <li>{@code handled}: keys of messages of the current batch the handler already accepted;
 *   <li>{@code inFlight}: the key handed to the handler and not yet recorded, null when none (after a crash:
 *       redelivered, with {@link IncomingMessage#possibleRedelivery()} set);
 *   <li>{@code interrupted}: keys that were in flight when a process died and have not been handed out since. The
 *       service need not give the messages back in the same order (Graph delta documents no order), so the one a
 *       crash interrupted may come after others, or in a later batch; whenever it comes, it is flagged as a possible
 *       redelivery. At most {@link #MAX_INTERRUPTED}, the oldest forgotten first;
 *   <li>{@code inFlightGroup}: with a {@link BatchingMessageHandler}, the keys of the group being handed out, written
 *       before the first of them goes to the handler and cleared by the checkpoint that commits the group. After a
 *       crash those not in {@code handled} join {@code interrupted} (also those the dead process had not reached:
 *       flagged, they are only possibly redelivered);
 *   <li>{@code pending}: post-actions of recorded messages not yet done;
 *   <li>{@code deadLetters}: parked messages.
 * </ul>
 * Immutable.
 */
public record Checkpoint(SyncState state, Set<String> handled, String inFlight, List<PendingAction> pending,
    List<DeadLetter> deadLetters, Instant updatedAt, List<String> interrupted, List<String> inFlightGroup) {
  /**
   * The most interrupted keys kept (a key whose message never comes back, deleted meanwhile, would stay): twice the
   * largest group ({@link MailImporter.Builder#batchSize} is at most 1000), so a crash never pushes out the keys of
   * the group it interrupted.
   */
  public static final int MAX_INTERRUPTED = 2000;

  public Checkpoint {
    requireNonNull(state, "state");
    handled = Set.copyOf(new LinkedHashSet<>(handled));
    interrupted = interrupted instanceof Keys keys && keys.size() <= MAX_INTERRUPTED ? keys : Keys.lastOf(interrupted);
    pending = List.copyOf(pending);
    deadLetters = List.copyOf(deadLetters);
    requireNonNull(updatedAt, "updatedAt");
    inFlightGroup = List.copyOf(new LinkedHashSet<>(inFlightGroup));
  }

  /** A checkpoint with no group in flight (as written by a per-message import). */
  public Checkpoint(SyncState state, Set<String> handled, String inFlight, List<PendingAction> pending,
      List<DeadLetter> deadLetters, Instant updatedAt, List<String> interrupted) {
    this(state, handled, inFlight, pending, deadLetters, updatedAt, interrupted, List.of());
  }

  /** A checkpoint with no interrupted keys (as written before they were kept). */
  public Checkpoint(SyncState state, Set<String> handled, String inFlight, List<PendingAction> pending,
      List<DeadLetter> deadLetters, Instant updatedAt) {
    this(state, handled, inFlight, pending, deadLetters, updatedAt, List.of());
  }

  public static Checkpoint initial(SyncState start, Instant now) {
    return new Checkpoint(start, Set.of(), null, List.of(), List.of(), now);
  }

  /** Whether {@code key} may have reached the handler before: in flight now, or when a process died. */
  boolean possiblyDelivered(String key) {
    return key.equals(inFlight) || interrupted.contains(key);
  }

  /**
   * After a crash: the key that was in flight joins the interrupted ones (it stays in flight too), and so do the keys
   * of a group in flight not handled (the group is cleared); {@code this} when nothing was in flight.
   */
  Checkpoint afterCrash(Instant now) {
    boolean single = inFlight != null && !interrupted.contains(inFlight);
    if (!single && inFlightGroup.isEmpty()) {
      return this;
    }
    List<String> i = new ArrayList<>(interrupted);
    if (single) {
      i.add(inFlight);
    }
    for (String k : inFlightGroup) {
      if (!handled.contains(k)) {
        i.add(k);
      }
    }
    return new Checkpoint(state, handled, inFlight, pending, deadLetters, now, i, List.of());
  }

  private List<String> without(String key) {
    if (!interrupted.contains(key)) {
      return interrupted;
    }
    List<String> i = new ArrayList<>(interrupted);
    i.remove(key);
    return i;
  }

  Checkpoint withInFlight(String key, Instant now) {
    return new Checkpoint(state, handled, key, pending, deadLetters, now, interrupted, inFlightGroup);
  }

  /** The keys of the group about to be handed out (empty: none; the group was committed). */
  Checkpoint withInFlightGroup(List<String> keys, Instant now) {
    return new Checkpoint(state, handled, inFlight, pending, deadLetters, now, interrupted, keys);
  }

  Checkpoint withHandled(String key, PendingAction action, Instant now) {
    Set<String> h = new LinkedHashSet<>(handled);
    h.add(key);
    List<PendingAction> p = new ArrayList<>(pending);
    if (action != null) {
      p.add(action);
    }
    return new Checkpoint(state, h, null, p, deadLetters, now, without(key), inFlightGroup);
  }

  Checkpoint withActionDone(String key, Instant now) {
    List<PendingAction> p = new ArrayList<>(pending);
    p.removeIf(a -> a.messageKey().equals(key));
    return new Checkpoint(state, handled, inFlight, p, deadLetters, now, interrupted, inFlightGroup);
  }

  Checkpoint withDeadLetter(DeadLetter letter, Instant now) {
    Set<String> h = new LinkedHashSet<>(handled);
    h.add(letter.messageKey());
    List<DeadLetter> d = new ArrayList<>(deadLetters);
    d.add(letter);
    return new Checkpoint(state, h, null, pending, d, now, without(letter.messageKey()), inFlightGroup);
  }

  /** A parked message the handler accepted on a retry: out of the dead letters, its post-action (if any) pending. */
  Checkpoint withoutDeadLetter(String key, PendingAction action, Instant now) {
    List<DeadLetter> d = new ArrayList<>(deadLetters);
    d.removeIf(l -> l.messageKey().equals(key));
    List<PendingAction> p = new ArrayList<>(pending);
    if (action != null) {
      p.add(action);
    }
    return new Checkpoint(state, handled, inFlight, p, d, now, interrupted, inFlightGroup);
  }

  /** A parked message refused again: the same place in the list, its attempts and last error updated. */
  Checkpoint withDeadLetterReplaced(DeadLetter letter, Instant now) {
    List<DeadLetter> d = new ArrayList<>(deadLetters);
    d.replaceAll(l -> l.messageKey().equals(letter.messageKey()) ? letter : l);
    return new Checkpoint(state, handled, inFlight, pending, d, now, interrupted, inFlightGroup);
  }

  /**
   * After a whole batch is handled (and, with a {@link BatchingMessageHandler}, flushed): the next state, the batch's
   * keys forgotten (not the interrupted ones), no group in flight.
   */
  Checkpoint advanced(SyncState next, Instant now) {
    return new Checkpoint(next, Set.of(), null, pending, deadLetters, now, interrupted, List.of());
  }

  /**
   * The interrupted keys: unmodifiable, in the order they were interrupted (the persisted order), without repeats,
   * and looked up in constant time ({@link #possiblyDelivered} asks for every message of a pass).
   */
  private static final class Keys extends AbstractList<String> {
    private final List<String> order;
    private final Set<String> members;

    private Keys(List<String> order) {
      this.order = order;
      this.members = new HashSet<>(order);
    }

    /** The last {@link #MAX_INTERRUPTED} distinct keys of {@code keys}, in order (a key counts at its first place). */
    static Keys lastOf(List<String> keys) {
      List<String> distinct = new ArrayList<>(new LinkedHashSet<>(keys));
      return new Keys(List.copyOf(distinct.subList(Math.max(0, distinct.size() - MAX_INTERRUPTED), distinct.size())));
    }

    @Override
    public String get(int index) {
      return order.get(index);
    }

    @Override
    public int size() {
      return order.size();
    }

    @Override
    public boolean contains(Object o) {
      return members.contains(o);
    }
  }
}
