package org.o365mail.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.o365mail.importer.DeadLetter;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.Tenant;

/**
 * {@code o365mail import} as a real process whose writer cannot store some messages (a directory stands where their
 * {@code .eml} file goes): they are parked, the run exits 2 saying how many and where; the next run retries them
 * first; once the cause is gone every message is in the directory exactly once and the parked list is empty.
 */
@Timeout(300)
class ImportParkedTest {
  static final int MESSAGES = 6;

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
  void messagesTheWriterRefuses_areParkedWithExitCode2_retriedByTheNextRun_andImportedOnceTheCauseIsFixed(
      @TempDir Path dir) throws Exception {
    Mailbox inbox = ChildProcesses.invoices(contoso, "parked@contoso.com", MESSAGES);
    Path config = ChildProcesses.importConfig(m365, contoso, dir, "parked test", "imap", inbox);

    // the names the messages' files get (the idempotency keys are the same for every directory)
    Path learn = dir.resolve("learn");
    assertThat(run(config, learn, dir.resolve("learn.log")).exit).isZero();
    List<Path> names = ImportKilledAndResumedTest.emlFiles(learn).stream().map(Path::getFileName).sorted().toList();
    assertThat(names).hasSize(MESSAGES);

    // two of them cannot be written: a directory (not empty) has their name
    Path out = dir.resolve("out");
    List<Path> blocked = List.of(out.resolve(names.get(1)), out.resolve(names.get(4)));
    for (Path b : blocked) {
      Files.createDirectories(b);
      Files.writeString(b.resolve("keep"), "in the way");
    }

    Run first = run(config, out, dir.resolve("first.log"));
    assertThat(first.exit).as(first.log).isEqualTo(O365Mail.FAILURES);
    assertThat(first.log).contains("\"imported\":" + (MESSAGES - 2)).contains("\"parked\":2").contains("\"newlyParked\":2")
        .contains("o365mail import: 2 message(s) parked").contains(out.resolve(".o365mail").toString())
        .contains("The next runs retry them");
    assertThat(regularEml(out)).hasSize(MESSAGES - 2);
    try (Stream<Path> s = Files.list(out)) {
      assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".part"));
    }

    // the cause is still there: the next run tries them again first, and they stay parked
    Run second = run(config, out, dir.resolve("second.log"));
    assertThat(second.exit).as(second.log).isEqualTo(O365Mail.FAILURES);
    assertThat(second.log).contains("\"imported\":0").contains("\"parked\":2").contains("\"newlyParked\":0")
        .contains("\"retriedParked\":2").contains("\"retriedParkedImported\":0").contains("6 attempt(s)");

    for (Path b : blocked) { // the operator clears the way
      Files.delete(b.resolve("keep"));
      Files.delete(b);
    }
    Run third = run(config, out, dir.resolve("third.log"));
    assertThat(third.exit).as(third.log).isZero();
    assertThat(third.log).contains("\"imported\":0").contains("\"parked\":0").contains("\"retriedParked\":2")
        .contains("\"retriedParkedImported\":2").doesNotContain("parked:");

    List<String> subjects = new ArrayList<>();
    for (Path f : regularEml(out)) {
      Matcher m = ImportKilledAndResumedTest.SUBJECT.matcher(Files.readString(f, StandardCharsets.ISO_8859_1));
      assertThat(m.find()).as("complete message in %s", f).isTrue();
      subjects.add(m.group(1));
    }
    assertThat(subjects).hasSize(MESSAGES).doesNotHaveDuplicates();

    Run fourth = run(config, out, dir.resolve("fourth.log"));
    assertThat(fourth.exit).as(fourth.log).isZero();
    assertThat(fourth.log).contains("\"imported\":0").contains("\"parked\":0").contains("\"retriedParked\":0");
    assertThat(regularEml(out)).hasSize(MESSAGES);
  }

  @Test
  void aMessageRefusedOnFourRuns_isNoLongerRetriedAutomatically_butStaysListed_untilRetryParked(@TempDir Path dir)
      throws Exception {
    Mailbox inbox = ChildProcesses.invoices(contoso, "given-up@contoso.com", 3);
    Path config = ChildProcesses.importConfig(m365, contoso, dir, "given up test", "graph", inbox);
    Path learn = dir.resolve("learn");
    assertThat(run(config, learn, dir.resolve("learn.log")).exit).isZero();
    Path name = ImportKilledAndResumedTest.emlFiles(learn).stream().map(Path::getFileName).sorted().findFirst()
        .orElseThrow();
    Path out = dir.resolve("out");
    Path blocked = Files.createDirectories(out.resolve(name));

    // parked on the first run (3 calls), retried on the next three (3 calls each)
    for (int run = 1; run <= 4; run++) {
      Run r = run(config, out, dir.resolve("run-" + run + ".log"));
      assertThat(r.exit).as(r.log).isEqualTo(O365Mail.FAILURES);
      assertThat(r.log).contains("\"parked\":1").contains("\"retriedParked\":" + (run == 1 ? 0 : 1))
          .contains(3 * run + " attempt(s)");
    }
    Files.delete(blocked);
    // given up on: the fifth run does not try it, and still fails naming it and --retry-parked
    Run fifth = run(config, out, dir.resolve("run-5.log"));
    assertThat(fifth.exit).as(fifth.log).isEqualTo(O365Mail.FAILURES);
    assertThat(fifth.log).contains("\"parked\":1").contains("\"retriedParked\":0")
        .contains("12 attempt(s), retried only with --retry-parked");
    assertThat(regularEml(out)).hasSize(2);

    Run retried = run(config, out, dir.resolve("retry.log"), "--retry-parked");
    assertThat(retried.exit).as(retried.log).isZero();
    assertThat(retried.log).contains("\"parked\":0").contains("\"retriedParkedImported\":1");
    assertThat(regularEml(out)).hasSize(3);
  }

  @Test
  void automaticRetries_endAfterThreeMoreRuns_thenOnlyRetryParkedRetries() {
    DeadLetter justParked = letter(3);
    DeadLetter afterThreeRetries = letter(ImportCommand.AUTOMATIC_RETRY_CALLS);
    assertThat(ImportCommand.retriedAutomatically(justParked)).isTrue();
    assertThat(ImportCommand.retriedAutomatically(letter(9))).isTrue();
    assertThat(ImportCommand.retriedAutomatically(afterThreeRetries)).isFalse();
  }

  private static DeadLetter letter(int attempts) {
    return new DeadLetter("<a@b>|imap:1", "1", "s", attempts, "java.io.IOException: x", java.time.Instant.EPOCH);
  }

  record Run(int exit, String log) {}

  static Run run(Path config, Path out, Path log, String... extra) throws Exception {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), O365Mail.class.getName(),
        "import", "--config", config.toString(), "--out", out.toString(), "--json"));
    command.addAll(List.of(extra));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as(ChildProcesses.log(log)).isTrue();
    return new Run(p.exitValue(), ChildProcesses.log(log));
  }

  static List<Path> regularEml(Path out) throws Exception {
    try (Stream<Path> s = Files.list(out)) {
      return s.filter(p -> p.getFileName().toString().endsWith(".eml") && Files.isRegularFile(p)).toList();
    }
  }
}
