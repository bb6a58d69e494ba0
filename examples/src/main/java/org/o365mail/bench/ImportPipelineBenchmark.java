package org.o365mail.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.o365mail.FolderRef;
import org.o365mail.ListOptions;
import org.o365mail.MailboxConnector;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.TokenRequest;
import org.o365mail.cli.EmlWriter;
import org.o365mail.graph.GraphMailboxConnector;
import org.o365mail.imap.ImapMailboxConnector;
import org.o365mail.importer.FileCheckpointStore;
import org.o365mail.importer.ImportResult;
import org.o365mail.importer.MailImporter;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.ExchangeServicePrincipal;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.Tenant;

/**
 * The whole import pipeline against its yardsticks, in one run, on the testkit and on a real disk: {@link
 * MailImporter} with a {@link FileCheckpointStore} and the writer of {@code o365mail import} ({@link EmlWriter}),
 * each message an {@code .eml} file made durable, compared with
 *
 * <ul>
 *   <li><b>IMAP</b>: a raw read, one {@code UID FETCH 1:* BODY.PEEK[]} off a TLS socket, writing the same files the
 *       same way ({@code .part}, renamed) and making each batch of them durable together: the files fsynced (many at
 *       once, as a disk takes them fastest) and then their directory, once per batch of {@code --batch} messages.
 *       Target: the importer at 0.7x of its messages/s or better;
 *   <li><b>Graph</b>: the connector's own {@link MailboxConnector#forEachMime} over the folder writing the same files
 *       the same way (and, for reference, with no files at all). Target: the importer within 1.2x of its time.
 * </ul>
 *
 * The files go to a temporary directory on the working directory's disk ({@code --dir} to choose another; its file
 * system is printed, and a warning if it is {@code tmpfs}), removed at the end. Every way is warmed up on a small
 * mailbox first; then the ways take turns for {@code --rounds} rounds, each reported by its median.
 *
 * <p>Arguments (all optional): {@code --messages N} (10000), {@code --size BYTES} (20000), {@code --batch N} (the
 * importer's sync batch and the raw read's durable batch, 500), {@code --rounds N} (3), {@code --protocols
 * imap,graph}, {@code --dir PATH}. Run with {@code mvn -q package -DskipTests && java -cp examples/target/o365mail.jar
 * org.o365mail.bench.ImportPipelineBenchmark}.
 */
public final class ImportPipelineBenchmark {
  private static final int WINDOW_LIFTED = 100_000_000;
  /** Files fsynced at once by the raw read: a disk with a write cache takes many flushes together. */
  private static final int FSYNC_THREADS = 32;

  private ImportPipelineBenchmark() {}

  /** Figures of one way of importing. */
  record Result(String name, long messages, long bytes, long nanos) {
    double messagesPerSecond() {
      return messages / (nanos / 1e9);
    }

    String line() {
      return String.format(Locale.ROOT, "%-34s %8d msgs %12d bytes %9.2f s %10.1f msgs/s", name, messages, bytes,
          nanos / 1e9, messagesPerSecond());
    }
  }

  /** What the run measured, for the smoke test. */
  record Report(List<Result> results, double imapRatio, double graphRatio) {}

  public static void main(String[] args) throws Exception {
    run(args);
  }

  static Report run(String[] args) throws Exception {
    int messages = intArg(args, "--messages", 10_000);
    int size = intArg(args, "--size", 20_000);
    int batch = intArg(args, "--batch", 500);
    int rounds = intArg(args, "--rounds", 3);
    String protocols = stringArg(args, "--protocols", "imap,graph");
    Path parent = Path.of(stringArg(args, "--dir", "")).toAbsolutePath();
    // the JDK's HTTP server behind the testkit's Graph writes headers and body apart; without TCP_NODELAY Nagle and
    // delayed ACKs add 40 ms a response (see GraphImportBenchmark): an artefact of the stand-in, not of Graph
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
    System.out.printf(Locale.ROOT, "Java %s, %d processors, max heap %d MB%n", System.getProperty("java.version"),
        Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() / (1024 * 1024));
    Path base = Files.createTempDirectory(parent, "pipeline-bench-");
    FileStore disk = Files.getFileStore(base);
    System.out.printf(Locale.ROOT, "Files in %s: file system %s (%s)%s%n", base, disk.type(), disk.name(),
        disk.type().equals("tmpfs") ? "  WARNING: tmpfs is memory, not a disk: fsync costs nothing here" : "");
    List<Result> all = new ArrayList<>();
    double imapRatio = Double.NaN;
    double graphRatio = Double.NaN;
    try (LocalTenant m365 = LocalTenant.builder().graphRequestWindow(WINDOW_LIFTED, Duration.ofMinutes(10)).start()) {
      Tenant contoso = m365.createTenant("contoso.com");
      Application daemon = contoso.registerApp("Pipeline benchmark");
      PasswordCredential secret = daemon.addClientSecret("bench", Duration.ofDays(30));
      daemon.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp").grantAdminConsent();
      daemon.addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite").grantAdminConsent();
      ExchangeServicePrincipal principal = contoso.registerExchangeServicePrincipal(daemon);
      AppRegistration app = AppRegistration.builder().clientId(daemon.clientId()).tenant(contoso.id())
          .authorityHost(m365.authorityHost()).trust(m365.sslContext()).build();
      try (CredentialStrategy credential = CredentialStrategy.clientCredentials(app)
          .secret(ClientSecret.of(secret.value())).build()) {
        Mailbox warm = RawImap.mailbox(contoso, principal, "warmup@contoso.com", Math.min(300, messages), size);
        Mailbox big = RawImap.mailbox(contoso, principal, "import@contoso.com", messages, size);
        System.out.printf(Locale.ROOT, "Mailbox %s: %d messages of about %d bytes; batch %d; %d round(s)%n",
            big.address(), messages, size, batch, rounds);
        Ways ways = new Ways(m365, credential, base, batch);
        if (protocols.contains("imap")) {
          ways.rawImap(warm, true);
          ways.importer("imap", warm);
          List<Result> raws = new ArrayList<>();
          List<Result> importers = new ArrayList<>();
          for (int round = 0; round < rounds; round++) {
            raws.add(ways.rawImap(big, true));
            importers.add(ways.importer("imap", big));
          }
          Result wire = ways.rawImap(big, false);
          Result raw = median(raws);
          Result importer = median(importers);
          imapRatio = importer.messagesPerSecond() / raw.messagesPerSecond();
          all.addAll(List.of(wire, raw, importer));
          System.out.println();
          System.out.println(wire.line());
          System.out.println(raw.line());
          System.out.println(importer.line());
          System.out.printf(Locale.ROOT, "IMAP importer / raw read with files: %.2fx messages/s (target >= 0.7x)%n",
              imapRatio);
        }
        if (protocols.contains("graph")) {
          ways.forEachMime(warm);
          ways.forEachMimeToFiles(warm);
          ways.importer("graph", warm);
          List<Result> reads = new ArrayList<>();
          List<Result> readsToFiles = new ArrayList<>();
          List<Result> importers = new ArrayList<>();
          for (int round = 0; round < rounds; round++) {
            reads.add(ways.forEachMime(big));
            readsToFiles.add(ways.forEachMimeToFiles(big));
            importers.add(ways.importer("graph", big));
          }
          Result read = median(reads);
          Result readToFiles = median(readsToFiles);
          Result importer = median(importers);
          graphRatio = importer.nanos() / (double) readToFiles.nanos();
          all.addAll(List.of(read, readToFiles, importer));
          System.out.println();
          System.out.println(read.line());
          System.out.println(readToFiles.line());
          System.out.println(importer.line());
          // the importer writes every message durably; forEachMime alone writes nothing, so the target is measured
          // against forEachMime writing the same files the same way, and the bare read is shown beside it
          System.out.printf(Locale.ROOT, "Graph importer time / forEachMime with the same files: %.2fx (target <= 1.2x);"
              + " / forEachMime alone: %.2fx%n", graphRatio, importer.nanos() / (double) read.nanos());
        }
      }
    } finally {
      delete(base);
    }
    return new Report(all, imapRatio, graphRatio);
  }

  /** The ways of reading, each into a fresh directory under {@code base}, removed after it was counted. */
  private record Ways(LocalTenant m365, CredentialStrategy credential, Path base, int batch) {
    Result importer(String protocol, Mailbox mailbox) throws IOException {
      Path out = Files.createTempDirectory(base, protocol + "-importer-");
      long start = System.nanoTime();
      ImportResult result;
      try (MailboxConnector connector = connector(protocol, mailbox);
          FileCheckpointStore store = new FileCheckpointStore(out.resolve(".o365mail"));
          EmlWriter writer = new EmlWriter(out);
          MailImporter importer = MailImporter.builder().connector(connector).checkpointStore(store)
              .handler(writer).batchSize(batch).build()) {
        result = importer.runOnce();
      }
      long nanos = System.nanoTime() - start;
      if (!result.completed()) {
        throw new IllegalStateException(protocol + " import did not complete: " + result);
      }
      return counted(protocol + " importer, files + checkpoint", out, nanos);
    }

    MailboxConnector connector(String protocol, Mailbox mailbox) {
      if (protocol.equals("imap")) {
        return ImapMailboxConnector.builder().mailbox(mailbox.address()).credential(credential)
            .host(m365.hostName()).port(m365.imapPort()).build();
      }
      return GraphMailboxConnector.builder().mailbox(mailbox.address()).credential(credential)
          .baseUrl(m365.graphBaseUrl()).trust(m365.sslContext()).requestWindow(WINDOW_LIFTED, Duration.ofMinutes(10))
          .build();
    }

    /** The Graph connector's own read of the folder: forEachMime over the listing, into a checksum. */
    Result forEachMime(Mailbox mailbox) {
      long start = System.nanoTime();
      AtomicLong bytes = new AtomicLong();
      long[] n = {0};
      try (MailboxConnector c = connector("graph", mailbox)) {
        ListOptions options = ListOptions.defaults().pageSize(1000).readAhead(true);
        c.forEachMime(c.listMessages(FolderRef.INBOX, options), (m, in) -> {
          bytes.addAndGet(GraphImportBenchmark.crc(in) == -1 ? 0 : m.size().orElse(-1));
          n[0]++;
        });
      }
      return new Result("graph forEachMime, no files", n[0], bytes.get(), System.nanoTime() - start);
    }

    /** forEachMime as above, each message a file written as the raw IMAP read writes them. */
    Result forEachMimeToFiles(Mailbox mailbox) throws IOException {
      Path out = Files.createTempDirectory(base, "graph-raw-");
      long start = System.nanoTime();
      try (MailboxConnector c = connector("graph", mailbox); DurableBatches writer = new DurableBatches(out, batch)) {
        c.forEachMime(c.listMessages(FolderRef.INBOX, ListOptions.defaults().pageSize(1000).readAhead(true)),
            (m, in) -> writer.literal(in, -1));
      }
      return counted("graph forEachMime, files by batch", out, System.nanoTime() - start);
    }

    /** One {@code UID FETCH 1:* BODY.PEEK[]}; with {@code files}, each message a file, durable by batches. */
    Result rawImap(Mailbox mailbox, boolean files) throws IOException {
      Path out = Files.createTempDirectory(base, "imap-raw-");
      long start = System.nanoTime();
      RawImap.Counter counts = new RawImap.Counter();
      try (DurableBatches writer = files ? new DurableBatches(out, batch) : null;
          RawImap imap = RawImap.signIn(m365, mailbox.address(), credential.token(TokenRequest.imap()).value())) {
        imap.command("s SELECT INBOX", "s", null);
        imap.command("f UID FETCH 1:* BODY.PEEK[]", "f", writer == null ? counts : writer);
      }
      if (!files) {
        return new Result("imap raw read, no files", counts.messages, counts.bytes, System.nanoTime() - start);
      }
      return counted("imap raw read, files by batch", out, System.nanoTime() - start);
    }
  }

  /**
   * Each literal written to a {@code .part} file; its fsync and rename to {@code .eml} run on a pool, and every
   * {@code batch} messages (and at the end) the writer waits for them and fsyncs the directory: a batch is durable
   * together.
   */
  private static final class DurableBatches implements RawImap.Literals, AutoCloseable {
    private final Path dir;
    private final int batch;
    private final ExecutorService pool = Executors.newFixedThreadPool(FSYNC_THREADS);
    private final List<Future<?>> pending = new ArrayList<>();
    private final byte[] buffer = new byte[64 * 1024];
    private long n;

    DurableBatches(Path dir, int batch) {
      this.dir = dir;
      this.batch = batch;
    }

    /** One message: {@code length} bytes of {@code in}, or all of it when {@code length} is -1 (forEachMime). */
    @Override
    public void literal(InputStream in, long length) throws IOException {
      long i = n++;
      Path part = dir.resolve(".raw-" + i + ".part");
      FileChannel channel = FileChannel.open(part, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      try {
        long left = length < 0 ? Long.MAX_VALUE : length;
        while (left > 0) {
          int r = in.read(buffer, 0, (int) Math.min(buffer.length, left));
          if (r < 0) {
            if (length < 0) {
              break;
            }
            throw new IOException("connection closed inside a literal");
          }
          ByteBuffer b = ByteBuffer.wrap(buffer, 0, r);
          while (b.hasRemaining()) {
            channel.write(b);
          }
          left -= r;
        }
      } catch (IOException e) {
        channel.close();
        throw e;
      }
      pending.add(pool.submit(() -> {
        try (channel) {
          channel.force(true);
        }
        Files.move(part, dir.resolve("raw-" + i + ".eml"), StandardCopyOption.ATOMIC_MOVE);
        return null;
      }));
      if (n % batch == 0) {
        flush();
      }
    }

    void flush() throws IOException {
      for (Future<?> f : pending) {
        try {
          f.get();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        } catch (java.util.concurrent.ExecutionException e) {
          throw new IOException(e.getCause());
        }
      }
      pending.clear();
      try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
        d.force(true);
      }
    }

    @Override
    public void close() throws IOException {
      try {
        flush();
      } finally {
        pool.shutdown();
      }
    }
  }

  /** The {@code .eml} files of {@code dir} and their bytes; then the directory is removed. */
  static Result counted(String name, Path dir, long nanos) throws IOException {
    long count = 0;
    long bytes = 0;
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        if (f.getFileName().toString().endsWith(".eml")) {
          count++;
          bytes += Files.size(f);
        }
      }
    }
    delete(dir);
    return new Result(name, count, bytes, nanos);
  }

  static void delete(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static Result median(List<Result> runs) {
    List<Result> sorted = new ArrayList<>(runs);
    sorted.sort(Comparator.comparingLong(Result::nanos));
    return sorted.get(sorted.size() / 2);
  }

  private static int intArg(String[] args, String name, int defaultValue) {
    return Integer.parseInt(stringArg(args, name, Integer.toString(defaultValue)));
  }

  private static String stringArg(String[] args, String name, String defaultValue) {
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals(name)) {
        return args[i + 1];
      }
    }
    return defaultValue;
  }
}
