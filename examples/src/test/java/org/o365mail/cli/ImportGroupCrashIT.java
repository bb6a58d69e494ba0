package org.o365mail.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
import org.o365mail.importer.BatchingMessageHandler;
import org.o365mail.importer.FileCheckpointStore;
import org.o365mail.importer.ImportResult;
import org.o365mail.importer.IncomingMessage;
import org.o365mail.importer.MailImporter;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.StoredMail;
import org.o365mail.testkit.Tenant;

/**
 * Group commit of the CLI's writer under a process that dies at the two points that matter, by a child JVM halting
 * itself there ({@code Runtime.halt}: no shutdown hook, no close, like SIGKILL): right after a group's files and
 * directory were fsynced and before its checkpoint was written, and in the middle of a group. The next run hands the
 * group out again with the same keys, each flagged as a possible redelivery; a group that was committed never comes
 * again; no message is lost or written twice; the post-action waits for the checkpoint.
 */
@Timeout(300)
class ImportGroupCrashIT {
  static final int MESSAGES = 60;
  static final int GROUP = 20;
  static final int HALTED = 99;

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

  /** A delivery the child reported: its key and whether it was flagged. */
  record Delivery(String key, boolean flagged) {}

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"imap", "graph"})
  void diesAfterTheFsyncAndInAGroup_groupsComeAgainFlagged_committedOnesNever(String protocol, @TempDir Path dir)
      throws Exception {
    Mailbox inbox = ChildProcesses.invoices(contoso, "group-" + protocol + "@contoso.com", MESSAGES);
    Path config = ChildProcesses.importConfig(m365, contoso, dir, "group crash " + protocol, protocol, inbox,
        "c.postAction = mark-read");
    Path out = Files.createDirectories(dir.resolve("out"));

    // run 1: dies after the second group's files are durable, before its checkpoint
    List<Delivery> first = run(config, out, dir, 1, "flush", 2, HALTED);
    assertThat(first).hasSize(2 * GROUP).noneMatch(Delivery::flagged);
    // the post-action ran for the committed group only
    assertThat(inbox.messages("Inbox").stream().filter(StoredMail::seen)).hasSize(GROUP);

    // run 2: the second group again, flagged, before anything else; then dies at the 10th message of the third
    List<Delivery> second = run(config, out, dir, 2, "handle", GROUP + 10, HALTED);
    assertThat(second.subList(0, GROUP)).extracting(Delivery::key)
        .containsExactlyInAnyOrderElementsOf(keys(first.subList(GROUP, 2 * GROUP)));
    assertThat(second.subList(0, GROUP)).allMatch(Delivery::flagged);
    assertThat(second.subList(GROUP, second.size())).noneMatch(Delivery::flagged);

    // run 3: completes; the ten the dead run had are flagged (the rest of that group may be too: never reached)
    List<Delivery> third = run(config, out, dir, 3, "none", 0, 0);
    Set<String> interrupted = new HashSet<>(keys(second.subList(GROUP, second.size())));
    assertThat(third).filteredOn(d -> interrupted.contains(d.key())).hasSize(interrupted.size())
        .allMatch(Delivery::flagged);

    // a committed group never comes again; every message once in the directory, complete
    List<Delivery> all = new ArrayList<>(first);
    all.addAll(second);
    all.addAll(third);
    Map<String, Integer> counts = new HashMap<>();
    all.forEach(d -> counts.merge(d.key(), 1, Integer::sum));
    assertThat(counts).hasSize(MESSAGES);
    for (String committed : keys(first.subList(0, GROUP))) {
      assertThat(counts.get(committed)).as(committed).isEqualTo(1);
    }
    List<Path> files = ImportKilledAndResumedTest.emlFiles(out);
    assertThat(files).hasSize(MESSAGES);
    Set<String> subjects = new HashSet<>();
    for (Path f : files) {
      String mime = Files.readString(f, StandardCharsets.ISO_8859_1);
      assertThat(mime).as("complete message in %s", f).contains("Amount due: ");
      subjects.add(mime.substring(mime.indexOf("Subject: "), mime.indexOf("\r\n", mime.indexOf("Subject: "))));
    }
    assertThat(subjects).hasSize(MESSAGES);
    try (Stream<Path> s = Files.list(out)) {
      assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".part"));
    }
    assertThat(inbox.messages("Inbox")).hasSize(MESSAGES).allMatch(StoredMail::seen);
  }

  static List<String> keys(List<Delivery> deliveries) {
    return deliveries.stream().map(Delivery::key).toList();
  }

  /** Runs the child to its end and returns what it reported handed out. */
  static List<Delivery> run(Path config, Path out, Path dir, int run, String haltAt, int count, int exit)
      throws IOException, InterruptedException {
    Path log = dir.resolve("run-" + run + ".log");
    Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Child.class.getName(), config.toString(), out.toString(),
        haltAt, Integer.toString(count)).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!child.waitFor(120, TimeUnit.SECONDS)) {
      child.destroyForcibly();
      throw new AssertionError("run " + run + " did not end: " + ChildProcesses.log(log));
    }
    assertThat(child.exitValue()).as("run %d: %s", run, ChildProcesses.log(log)).isEqualTo(exit);
    List<Delivery> deliveries = new ArrayList<>();
    for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
      if (line.startsWith("HANDED\t")) {
        String[] parts = line.split("\t");
        deliveries.add(new Delivery(parts[1], Boolean.parseBoolean(parts[2])));
      }
    }
    return deliveries;
  }

  /**
   * The importing process: the CLI's writer behind a handler that reports each message on standard output and halts
   * the JVM after the n-th flush returned (files and directory fsynced, checkpoint not yet written) or at the n-th
   * message handed to it.
   */
  public static final class Child {
    public static void main(String[] args) throws Exception {
      ConnectionConfig c = ConfigFile.load(Path.of(args[0])).connection(null);
      Path out = Path.of(args[1]);
      String haltAt = args[2];
      int count = Integer.parseInt(args[3]);
      try (CredentialStrategy credential = Credentials.strategy(c, CredentialListener.NONE);
          MailboxConnector connector = Connectors.connector(c, credential);
          FileCheckpointStore store = new FileCheckpointStore(out.resolve(".o365mail"));
          EmlWriter writer = new EmlWriter(out)) {
        BatchingMessageHandler handler = new BatchingMessageHandler() {
          int handled;
          int flushes;

          @Override
          public void handle(IncomingMessage m) throws Exception {
            System.out.println("HANDED\t" + m.idempotencyKey() + "\t" + m.possibleRedelivery());
            System.out.flush();
            if (haltAt.equals("handle") && ++handled == count) {
              Runtime.getRuntime().halt(HALTED);
            }
            writer.handle(m);
          }

          @Override
          public void flush() throws Exception {
            writer.flush();
            if (haltAt.equals("flush") && ++flushes == count) {
              Runtime.getRuntime().halt(HALTED);
            }
          }
        };
        // groups of one sync batch each, whatever the machine's speed: the test counts messages by group
        try (MailImporter importer = MailImporter.builder().connector(connector).folder(c.folder())
            .checkpointStore(store).postAction(c.postAction()).handler(handler).batchSize(GROUP)
            .groupCommit(1000, Duration.ofHours(1)).build()) {
          ImportResult result = importer.runOnce();
          System.out.println("RESULT\t" + result);
          if (!result.completed()) {
            System.exit(1);
          }
        }
      }
    }
  }
}
