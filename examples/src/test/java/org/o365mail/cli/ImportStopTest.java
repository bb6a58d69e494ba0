package org.o365mail.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;

/**
 * {@code o365mail import} as a real process, stopped by SIGTERM in the middle of a pass (with {@code --follow} and
 * without) and by SIGINT (Ctrl-C) while it follows, waiting for new mail (IMAP IDLE, or the Graph poll): each time
 * it ends within a bound with the signal's exit code (143, 130), and a run after it delivers every message exactly
 * once.
 */
@Timeout(300)
class ImportStopTest {
  static final int MESSAGES = 150;
  /** Generous for a noisy machine: the tool gives itself {@link StopSignal#GRACE} (1.5 s). */
  static final Duration BOUND = Duration.ofSeconds(10);

  static LocalTenant m365;
  static Tenant contoso;

  @BeforeAll
  static void start() {
    m365 = LocalTenant.start();
    contoso = m365.createTenant("contoso.com");
    // slow enough that a signal lands in the middle of the first pass
    m365.faults().imapLatency(Duration.ofMillis(3)).graphLatency(Duration.ofMillis(3));
  }

  @AfterAll
  static void stop() {
    m365.close();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"imap", "graph"})
  void sigtermMidPass_andSigintWhileFollowing_stopWithinTheBound_andLoseOrRepeatNothing(String protocol,
      @TempDir Path dir) throws Exception {
    Mailbox inbox = ChildProcesses.invoices(contoso, "stopped-" + protocol + "@contoso.com", MESSAGES);
    Path config = ChildProcesses.importConfig(m365, contoso, dir, "stop test " + protocol, protocol, inbox);
    Path out = dir.resolve("out");

    Path termLog = dir.resolve("term.log");
    Process following = follow(config, out, termLog);
    awaitFiles(following, out, 20, termLog);
    Stopped term = stop(following, "TERM");
    System.out.printf("%s: SIGTERM in the first pass at %d files: exit %d after %d ms%n", protocol,
        ImportKilledAndResumedTest.emlFiles(out).size(), term.exit, term.millis);
    assertThat(term.exit).as(ChildProcesses.log(termLog)).isEqualTo(143);
    assertThat(ImportKilledAndResumedTest.emlFiles(out).size()).isLessThan(MESSAGES);

    // a single pass (no --follow), stopped the same way in its middle
    int before = ImportKilledAndResumedTest.emlFiles(out).size();
    Path onceLog = dir.resolve("once.log");
    Process once = ImportKilledAndResumedTest.importer(config, out, onceLog);
    awaitFiles(once, out, before + 20, onceLog);
    Stopped onceTerm = stop(once, "TERM");
    System.out.printf("%s: SIGTERM in a single pass at %d files: exit %d after %d ms%n", protocol,
        ImportKilledAndResumedTest.emlFiles(out).size(), onceTerm.exit, onceTerm.millis);
    assertThat(onceTerm.exit).as(ChildProcesses.log(onceLog)).isEqualTo(143);
    assertThat(ImportKilledAndResumedTest.emlFiles(out).size()).isLessThan(MESSAGES);

    Path resumeLog = dir.resolve("resume.log");
    Process resumed = ImportKilledAndResumedTest.importer(config, out, resumeLog);
    assertThat(resumed.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(resumed.exitValue()).as(ChildProcesses.log(resumeLog)).isZero();
    assertThat(ChildProcesses.log(resumeLog)).contains("\"parked\":0");
    assertExactlyOnce(out, MESSAGES);

    // following again: it imports what comes, then waits in IDLE (imap) or until the next poll (graph)
    Path intLog = dir.resolve("int.log");
    following = follow(config, out, intLog);
    assumeFalse(ignoresSigint(following), "this test's JVM was started with SIGINT ignored (a background job)");
    inbox.deliver(TestMessages.text("billing@fabrikam.com", inbox.address(), "Invoice " + MESSAGES, "Amount due: 0"));
    awaitFiles(following, out, MESSAGES + 1, intLog);
    Stopped interrupted = stop(following, "INT");
    System.out.printf("%s: SIGINT while following: exit %d after %d ms%n", protocol, interrupted.exit,
        interrupted.millis);
    assertThat(interrupted.exit).as(ChildProcesses.log(intLog)).isEqualTo(130);
    assertExactlyOnce(out, MESSAGES + 1);
  }

  record Stopped(int exit, long millis) {}

  /** Sends the signal and waits (at most {@link #BOUND}) for the process to end. */
  static Stopped stop(Process p, String signal) throws Exception {
    long begin = System.nanoTime();
    if (signal.equals("TERM")) {
      p.destroy(); // SIGTERM on Linux
    } else {
      Process kill = new ProcessBuilder("kill", "-s", signal, Long.toString(p.pid())).start();
      assertThat(kill.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(kill.exitValue()).isZero();
    }
    boolean ended = p.waitFor(BOUND.toMillis(), TimeUnit.MILLISECONDS);
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin);
    if (!ended) {
      p.destroyForcibly();
    }
    assertThat(ended).as("ended within %s of SIG%s", BOUND, signal).isTrue();
    return new Stopped(p.exitValue(), millis);
  }

  /** Whether the process ignores SIGINT (bit 2 of SigIgn in /proc/PID/status), as children of background jobs do. */
  static boolean ignoresSigint(Process p) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(p.pid()), "status"))) {
      if (line.startsWith("SigIgn:")) {
        return new BigInteger(line.substring(7).trim(), 16).testBit(1);
      }
    }
    return false;
  }

  static Process follow(Path config, Path out, Path log) throws IOException {
    return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), O365Mail.class.getName(),
        "import", "--config", config.toString(), "--out", out.toString(), "--json", "--follow",
        "--poll-interval", "PT5M")
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  static void awaitFiles(Process p, Path out, int files, Path log) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (p.isAlive() && ImportKilledAndResumedTest.emlFiles(out).size() < files && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(p.isAlive()).as("still following at %d files: %s", files, ChildProcesses.log(log)).isTrue();
    assertThat(ImportKilledAndResumedTest.emlFiles(out).size()).isGreaterThanOrEqualTo(files);
  }

  static void assertExactlyOnce(Path out, int messages) throws IOException {
    List<String> subjects = new ArrayList<>();
    for (Path f : ImportKilledAndResumedTest.emlFiles(out)) {
      Matcher m = ImportKilledAndResumedTest.SUBJECT.matcher(Files.readString(f, StandardCharsets.ISO_8859_1));
      assertThat(m.find()).as("complete message in %s", f).isTrue();
      subjects.add(m.group(1));
    }
    assertThat(subjects).hasSize(messages).doesNotHaveDuplicates();
    try (Stream<Path> s = Files.list(out)) {
      assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".part"));
    }
  }
}
