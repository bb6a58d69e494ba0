package org.o365mail.bench;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.o365mail.examples.ClusterInstance;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;

/**
 * Several instances on one PostgreSQL against one instance on the file store, in one run: {@code M} mailboxes of
 * the local tenant with {@code N} messages each (Graph), drained by {@link ClusterInstance} child JVMs (8 import
 * threads and 2 processors each) with
 *
 * <ol>
 *   <li>the file checkpoint store, one instance (after one unreported warm-up drain of the tenant);
 *   <li>the PostgreSQL store (an embedded server on loopback, a fresh database per drain), 1, 2 and 3 instances.
 * </ol>
 *
 * Each drain is timed from the start of the first child to the last message handed out (the product here reads
 * each message's MIME and appends a line, without fsync, the same for every store). For PostgreSQL it counts the
 * statements and commits each child sends (each one round trip; a counting wrapper around the child's data
 * source) and prints them per message. After the 3-instance drain, one instance is SIGKILLed and the time until
 * every mailbox it held has a new holder is measured in the lease table. Targets: PostgreSQL's single-instance drain
 * at most 1.3x the file store's; takeover within lease ttl + poll interval.
 *
 * <pre>
 * mvn -q -o package -DskipTests
 * java -cp examples/target/o365mail.jar org.o365mail.bench.ClusterBenchmark [mailboxes] [messages each] [ttl s] [poll s]
 * </pre>
 */
public final class ClusterBenchmark {
  static final int THREADS = 8;
  static Duration TTL = Duration.ofSeconds(10);
  static Duration POLL = Duration.ofSeconds(2);

  private ClusterBenchmark() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--instance")) {
      Instance.run(Path.of(args[1]));
      return;
    }
    int mailboxes = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int each = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    TTL = args.length > 2 ? Duration.ofSeconds(Integer.parseInt(args[2])) : TTL;
    POLL = args.length > 3 ? Duration.ofSeconds(Integer.parseInt(args[3])) : POLL;
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true"); // see GraphImportBenchmark
    }
    Path dir = Files.createTempDirectory("o365mail-cluster-");
    try (LocalTenant m365 = LocalTenant.start();
        EmbeddedPostgres pg = LoopbackPostgres.start()) {
      Tenant contoso = m365.createTenant("contoso.com");
      long seedStart = System.nanoTime();
      StringBuilder list = new StringBuilder();
      for (int b = 0; b < mailboxes; b++) {
        Mailbox box = contoso.addSharedMailbox("box" + b + "@contoso.com");
        for (int i = 0; i < each; i++) {
          box.deliver(TestMessages.text("sender@fabrikam.com", box.address(), "Message " + i, "Body " + i));
        }
        list.append(box.address()).append(" graph\n");
      }
      Files.writeString(dir.resolve("mailboxes"), list);
      m365.writeTrustStore(dir.resolve("trust.p12"), "changeit".toCharArray());
      ownerOnly(Files.writeString(dir.resolve("trust-password"), "changeit"));
      List<Properties> instances = new ArrayList<>();
      for (int n = 1; n <= 3; n++) {
        Application app = contoso.registerApp("Cluster benchmark " + n);
        app.addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite").grantAdminConsent();
        PasswordCredential secret = app.addClientSecret("bench", Duration.ofDays(30));
        Properties p = new Properties();
        p.setProperty("owner", "instance-" + n);
        p.setProperty("mailboxes", dir.resolve("mailboxes").toString());
        p.setProperty("tenant", contoso.id());
        p.setProperty("clientId", app.clientId());
        p.setProperty("clientSecretFile",
            ownerOnly(Files.writeString(dir.resolve("secret-" + n), secret.value())).toString());
        p.setProperty("authorityHost", m365.authorityHost().toString());
        p.setProperty("graphBaseUrl", m365.graphBaseUrl());
        p.setProperty("trustStore", dir.resolve("trust.p12").toString());
        p.setProperty("trustStorePasswordFile", dir.resolve("trust-password").toString());
        p.setProperty("leaseTtl", Double.toString(TTL.toMillis() / 1000.0));
        p.setProperty("pollInterval", Double.toString(POLL.toMillis() / 1000.0));
        p.setProperty("importPollInterval", "30");
        p.setProperty("threads", Integer.toString(THREADS));
        p.setProperty("deliveries.fsync", "false");
        instances.add(p);
      }
      int total = mailboxes * each;
      System.out.printf(Locale.ROOT, "%d mailboxes x %d messages seeded in %.1f s; PostgreSQL %s on 127.0.0.1;"
          + " lease ttl %d s, poll %d s%n", mailboxes, each, (System.nanoTime() - seedStart) / 1e9,
          serverVersion(pg), TTL.toSeconds(), POLL.toSeconds());

      Run warmUp = drain(dir, "warmup", instances, 1, null, total, false);
      System.out.printf(Locale.ROOT, "warm-up (file store, not counted): %.1f s%n", warmUp.seconds);
      Run file = drain(dir, "file", instances, 1, null, total, false);
      System.out.printf(Locale.ROOT, "file store, 1 instance: %.1f s (%.0f msgs/s)%n", file.seconds,
          total / file.seconds);
      Run[] pgRuns = new Run[4];
      for (int n = 1; n <= 3; n++) {
        pgRuns[n] = drain(dir, "pg" + n, instances, n, pg, total, n == 3);
        System.out.printf(Locale.ROOT, "PostgreSQL, %d instance%s: %.1f s (%.0f msgs/s), %.2f round trips per message"
                + " (%d statements and commits)%n", n, n == 1 ? "" : "s", pgRuns[n].seconds,
            total / pgRuns[n].seconds, pgRuns[n].roundTrips / (double) total, pgRuns[n].roundTrips);
      }
      double ratio = pgRuns[1].seconds / file.seconds;
      System.out.printf(Locale.ROOT, "PostgreSQL / file store drain time, 1 instance: %.2fx (target <= 1.3x: %s)%n",
          ratio, ratio <= 1.3 ? "met" : "MISSED");
      Run killed = pgRuns[3];
      Duration bound = TTL.plus(POLL);
      System.out.printf(Locale.ROOT, "takeover after SIGKILL of one of 3 instances (%d mailboxes): every lease with a"
              + " new holder after %d ms (ttl + poll = %d ms: %.2fx)%n", killed.victimMailboxes,
          killed.takeover.toMillis(), bound.toMillis(), killed.takeover.toMillis() / (double) bound.toMillis());
    } finally {
      deleteTree(dir);
    }
  }

  /** One drain: its time, the statements and commits of all children, and the takeover after a SIGKILL. */
  static final class Run {
    double seconds;
    long roundTrips;
    int victimMailboxes;
    Duration takeover = Duration.ZERO;
  }

  static Run drain(Path dir, String name, List<Properties> settings, int count, EmbeddedPostgres pg, int total,
      boolean kill) throws Exception {
    Path runDir = Files.createDirectories(dir.resolve(name));
    DataSource db = null;
    String store;
    if (pg == null) {
      store = "file:" + runDir.resolve("checkpoints");
    } else {
      try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
        s.execute("CREATE DATABASE " + name);
      }
      db = pg.getDatabase("postgres", name);
      store = "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/" + name;
    }
    List<Process> children = new ArrayList<>();
    List<Path> deliveries = new ArrayList<>();
    List<Path> logs = new ArrayList<>();
    Run run = new Run();
    long start = System.currentTimeMillis();
    try {
      for (int n = 0; n < count; n++) {
        Properties p = new Properties();
        p.putAll(settings.get(n));
        p.setProperty("store", store);
        p.setProperty("store.user", "postgres");
        Path out = runDir.resolve("instance-" + (n + 1) + ".deliveries");
        p.setProperty("deliveries", out.toString());
        Path props = runDir.resolve("instance-" + (n + 1) + ".properties");
        try (var w = Files.newBufferedWriter(props, StandardCharsets.UTF_8)) {
          p.store(w, null);
        }
        deliveries.add(out);
        logs.add(runDir.resolve("instance-" + (n + 1) + ".log"));
        children.add(new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-XX:ActiveProcessorCount=2", "-Xmx512m", "-cp", System.getProperty("java.class.path"),
            ClusterBenchmark.class.getName(), "--instance", props.toString()).redirectErrorStream(true)
            .redirectOutput(logs.get(n).toFile()).start());
      }
      long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
      long last = 0;
      while (true) {
        long newest = 0;
        Set<String> keys = new HashSet<>();
        for (Path f : deliveries) {
          if (Files.exists(f)) {
            for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
              String[] parts = line.split("\t", -1);
              if (parts.length == 5) {
                keys.add(parts[2]);
                newest = Math.max(newest, Long.parseLong(parts[0]));
              }
            }
          }
        }
        if (keys.size() >= total) {
          last = newest;
          break;
        }
        for (int n = 0; n < count; n++) {
          if (!children.get(n).isAlive()) {
            throw new IllegalStateException(name + ": instance " + (n + 1) + " exited: " + tail(logs.get(n)));
          }
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(name + ": drained " + keys.size() + " of " + total + " in 10 minutes");
        }
        Thread.sleep(200);
      }
      run.seconds = (last - start) / 1000.0;
      if (kill) {
        Process victim = children.get(count - 1);
        Set<String> held = heldBy(db, "instance-" + count);
        run.victimMailboxes = held.size();
        long killedAt = System.nanoTime();
        victim.destroyForcibly();
        victim.waitFor(10, TimeUnit.SECONDS);
        Map<String, Boolean> takenOver = new HashMap<>();
        long limit = killedAt + TTL.plus(POLL).multipliedBy(3).toNanos();
        while (takenOver.size() < held.size() && System.nanoTime() < limit) {
          for (int n = 1; n < count; n++) {
            for (String m : heldBy(db, "instance-" + n)) {
              if (held.contains(m)) {
                takenOver.put(m, true);
              }
            }
          }
          Thread.sleep(50);
        }
        run.takeover = Duration.ofNanos(System.nanoTime() - killedAt);
        if (takenOver.size() < held.size()) {
          System.out.printf(Locale.ROOT, "only %d of %d mailboxes taken over%n", takenOver.size(), held.size());
        }
      }
    } finally {
      for (Process c : children) {
        if (c.isAlive()) {
          c.destroy();
        }
      }
      for (int n = 0; n < children.size(); n++) {
        Process c = children.get(n);
        if (!c.waitFor(60, TimeUnit.SECONDS)) {
          c.destroyForcibly();
          c.waitFor(10, TimeUnit.SECONDS);
        }
        run.roundTrips += roundTripsAtDrain(logs.get(n));
      }
    }
    return run;
  }

  /** The statements and commits a child had sent when it handed out its last message (its STATS lines). */
  static long roundTripsAtDrain(Path log) throws IOException {
    long handedFinal = -1;
    List<long[]> stats = new ArrayList<>();
    for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
      if (line.startsWith("STATS\t")) {
        String[] p = line.split("\t");
        long[] s = {Long.parseLong(p[1]), Long.parseLong(p[2])};
        stats.add(s);
        handedFinal = Math.max(handedFinal, s[0]);
      }
    }
    for (long[] s : stats) {
      if (s[0] == handedFinal) {
        return s[1];
      }
    }
    return 0;
  }

  static Set<String> heldBy(DataSource db, String owner) throws SQLException {
    Set<String> held = new HashSet<>();
    try (Connection c = db.getConnection();
        PreparedStatement ps = c.prepareStatement(
            "SELECT mailbox FROM o365mail_lease WHERE owner = ? AND expires_at > now()")) {
      ps.setQueryTimeout(10);
      ps.setString(1, owner);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          held.add(rs.getString(1));
        }
      }
    }
    return held;
  }

  static String serverVersion(EmbeddedPostgres pg) throws SQLException {
    try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SHOW server_version")) {
      rs.next();
      return rs.getString(1);
    }
  }

  static String tail(Path log) {
    try {
      String s = Files.readString(log);
      return s.substring(Math.max(0, s.length() - 3000));
    } catch (IOException e) {
      return e.toString();
    }
  }

  static Path ownerOnly(Path p) throws IOException {
    return Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
  }

  static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /**
   * The child: a {@link ClusterInstance} whose data source counts the statements and commits sent through it, and
   * prints {@code STATS handed roundTrips} every 100 ms.
   */
  static final class Instance {
    private Instance() {}

    static void run(Path props) throws Exception {
      AtomicLong roundTrips = new AtomicLong();
      Properties p = ClusterInstance.load(props);
      ClusterInstance instance = ClusterInstance.start(p, ds -> counting(ds, roundTrips));
      Runtime.getRuntime().addShutdownHook(new Thread(instance::close, "cluster-benchmark-stop"));
      while (true) {
        Thread.sleep(100);
        System.out.println("STATS\t" + instance.handedOut() + "\t" + roundTrips.get());
      }
    }

    /** Counts every statement execution and commit through the connections of {@code target}. */
    static DataSource counting(DataSource target, AtomicLong roundTrips) {
      return proxy(DataSource.class, target, (p, m, a) -> {
        Object r = invoke(target, m, a);
        if (!(r instanceof Connection c)) {
          return r;
        }
        return proxy(Connection.class, c, (cp, cm, ca) -> {
          if (cm.getName().equals("commit")) {
            roundTrips.incrementAndGet();
          }
          Object cr = invoke(c, cm, ca);
          if (cr instanceof PreparedStatement ps) {
            return proxy(PreparedStatement.class, ps, countingExecutions(ps, roundTrips));
          }
          if (cr instanceof Statement s) {
            return proxy(Statement.class, s, countingExecutions(s, roundTrips));
          }
          return cr;
        });
      });
    }

    static InvocationHandler countingExecutions(Statement target, AtomicLong roundTrips) {
      return (sp, sm, sa) -> {
        if (sm.getName().startsWith("execute")) {
          roundTrips.incrementAndGet();
        }
        return invoke(target, sm, sa);
      };
    }

    static <T> T proxy(Class<T> type, T target, InvocationHandler h) {
      return type.cast(Proxy.newProxyInstance(ClusterBenchmark.class.getClassLoader(), new Class<?>[] {type}, h));
    }

    static Object invoke(Object target, Method m, Object[] args) throws Throwable {
      try {
        return m.invoke(target, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    }
  }
}
