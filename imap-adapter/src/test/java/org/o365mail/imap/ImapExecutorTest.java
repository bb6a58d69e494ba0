package org.o365mail.imap;

import static org.assertj.core.api.Assertions.assertThat;

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
import org.o365mail.FolderRef;
import org.o365mail.SyncState;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testsupport.LeakCheck;

/** The executor a caller gives the builder: the connector's timers run on it, and it stays the caller's. */
@Timeout(60)
@ExtendWith({FreshLogs.class, LeakCheck.class})
class ImapExecutorTest {
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
}
