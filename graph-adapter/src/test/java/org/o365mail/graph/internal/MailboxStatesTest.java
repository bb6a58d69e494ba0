package org.o365mail.graph.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The bound on kept mailbox states, on a clock the test moves: nothing sleeps. */
class MailboxStatesTest {
  private final AtomicLong now = new AtomicLong(1_000_000_000L);

  private MailboxState state() {
    return new MailboxState(4, 10_000, Duration.ofMinutes(10), now::get);
  }

  /** A state that was just used: its window's bucket is not full again yet. */
  private MailboxState used() {
    MailboxState s = state();
    s.window().reserve(1);
    return s;
  }

  @Test
  void statesInUse_areSharedByKey_andNeverDropped() {
    MailboxStates states = new MailboxStates(0);
    MailboxState a = states.acquire("app a@x", this::used);
    assertThat(states.acquire("app a@x", this::used)).as("one state per app and mailbox").isSameAs(a);
    states.acquire("app b@x", this::used);
    states.acquire("app c@x", this::used);
    assertThat(states.size()).as("in use, whatever the bound").isEqualTo(3);
    states.release("app a@x", a);
    assertThat(states.size()).as("a still has a user").isEqualTo(3);
    states.release("app a@x", a);
    assertThat(states.size()).as("no user, and nothing idle may be kept").isEqualTo(2);
  }

  @Test
  void releasedStates_keptUpToTheBound_leastRecentlyReleasedDroppedFirst_andReusedWhenAskedAgain() {
    MailboxStates states = new MailboxStates(2);
    MailboxState a = states.acquire("a", this::used);
    MailboxState b = states.acquire("b", this::used);
    MailboxState c = states.acquire("c", this::used);
    states.release("a", a);
    states.release("b", b);
    states.release("c", c);
    assertThat(states.size()).isEqualTo(2);
    assertThat(states.acquire("a", this::state)).as("a, released first, was dropped").isNotSameAs(a);
    assertThat(states.acquire("c", this::state)).as("c is kept, with what it knew").isSameAs(c);
  }

  @Test
  void aPausedState_outlivesItsConnector_untilThePauseAndTheWindowHavePassed() {
    MailboxStates states = new MailboxStates(10);
    MailboxState a = states.acquire("a", this::used);
    a.pausedUntil().set(now.get() + Duration.ofMinutes(5).toNanos());
    states.release("a", a);
    now.addAndGet(Duration.ofMinutes(4).toNanos());
    assertThat(states.size()).as("paused for another minute").isEqualTo(1);
    assertThat(states.acquire("a", this::state)).isSameAs(a);
    states.release("a", a);
    now.addAndGet(Duration.ofMinutes(2).toNanos());
    assertThat(states.size()).as("settled: a new state would know as much").isZero();
  }

  @Test
  void aStateWhoseSlotIsHeld_isNotSettled() {
    MailboxStates states = new MailboxStates(10);
    MailboxState a = states.acquire("a", this::state);
    a.slots().acquireUninterruptibly(); // a stream still open after its connector closed
    states.release("a", a);
    now.addAndGet(Duration.ofHours(1).toNanos());
    assertThat(states.size()).isEqualTo(1);
    a.slots().release();
    assertThat(states.size()).isZero();
  }
}
