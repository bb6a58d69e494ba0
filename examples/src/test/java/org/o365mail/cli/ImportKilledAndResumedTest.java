package org.o365mail.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.StoredMail;
import org.o365mail.testkit.Tenant;

/**
 * {@code o365mail import} in a child JVM, killed with SIGKILL at several points of a run and started again: in the
 * end every message is in the directory exactly once, complete, and moved out of the inbox by the post-action.
 */
@Timeout(300)
class ImportKilledAndResumedTest {
  static final int MESSAGES = 120;
  static final int[] KILL_AFTER_FILES = {15, 45, 80};
  static final Pattern SUBJECT = Pattern.compile("(?m)^Subject: (Invoice \\d+)\\r?$");

  static LocalTenant m365;
  static Tenant contoso;

  @BeforeAll
  static void start() {
    m365 = LocalTenant.start();
    contoso = m365.createTenant("contoso.com");
    // slow enough that a kill lands in the middle of the run
    m365.faults().imapLatency(Duration.ofMillis(3)).graphLatency(Duration.ofMillis(3));
  }

  @AfterAll
  static void stop() {
    m365.close();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"imap", "graph"})
  void killedThreeTimes_thenResumed_importsEachMessageOnce(String protocol, @TempDir Path dir) throws Exception {
    Mailbox inbox = ChildProcesses.invoices(contoso, "killed-" + protocol + "@contoso.com", MESSAGES)
        .createFolder("Inbox/Imported");
    Path config = ChildProcesses.importConfig(m365, contoso, dir, "kill test " + protocol, protocol, inbox,
        "c.postAction = move:Inbox/Imported");
    Path out = dir.resolve("out");

    List<Integer> killedAt = new ArrayList<>();
    for (int threshold : KILL_AFTER_FILES) {
      Process child = importer(config, out, dir.resolve("kill-" + threshold + ".log"));
      while (child.isAlive() && emlFiles(out).size() < threshold) {
        Thread.sleep(2);
      }
      assertThat(child.isAlive()).as("the import must still be running at %d files: %s", threshold,
          ChildProcesses.log(dir.resolve("kill-" + threshold + ".log"))).isTrue();
      child.destroyForcibly(); // SIGKILL: no shutdown hook, no close
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
      killedAt.add(emlFiles(out).size());
    }
    assertThat(killedAt).isSorted();
    assertThat(killedAt.get(killedAt.size() - 1)).isLessThan(MESSAGES);

    Path last = dir.resolve("resume.log");
    Process resumed = importer(config, out, last);
    assertThat(resumed.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(resumed.exitValue()).as(ChildProcesses.log(last)).isZero();

    List<Path> files = emlFiles(out);
    List<String> subjects = new ArrayList<>();
    for (Path f : files) {
      String mime = Files.readString(f, StandardCharsets.ISO_8859_1);
      Matcher m = SUBJECT.matcher(mime);
      assertThat(m.find()).as("complete message in %s", f).isTrue();
      assertThat(mime).contains("Amount due: ");
      subjects.add(m.group(1));
    }
    assertThat(subjects).hasSize(MESSAGES).doesNotHaveDuplicates();
    try (Stream<Path> s = Files.list(out)) {
      assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".part"));
    }
    // the post-action ran for every message, once
    assertThat(inbox.messages("Inbox")).isEmpty();
    assertThat(inbox.messages("Inbox/Imported")).extracting(StoredMail::subject).hasSize(MESSAGES)
        .doesNotHaveDuplicates();

    Path again = dir.resolve("again.log");
    Process rerun = importer(config, out, again);
    assertThat(rerun.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(rerun.exitValue()).as(ChildProcesses.log(again)).isZero();
    assertThat(ChildProcesses.log(again)).contains("\"imported\":0");
    assertThat(emlFiles(out)).hasSize(MESSAGES);
  }

  static Process importer(Path config, Path out, Path log) throws IOException {
    return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), O365Mail.class.getName(),
        "import", "--config", config.toString(), "--out", out.toString(), "--json")
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  static List<Path> emlFiles(Path out) throws IOException {
    if (!Files.isDirectory(out)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(out)) {
      return s.filter(p -> p.getFileName().toString().endsWith(".eml")).toList();
    }
  }
}
