package org.o365mail.graph.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
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
    int kept = c.recent.values().stream().mapToInt(Set::size).sum();
    assertThat(kept).isLessThanOrEqualTo(SyncCursor.MAX_RECENT);
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
}
