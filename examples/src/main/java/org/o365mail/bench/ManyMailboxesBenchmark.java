package org.o365mail.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.sql.DataSource;
import org.o365mail.MailboxConnector;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.graph.GraphMailboxConnector;
import org.o365mail.imap.ExchangeSessions;
import org.o365mail.imap.ImapMailboxConnector;
import org.o365mail.importer.CheckpointStore;
import org.o365mail.importer.ImportListener;
import org.o365mail.importer.ImportScheduler;
import org.o365mail.importer.IncomingMessage;
import org.o365mail.importer.MailImporter;
import org.o365mail.jdbc.PostgresCheckpointStore;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;

/**
 * Many mailboxes in one importer process, scaled up: 10,000 mailboxes on the local tenant with 10 new messages each,
 * imported by one process (a child JVM limited to 2 processors and a 256 MB heap) with one {@link ImportScheduler} of
 * 16 threads, one credential and a {@link PostgresCheckpointStore} on a real PostgreSQL (embedded, started by this
 * program on 127.0.0.1) reached through a HikariCP pool of 16 connections. Prints the time to drain all of them, the
 * importer's peak thread count and its heap used after a full GC against the 256 MB target; then, with no new mail
 * and every mailbox asking to be polled every poll interval, how often each mailbox was polled in the idle window
 * (target: every mailbox at least once a minute) and the longest gap between two polls of one mailbox.
 *
 * <p>The local tenant and PostgreSQL run in (or under) this process and the importer in a child, so that the threads
 * and heap printed are the importer's alone.
 *
 * <pre>mvn -q package -DskipTests && java -cp examples/target/o365mail.jar org.o365mail.bench.ManyMailboxesBenchmark [graph|imap] [mailboxes] [messages each] [idle seconds] [poll seconds]</pre>
 */
public final class ManyMailboxesBenchmark {
  static final int SCHEDULER_THREADS = 16;
  /** The heap the importer must fit in, given to the child as its maximum. */
  static final int HEAP_MB = 256;

  private ManyMailboxesBenchmark() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--importer")) {
      Importer.run(args);
      return;
    }
    String protocol = args.length > 0 ? args[0] : "graph";
    int mailboxes = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
    int each = args.length > 2 ? Integer.parseInt(args[2]) : 10;
    int idleSeconds = args.length > 3 ? Integer.parseInt(args[3]) : 120;
    int pollSeconds = args.length > 4 ? Integer.parseInt(args[4]) : 30;
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true"); // see GraphImportBenchmark
    }
    Path dir = Files.createTempDirectory("o365mail-many-");
    long pgStart = System.nanoTime();
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().setServerConfig("listen_addresses", "127.0.0.1")
            .setServerConfig("max_connections", "100").start();
        LocalTenant m365 = LocalTenant.start()) {
      System.out.printf(Locale.ROOT, "PostgreSQL started on 127.0.0.1:%d in %.1f s%n", pg.getPort(),
          (System.nanoTime() - pgStart) / 1e9);
      Tenant contoso = m365.createTenant("contoso.com");
      Application app = contoso.registerApp("Many mailboxes");
      app.addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite")
          .addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp").grantAdminConsent();
      String principal = contoso.registerExchangeServicePrincipal(app).objectId();
      PasswordCredential secret = app.addClientSecret("bench", Duration.ofDays(30));
      long seedStart = System.nanoTime();
      for (int b = 0; b < mailboxes; b++) {
        Mailbox box = contoso.addSharedMailbox("box" + b + "@contoso.com");
        contoso.addMailboxPermission(box.address(), principal, "FullAccess");
        for (int i = 0; i < each; i++) {
          box.deliver(TestMessages.text("sender@fabrikam.com", box.address(), "Message " + i, "Body " + i));
        }
      }
      System.out.printf(Locale.ROOT, "%s: %d mailboxes x %d messages seeded in %.1f s%n", protocol, mailboxes, each,
          (System.nanoTime() - seedStart) / 1e9);
      m365.writeTrustStore(dir.resolve("trust.p12"), "changeit".toCharArray());
      Files.writeString(dir.resolve("secret"), secret.value());
      List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-XX:ActiveProcessorCount=2", "-Xmx" + HEAP_MB + "m", "-cp", System.getProperty("java.class.path"),
          ManyMailboxesBenchmark.class.getName(), "--importer", dir.toString(), m365.authorityHost().toString(),
          contoso.id(), app.clientId(), m365.graphBaseUrl(), m365.hostName(), Integer.toString(m365.imapPort()),
          protocol, Integer.toString(mailboxes), Integer.toString(each), Integer.toString(idleSeconds),
          Integer.toString(pollSeconds), pg.getJdbcUrl("postgres", "postgres"));
      Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
      System.out.println("importer pid " + child.pid());
      try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = out.readLine()) != null) {
          System.out.println(line);
        }
      }
      int exit = child.waitFor();
      if (exit != 0) {
        System.out.println("importer exited with " + exit);
      }
    }
  }

  /** The importer process. */
  static final class Importer {
    private Importer() {}

    static void run(String[] a) throws Exception {
      // the JVM's own threads (reference handler, finalizer, compilers, ...) before anything of ours runs
      int jvmThreads = ManagementFactory.getThreadMXBean().getThreadCount();
      Path dir = Path.of(a[1]);
      String protocol = a[8];
      int mailboxes = Integer.parseInt(a[9]);
      int each = Integer.parseInt(a[10]);
      int idleSeconds = Integer.parseInt(a[11]);
      Duration poll = Duration.ofSeconds(Integer.parseInt(a[12]));
      SSLContext trust = trust(dir.resolve("trust.p12"));
      AppRegistration registration = AppRegistration.builder().clientId(a[4]).tenant(a[3])
          .authorityHost(URI.create(a[2])).trust(trust).build();
      Polls polls = new Polls(mailboxes);
      AtomicLong imported = new AtomicLong();
      AtomicLong bytes = new AtomicLong();
      int total = mailboxes * each;
      List<MailImporter> importers = new ArrayList<>();
      List<MailboxConnector> connectors = new ArrayList<>();
      Object drained = new Object();
      ImportListener progress = new ImportListener() {
        @Override
        public void imported(IncomingMessage message) {
          if (imported.incrementAndGet() == total) {
            synchronized (drained) {
              drained.notifyAll();
            }
          }
        }
      };
      HikariConfig pool = new HikariConfig();
      pool.setJdbcUrl(a[13]);
      pool.setUsername("postgres");
      pool.setMaximumPoolSize(SCHEDULER_THREADS); // a cycle holds at most one connection at a time
      pool.setPoolName("o365mail-checkpoints");
      long start = System.nanoTime();
      try (ThreadKinds kinds = new ThreadKinds();
          HikariDataSource db = new HikariDataSource(pool);
          CredentialStrategy credential = CredentialStrategy.clientCredentials(registration)
              .secret(ClientSecret.of(Files.readString(dir.resolve("secret")).trim())).build();
          ImportScheduler scheduler = ImportScheduler.create(SCHEDULER_THREADS)) {
        CheckpointStore store = PostgresCheckpointStore.builder(db).build();
        GraphMailboxConnector graph = null;
        // one per application: the IMAP connectors keep at most its maxOpenConnections (1,000) open at once
        ExchangeSessions exchange = ExchangeSessions.builder().build();
        for (int b = 0; b < mailboxes; b++) {
          String address = "box" + b + "@contoso.com";
          MailboxConnector connector;
          if (protocol.equals("imap")) {
            connector = ImapMailboxConnector.builder().mailbox(address).credential(credential).host(a[6])
                .port(Integer.parseInt(a[7])).trust(trust).sessions(exchange).build();
          } else if (graph == null) {
            connector = graph = GraphMailboxConnector.builder().mailbox(address).credential(credential).baseUrl(a[5])
                .trust(trust).build();
          } else {
            connector = graph.forMailbox(address); // one connection pool for all of them
          }
          connectors.add(connector);
          MailImporter importer = MailImporter.builder().connector(polls.counting(b, connector))
              .checkpointStore(store).scheduler(scheduler).pollInterval(poll).leaseOwner("bench")
              .handler(m -> {
                try (InputStream in = m.openMime()) {
                  bytes.addAndGet(in.transferTo(OutputStream.nullOutputStream()));
                }
              })
              .listener(progress).build();
          importers.add(importer);
          importer.start();
        }
        synchronized (drained) {
          long deadline = System.nanoTime() + Duration.ofMinutes(20).toNanos();
          while (imported.get() < total && System.nanoTime() < deadline) {
            drained.wait(1000);
          }
        }
        double drain = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "drained %d of %d messages (%.1f MB) from %d mailboxes in %.1f s: %.0f msgs/s%n",
            imported.get(), total, bytes.get() / 1e6, mailboxes, drain, imported.get() / drain);
        int peak = ManagementFactory.getThreadMXBean().getPeakThreadCount() - 1; // not the benchmark's sampler
        System.out.printf(Locale.ROOT, "peak: %d live threads, %d of them the JVM's own before the import began, %d the"
            + " import's; %d PostgreSQL connections at most%n", peak, jvmThreads, peak - jvmThreads,
            pool.getMaximumPoolSize());
        System.out.println("  running import cycles (target <= 16): " + kinds.peaks("o365mail-import-"));
        System.out.println("  the adapter's own (read-ahead, IMAP timers): " + kinds.peaks("o365mail-graph-",
            "o365mail-imap-"));
        System.out.println("  connections and pools: " + kinds.peaks("OkHttp", "Okio", "HttpClient",
            "o365mail-checkpoints", "o365mail-client", "PostgreSQL"));
        double drainedHeap = heapAfterGc() / 1e6;
        System.out.printf(Locale.ROOT, "heap after a full GC, drained: %.1f MB of %d MB max (target <= 256 MB:"
            + " %.2fx)%n", drainedHeap, HEAP_MB, drainedHeap / 256);
        if (protocol.equals("imap")) {
          System.out.println("IMAP: " + exchange);
        }

        long transactionsBefore = transactions(db);
        long idleStart = System.nanoTime();
        polls.startWindow(idleStart);
        Thread.sleep(idleSeconds * 1000L);
        long idleEnd = System.nanoTime();
        long transactionsIdle = transactions(db) - transactionsBefore;
        double minutes = (idleEnd - idleStart) / 60e9;
        long inWindow = polls.inWindow();
        double perMailbox = inWindow / (double) mailboxes / minutes;
        System.out.printf(Locale.ROOT, "idle %.0f s, poll interval %d s: %d polls, %.2f polls per mailbox per minute"
            + " (target >= 1: %.2fx), fewest for one mailbox %.2f a minute, %d mailboxes never polled; longest gap"
            + " between two polls of one mailbox %.1f s (target <= 60 s); %d live threads%n",
            (idleEnd - idleStart) / 1e9, poll.toSeconds(), inWindow, perMailbox, perMailbox,
            polls.fewest() / minutes, polls.neverPolled(), polls.longestGap(idleEnd) / 1e9,
            ManagementFactory.getThreadMXBean().getThreadCount());
        System.out.printf(Locale.ROOT, "PostgreSQL: %d transactions in the idle window, %.1f a poll%n",
            transactionsIdle, transactionsIdle / (double) inWindow);
        double after = heapAfterGc() / 1e6;
        System.out.printf(Locale.ROOT, "peak heap over the whole run: %.0f MB; heap after a full GC, idle: %.1f MB"
            + " (target <= 256 MB: %.2fx)%n", peakHeap() / 1e6, after, after / 256);
        for (MailImporter i : importers) {
          i.close();
        }
        for (MailboxConnector c : connectors) {
          c.close();
        }
      }
    }

    /** The transactions the server has committed or rolled back in the database so far (its statistics lag). */
    static long transactions(DataSource db) throws SQLException {
      try (Connection c = db.getConnection(); Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT xact_commit + xact_rollback FROM pg_stat_database"
              + " WHERE datname = current_database()")) {
        rs.next();
        return rs.getLong(1);
      }
    }

    static long peakHeap() {
      long sum = 0;
      for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
        if (pool.getType() == MemoryType.HEAP) {
          sum += pool.getPeakUsage().getUsed();
        }
      }
      return sum;
    }

    static long heapAfterGc() {
      System.gc();
      return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    static SSLContext trust(Path p12) throws Exception {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(p12)) {
        ks.load(in, "changeit".toCharArray());
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, tmf.getTrustManagers(), null);
      return ssl;
    }
  }

  /**
   * The most live threads of each kind seen (a kind: a thread's name without its trailing number), sampled every
   * 100 ms on a daemon thread of its own, which it does not count. Thread-safe.
   */
  static final class ThreadKinds implements AutoCloseable {
    private final Map<String, Integer> peak = new TreeMap<>();
    private final Thread sampler;

    ThreadKinds() {
      sampler = new Thread(this::sample, "bench-thread-sampler");
      sampler.setDaemon(true);
      sampler.start();
    }

    private void sample() {
      ThreadMXBean mx = ManagementFactory.getThreadMXBean();
      long self = Thread.currentThread().getId();
      while (!Thread.currentThread().isInterrupted()) {
        Map<String, Integer> now = new HashMap<>();
        for (ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
          if (t != null && t.getThreadId() != self) {
            now.merge(t.getThreadName().replaceAll("[0-9]+$", "N"), 1, Integer::sum);
          }
        }
        synchronized (peak) {
          now.forEach((k, v) -> peak.merge(k, v, Math::max));
        }
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    /** The peak of each kind whose name starts with one of {@code prefixes}, and their sum. */
    String peaks(String... prefixes) {
      StringBuilder out = new StringBuilder();
      int sum = 0;
      synchronized (peak) {
        for (Map.Entry<String, Integer> e : peak.entrySet()) {
          for (String p : prefixes) {
            if (e.getKey().startsWith(p)) {
              out.append(out.length() == 0 ? "" : ", ").append(e.getValue()).append(' ').append(e.getKey());
              sum += e.getValue();
              break;
            }
          }
        }
      }
      return sum + " (" + out + ")";
    }

    @Override
    public void close() {
      sampler.interrupt();
    }
  }

  /**
   * When each mailbox was polled (one {@code sync} call a poll): the polls in the idle window, the fewest of one
   * mailbox, and the longest time within the window that one mailbox went without a poll (from the window's start or
   * a poll to the next poll or the window's end). Thread-safe.
   */
  static final class Polls {
    private final AtomicLongArray last;
    private final AtomicIntegerArray counts;
    private final AtomicLong longest = new AtomicLong();
    private volatile long windowStart = Long.MAX_VALUE;

    Polls(int mailboxes) {
      this.last = new AtomicLongArray(mailboxes);
      this.counts = new AtomicIntegerArray(mailboxes);
    }

    /** The connector, recording its {@code sync} calls as polls of mailbox {@code index}. */
    MailboxConnector counting(int index, MailboxConnector connector) {
      return (MailboxConnector) Proxy.newProxyInstance(MailboxConnector.class.getClassLoader(),
          new Class<?>[] {MailboxConnector.class}, (proxy, method, args) -> {
            if (method.getName().equals("sync")) {
              polled(index, System.nanoTime());
            }
            try {
              return method.invoke(connector, args);
            } catch (InvocationTargetException e) {
              throw e.getCause();
            }
          });
    }

    void startWindow(long now) {
      windowStart = now;
    }

    private void polled(int index, long now) {
      long before = last.getAndSet(index, now);
      long start = windowStart;
      if (now >= start) {
        counts.incrementAndGet(index);
        longest.accumulateAndGet(now - Math.max(before, start), Math::max);
      }
    }

    long inWindow() {
      long sum = 0;
      for (int i = 0; i < counts.length(); i++) {
        sum += counts.get(i);
      }
      return sum;
    }

    int fewest() {
      int min = Integer.MAX_VALUE;
      for (int i = 0; i < counts.length(); i++) {
        min = Math.min(min, counts.get(i));
      }
      return min;
    }

    int neverPolled() {
      int n = 0;
      for (int i = 0; i < counts.length(); i++) {
        n += counts.get(i) == 0 ? 1 : 0;
      }
      return n;
    }

    /** The longest gap in nanoseconds, counting each mailbox's open gap up to {@code end}. */
    long longestGap(long end) {
      long gap = longest.get();
      for (int i = 0; i < last.length(); i++) {
        gap = Math.max(gap, end - Math.max(last.get(i), windowStart));
      }
      return gap;
    }
  }
}
