package org.o365mail.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.o365mail.MailboxConnector;
import org.o365mail.importer.ImportCoordinator;
import org.o365mail.importer.ImportScheduler;
import org.o365mail.importer.Lease;
import org.o365mail.importer.MailImporter;
import org.o365mail.testing.InMemoryMailboxConnector;
import org.o365mail.testsupport.MutableClock;

/**
 * Several instances (coordinators, each with a store and a scheduler of its own, as separate processes would have)
 * sharing mailboxes through one real PostgreSQL: a fair share each, every mailbox held by exactly one, a closed
 * instance's mailboxes taken at the others' next cycle, a dead one's after its leases expire (the stores' clock is
 * moved past the lease time), a newcomer given its share by the older instances. Cycles are run by hand
 * ({@link ImportCoordinator#rebalance()}), so nothing waits on the wall clock.
 */
@Timeout(120)
class ImportCoordinatorTest {
  private static final Duration TTL = Duration.ofSeconds(30);

  private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:00:00Z"));
  private final DataSource db = TestDatabase.freshDatabase();
  private final List<String> mailboxes = new ArrayList<>();
  private final Map<String, InMemoryMailboxConnector> boxes = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> connectorCloses = new ConcurrentHashMap<>();
  private final List<String> delivered = new CopyOnWriteArrayList<>();
  private final List<AutoCloseable> toClose = new ArrayList<>();

  ImportCoordinatorTest() {
    for (int i = 0; i < 30; i++) {
      String mailbox = "box" + i + "@contoso.com";
      mailboxes.add(mailbox);
      InMemoryMailboxConnector box = InMemoryMailboxConnector.create(mailbox);
      box.deliver(("Message-ID: <m" + i + "@test>\r\nFrom: a@fabrikam.com\r\nTo: " + mailbox + "\r\nSubject: M" + i
          + "\r\n\r\nbody\r\n").getBytes(StandardCharsets.US_ASCII));
      boxes.put(mailbox, box);
      connectorCloses.put(mailbox, new AtomicInteger());
    }
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
  }

  @Test
  void threeInstances_eachHoldAFairShare_andEveryMailboxIsHeldByExactlyOne() {
    List<ImportCoordinator> cluster = List.of(instance("a"), instance("b"), instance("c"));
    rounds(cluster, 2);

    for (ImportCoordinator c : cluster) {
      assertThat(c.liveInstances()).isEqualTo(3);
      assertThat(c.held()).as(c.owner()).hasSize(10);
    }
    assertHeldByExactlyOne(cluster);
    assertThat(leaseOwners()).as("the lease table agrees").containsOnlyKeys(lower(mailboxes))
        .allSatisfy((m, owner) -> assertThat(cluster.stream().filter(c -> c.held().contains(m)).findFirst()
            .orElseThrow().owner()).isEqualTo(owner));
  }

  @Test
  void anInstanceThatCloses_releasesItsMailboxes_andTheOthersTakeThemAtTheirNextCycle_withoutWaitingForExpiry() {
    ImportCoordinator a = instance("a");
    ImportCoordinator b = instance("b");
    ImportCoordinator c = instance("c");
    rounds(List.of(a, b, c), 2);
    Set<String> ofC = c.held();
    Map<String, Integer> closesBefore = new java.util.HashMap<>();
    ofC.forEach(m -> closesBefore.put(m, connectorCloses.get(m).get()));

    c.close();
    assertThat(ofC).allSatisfy(m -> assertThat(connectorCloses.get(m).get()).as("connector of " + m + " closed")
        .isEqualTo(closesBefore.get(m) + 1));
    assertThat(query("SELECT owner, 'x' FROM o365mail_instance")).as("c left").containsOnlyKeys("a", "b");
    rounds(List.of(a, b), 1); // no clock movement: released leases are free at once

    assertThat(a.liveInstances()).isEqualTo(2);
    assertThat(a.held()).hasSize(15);
    assertThat(b.held()).hasSize(15);
    assertHeldByExactlyOne(List.of(a, b));
  }

  @Test
  void aDeadInstancesMailboxes_waitForItsLeasesToExpire_thenAreTakenOver_withANewEpoch() {
    ImportScheduler bThreads = ImportScheduler.create(2);
    ImportCoordinator a = instance("a");
    ImportCoordinator b = instance("b", bThreads);
    rounds(List.of(a, b), 2);
    Set<String> ofB = b.held();
    Map<String, Long> epochsOfB = epochs();

    bThreads.close(); // b dies: no more cycles or passes, and nothing released
    clock.advance(TTL.minusSeconds(1));
    a.rebalance();
    assertThat(a.held()).as("b's leases are live for one more second").hasSize(15).doesNotContainAnyElementsOf(ofB);

    clock.advance(Duration.ofSeconds(2));
    a.rebalance();
    assertThat(a.liveInstances()).isEqualTo(1);
    assertThat(a.held()).containsExactlyInAnyOrderElementsOf(lower(mailboxes));
    Map<String, Long> epochs = epochs();
    assertThat(ofB).allSatisfy(m -> assertThat(epochs.get(m)).isEqualTo(epochsOfB.get(m) + 1));
  }

  @Test
  void aNewInstance_getsItsFairShare_fromTheInstancesAlreadyRunning() {
    ImportCoordinator a = instance("a");
    a.rebalance();
    assertThat(a.held()).hasSize(30);

    ImportCoordinator b = instance("b");
    b.rebalance();
    assertThat(b.held()).as("nothing free yet: a holds every mailbox").isEmpty();
    a.rebalance(); // a sees two instances and gives 15 back
    assertThat(a.held()).hasSize(15);
    b.rebalance();
    assertThat(b.held()).hasSize(15);
    assertHeldByExactlyOne(List.of(a, b));
  }

  @Test
  void everyMessage_isHandedOutOnce_acrossRebalancing() throws Exception {
    ImportCoordinator a = instance("a");
    a.rebalance();
    ImportCoordinator b = instance("b");
    rounds(List.of(b, a, b), 1);
    ImportCoordinator c = instance("c");
    rounds(List.of(c, a, b, c), 1);
    awaitDelivered(30);
    Thread.sleep(300); // would a second hand-out of any mailbox's message show up?

    assertThat(delivered).hasSize(30).doesNotHaveDuplicates();
  }

  @Test
  void concurrentClaims_neverTakeTheSameMailbox() throws Exception {
    List<String> many = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      many.add("m" + i + "@contoso.com");
    }
    List<PostgresCheckpointStore> stores = List.of(store(), store(), store());
    ExecutorService threads = Executors.newFixedThreadPool(3);
    try {
      List<Callable<List<Lease>>> claims = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        PostgresCheckpointStore s = stores.get(i);
        String owner = "o" + i;
        claims.add(() -> s.claimLeases(many, owner, 100, TTL));
      }
      Set<String> all = new HashSet<>();
      int total = 0;
      for (Future<List<Lease>> f : threads.invokeAll(claims)) {
        for (Lease l : f.get()) {
          all.add(l.mailbox());
          total++;
        }
      }
      assertThat(total).isEqualTo(300);
      assertThat(all).hasSize(300);
      assertThat(stores.get(0).claimLeases(many, "o0", 100, TTL)).as("nothing left free").isEmpty();
    } finally {
      threads.shutdownNow();
    }
  }

  private ImportCoordinator instance(String owner) {
    ImportScheduler threads = ImportScheduler.create(2);
    toClose.add(threads);
    return instance(owner, threads);
  }

  private ImportCoordinator instance(String owner, ImportScheduler threads) {
    ImportCoordinator c = ImportCoordinator.builder().checkpointStore(store()).scheduler(threads).owner(owner)
        .leaseTtl(TTL).pollInterval(Duration.ofSeconds(10)).mailboxes(mailboxes)
        .importers(m -> MailImporter.builder().connector(unclosable(m)).pollInterval(Duration.ofMinutes(10))
            .handler(msg -> delivered.add(msg.idempotencyKey())))
        .build();
    toClose.add(0, c);
    return c;
  }

  private PostgresCheckpointStore store() {
    return PostgresCheckpointStore.builder(db).clock(clock).build();
  }

  /** The mailbox's connector, whose close is counted but leaves it usable (the next holder reads the same mail). */
  private MailboxConnector unclosable(String mailbox) {
    InMemoryMailboxConnector box = boxes.get(mailbox);
    return (MailboxConnector) Proxy.newProxyInstance(getClass().getClassLoader(),
        new Class<?>[] {MailboxConnector.class}, (proxy, method, args) -> {
          if (method.getName().equals("close") && method.getParameterCount() == 0) {
            connectorCloses.get(mailbox).incrementAndGet();
            return null;
          }
          try {
            return method.invoke(box, args);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  private static void rounds(List<ImportCoordinator> cluster, int times) {
    for (int i = 0; i < times; i++) {
      for (ImportCoordinator c : cluster) {
        c.rebalance();
      }
    }
  }

  private void assertHeldByExactlyOne(List<ImportCoordinator> cluster) {
    List<String> all = new ArrayList<>();
    cluster.forEach(c -> all.addAll(c.held()));
    assertThat(all).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(lower(mailboxes));
  }

  private void awaitDelivered(int count) throws InterruptedException {
    for (int i = 0; i < 600 && delivered.size() < count; i++) {
      Thread.sleep(50);
    }
  }

  private static List<String> lower(List<String> names) {
    return names.stream().map(n -> n.toLowerCase(java.util.Locale.ROOT)).toList();
  }

  private Map<String, String> leaseOwners() {
    return query("SELECT mailbox, owner FROM o365mail_lease WHERE expires_at > now() - interval '100 years'");
  }

  private Map<String, Long> epochs() {
    Map<String, Long> out = new java.util.HashMap<>();
    query("SELECT mailbox, epoch::text FROM o365mail_lease").forEach((m, e) -> out.put(m, Long.parseLong(e)));
    return out;
  }

  private Map<String, String> query(String sql) {
    Map<String, String> out = new java.util.HashMap<>();
    try (Connection c = db.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        out.put(rs.getString(1), rs.getString(2));
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return out;
  }
}
