package org.o365mail.testkit;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Records which client touches which mailbox, for {@link MailboxAccess}. Each mailbox has its own small state
 * (clients in flight with a count each, the last client, when its last activity ended, its first handovers)
 * guarded by that state's own monitor, held for a few map operations and never across I/O; the overlaps are a
 * capped list under their own monitor, taken only when two clients meet. Thread-safe.
 */
final class MailboxAccessLog {
  /** The bounds {@link MailboxAccess} states. */
  static final int MAX_OVERLAPS = 1_000;
  static final int MAX_HANDOVERS_PER_MAILBOX = 64;

  private final Clock clock;
  private final int maxOverlaps;
  private final int maxHandoversPerMailbox;
  /** By {@link MailStore#key(String)}; the snapshot orders them by first touch. */
  private final Map<String, MailboxState> mailboxes = new ConcurrentHashMap<>();
  private final Map<String, Set<String>> mailboxesByClient = new ConcurrentHashMap<>();
  private final AtomicLong firstTouches = new AtomicLong();
  private final List<MailboxAccess.Overlap> overlaps = new ArrayList<>();
  private long droppedOverlaps;

  MailboxAccessLog(Clock clock) {
    this(clock, MAX_OVERLAPS, MAX_HANDOVERS_PER_MAILBOX);
  }

  MailboxAccessLog(Clock clock, int maxOverlaps, int maxHandoversPerMailbox) {
    this.clock = clock;
    this.maxOverlaps = maxOverlaps;
    this.maxHandoversPerMailbox = maxHandoversPerMailbox;
  }

  /** One client's activity on one mailbox, in flight until {@link #end()}. */
  final class Activity {
    private final MailboxState state;
    private final String client;
    private final AtomicBoolean ended = new AtomicBoolean();

    private Activity(MailboxState state, String client) {
      this.state = state;
      this.client = client;
    }

    /** The activity is over; idempotent, callable from any thread. */
    void end() {
      if (ended.compareAndSet(false, true)) {
        state.end(client, clock.instant());
      }
    }
  }

  /** {@code client} begins touching {@code mailbox} now. */
  Activity begin(String mailbox, String client) {
    String key = MailStore.key(mailbox);
    MailboxState state = mailboxes.computeIfAbsent(key, k -> new MailboxState(mailbox, firstTouches.incrementAndGet()));
    mailboxesByClient.computeIfAbsent(client, c -> ConcurrentHashMap.newKeySet()).add(state.address);
    state.begin(client, clock.instant());
    return new Activity(state, client);
  }

  private void overlap(MailboxAccess.Overlap overlap) {
    synchronized (overlaps) {
      if (overlaps.size() < maxOverlaps) {
        overlaps.add(overlap);
      } else {
        droppedOverlaps++;
      }
    }
  }

  MailboxAccess snapshot() {
    List<MailboxAccess.Overlap> overlapsNow;
    long droppedOverlapsNow;
    synchronized (overlaps) {
      overlapsNow = List.copyOf(overlaps);
      droppedOverlapsNow = droppedOverlaps;
    }
    List<MailboxState> states = new ArrayList<>(mailboxes.values());
    states.sort((a, b) -> Long.compare(a.order, b.order));
    List<MailboxAccess.Handover> handovers = new ArrayList<>();
    long droppedHandovers = 0;
    Map<String, Set<String>> active = new LinkedHashMap<>();
    for (MailboxState state : states) {
      synchronized (state) {
        handovers.addAll(state.handovers);
        droppedHandovers += state.droppedHandovers;
        if (!state.inFlight.isEmpty()) {
          active.put(state.address, Set.copyOf(state.inFlight.keySet()));
        }
      }
    }
    Map<String, Set<String>> byClient = new HashMap<>();
    mailboxesByClient.forEach((client, boxes) -> byClient.put(client, Set.copyOf(boxes)));
    return new MailboxAccess(overlapsNow, droppedOverlapsNow, handovers, droppedHandovers, byClient, active);
  }

  /**
   * Forgets what was recorded: overlaps, handovers, which client touched what and who touched each mailbox last.
   * Activity in flight stays in flight (its end is still to come), so an overlap with it is still seen.
   */
  void clear() {
    synchronized (overlaps) {
      overlaps.clear();
      droppedOverlaps = 0;
    }
    mailboxesByClient.clear();
    for (MailboxState state : mailboxes.values()) {
      synchronized (state) {
        state.handovers.clear();
        state.droppedHandovers = 0;
        state.lastClient = state.inFlight.isEmpty() ? null : state.lastClient;
        for (String client : state.inFlight.keySet()) {
          mailboxesByClient.computeIfAbsent(client, c -> ConcurrentHashMap.newKeySet()).add(state.address);
        }
      }
    }
  }

  /** What is known of one mailbox; guarded by its own monitor. */
  private final class MailboxState {
    final String address;
    final long order;
    /** Clients with activity in flight and how many activities each; a handful at most. */
    final Map<String, Integer> inFlight = new HashMap<>(4);
    final List<MailboxAccess.Handover> handovers = new ArrayList<>(2);
    long droppedHandovers;
    String lastClient;
    Instant lastActivity;

    MailboxState(String address, long order) {
      this.address = address;
      this.order = order;
    }

    /** Records the start of an activity; the other clients in flight are overlaps (recorded after the monitor). */
    void begin(String client, Instant now) {
      List<String> others = List.of();
      synchronized (this) {
        if (!inFlight.isEmpty() && !(inFlight.size() == 1 && inFlight.containsKey(client))) {
          others = new ArrayList<>(inFlight.keySet());
          others.remove(client);
        }
        if (lastClient != null && !lastClient.equals(client)) {
          Instant fromLast = inFlight.containsKey(lastClient) ? now : lastActivity;
          if (handovers.size() < maxHandoversPerMailbox) {
            handovers.add(new MailboxAccess.Handover(address, lastClient, client, fromLast, now));
          } else {
            droppedHandovers++;
          }
        }
        inFlight.merge(client, 1, Integer::sum);
        lastClient = client;
        lastActivity = now;
      }
      for (String other : others) {
        overlap(new MailboxAccess.Overlap(address, other, client, now));
      }
    }

    synchronized void end(String client, Instant now) {
      inFlight.computeIfPresent(client, (c, n) -> n == 1 ? null : n - 1);
      if (client.equals(lastClient) && (lastActivity == null || now.isAfter(lastActivity))) {
        lastActivity = now;
      }
    }
  }
}
