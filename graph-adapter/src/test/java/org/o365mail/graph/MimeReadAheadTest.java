package org.o365mail.graph;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.o365mail.EmailAddress;
import org.o365mail.MessageId;
import org.o365mail.MessageSummary;

/** What the read-ahead fetches, and when, against a fetch that records its calls. */
class MimeReadAheadTest {
  final List<List<String>> fetches = Collections.synchronizedList(new ArrayList<>());
  final MimeReadAhead readAhead = new MimeReadAhead(20, 1_000, Runnable::run, ids -> {
    fetches.add(ids);
    return ids.stream().map(id -> id.equals("gone") ? null : ("MIME of " + id).getBytes(StandardCharsets.UTF_8))
        .toList();
  });

  static List<MessageSummary> messages(int n) {
    return IntStream.range(0, n).mapToObj(i -> summary("m" + i, 500)).toList();
  }

  static MessageSummary summary(String id, long size) {
    return MessageSummary.of(new MessageId(id), "Inbox", "<" + id + "@contoso.com>",
        EmailAddress.of("a@fabrikam.com"), List.of(), id, Instant.EPOCH, size, false, false);
  }

  String take(String id) {
    Optional<byte[]> mime = readAhead.take(id);
    return mime.map(b -> new String(b, StandardCharsets.UTF_8)).orElse("alone");
  }

  @Test
  void readingOn_fetchesTwentyAtATime_oneBatchAhead() {
    readAhead.plan(messages(50));
    assertThat(take("m0")).isEqualTo("MIME of m0");
    assertThat(fetches).hasSize(2); // its batch and the next
    assertThat(fetches.get(0)).hasSize(20).startsWith("m0");
    assertThat(fetches.get(1)).hasSize(20).startsWith("m20");
    for (int i = 1; i < 50; i++) {
      assertThat(take("m" + i)).isEqualTo("MIME of m" + i);
    }
    assertThat(fetches).hasSize(3);
    assertThat(fetches.get(2)).hasSize(10).startsWith("m40");
  }

  @Test
  void aMessageOpenedTwice_orNotPlanned_orNotFetched_isReadAlone() {
    readAhead.plan(List.of(summary("m0", 500), summary("gone", 500), summary("big", 5_000), summary("m3", 500)));
    assertThat(take("m0")).isEqualTo("MIME of m0");
    assertThat(take("m0")).isEqualTo("alone");
    assertThat(take("gone")).isEqualTo("alone");
    assertThat(take("big")).isEqualTo("alone"); // over the size limit: never planned
    assertThat(take("elsewhere")).isEqualTo("alone");
    assertThat(fetches).hasSize(1);
  }

  @Test
  void aCallerPassingPlannedMessagesBy_isNotReadAheadFor_untilItReadsOn() {
    readAhead.plan(messages(100));
    // as after a resync: the first 60 were handled before, the importer opens only what is new
    assertThat(take("m60")).isEqualTo("alone");
    assertThat(take("m75")).isEqualTo("alone");
    assertThat(fetches).isEmpty();
    assertThat(take("m76")).isEqualTo("MIME of m76"); // reading on: worth a batch again
    assertThat(fetches).hasSize(2);
    assertThat(fetches.get(0)).startsWith("m76");
  }

  @Test
  void aNewPlan_dropsWhatWasReadAheadForTheOldOne() {
    readAhead.plan(messages(30));
    take("m0");
    readAhead.plan(List.of(summary("n0", 500)));
    assertThat(take("m1")).isEqualTo("alone");
    assertThat(take("n0")).isEqualTo("MIME of n0");
  }
}
