package org.o365mail.importer;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.o365mail.Diagnosis;
import org.o365mail.SetupStep;
import org.o365mail.ThrottledException;
import org.o365mail.testsupport.CapturingLoggerProvider;
import org.o365mail.testsupport.MutableClock;

/** Health transitions and listener events, on a clock the test moves. */
class ImportHealthTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  /** Every health change it hears. */
  private static final class Changes implements ImportListener {
    final List<HealthState> heard = new ArrayList<>();

    @Override
    public void healthChanged(HealthState previous, HealthState current) {
      heard.add(current);
    }
  }

  private static Diagnosis diagnosis(String code) {
    return Diagnosis.builder(SetupStep.SERVICE, code).summary("the service failed").fix("wait").build();
  }

  private final MutableClock clock = new MutableClock(T0);
  private final Changes changes = new Changes();

  @Test
  void aListenerThatThrows_isLoggedAndIgnored_andTheOthersStillHear() {
    ImportListener throwing = new ImportListener() {
      @Override
      public void healthChanged(HealthState previous, HealthState current) {
        throw new IllegalStateException("listener bug");
      }

      @Override
      public void parked(DeadLetter letter) {
        throw new IllegalStateException("listener bug");
      }
    };
    ImportHealth health = new ImportHealth("box@contoso.com", clock, null, List.of(throwing, changes));
    CapturingLoggerProvider.clear();

    health.set(MailboxHealth.DEGRADED, diagnosis("ServiceUnavailable"));
    health.parked(new DeadLetter("k", "id", "subject", 3, "", T0));

    assertThat(changes.heard).extracting(HealthState::health).containsExactly(MailboxHealth.DEGRADED);
    assertThat(health.current().health()).isEqualTo(MailboxHealth.DEGRADED);
    assertThat(CapturingLoggerProvider.count("WARN", "An import listener threw; ignored")).isEqualTo(2);
  }

  @Test
  void theSameStateAgain_isNotAnnounced_aNewServiceCodeIs_andKeepsWhenTheStateBegan() {
    ImportHealth health = new ImportHealth("box@contoso.com", clock, null, List.of(changes));

    health.set(MailboxHealth.DEGRADED, diagnosis("ServiceUnavailable"));
    clock.advance(Duration.ofSeconds(60));
    health.set(MailboxHealth.DEGRADED, diagnosis("ServiceUnavailable"));
    health.set(MailboxHealth.DEGRADED, null);
    clock.advance(Duration.ofSeconds(60));
    health.set(MailboxHealth.DEGRADED, diagnosis("GatewayTimeout"));

    assertThat(changes.heard).hasSize(2);
    assertThat(changes.heard.get(1).diagnosis()).hasValueSatisfying(
        d -> assertThat(d.serviceCode()).isEqualTo("GatewayTimeout"));
    assertThat(changes.heard.get(1).since()).as("still degraded since the first failure").isEqualTo(T0);
  }

  @Test
  void aThrottledPass_namesWhenToComeBack_fromTheServicesRetryAfter() {
    ImportHealth health = new ImportHealth("box@contoso.com", clock, null, List.of(changes));

    health.passFailed(new ThrottledException("throttled", Duration.ofSeconds(90), null, null));

    assertThat(health.current().health()).isEqualTo(MailboxHealth.THROTTLED);
    assertThat(health.current().retryAt()).contains(T0.plusSeconds(90));
    assertThat(health.current().diagnosis()).isEmpty();
  }

  @Test
  void aCompletedPass_isHealthy_unlessPostActionsWaitForTheirFolder() {
    ImportHealth health = new ImportHealth("box@contoso.com", clock, null, List.of(changes));
    Diagnosis missingFolder = diagnosis("ErrorFolderNotFound");

    health.passCompleted(missingFolder);
    assertThat(health.current().health()).isEqualTo(MailboxHealth.DEGRADED);
    assertThat(health.current().diagnosis()).contains(missingFolder);

    health.passCompleted(null);
    assertThat(health.current().health()).isEqualTo(MailboxHealth.HEALTHY);
    assertThat(health.current().diagnosis()).isEmpty();
    assertThat(changes.heard).extracting(HealthState::health)
        .containsExactly(MailboxHealth.DEGRADED, MailboxHealth.HEALTHY);
  }
}
