package org.o365mail.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.o365mail.FolderRef;
import org.o365mail.importer.HealthState;
import org.o365mail.importer.ImportListener;
import org.o365mail.importer.ImportScheduler;
import org.o365mail.importer.IncomingMessage;
import org.o365mail.importer.MailImporter;
import org.o365mail.importer.MailboxHealth;
import org.o365mail.importer.MessageHandler;
import org.o365mail.testing.InMemoryMailboxConnector;

/**
 * The database behind the checkpoint store goes away part-way through an import and comes back: a real outage, a
 * TCP relay on loopback between the store and PostgreSQL that the test cuts (every relayed connection closed, every
 * new one closed at once) and restores. Nothing is lost, the only repeat is the message in flight at the cut and it
 * comes back flagged, the importer says it is degraded while the store fails, and its passes keep coming (no
 * exception ends the scheduling, no thread stays stuck: the pool gives up on a connection after 250 ms, and every
 * statement's own wait is bounded by the store's network timeout, which {@link ReadTimeoutTest} checks). The bound on
 * repeats proven here is that of a plain handler, whose checkpoint is written around each message: exactly the one
 * message in hand at the cut. The point of the cut is drawn from a seed, printed, and replayed with {@code
 * -Ddbfail.seed=}.
 */
@Timeout(120)
class DatabaseOutageTest {
  private static final int MESSAGES = 300;
  private static final String MAILBOX = "box@contoso.com";

  @Test
  void aDatabaseOutageMidImport_losesNothing_andTheOnlyRepeatIsTheMessageInFlight_flagged() throws Exception {
    long seed = Long.getLong("dbfail.seed", System.nanoTime());
    int cutAt = 1 + new Random(seed).nextInt(MESSAGES - 1); // the cut comes while handling message cutAt (1-based)
    System.out.println("DatabaseOutageTest: seed " + seed + ", N " + MESSAGES + ", cut at message " + cutAt);
    long t0 = System.nanoTime();

    String database = "o365mail_outage_" + Math.abs(seed % 1_000_000);
    try (Connection c = TestDatabase.server().getPostgresDatabase().getConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + database);
    }
    InMemoryMailboxConnector box = InMemoryMailboxConnector.create(MAILBOX);
    for (int i = 0; i < MESSAGES; i++) {
      box.deliver(("Message-ID: <m" + i + "@test>\r\nFrom: a@fabrikam.com\r\nTo: " + MAILBOX + "\r\nSubject: M" + i
          + "\r\n\r\nBody\r\n").getBytes(StandardCharsets.UTF_8));
    }

    AtomicInteger unavailable = new AtomicInteger();
    try (Relay relay = new Relay(TestDatabase.server().getPort());
        HikariDataSource pool = pool(relay.port(), database)) {
      DataSource db = counting(pool, unavailable);
      PostgresCheckpointStore store = PostgresCheckpointStore.builder(db).build();

      Map<String, Integer> handed = new ConcurrentHashMap<>();
      List<String> flagged = Collections.synchronizedList(new ArrayList<>());
      List<String> unflaggedRepeats = Collections.synchronizedList(new ArrayList<>());
      AtomicInteger calls = new AtomicInteger();
      AtomicInteger callsWhileCut = new AtomicInteger();
      AtomicReference<String> inFlightAtCut = new AtomicReference<>();
      CountDownLatch cut = new CountDownLatch(1);
      MessageHandler product = m -> {
        try (InputStream in = m.openMime()) {
          in.readAllBytes();
        }
        if (relay.isCut()) {
          callsWhileCut.incrementAndGet();
        }
        int times = handed.merge(m.idempotencyKey(), 1, Integer::sum);
        if (m.possibleRedelivery()) {
          flagged.add(m.idempotencyKey());
        } else if (times > 1) {
          unflaggedRepeats.add(m.idempotencyKey());
        }
        if (calls.incrementAndGet() == cutAt) {
          inFlightAtCut.set(m.idempotencyKey());
          relay.cut(); // the handler accepts the message, but its checkpoint cannot be written
          cut.countDown();
        }
      };
      List<HealthState> healths = Collections.synchronizedList(new ArrayList<>());
      CountDownLatch degraded = new CountDownLatch(1);
      ImportListener watcher = new ImportListener() {
        @Override
        public void healthChanged(HealthState previous, HealthState current) {
          healths.add(current);
          if (current.health() == MailboxHealth.DEGRADED) {
            degraded.countDown();
          }
        }
      };

      try (ImportScheduler scheduler = ImportScheduler.create(1);
          MailImporter importer = MailImporter.builder().connector(box).handler(product).checkpointStore(store)
              .leaseOwner("a").scheduler(scheduler).pollInterval(Duration.ofMillis(50)).handlerAttempts(1)
              .listener(watcher).build()) {
        importer.start();
        assertThat(cut.await(60, TimeUnit.SECONDS)).as("the handler reached message " + cutAt).isTrue();
        long cutNanos = System.nanoTime();

        // during the outage: the store's failure shows in the health, and the passes keep coming, each failing fast
        assertThat(degraded.await(30, TimeUnit.SECONDS)).as("health while the store fails: " + healths).isTrue();
        int unavailableAtDegraded = unavailable.get();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (unavailable.get() < unavailableAtDegraded + 2 && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
        assertThat(unavailable.get()).as("later passes still ask the pool, and give up on it").isGreaterThanOrEqualTo(
            unavailableAtDegraded + 2);
        assertThat(importer.health().health()).isEqualTo(MailboxHealth.DEGRADED);
        assertThat(callsWhileCut.get()).as("handler calls while the database is cut").isZero();
        assertThat(handed).hasSize(cutAt);
        Duration outage = Duration.ofNanos(System.nanoTime() - cutNanos);

        relay.restore();
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while ((handed.size() < MESSAGES || importer.health().health() != MailboxHealth.HEALTHY)
            && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
        assertThat(importer.health().health()).as("health after the outage").isEqualTo(MailboxHealth.HEALTHY);
        assertThat(handed).as("every message handed out").hasSize(MESSAGES);
        assertThat(box.contents(FolderRef.INBOX)).hasSize(MESSAGES);

        List<String> repeated = handed.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey)
            .toList();
        assertThat(unflaggedRepeats).as("repeats without the flag").isEmpty();
        assertThat(repeated).as("handed out more than once: only the message in flight at the cut")
            .containsExactly(inFlightAtCut.get());
        assertThat(handed.get(inFlightAtCut.get())).isEqualTo(2);
        assertThat(flagged).as("flagged: the message in flight at the cut, once").containsExactly(inFlightAtCut.get());

        // the lease is still this importer's, at the epoch it first took: no one else held it in between
        PostgresCheckpointStore other = PostgresCheckpointStore.builder(db).build();
        assertThat(other.acquireLease(MAILBOX, "b", Duration.ofMinutes(1))).as("a's lease is live").isEmpty();
        assertThat(leases(db)).containsExactly(Map.entry(MAILBOX, "a@1"));

        System.out.println("DatabaseOutageTest: outage " + outage.toMillis() + " ms, connections refused "
            + relay.refused() + ", calls " + calls.get() + ", handed out " + handed.size() + ", repeats "
            + repeated.size() + ", flagged " + flagged.size() + ", healths " + healths.stream()
                .map(h -> h.health().toString()).toList() + ", test " + Duration.ofNanos(System.nanoTime() - t0)
                .toMillis() + " ms");
      }
    }
  }

  /** Each lease row as owner@epoch. */
  private static Map<String, String> leases(DataSource db) throws SQLException {
    Map<String, String> rows = new HashMap<>();
    try (Connection c = db.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT mailbox, owner, epoch FROM o365mail_lease")) {
      while (rs.next()) {
        rows.put(rs.getString(1), rs.getString(2) + "@" + rs.getLong(3));
      }
    }
    return rows;
  }

  /** HikariCP through the relay: a connection waited for at most 250 ms, logins bounded. */
  private static HikariDataSource pool(int port, String database) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl("jdbc:postgresql://127.0.0.1:" + port + "/" + database + "?connectTimeout=5&loginTimeout=5");
    config.setUsername("postgres");
    config.setMaximumPoolSize(2);
    config.setConnectionTimeout(250); // HikariCP's least (HikariConfig#setConnectionTimeout)
    return new HikariDataSource(config);
  }

  /** {@code target}, counting the connections it could not give. */
  private static DataSource counting(DataSource target, AtomicInteger failures) {
    return (DataSource) Proxy.newProxyInstance(DatabaseOutageTest.class.getClassLoader(),
        new Class<?>[] {DataSource.class}, (p, m, a) -> {
          try {
            return m.invoke(target, a);
          } catch (InvocationTargetException e) {
            if (m.getName().equals("getConnection")) {
              failures.incrementAndGet();
            }
            throw e.getCause();
          }
        });
  }

  /**
   * A TCP relay on loopback to PostgreSQL that can be cut (every relayed connection closed, new ones closed as soon as
   * they come) and restored. Thread-safe.
   */
  static final class Relay implements AutoCloseable {
    private final ServerSocket listener;
    private final int target;
    private final AtomicBoolean cut = new AtomicBoolean();
    private final AtomicInteger refused = new AtomicInteger();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();

    Relay(int target) throws IOException {
      this.target = target;
      this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      daemon(this::accept);
    }

    int port() {
      return listener.getLocalPort();
    }

    boolean isCut() {
      return cut.get();
    }

    /** Connections closed at once while cut. */
    int refused() {
      return refused.get();
    }

    void cut() {
      cut.set(true);
      for (Socket s : open) {
        closeQuietly(s);
      }
    }

    void restore() {
      cut.set(false);
    }

    private void accept() {
      while (!listener.isClosed()) {
        try {
          Socket client = listener.accept();
          if (cut.get()) {
            refused.incrementAndGet();
            closeQuietly(client);
            continue;
          }
          Socket server = new Socket(InetAddress.getLoopbackAddress(), target);
          open.add(client);
          open.add(server);
          daemon(() -> pump(client, server));
          daemon(() -> pump(server, client));
        } catch (IOException e) {
          // the listener closed
        }
      }
    }

    private void pump(Socket from, Socket to) {
      byte[] buffer = new byte[16 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          out.write(buffer, 0, n);
        }
      } catch (IOException e) {
        // cut, or closed by either side
      } finally {
        closeQuietly(from);
        closeQuietly(to);
        open.remove(from);
        open.remove(to);
      }
    }

    private static void daemon(Runnable work) {
      Thread t = new Thread(work, "outage-relay");
      t.setDaemon(true);
      t.start();
    }

    private static void closeQuietly(Socket s) {
      try {
        s.close();
      } catch (IOException e) {
        // closing
      }
    }

    @Override
    public void close() throws IOException {
      listener.close();
      cut();
    }
  }
}
