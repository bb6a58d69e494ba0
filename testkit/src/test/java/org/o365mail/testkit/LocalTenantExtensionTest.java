package org.o365mail.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The extension's per-test isolation: the first test leaves faults, a moved clock and traffic behind; the second
 * starts with none of it, but with the builder's window and the class's standing faults.
 */
@Timeout(60)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalTenantExtensionTest {
  private static final AtomicInteger SETUPS = new AtomicInteger();

  @RegisterExtension
  static final LocalTenantExtension M365 = LocalTenantExtension.create(
          LocalTenant.builder().graphRequestWindow(600, Duration.ofSeconds(60)),
          tenant -> {
            SETUPS.incrementAndGet();
            tenant.createTenant("contoso.com");
          })
      .withFaults(faults -> faults.imapAdvertiseMove(false));

  @Test
  @Order(1)
  void aTestThatLeavesFaultsClockAndTrafficBehind(LocalTenant m365) {
    assertStartState(m365);
    m365.faults().imapLatency(Duration.ofMillis(5)).imapAdvertiseMove(true).graphRequestWindow(1, Duration.ofSeconds(1));
    m365.clock().advance(Duration.ofHours(2));
    try (Wire wire = Wire.tls(m365, m365.imapPort())) {
      wire.readLine();
      wire.imap("a", "CAPABILITY");
    }
    assertThat(new TestHttp(m365).token("contoso.com", TestHttp.form("grant_type", "client_credentials")).status())
        .isEqualTo(400);
    assertThat(m365.imapCommands()).isNotEmpty();
    assertThat(m365.requests()).isNotEmpty();
  }

  @Test
  @Order(2)
  void theNextTest_startsWithTheStartingFaults_aResetClock_andNoRecords(LocalTenant m365) {
    assertStartState(m365);
  }

  @Test
  @Order(3)
  void setup_ranOnceForTheClass() {
    assertThat(SETUPS).hasValue(1);
    assertThat(M365.tenant().tenant("contoso.com")).isNotNull();
  }

  private static void assertStartState(LocalTenant m365) {
    assertThat(m365.faults().imapLatency()).isZero();
    assertThat(m365.faults().imapAdvertiseMove()).as("the standing fault").isFalse();
    assertThat(m365.faults().graphRequestWindow()).as("the builder's window").isEqualTo(Duration.ofSeconds(60));
    assertThat(m365.faults().graphRequestWindowRequests()).isEqualTo(600);
    assertThat(m365.clock().offset()).isZero();
    assertThat(m365.imapCommands()).isEmpty();
    assertThat(m365.requests()).isEmpty();
  }
}
