package org.o365mail.importer;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** When the loop runs the next pass: its back-off after failures, driven by a fixed clock and the health. */
class ImportLoopTest {
  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
  private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
  private final ImportHealth health = new ImportHealth("box@contoso.com", clock, null, List.of());
  private final ImportScheduler scheduler = ImportScheduler.create(1);

  @AfterEach
  void closeScheduler() {
    scheduler.close();
  }

  private ImportLoop loop(Duration pollInterval) {
    // the delays need neither a connector nor a pass: nothing is scheduled here
    return new ImportLoop(null, null, () -> null, health, scheduler, true, pollInterval, true, clock,
        new AtomicBoolean());
  }

  private static long seconds(long millis) {
    return Duration.ofMillis(millis).toSeconds();
  }

  @Test
  void afterAPassThatCompleted_theNextComesAfterThePollInterval() {
    assertThat(seconds(loop(Duration.ofSeconds(60)).nextDelay(true))).isEqualTo(60);
  }

  @Test
  void failedPasses_waitTwiceAsLongEachTime_upToSixteenPollIntervals_andOnePollIntervalAfterASuccess() {
    health.set(MailboxHealth.DEGRADED, null);
    ImportLoop loop = loop(Duration.ofSeconds(10));

    assertThat(List.of(loop.nextDelay(false), loop.nextDelay(false), loop.nextDelay(false), loop.nextDelay(false),
        loop.nextDelay(false))).extracting(ImportLoopTest::seconds).containsExactly(20L, 40L, 80L, 160L, 160L);
    assertThat(seconds(loop.nextDelay(true))).isEqualTo(10);
    assertThat(seconds(loop.nextDelay(false))).as("the count starts over").isEqualTo(20);
  }

  @Test
  void failedPasses_waitTenMinutesAtMost() {
    health.set(MailboxHealth.DEGRADED, null);
    ImportLoop loop = loop(Duration.ofMinutes(2));

    assertThat(List.of(loop.nextDelay(false), loop.nextDelay(false), loop.nextDelay(false)))
        .extracting(ImportLoopTest::seconds).containsExactly(240L, 480L, 600L);
  }

  @Test
  void aMailboxThatNeedsSomeoneToAct_isTriedAgainEveryFiveMinutes() {
    ImportLoop loop = loop(Duration.ofSeconds(10));
    for (MailboxHealth h : List.of(MailboxHealth.AUTHENTICATION_REQUIRED, MailboxHealth.CONSENT_REQUIRED,
        MailboxHealth.SECRET_EXPIRED, MailboxHealth.MAILBOX_ACCESS_DENIED)) {
      health.set(h, null);

      assertThat(seconds(loop.nextDelay(false))).as("%s", h).isEqualTo(300);
    }
  }

  @Test
  void throttled_waitsForTheServicesTime_betweenOneSecondAndOneHour_orThirtySecondsWhenItNamedNone() {
    ImportLoop loop = loop(Duration.ofSeconds(10));

    health.set(MailboxHealth.THROTTLED, null, NOW.plusSeconds(90));
    assertThat(seconds(loop.nextDelay(false))).isEqualTo(90);
    health.set(MailboxHealth.THROTTLED, null, NOW.plus(Duration.ofHours(3)));
    assertThat(seconds(loop.nextDelay(false))).isEqualTo(3600);
    health.set(MailboxHealth.THROTTLED, null, NOW.minusSeconds(5));
    assertThat(seconds(loop.nextDelay(false))).isEqualTo(1);
    health.set(MailboxHealth.THROTTLED, null, null);
    assertThat(seconds(loop.nextDelay(false))).isEqualTo(30);
  }
}
