package org.o365mail.importer;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.o365mail.SyncState;

/**
 * Where the import of one folder stands, written after every handled message:
 * <ul>
 *   <li>{@code state}: the connector's sync state of the last completed batch (a delta link, UIDVALIDITY + UID);
 *   <li>{@code handled}: keys of messages of the current batch the handler already accepted;
 *   <li>{@code inFlight}: the key handed to the handler and not yet recorded (after a crash: redelivered, with
 *       {@link IncomingMessage#possibleRedelivery()} set);
 *   <li>{@code pending}: post-actions of recorded messages not yet done;
 *   <li>{@code deadLetters}: parked messages.
 * </ul>
 * Immutable.
 */
public record Checkpoint(SyncState state, Set<String> handled, String inFlight, List<PendingAction> pending,
    List<DeadLetter> deadLetters, Instant updatedAt) {
  public Checkpoint {
    requireNonNull(state, "state");
    handled = Set.copyOf(new LinkedHashSet<>(handled));
    pending = List.copyOf(pending);
    deadLetters = List.copyOf(deadLetters);
    requireNonNull(updatedAt, "updatedAt");
  }

  public static Checkpoint initial(SyncState start, Instant now) {
    return new Checkpoint(start, Set.of(), null, List.of(), List.of(), now);
  }

  public Optional<String> inFlightKey() {
    return Optional.ofNullable(inFlight);
  }

  Checkpoint withInFlight(String key, Instant now) {
    return new Checkpoint(state, handled, key, pending, deadLetters, now);
  }

  Checkpoint withHandled(String key, PendingAction action, Instant now) {
    Set<String> h = new LinkedHashSet<>(handled);
    h.add(key);
    List<PendingAction> p = new ArrayList<>(pending);
    if (action != null) {
      p.add(action);
    }
    return new Checkpoint(state, h, null, p, deadLetters, now);
  }

  Checkpoint withActionDone(String key, Instant now) {
    List<PendingAction> p = new ArrayList<>(pending);
    p.removeIf(a -> a.messageKey().equals(key));
    return new Checkpoint(state, handled, inFlight, p, deadLetters, now);
  }

  Checkpoint withDeadLetter(DeadLetter letter, Instant now) {
    Set<String> h = new LinkedHashSet<>(handled);
    h.add(letter.messageKey());
    List<DeadLetter> d = new ArrayList<>(deadLetters);
    d.add(letter);
    return new Checkpoint(state, h, null, pending, d, now);
  }

  Checkpoint withoutDeadLetter(String key, Instant now) {
    List<DeadLetter> d = new ArrayList<>(deadLetters);
    d.removeIf(l -> l.messageKey().equals(key));
    return new Checkpoint(state, handled, inFlight, pending, d, now);
  }

  /** After a whole batch is handled: the next state, the batch's keys forgotten. */
  Checkpoint advanced(SyncState next, Instant now) {
    return new Checkpoint(next, Set.of(), null, pending, deadLetters, now);
  }
}
