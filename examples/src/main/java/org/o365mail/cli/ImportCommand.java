package org.o365mail.cli;

import static org.o365mail.ServiceText.printable;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import org.o365mail.MailboxConnector;
import org.o365mail.MailboxException;
import org.o365mail.auth.CredentialListener;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.cli.config.ConnectionConfig;
import org.o365mail.importer.CheckpointStore;
import org.o365mail.importer.DeadLetter;
import org.o365mail.importer.FileCheckpointStore;
import org.o365mail.importer.HealthState;
import org.o365mail.importer.ImportListener;
import org.o365mail.importer.ImportResult;
import org.o365mail.importer.IncomingMessage;
import org.o365mail.importer.MailImporter;
import org.o365mail.importer.MailboxHealth;
import org.o365mail.internal.OwnerOnly;
import org.o365mail.jdbc.PostgresCheckpointStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code o365mail import}: each new message of the configured folder becomes an {@code .eml} file named by its
 * idempotency key, with the checkpoint beside them; rerun it (after Ctrl-C, or a crash) and it goes on where it
 * stopped, without duplicates in the directory.
 */
@Command(name = "import", mixinStandardHelpOptions = true,
    description = "Import new mail of the connection's folder into a directory of .eml files, resumably.",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:every new message imported", "1:every new message imported, but the post-action waits"
        + " (e.g. its folder is missing; see the diagnosis)", "2:the import stopped on a failure (see the diagnosis),"
        + " or messages are parked (the writer refused them; listed on standard error)", "64:configuration error",
        "130:stopped by Ctrl-C (SIGINT)", "143:stopped by SIGTERM"},
    footer = {"%nAn import already running on the same --out directory (another process) makes a second one stop with"
        + " exit code 2 before it imports anything. With --store jdbc:postgresql://... the checkpoints and the"
        + " mailbox's lease are in that database instead: an import of the same mailbox running anywhere on it (with"
        + " or without --follow) makes a second one stop the same way, naming the instance that holds the lease;"
        + " the lease of an import that was killed frees itself after twice --poll-interval (at least 30 s).",
        "%nA message the writer refuses (3 attempts, 1 s and 2 s apart) is parked: listed in the checkpoint and left in"
        + " the mailbox (or moved to the connection's parkFolder); the run ends with exit code 2. The next 3 runs"
        + " retry it first; after that only --retry-parked does. Imported on a retry, it leaves the list.",
        "%nCtrl-C or SIGTERM stops it within about 2 s; the checkpoint is kept, and the next run goes on where it"
        + " stopped."})
final class ImportCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin ConfigOptions options;

  @Option(names = "--out", required = true, description = "the directory for the .eml files (and .o365mail/ checkpoints)")
  Path out;

  @Option(names = "--store", paramLabel = "<jdbc:postgresql://host:port/database>", description = "keep the"
      + " checkpoints and the mailbox's lease in this PostgreSQL database instead of --out/.o365mail; the user and"
      + " password are the connection's store.user and store.password (env:NAME or file:PATH)")
  String storeUrl;

  @Option(names = "--follow", description = "keep importing new mail until stopped (Ctrl-C)")
  boolean follow;

  @Option(names = "--poll-interval", defaultValue = "PT60S", description = "with --follow: how often to look (default ${DEFAULT-VALUE})")
  Duration pollInterval;

  @Option(names = "--json", description = "print a JSON summary")
  boolean json;

  @Option(names = "--retry-parked", description = "retry every parked message first, also those the automatic"
      + " retries of earlier runs gave up on")
  boolean retryParked;

  /**
   * Handler calls after which a parked message is no longer retried automatically: the 3 of the run that parked it
   * and 3 on each of the next 3 runs. A failure that outlasts them (a message the writer can never store) waits for
   * {@code --retry-parked}, instead of costing every run its back-off.
   */
  static final int AUTOMATIC_RETRY_CALLS = 12;

  /** Parked messages listed one by one at the end of a run; the rest are counted. */
  private static final int MAX_PARKED_SHOWN = 20;

  @Override
  public Integer call() throws IOException, InterruptedException {
    ConnectionConfig c = options.load();
    OwnerOnly.createDirectories(out); // new directories 0700 whatever the umask
    PrintWriter stdout = spec.commandLine().getOut();
    boolean progress = !json && System.console() != null;
    AtomicInteger imported = new AtomicInteger();
    AtomicInteger newlyParked = new AtomicInteger();
    long start = System.nanoTime();
    // first resource, so closed last: a signal waits (up to the grace) until the files below are closed
    try (StopSignal stop = StopSignal.install("o365mail-import");
        Checkpoints checkpoints = Checkpoints.open(storeUrl, out, c, pollInterval);
        EmlWriter writer = new EmlWriter(out);
        CredentialStrategy credential = Credentials.strategy(c, CredentialListener.NONE);
        MailboxConnector connector = Connectors.connector(c, credential)) {
      CheckpointStore store = checkpoints.store();
      String leaseOwner = checkpoints.owner();
      // one import per mailbox (and directory): a second one would interleave its checkpoints with the first's
      if (!checkpoints.lease(connector.mailbox())) {
        spec.commandLine().getErr().println("o365mail import: another import of " + connector.mailbox()
            + " is running " + checkpoints.holder(connector.mailbox(), out) + "; nothing was imported. Run again"
            + " when it has ended.");
        return O365Mail.FAILURES;
      }
      // the bar's length: what the folder holds now (on a resume, part of it was imported before)
      long total = progress ? folderSize(connector, c) : -1;
      MailImporter.Builder b = MailImporter.builder()
          .connector(connector)
          .folder(c.folder())
          .handler(writer)
          // a sync batch is a group: its files fsynced together, one checkpoint (issue 16: 5x slower per message)
          .batchSize(500)
          .checkpointStore(store)
          .leaseOwner(leaseOwner)
          .postAction(c.postAction())
          .pollInterval(pollInterval)
          .followChanges(true)
          // a signal gives the message in hand this long; past it the message is abandoned (offered again next run)
          .closeTimeout(StopSignal.GRACE.dividedBy(2))
          .listener(new ImportListener() {
            @Override
            public void imported(IncomingMessage message) {
              int n = imported.incrementAndGet();
              if (progress && (n % 10 == 0)) {
                stdout.print("\r" + progressLine(n, total, System.nanoTime() - start));
                stdout.flush();
              }
            }

            @Override
            public void parked(DeadLetter letter) {
              newlyParked.incrementAndGet();
            }

            @Override
            public void healthChanged(HealthState previous, HealthState current) {
              // the importer's own health log is off (simplelogger.properties): a run that follows says each change
              // as it happens, with its diagnosis; a single pass says only that it waits, and its end the diagnosis
              if (current.health() == MailboxHealth.STOPPED || !follow && current.retryAt().isEmpty()) {
                return;
              }
              PrintWriter err = spec.commandLine().getErr();
              err.println("o365mail import: " + current.mailbox() + " is " + current.health()
                  + current.retryAt().map(at -> " until " + at + " (the service asked to wait)").orElse(""));
              if (follow) {
                current.diagnosis().ifPresent(d -> DoctorCommand.printDiagnosis(err, d));
              }
              err.flush();
            }
          });
      c.parkFolder().ifPresent(b::parkFolder);
      checkpoints.databaseLeaseTtl().ifPresent(b::leaseTtl);
      MailImporter importer = b.build();
      stop.onStop(importer::close);
      ImportResult result;
      HealthState health;
      Retried retried;
      try {
        // parked messages first: the handler's failure may have been passing (a full disk, a locked file)
        retried = retryParked(importer, stop);
        if (stop.requested()) {
          result = new ImportResult(0, 0, 0, false);
        } else if (follow) {
          importer.start();
          stop.awaitRequested();
          stop.awaitStopped(StopSignal.GRACE.dividedBy(2));
          result = new ImportResult(imported.get(), 0, newlyParked.get(), false);
        } else {
          result = importer.runOnce();
        }
        health = importer.health(); // before close, which makes it STOPPED
      } finally {
        if (!stop.requested()) {
          importer.close();
        }
      }
      List<DeadLetter> parked = importer.deadLetters();
      if (progress) {
        // a pass that completed has read the whole folder, whatever it held before
        long shown = result.completed() && !follow ? Math.max(total, imported.get()) : total;
        stdout.println("\r" + progressLine(imported.get(), shown, System.nanoTime() - start, result.completed()));
      }
      boolean stopped = !result.completed() && health.health() != MailboxHealth.STOPPED
          && health.health() != MailboxHealth.HEALTHY;
      boolean warned = !stopped && health.health() == MailboxHealth.DEGRADED;
      // a parked message is not in the directory: the run failed for it, whatever else went well
      boolean failed = stopped || !parked.isEmpty();
      if (json) {
        Json.Obj o = Json.object().put("connection", c.name()).put("mailbox", c.mailbox()).put("folder", c.folder().toString())
            .put("imported", result.imported()).put("skipped", result.skipped())
            .put("parked", parked.size()).put("newlyParked", result.parked())
            .put("retriedParked", retried.tried()).put("retriedParkedImported", retried.accepted())
            .put("completed", result.completed() && !stop.requested()).put("health", health.health().name())
            .put("out", out.toString());
        if (!parked.isEmpty()) {
          o.put("parkedListIn", checkpoints.parkedList());
        }
        health.diagnosis().map(d -> TrustAdvice.named(c, d))
            .ifPresent(d -> o.put("setupStep", d.setupStep().name()).put("fix", d.fix()));
        health.retryAt().ifPresent(at -> o.put("retryAt", at.toString()));
        stdout.println(o);
      } else {
        stdout.println("Imported " + result.imported() + " message(s) from " + c.mailbox() + "/" + c.folder() + " into "
            + out + (result.skipped() > 0 ? "; " + result.skipped() + " already imported" : "")
            + (retried.accepted() > 0 ? "; " + retried.accepted() + " parked message(s) imported on retry" : "")
            + (parked.isEmpty() ? "" : "; " + parked.size() + " parked (below)"));
        if (stopped || warned) {
          stdout.println((stopped ? "Stopped: " : "Warning: ") + health.health()
              + health.retryAt().map(at -> " until " + at + " (the service asked to wait)").orElse(""));
          if (!follow) { // a run that follows said it on stderr when it happened
            health.diagnosis().ifPresent(d -> DoctorCommand.printDiagnosis(stdout, TrustAdvice.named(c, d)));
          }
        }
      }
      if (!parked.isEmpty()) {
        printParked(spec.commandLine().getErr(), parked, checkpoints.parkedList(), c);
      }
      return failed ? O365Mail.FAILURES : warned ? O365Mail.WARNINGS : O365Mail.OK;
    }
  }

  /**
   * Where the import keeps its checkpoints and the mailbox's lease: {@code --out/.o365mail} (a file lock, freed
   * when the process ends), or the {@code --store} database (a lease row with an expiry, given back on close, and
   * freed by expiry after a kill). Not thread-safe: one per run.
   */
  static final class Checkpoints implements AutoCloseable {
    /** The shortest lease in the database: a killed import's mailbox is free again after this at the latest. */
    static final Duration MIN_DATABASE_TTL = Duration.ofSeconds(30);

    private final FileCheckpointStore file;
    private final StoreDatabase database;
    private final CheckpointStore store;
    private final String owner;
    private final Duration ttl;
    private String leased;

    private Checkpoints(FileCheckpointStore file, StoreDatabase database, CheckpointStore store, String owner,
        Duration ttl) {
      this.file = file;
      this.database = database;
      this.store = store;
      this.owner = owner;
      this.ttl = ttl;
    }

    static Checkpoints open(String url, Path out, ConnectionConfig c, Duration pollInterval) throws IOException {
      Duration ttl = pollInterval.multipliedBy(2);
      if (url == null) {
        FileCheckpointStore file = new FileCheckpointStore(out.resolve(".o365mail"));
        return new Checkpoints(file, null, file, ProcessHandle.current().pid() + "@o365mail-import", ttl);
      }
      StoreDatabase database = StoreDatabase.open("--store", url, c, "o365mail-import");
      // pid@host: the name another instance's refusal shows
      String owner = ManagementFactory.getRuntimeMXBean().getName();
      return new Checkpoints(null, database, PostgresCheckpointStore.builder(database.dataSource()).build(), owner,
          ttl.compareTo(MIN_DATABASE_TTL) < 0 ? MIN_DATABASE_TTL : ttl);
    }

    CheckpointStore store() {
      return store;
    }

    String owner() {
      return owner;
    }

    /** The lease time of the database's leases; empty for the directory, whose lock ends with the process. */
    Optional<Duration> databaseLeaseTtl() {
      return database == null ? Optional.empty() : Optional.of(ttl);
    }

    /** Takes the mailbox's lease (or lock) for this run; false when another import holds it. */
    boolean lease(String mailbox) {
      if (!store.tryLease(mailbox, owner, ttl)) {
        return false;
      }
      leased = mailbox;
      return true;
    }

    /** Where the import that holds the mailbox runs, for the refusal. */
    String holder(String mailbox, Path out) {
      if (file != null) {
        return "on " + out.toAbsolutePath() + " (its lock in " + file.directory() + " is held)";
      }
      return "on " + database.shownUrl() + database.leaseHolder(mailbox).map(h -> " (" + h + ")").orElse("");
    }

    /** Where the parked messages are listed. */
    String parkedList() {
      return file != null ? file.directory().toString() : "the o365mail_dead_letter table of " + database.shownUrl();
    }

    @Override
    public void close() throws IOException {
      if (file != null) {
        file.close();
        return;
      }
      try {
        if (leased != null) {
          // the importer gave it back on close; this covers a run that ended before it made one
          store.releaseLease(leased, owner);
        }
      } catch (RuntimeException e) {
        // the lease expires by itself; the pool is closed all the same
      } finally {
        database.close();
      }
    }
  }

  /** Parked messages handed to the handler again this run, and how many of them it accepted. */
  record Retried(int tried, int accepted) {}

  /**
   * Retries the parked messages: those the automatic retries have not given up on, or with {@code --retry-parked}
   * all of them. One that is gone from the mailbox, or cannot be read now, stays parked and is said so.
   */
  private Retried retryParked(MailImporter importer, StopSignal stop) {
    int tried = 0;
    int accepted = 0;
    for (DeadLetter letter : importer.deadLetters()) {
      if (stop.requested()) {
        break;
      }
      if (!retryParked && !retriedAutomatically(letter)) {
        continue;
      }
      tried++;
      try {
        if (importer.retryDeadLetter(letter.messageKey())) {
          accepted++;
        }
      } catch (MailboxException e) {
        spec.commandLine().getErr().println("o365mail import: parked message " + printable(letter.messageKey())
            + " could not be read again (" + printable(e.getMessage() == null ? e.getClass().getSimpleName()
            : e.getMessage()) + "); it stays parked");
      } catch (IllegalStateException e) {
        break; // closed by a signal meanwhile
      }
    }
    return new Retried(tried, accepted);
  }

  /** Whether a run retries this parked message without {@code --retry-parked}. */
  static boolean retriedAutomatically(DeadLetter letter) {
    return letter.attempts() < AUTOMATIC_RETRY_CALLS;
  }

  /** Says how many messages are parked, where they are listed, and each one (the sender's text escaped). */
  private void printParked(PrintWriter err, List<DeadLetter> parked, String list, ConnectionConfig c) {
    err.println("o365mail import: " + parked.size() + " message(s) parked: the writer refused them (listed in " + list
        + "; the messages stay in " + c.mailbox() + "/" + c.parkFolder().map(Object::toString)
        .orElse(c.folder().toString()) + "). The next runs retry them; fix the cause, or run again with"
        + " --retry-parked.");
    int shown = 0;
    for (DeadLetter d : parked) {
      if (shown++ == MAX_PARKED_SHOWN) {
        err.println("  ... and " + (parked.size() - MAX_PARKED_SHOWN) + " more");
        break;
      }
      err.println("  " + printable(d.messageKey()) + " \"" + printable(d.subject()) + "\": " + d.attempts()
          + " attempt(s)" + (retriedAutomatically(d) ? "" : ", retried only with --retry-parked") + "; last error: "
          + printable(d.lastError()));
    }
  }

  private static long folderSize(MailboxConnector connector, ConnectionConfig c) {
    try {
      return connector.folder(c.folder()).totalCount();
    } catch (RuntimeException e) {
      return -1; // the import itself will say what is wrong
    }
  }

  static String progressLine(int imported, long total, long nanos) {
    return progressLine(imported, total, nanos, false);
  }

  /** {@code [#########-----------]  450 of 1,000 messages (85/s)}, or a count alone when the total is unknown. */
  static String progressLine(int imported, long total, long nanos, boolean complete) {
    double seconds = Math.max(0.001, nanos / 1e9);
    String rate = String.format(Locale.ROOT, "(%.0f/s)", imported / seconds);
    if (total <= 0) {
      return String.format(Locale.ROOT, "Imported %,d messages %s", imported, rate);
    }
    int width = 30;
    int filled = complete ? width : (int) Math.min(width, imported * width / total);
    return String.format(Locale.ROOT, "[%s%s] %,d of %,d messages %s", "#".repeat(filled), "-".repeat(width - filled),
        imported, Math.max(total, imported), rate);
  }
}
