package org.o365mail.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.o365mail.importer.FileCheckpointStore;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.Tenant;

/**
 * {@code o365mail import} as a real process while another process holds the lock of its directory: it stops with
 * a message naming the directory and exit code 2, importing nothing; once the lock is released it imports.
 */
@Timeout(300)
class ImportLockTest {
  static final int MESSAGES = 5;

  static LocalTenant m365;
  static Tenant contoso;

  @BeforeAll
  static void start() {
    m365 = LocalTenant.start();
    contoso = m365.createTenant("contoso.com");
  }

  @AfterAll
  static void stop() {
    m365.close();
  }

  @Test
  void aSecondImportOnALockedDirectory_stopsWithAClearMessage_andImportsOnceItIsFree(@TempDir Path dir)
      throws Exception {
    Mailbox inbox = ChildProcesses.invoices(contoso, "locked@contoso.com", MESSAGES);
    Path config = ChildProcesses.importConfig(m365, contoso, dir, "lock test", "imap", inbox);
    Path out = dir.resolve("out");

    Process holder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Holder.class.getName(), out.resolve(".o365mail").toString(),
        inbox.address()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try {
      BufferedReader said = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
      assertThat(said.readLine()).isEqualTo("held");

      Path refusedLog = dir.resolve("refused.log");
      Process refused = ImportKilledAndResumedTest.importer(config, out, refusedLog);
      assertThat(refused.waitFor(120, TimeUnit.SECONDS)).isTrue();
      String log = ChildProcesses.log(refusedLog);
      assertThat(refused.exitValue()).as(log).isEqualTo(O365Mail.FAILURES);
      assertThat(log).contains("another import of " + inbox.address() + " is running on " + out.toAbsolutePath())
          .contains("nothing was imported").doesNotContain("\"imported\"");
      assertThat(ImportKilledAndResumedTest.emlFiles(out)).isEmpty();

      holder.getOutputStream().close(); // the holder releases its lease and ends
      assertThat(holder.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(holder.exitValue()).isZero();
    } finally {
      holder.destroyForcibly();
    }

    Path okLog = dir.resolve("ok.log");
    Process ok = ImportKilledAndResumedTest.importer(config, out, okLog);
    assertThat(ok.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(ok.exitValue()).as(ChildProcesses.log(okLog)).isZero();
    assertThat(ChildProcesses.log(okLog)).contains("\"imported\":" + MESSAGES);
    assertThat(ImportKilledAndResumedTest.emlFiles(out)).hasSize(MESSAGES);
  }

  /** Holds the lease of a mailbox in a checkpoint directory until its standard input ends. */
  public static final class Holder {
    public static void main(String[] args) throws Exception {
      try (FileCheckpointStore store = new FileCheckpointStore(Path.of(args[0]))) {
        if (!store.tryLease(args[1], "holder", Duration.ofMinutes(5))) {
          System.out.println("refused");
          System.exit(3);
        }
        System.out.println("held");
        System.out.flush();
        while (System.in.read() >= 0) {
          // wait for the test to close the stream
        }
        store.releaseLease(args[1], "holder");
      }
    }
  }
}
