package org.o365mail.graph.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The delta cursor's notion of "seen", and its stored form. */
@Timeout(30)
class SyncCursorTest {
  static String h(String id) {
    return SyncCursor.hash(id);
  }

  @Test
  void withinTheWindow_onlyVisitedIdsAreSeen_belowIt_theSpansDecide() {
    SyncCursor c = SyncCursor.fresh();
    c.visit(1_000, h("a"));
    c.visit(500, h("old"));
    c.completeRound("delta-1");
    assertThat(c.seen(1_000, h("a"))).isTrue();
    assertThat(c.seen(990, h("late"))).as("appeared late, received 10 s before a seen one").isFalse();
    assertThat(c.seen(1_000 - SyncCursor.GRACE, h("moved in"))).as("older than the window").isTrue();
    assertThat(c.seen(700, h("never visited, but inside the span"))).isTrue();
  }

  @Test
  void theStateKeepsTheWindow_andStaysBounded() {
    SyncCursor c = SyncCursor.fresh();
    for (int i = 0; i < 3 * SyncCursor.MAX_RECENT; i++) {
      c.visit(10_000 + i / 20, h("m" + i));
    }
    c.completeRound("delta-1");
    int kept = c.recent.bySecond.values().stream().mapToInt(Set::size).sum();
    assertThat(kept).isEqualTo(c.recent.count).isLessThanOrEqualTo(SyncCursor.MAX_RECENT);
    SyncCursor back = SyncCursor.decode(c.encode());
    assertThat(back.encode()).isEqualTo(c.encode());
    int last = 3 * SyncCursor.MAX_RECENT - 1;
    assertThat(back.seen(10_000 + last / 20, h("m" + last))).isTrue();
    assertThat(back.seen(10_000 + last / 20, h("not visited"))).isFalse();
    assertThat(back.seen(10_000, h("m0"))).isTrue();
  }

  @Test
  void aStateOfTheFirstFormat_isStillRead_asSpansOnly() {
    String g1 = "g1\nD https://graph/delta?$deltatoken=D1\nS - . 1000 " + h("a") + "\n";
    SyncCursor c = SyncCursor.decode(Base64.getUrlEncoder().withoutPadding()
        .encodeToString(g1.getBytes(StandardCharsets.UTF_8)));
    assertThat(c.link).isEqualTo("https://graph/delta?$deltatoken=D1");
    assertThat(c.seen(1_000, h("a"))).isTrue();
    assertThat(c.seen(990, h("b"))).isTrue();
    assertThat(c.seen(1_001, h("c"))).isFalse();
    c.visit(1_001, h("c"));
    assertThat(c.seen(1_001, h("c"))).isTrue();
    assertThat(c.seen(1_000, h("d"))).as("the old state's spans still decide at its top").isFalse();
  }

  /** One message as a delta page shows it: received second and id. */
  private record Item(long t, String id) {}

  /**
   * Plays rounds the way {@code DeltaSync} does: each call takes items until {@code batch} new ones are handed
   * out, then the state is stored and read back (a cut round); returns how often each id was handed out.
   */
  private static Map<String, Integer> play(SyncCursor[] cursor, List<Item> round, int batch) {
    Map<String, Integer> handed = new HashMap<>();
    int out = 0;
    for (int i = 0; i < round.size(); i++) {
      Item m = round.get(i);
      String h = h(m.id());
      if (!cursor[0].seen(m.t(), h)) {
        handed.merge(m.id(), 1, Integer::sum);
        out++;
      }
      cursor[0].visit(m.t(), h);
      if (out == batch && i < round.size() - 1) {
        cursor[0].cut("next-" + i);
        cursor[0] = SyncCursor.decode(cursor[0].encode());
        out = 0;
      }
    }
    cursor[0].completeRound("delta");
    cursor[0] = SyncCursor.decode(cursor[0].encode());
    return handed;
  }

  @Test
  void newMessagesInAnyOrder_withAnOldOneUpdatedBetweenThem_areAllHandedOutOnce_acrossCutRounds() {
    for (long seed = 1; seed <= 20; seed++) {
      Random random = new Random(seed);
      SyncCursor[] c = {SyncCursor.fresh()};
      List<Item> first = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        first.add(new Item(1_000 + i, "old" + i));
      }
      Collections.shuffle(first, random);
      assertThat(play(c, first, 7)).hasSize(40).allSatisfy((id, n) -> assertThat(n).isEqualTo(1));
      // 134 new messages, one a second (more than the grace window), and two old ones changed, in any order
      List<Item> second = new ArrayList<>();
      for (int i = 0; i < 134; i++) {
        second.add(new Item(5_000 + i, "new" + i));
      }
      second.add(new Item(1_005, "old5"));
      second.add(new Item(1_039, "old39"));
      Collections.shuffle(second, random);
      Map<String, Integer> handed = play(c, second, 20);
      assertThat(handed).as("seed " + seed).hasSize(134).allSatisfy((id, n) -> {
        assertThat(id).startsWith("new");
        assertThat(n).isEqualTo(1);
      });
    }
  }

  @Test
  void anItemRepeatedAnywhereInTheRound_isHandedOutOnce_whileTheRoundKeepsItsId() {
    SyncCursor[] c = {SyncCursor.fresh()};
    List<Item> round = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      round.add(new Item(2_000 + i % 30, "m" + i));
    }
    Random random = new Random(7);
    List<Item> withRepeats = new ArrayList<>(round);
    for (int i = 0; i < 40; i++) {
      withRepeats.add(random.nextInt(withRepeats.size() + 1), round.get(random.nextInt(round.size())));
    }
    Map<String, Integer> handed = play(c, withRepeats, 9);
    assertThat(handed).hasSize(100).allSatisfy((id, n) -> assertThat(n).isEqualTo(1));
    // the next round repeats some of them again (replays after a change): none is new
    assertThat(play(c, withRepeats.subList(0, 30), 9)).isEmpty();
  }

  @Test
  void aRoundOfAHundredThousandMessages_keepsTheStateBounded_andLosesNoneWhenCut() {
    SyncCursor[] c = {SyncCursor.fresh()};
    List<Item> round = new ArrayList<>();
    for (int i = 0; i < 100_000; i++) {
      round.add(new Item(100_000 + i / 3, "m" + i));
    }
    Collections.shuffle(round, new Random(3));
    int[] maxState = {0};
    Map<String, Integer> handed = new HashMap<>();
    int out = 0;
    for (Item m : round) {
      if (!c[0].seen(m.t(), h(m.id()))) {
        handed.merge(m.id(), 1, Integer::sum);
        out++;
      }
      c[0].visit(m.t(), h(m.id()));
      if (out == 1_000) {
        c[0].cut("next");
        String state = c[0].encode();
        maxState[0] = Math.max(maxState[0], state.length());
        c[0] = SyncCursor.decode(state);
        out = 0;
      }
    }
    c[0].completeRound("delta");
    assertThat(handed).hasSize(100_000);
    assertThat(c[0].recent.count).isLessThanOrEqualTo(SyncCursor.MAX_RECENT);
    assertThat(maxState[0]).as("stored state, characters").isLessThan(2 * SyncCursor.MAX_RECENT * 20);
    // a message that arrives after the round is new; one received long before is an old one that changed
    assertThat(c[0].seen(133_400, h("arrived"))).isFalse();
    assertThat(c[0].seen(100_000, h("changed"))).isTrue();
  }

  @Test
  void aLateCommittedMessage_withinTheGraceWindow_isNew_afterACompletedRound() {
    SyncCursor[] c = {SyncCursor.fresh()};
    play(c, List.of(new Item(3_000, "a"), new Item(3_050, "b")), 10);
    assertThat(c[0].seen(3_050 - SyncCursor.GRACE + 1, h("large, committed late"))).isFalse();
    assertThat(c[0].seen(3_050 - SyncCursor.GRACE, h("moved in, old"))).isTrue();
  }

  @Test
  void aMessageWithoutReceivedTime_isJudgedByItsIdAlone() {
    SyncCursor[] c = {SyncCursor.fresh()};
    play(c, List.of(new Item(4_000, "a"), new Item(SyncCursor.UNKNOWN_TIME, "no time")), 10);
    assertThat(c[0].seen(SyncCursor.UNKNOWN_TIME, h("no time"))).isTrue();
    assertThat(c[0].seen(SyncCursor.UNKNOWN_TIME, h("another"))).isFalse();
  }

  @Test
  void aStateOfTheSecondFormat_keepsItsExactIdsAboveItsHorizon() {
    String g2 = "g2\nD https://graph/delta?$deltatoken=D2\nH 880\nN 990 " + h("x") + "\nN 1000 " + h("a")
        + "\nS - . 1000 " + h("a") + "\n";
    SyncCursor c = SyncCursor.decode(Base64.getUrlEncoder().withoutPadding()
        .encodeToString(g2.getBytes(StandardCharsets.UTF_8)));
    assertThat(c.midRound).isFalse();
    assertThat(c.seen(880, h("anything at the horizon"))).isTrue();
    assertThat(c.seen(990, h("x"))).isTrue();
    assertThat(c.seen(990, h("late"))).isFalse();
    assertThat(c.seen(1_000, h("a"))).isTrue();
    assertThat(SyncCursor.decode(c.encode()).encode()).isEqualTo(c.encode());
  }

  @Test
  void aCutRoundKeepsItsLinksAndEmptyPages_inTheState_untilTheRoundEndsOrRestarts() {
    SyncCursor c = SyncCursor.fresh();
    for (int i = 0; i < SyncCursor.MAX_LINKS + 5; i++) {
      assertThat(c.newLink("https://graph/delta?$skiptoken=" + i)).isTrue();
    }
    c.page(true);
    c.page(true);
    c.cut("https://graph/delta?$skiptoken=104");
    SyncCursor back = SyncCursor.decode(c.encode());
    assertThat(back.emptyPages).isEqualTo(2);
    assertThat(back.links).hasSize(SyncCursor.MAX_LINKS);
    assertThat(back.newLink("https://graph/delta?$skiptoken=104")).as("a link of the round, repeated").isFalse();
    assertThat(back.newLink("https://graph/delta?$skiptoken=0")).as("older than the links kept").isTrue();
    assertThat(back.page(false)).as("a page with entries ends the run of empty ones").isZero();
    back.restart();
    assertThat(back.links).isEmpty();
    back.page(true);
    back.completeRound("https://graph/delta?$deltatoken=D");
    assertThat(back.emptyPages).isZero();
    assertThat(SyncCursor.decode(back.encode()).links).isEmpty();
  }
}
