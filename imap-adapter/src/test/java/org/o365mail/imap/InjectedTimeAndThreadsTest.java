package org.o365mail.imap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.Diagnosis;
import org.o365mail.FolderRef;
import org.o365mail.MailboxException;
import org.o365mail.SyncState;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testsupport.LeakCheck;

/**
 * What a caller gives the builder instead of the adapter's own: the executor (the connector's timers run on it, and
 * it stays the caller's) and the sleeper (the waits are asked of it, not of the wall clock).
 */
@Timeout(60)
@ExtendWith({FreshLogs.class, LeakCheck.class})
class InjectedTimeAndThreadsTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static LocalTenant m365;
  static Exchange contoso;

  @BeforeAll
  static void tenant() {
    m365 = M365.tenant();
    contoso = new Exchange(m365, "contoso.com");
  }

  @AfterAll
  static void close() {
    contoso.close();
  }

  @Test
  void givenExecutor_endsTheIdleCycles_andIsNotShutDownByClose() throws Exception {
    Mailbox mailbox = contoso.mailbox("executor");
    List<Duration> delays = new CopyOnWriteArrayList<>();
    ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> new Thread(r, "caller-timer")) {
      @Override
      public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
        delays.add(Duration.ofNanos(unit.toNanos(delay)));
        return super.schedule(command, delay, unit);
      }
    };
    try {
      try (ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly()).executor(executor).build()) {
        c.sync(FolderRef.INBOX, SyncState.NOW, 10);
        assertThat(c.awaitChanges(FolderRef.INBOX, Duration.ofSeconds(1))).isFalse();
        // the IDLE cycle's timer (due when the 1 s wait ends) and the write deadlines (the 60 s read timeout)
        assertThat(delays).as("timers scheduled on the given executor")
            .anyMatch(d -> d.compareTo(Duration.ofSeconds(1)) <= 0)
            .anyMatch(d -> d.equals(Duration.ofSeconds(60)));
      }
      assertThat(executor.isShutdown()).as("close() leaves the caller's executor alone").isFalse();
      assertThat(executor.submit(() -> "still running").get(5, TimeUnit.SECONDS)).isEqualTo("still running");
    } finally {
      executor.shutdownNow();
      assertThat(executor.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void unreachableServer_isTriedAgain_afterGrowingPausesAskedOfTheSleeper() throws Exception {
    int closedPort;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = probe.getLocalPort();
    }
    RecordingSleeper sleeper = new RecordingSleeper();
    try (ImapMailboxConnector c = contoso.connector(contoso.mailbox("unreachable"), contoso.appOnly())
        .host("127.0.0.1").port(closedPort).insecurePlaintextForTestsOnly().maxAttempts(3).sleeper(sleeper)
        .build()) {
      assertThatThrownBy(c::listFolders).isInstanceOfSatisfying(MailboxException.class,
          e -> assertThat(e.diagnosis()).get().extracting(Diagnosis::serviceCode).isEqualTo("network"));
    }
    assertThat(sleeper.waits()).as("a pause before each new attempt, longer each time")
        .containsExactly(Duration.ofMillis(100), Duration.ofMillis(200));
  }
}
