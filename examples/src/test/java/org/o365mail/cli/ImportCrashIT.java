package org.o365mail.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.o365mail.MailboxConnector;
import org.o365mail.auth.CredentialListener;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.cli.config.ConfigFile;
import org.o365mail.cli.config.ConnectionConfig;
import org.o365mail.importer.FileCheckpointStore;
import org.o365mail.importer.ImportResult;
import org.o365mail.importer.MailImporter;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.StoredMail;
import org.o365mail.testkit.Tenant;

/**
 * The guarantee under SIGKILL: a child JVM imports 5,000 messages and is killed at 20 random points, restarted
 * each time. Its handler reports each message to this test over a loopback socket before returning, so the record
 * of what was handed out lives outside the child. In the end every message was handed out, each duplicate carries
 * the key of a message that was in flight at a kill and is flagged as a possible redelivery, only messages in flight at
 * a kill are ever so flagged (wherever they come back: the service's order is not the importer's), and the
 * post-action (mark read) ran for every message. The tenant runs
 * in contract mode ({@link org.o365mail.testkit.Faults#contract()}) with a seed drawn per run and printed, so the
 * runs over time cover many seeds and a failure replays with {@code -Do365mail.crash.seed} and {@code
 * -Do365mail.crash.tenantSeed}.
 */
@Timeout(600)
class ImportCrashIT {
  static final int MESSAGES = 5_000;
  static final int KILLS = 20;

  static LocalTenant m365;
  static Tenant contoso;
  /** The tenant's seed: {@code -Do365mail.crash.tenantSeed=N} replays a run's contract-mode draws. */
  static long tenantSeed;

  @BeforeAll
  static void start() {
    tenantSeed = Long.getLong("o365mail.crash.tenantSeed", new Random().nextLong());
    // contract mode: the tenant uses the latitude Microsoft's documentation leaves (delta order, repeats, ...).
    // 5,000 messages read and marked read in minutes are more requests than Exchange's window lets an app send to
    // one mailbox (10,000 per 10 minutes, each $batch item one): this test is about crashes, so both the tenant and
    // the child's connector (its configuration below) lift the window
    m365 = LocalTenant.builder().seed(tenantSeed).contract().graphRequestWindow(1_000_000, Duration.ofMinutes(10))
        .start();
    contoso = m365.createTenant("contoso.com");
  }

  @AfterAll
  static void stop() {
    m365.close();
  }

  /** What the child's handler reported, in order, with the run it came from. */
  static final class Record {
    final List<String> keys = new ArrayList<>();
    final List<Integer> runs = new ArrayList<>();
    final List<Boolean> redeliveries = new ArrayList<>();

    synchronized void add(int run, String key, boolean redelivery) {
      keys.add(key);
      runs.add(run);
      redeliveries.add(redelivery);
      notifyAll();
    }

    synchronized int size() {
      return keys.size();
    }

    synchronized String lastOf(int run) {
      for (int i = keys.size() - 1; i >= 0; i--) {
        if (runs.get(i) == run) {
          return keys.get(i);
        }
      }
      return null;
    }

    synchronized void awaitSize(int n, Process child, long deadlineNanos) throws InterruptedException {
      while (keys.size() < n && child.isAlive() && System.nanoTime() < deadlineNanos) {
        wait(5);
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"imap", "graph"})
  void killedAtTwentyRandomPoints_everyMessageHandedOut_duplicatesOnlyInFlight(String protocol, @TempDir Path dir)
      throws Exception {
    Mailbox inbox = ChildProcesses.invoices(contoso, "crash-" + protocol + "@contoso.com", MESSAGES);
    Path config = ChildProcesses.importConfig(m365, contoso, dir, "crash test " + protocol, protocol, inbox,
        "c.postAction = mark-read", "c.graphRequestWindow = 1000000/600");

    long seed = Long.getLong("o365mail.crash.seed", new Random().nextLong());
    Random random = new Random(seed);
    TreeSet<Integer> points = new TreeSet<>();
    while (points.size() < KILLS) {
      points.add(1 + random.nextInt(MESSAGES - 1));
    }
    Record record = new Record();
    List<String> inFlightAtKill = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(8);
    try (ServerSocket parent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread collector = collector(parent, record);
      int run = 0;
      for (int point : points) {
        run++;
        Process child = child(config, dir, parent.getLocalPort(), run);
        record.awaitSize(point, child, deadline);
        assertThat(child.isAlive()).as("run %d (seed %d) should still be importing at %d messages: %s", run, seed,
            point, ChildProcesses.log(dir.resolve("run-" + run + ".log"))).isTrue();
        child.destroyForcibly();
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String last = record.lastOf(run);
        if (last != null) {
          inFlightAtKill.add(last);
        }
      }
      run++;
      Process last = child(config, dir, parent.getLocalPort(), run);
      if (!last.waitFor(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        last.destroyForcibly();
        throw new AssertionError("the last run did not finish: " + ChildProcesses.log(dir.resolve("run-" + run + ".log")));
      }
      assertThat(last.exitValue()).as(ChildProcesses.log(dir.resolve("run-" + run + ".log"))).isZero();
      collector.interrupt();
    }

    Map<String, Integer> counts = new HashMap<>();
    record.keys.forEach(k -> counts.merge(k, 1, Integer::sum));
    Set<String> duplicated = counts.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey)
        .collect(Collectors.toSet());
    System.out.printf("ImportCrashIT %s: %d messages, %d kills (seed %d), %d deliveries, %d duplicated keys;"
        + " contract mode, tenant seed %d, delta order %s%n", protocol, MESSAGES, KILLS, seed, record.keys.size(),
        duplicated.size(), tenantSeed, m365.faults().graphDeltaOrder());
    Set<String> mids = new HashSet<>();
    for (String key : counts.keySet()) {
      mids.add(key.substring(0, key.lastIndexOf('|')));
    }
    assertThat(mids).as("seed %d, tenant seed %d", seed, tenantSeed).containsExactlyInAnyOrderElementsOf(
        inbox.messages("Inbox").stream().map(StoredMail::internetMessageId).toList());
    assertThat(counts).as("one key per message (seed %d)", seed).hasSize(MESSAGES);
    assertThat(inFlightAtKill).as("seed %d", seed).containsAll(duplicated);
    assertThat(counts.values()).allMatch(n -> n <= 1 + KILLS);
    Set<String> handedOut = new HashSet<>();
    for (int i = 0; i < record.keys.size(); i++) {
      String key = record.keys.get(i);
      int run = record.runs.get(i);
      if (record.redeliveries.get(i)) {
        // a message the checkpoint had in flight at a kill: the handler may have had it (reported or not yet). In
        // contract mode the service need not give it back first, so it may come later in the run, or in a later run
        assertThat(run).as("delivery of %s flagged as a possible redelivery comes after a kill (seed %d)", key, seed)
            .isGreaterThan(1);
        if (handedOut.contains(key)) {
          assertThat(inFlightAtKill).as("%s, handed out before and flagged, was in flight at a kill (seed %d, tenant"
              + " seed %d)", key, seed, tenantSeed).contains(key);
        }
      }
      if (!handedOut.add(key)) {
        assertThat(record.redeliveries.get(i)).as("%s handed out again is flagged (seed %d)", key, seed).isTrue();
      }
    }
    assertThat(record.redeliveries.stream().filter(r -> r).count()).as("deliveries flagged (one message a kill)")
        .isLessThanOrEqualTo(KILLS);
    // the post-action ran for every message, after the crashes too
    assertThat(inbox.messages("Inbox")).hasSize(MESSAGES).allMatch(StoredMail::seen);
  }

  static Thread collector(ServerSocket parent, Record record) {
    Thread t = new Thread(() -> {
      while (!parent.isClosed()) {
        try {
          Socket s = parent.accept();
          Thread reader = new Thread(() -> read(s, record), "crash-test-reader");
          reader.setDaemon(true);
          reader.start();
        } catch (IOException e) {
          return;
        }
      }
    }, "crash-test-collector");
    t.setDaemon(true);
    t.start();
    return t;
  }

  static void read(Socket s, Record record) {
    try (s; BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
        OutputStream out = s.getOutputStream()) {
      int run = Integer.parseInt(in.readLine());
      String line;
      while ((line = in.readLine()) != null) {
        int tab = line.lastIndexOf('\t');
        record.add(run, line.substring(0, tab), Boolean.parseBoolean(line.substring(tab + 1)));
        out.write('\n');
        out.flush();
      }
    } catch (IOException e) {
      // the child was killed
    }
  }

  static Process child(Path config, Path dir, int parentPort, int run) throws IOException {
    return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Child.class.getName(), config.toString(),
        dir.resolve("checkpoints").toString(), Integer.toString(parentPort), Integer.toString(run))
        .redirectErrorStream(true).redirectOutput(dir.resolve("run-" + run + ".log").toFile()).start();
  }

  /** The importing process: the connection of the configuration, a file checkpoint store, a reporting handler. */
  public static final class Child {
    public static void main(String[] args) throws Exception {
      ConnectionConfig c = ConfigFile.load(Path.of(args[0])).connection(null);
      try (Socket parent = new Socket(InetAddress.getLoopbackAddress(), Integer.parseInt(args[2]));
          PrintWriter report = new PrintWriter(parent.getOutputStream(), false, StandardCharsets.UTF_8);
          BufferedReader acks = new BufferedReader(new InputStreamReader(parent.getInputStream(), StandardCharsets.UTF_8));
          CredentialStrategy credential = Credentials.strategy(c, CredentialListener.NONE);
          MailboxConnector connector = Connectors.connector(c, credential)) {
        report.println(args[3]);
        report.flush();
        try (MailImporter importer = MailImporter.builder().connector(connector).folder(c.folder())
            .checkpointStore(new FileCheckpointStore(Files.createDirectories(Path.of(args[1]))))
            .postAction(c.postAction())
            .handler(m -> {
              // accepted only once the record outside this process has it
              report.println(m.idempotencyKey() + "\t" + m.possibleRedelivery());
              report.flush();
              if (acks.readLine() == null) {
                throw new IOException("the test went away");
              }
            }).build()) {
          ImportResult result;
          do {
            result = importer.runOnce();
          } while (!result.completed() || result.imported() > 0);
        }
      }
    }
  }
}
