package org.o365mail.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.o365mail.bench.LoopbackPostgres;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.MailboxAccess;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.RecordedRequest;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;

/**
 * Three service instances ({@link ClusterInstance}, each a child JVM started from the built jar, each with its own
 * client app) share 300 mailboxes of the local tenant, half read by Graph and half by IMAP, through one real
 * PostgreSQL on loopback. Mail is there before they start and keeps arriving. Mid-import one instance is SIGKILLed
 * and, once its mailboxes are taken over, another is stopped with SIGTERM. At the end: every message was handed
 * out; the only messages handed out twice were in flight in the killed instance and came again flagged as possible
 * redeliveries; no mailbox was imported by two instances at once; the killed instance's mailboxes were taken over
 * within lease ttl + poll interval (plus the measured start-up of an importer, printed), the stopped instance's at
 * once, its leases released.
 */
@Timeout(300)
class ClusterIT {
  static final int MAILBOXES = 300;
  static final int BEFORE = 3;
  static final int INSTANCES = 3;
  static final int THREADS = 8;
  static final Duration TTL = Duration.ofSeconds(6);
  static final Duration POLL = Duration.ofSeconds(1);
  /** For the machine: a coordinator cycle's own statements and this test's 50 ms polling of the lease table. */
  static final Duration MACHINE_SLACK = Duration.ofMillis(500);

  /** One line of an instance's deliveries file. */
  record Delivery(long at, String instance, String mailbox, String key, boolean flagged, String subject) {}

  @Test
  void threeInstances_oneKilledOneStopped_everyMessageOnce_exceptFlaggedInFlight_noMailboxTwiceAtOnce(
      @TempDir Path dir) throws Exception {
    long seed = Long.getLong("o365mail.seed", System.nanoTime());
    System.out.println("ClusterIT seed " + seed + " (rerun with -Do365mail.seed=" + seed + ")");
    Random random = new Random(seed);
    String jar = System.getProperty("o365mail.jar");
    assertThat(jar).as("the built jar (failsafe sets o365mail.jar)").isNotNull();

    try (LocalTenant m365 = LocalTenant.start();
        EmbeddedPostgres pg = LoopbackPostgres.start()) {
      Tenant contoso = m365.createTenant("contoso.com");
      List<String> addresses = new ArrayList<>();
      Map<String, String> protocols = new LinkedHashMap<>();
      Map<String, Set<String>> delivered = new ConcurrentHashMap<>();
      Map<String, Mailbox> boxes = new HashMap<>();
      for (int b = 0; b < MAILBOXES; b++) {
        String address = String.format(Locale.ROOT, "box%03d@contoso.com", b);
        addresses.add(address);
        protocols.put(address, b % 2 == 0 ? "graph" : "imap");
        boxes.put(address, contoso.addSharedMailbox(address));
        delivered.put(address, ConcurrentHashMap.newKeySet());
      }
      AtomicInteger sent = new AtomicInteger();
      for (String address : addresses) {
        for (int i = 0; i < BEFORE; i++) {
          deliver(boxes.get(address), delivered, sent);
        }
      }
      // each instance its own client app, so that the tenant tells them apart
      Map<String, String> appOf = new LinkedHashMap<>();
      Map<String, String> instanceOfApp = new HashMap<>();
      m365.writeTrustStore(dir.resolve("trust.p12"), "changeit".toCharArray());
      ownerOnly(Files.writeString(dir.resolve("trust-password"), "changeit"));
      Files.writeString(dir.resolve("mailboxes"), String.join("\n",
          protocols.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).toList()) + "\n");
      try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
        s.execute("CREATE DATABASE cluster");
      }
      DataSource db = pg.getDatabase("postgres", "cluster");
      List<Path> propsFiles = new ArrayList<>();
      for (int n = 1; n <= INSTANCES; n++) {
        String owner = "instance-" + n;
        Application app = contoso.registerApp("Cluster " + owner);
        app.addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite")
            .addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp").grantAdminConsent();
        String principal = contoso.registerExchangeServicePrincipal(app).objectId();
        for (String address : addresses) {
          contoso.addMailboxPermission(address, principal, "FullAccess");
        }
        PasswordCredential secret = app.addClientSecret(owner, Duration.ofDays(30));
        Path secretFile = ownerOnly(Files.writeString(dir.resolve(owner + ".secret"), secret.value()));
        appOf.put(owner, app.clientId());
        instanceOfApp.put(app.clientId(), owner);
        String props = String.join("\n",
            "owner=" + owner,
            "store=jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/cluster",
            "store.user=postgres",
            "mailboxes=" + dir.resolve("mailboxes"),
            "tenant=" + contoso.id(),
            "clientId=" + app.clientId(),
            "clientSecretFile=" + secretFile,
            "authorityHost=" + m365.authorityHost(),
            "graphBaseUrl=" + m365.graphBaseUrl(),
            "imapHost=" + m365.hostName(),
            "imapPort=" + m365.imapPort(),
            "trustStore=" + dir.resolve("trust.p12"),
            "trustStorePasswordFile=" + dir.resolve("trust-password"),
            "leaseTtl=" + TTL.toMillis() / 1000.0,
            "pollInterval=" + POLL.toMillis() / 1000.0,
            "importPollInterval=1",
            "threads=" + THREADS,
            "deliveries=" + dir.resolve(owner + ".deliveries"), "");
        propsFiles.add(Files.writeString(dir.resolve(owner + ".properties"), props.replace("\\", "\\\\")));
      }

      List<Process> children = new ArrayList<>();
      Heartbeats heartbeats = new Heartbeats(db);
      AtomicBoolean delivering = new AtomicBoolean(true);
      Thread mail = new Thread(() -> {
        while (delivering.get()) {
          deliver(boxes.get(addresses.get(random.nextInt(MAILBOXES))), delivered, sent);
          sleep(40);
        }
      }, "mail-arrives");
      try {
        long start = System.nanoTime();
        for (int n = 1; n <= INSTANCES; n++) {
          children.add(child(jar, propsFiles.get(n - 1), dir.resolve("instance-" + n + ".log")));
        }
        mail.start();
        heartbeats.start();
        // mid-import: all three have started and a third of what was there before is handed out
        awaitTrue(Duration.ofSeconds(90), () -> handedOut(dir).size() >= MAILBOXES * BEFORE / 3
            && heldBy(db).size() == INSTANCES, "three instances importing", dir);
        System.out.printf(Locale.ROOT, "all three importing after %.1f s; %d handed out; held: %s%n",
            (System.nanoTime() - start) / 1e9, handedOut(dir).size(), counts(heldBy(db)));

        // SIGKILL one (Process.destroyForcibly on Linux; the exit status says which signal)
        String victim = "instance-" + (1 + random.nextInt(INSTANCES));
        Process killed = children.get(Integer.parseInt(victim.substring(9)) - 1);
        Set<String> victimHeld = heldBy(db).getOrDefault(victim, Set.of());
        Instant killedAt = Instant.now();
        killed.destroyForcibly();
        assertThat(killed.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(killed.exitValue()).as("128 + SIGKILL").isEqualTo(137);
        Map<String, Instant> victimTakenOver = awaitNewOwners(db, victimHeld, victim,
            TTL.plus(POLL).plusSeconds(20));

        // SIGTERM another, once the dead one's mailboxes have new holders
        String stopped = appOf.keySet().stream().filter(o -> !o.equals(victim)).skip(random.nextInt(2))
            .findFirst().orElseThrow();
        String survivor = appOf.keySet().stream().filter(o -> !o.equals(victim) && !o.equals(stopped))
            .findFirst().orElseThrow();
        Process stopping = children.get(Integer.parseInt(stopped.substring(9)) - 1);
        Set<String> stoppedHeld = heldBy(db).getOrDefault(stopped, Set.of());
        Instant stoppedAt = Instant.now();
        stopping.destroy();
        assertThat(stopping.waitFor(60, TimeUnit.SECONDS)).as("graceful stop").isTrue();
        Instant stoppedExit = Instant.now();
        assertThat(stopping.exitValue()).as("128 + SIGTERM").isEqualTo(143);
        assertThat(log(dir.resolve(stopped + ".log"))).contains("closed " + stopped);
        // released, not left to expire
        assertThat(heldBy(db).getOrDefault(stopped, Set.of())).as("leases the stopped instance still holds")
            .isEmpty();
        Map<String, Instant> stoppedTakenOver = awaitNewOwners(db, stoppedHeld, stopped,
            TTL.plus(POLL).plusSeconds(20));

        sleep(3000);
        delivering.set(false);
        mail.join(5000);
        int total = sent.get();
        awaitTrue(Duration.ofSeconds(90), () -> missing(delivered, handedOut(dir)) == 0,
            "every message handed out", dir);
        Process last = children.get(Integer.parseInt(survivor.substring(9)) - 1);
        last.destroy();
        assertThat(last.waitFor(60, TimeUnit.SECONDS)).isTrue();
        double runSeconds = (System.nanoTime() - start) / 1e9;

        // --- what the product got ---
        List<Delivery> all = handedOut(dir);
        assertThat(missing(delivered, all)).as("messages never handed out").isZero();
        Map<String, List<Delivery>> byKey = new HashMap<>();
        all.forEach(d -> byKey.computeIfAbsent(d.key(), k -> new ArrayList<>()).add(d));
        assertThat(byKey).hasSize(total);
        List<String> duplicated = byKey.entrySet().stream().filter(e -> e.getValue().size() > 1)
            .map(Map.Entry::getKey).sorted().toList();
        for (String key : duplicated) {
          List<Delivery> ds = byKey.get(key).stream().sorted(Comparator.comparingLong(Delivery::at)).toList();
          assertThat(ds).as("handed out twice: %s", ds).hasSize(2);
          assertThat(ds.get(0).instance()).as("first hand-out of %s", key).isEqualTo(victim);
          assertThat(ds.get(0).at()).isLessThanOrEqualTo(killedAt.toEpochMilli());
          assertThat(ds.get(1).flagged()).as("again, flagged: %s", ds).isTrue();
          assertThat(victimHeld).contains(ds.get(0).mailbox());
        }
        // in flight at the kill: at most one message per import thread of the killed instance
        assertThat(duplicated.size()).isLessThanOrEqualTo(THREADS);
        List<Delivery> flagged = all.stream().filter(Delivery::flagged).toList();
        assertThat(flagged).as("flagged hand-outs are redeliveries of the killed instance's messages")
            .allMatch(d -> victimHeld.contains(d.mailbox()) && !d.instance().equals(victim));

        // --- takeover times, at the testkit: the new holder's first request (Graph) or login (IMAP) ---
        Map<String, Instant> victimFirst = firstAccessAfter(m365.requests(), victimHeld, killedAt, victim,
            instanceOfApp);
        Map<String, Instant> stoppedFirst = firstAccessAfter(m365.requests(), stoppedHeld, stoppedAt, stopped,
            instanceOfApp);
        assertThat(victimFirst.keySet()).containsExactlyInAnyOrderElementsOf(victimHeld);
        assertThat(stoppedFirst.keySet()).containsExactlyInAnyOrderElementsOf(stoppedHeld);
        // an importer's start-up after its lease was claimed, measured in this run: claim seen in the lease table,
        // then the new holder's first request at the testkit
        Duration startup = Duration.ZERO;
        for (String m : victimHeld) {
          startup = max(startup, Duration.between(victimTakenOver.get(m), victimFirst.get(m)));
        }
        for (String m : stoppedHeld) {
          startup = max(startup, Duration.between(stoppedTakenOver.get(m), stoppedFirst.get(m)));
        }
        Duration killTakeover = maxSince(killedAt, victimFirst);
        Duration killClaim = maxSince(killedAt, victimTakenOver);
        Duration stopTakeover = maxSince(stoppedAt, stoppedFirst);
        Duration stopClaim = maxSince(stoppedAt, stoppedTakenOver);
        heartbeats.stop();
        // the poll interval as the instances kept it: the longest time between two heartbeats of one instance
        Duration cycle = max(POLL, heartbeats.longestGap());
        Duration claimBound = TTL.plus(cycle).plus(MACHINE_SLACK);
        Duration bound = TTL.plus(cycle).plus(startup).plus(MACHINE_SLACK);
        System.out.printf(Locale.ROOT, "ClusterIT: %d messages (%d before the start, %d during the run) in %d"
                + " mailboxes, %d hand-outs, %d handed out twice (all flagged), %d flagged in all; run %.1f s%n",
            total, MAILBOXES * BEFORE, total - MAILBOXES * BEFORE, MAILBOXES, all.size(), duplicated.size(),
            flagged.size(), runSeconds);
        System.out.printf(Locale.ROOT, "ClusterIT: coordinator cycles: poll interval %d ms, longest time between two"
            + " heartbeats of an instance %d ms%n", POLL.toMillis(), heartbeats.longestGap().toMillis());
        System.out.printf(Locale.ROOT, "ClusterIT: SIGKILL of %s (%d mailboxes): leases claimed within %d ms (bound"
                + " ttl %d + cycle %d + machine %d = %d ms), first request of the new holder within %d ms (bound: the"
                + " same + importer start-up %d, the longest measured from claim to first request, = %d ms)%n",
            victim, victimHeld.size(), killClaim.toMillis(), TTL.toMillis(), cycle.toMillis(),
            MACHINE_SLACK.toMillis(), claimBound.toMillis(), killTakeover.toMillis(), startup.toMillis(),
            bound.toMillis());
        System.out.printf(Locale.ROOT, "ClusterIT: SIGTERM of %s (%d mailboxes, exited after %d ms): leases claimed"
                + " within %d ms, first request of the new holder within %d ms (ttl %d ms)%n", stopped,
            stoppedHeld.size(), Duration.between(stoppedAt, stoppedExit).toMillis(), stopClaim.toMillis(),
            stopTakeover.toMillis(), TTL.toMillis());
        // --- no mailbox imported by two instances at once, at the testkit ---
        // at the testkit: a Graph request being served or an IMAP/SMTP session open for a mailbox while another
        // instance (another app) had one open for it
        MailboxAccess access = m365.mailboxAccess();
        List<String> overlaps = access.overlaps().stream().map(o -> o.mailbox() + " at " + o.at() + ": "
            + instanceOfApp.getOrDefault(o.client(), o.client()) + " and "
            + instanceOfApp.getOrDefault(o.otherClient(), o.otherClient())).toList();
        System.out.printf("Mailbox access at the testkit: %d overlaps (%d dropped), %d handovers (%d dropped)%n",
            access.overlaps().size(), access.droppedOverlaps(), access.handovers().size(), access.droppedHandovers());
        assertThat(access.droppedOverlaps()).isZero();
        assertThat(overlaps).as("mailboxes touched by two instances at once (killed %s at %s, SIGTERM to %s at %s)",
            victim, killedAt, stopped, stoppedAt).isEmpty();
        List<String> interleaved = interleavedDeliveries(all, victim, killedAt, stopped, stoppedAt);
        assertThat(interleaved).as("deliveries of one mailbox interleaved between instances").isEmpty();

        // a cycle late by a lease time lets the leases of a live instance's idle importers expire
        assertThat(heartbeats.longestGap()).as("longest time between two cycles of an instance").isLessThan(TTL);
        assertThat(killClaim).as("leases claimed after SIGKILL").isLessThanOrEqualTo(claimBound);
        assertThat(killTakeover).as("takeover after SIGKILL").isLessThanOrEqualTo(bound);
        // released leases are claimed on the survivor's next cycle after the stopped one left, not when they would
        // have expired
        assertThat(Duration.between(stoppedExit, stoppedTakenOver.values().stream().max(Comparator.naturalOrder())
            .orElse(stoppedExit))).as("claim after the graceful stop").isLessThanOrEqualTo(cycle.plus(MACHINE_SLACK));
      } finally {
        delivering.set(false);
        heartbeats.stop();
        for (Process p : children) {
          if (p.isAlive()) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
          }
        }
        // the children's logs and deliveries outlive the temporary directory, for a failure's diagnosis
        Path keep = Files.createDirectories(Path.of("target", "cluster-it"));
        for (int n = 1; n <= INSTANCES; n++) {
          for (String suffix : new String[] {".log", ".deliveries"}) {
            Path f = dir.resolve("instance-" + n + suffix);
            if (Files.exists(f)) {
              Files.copy(f, keep.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
          }
        }
      }
    }
  }

  private static void deliver(Mailbox box, Map<String, Set<String>> delivered, AtomicInteger sent) {
    String subject = "Message " + sent.incrementAndGet();
    box.deliver(TestMessages.text("sender@fabrikam.com", box.address(), subject, "Body of " + subject));
    delivered.get(box.address()).add(subject);
  }

  private static Process child(String jar, Path props, Path log) throws IOException {
    return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
        "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-Dorg.slf4j.simpleLogger.log.org.o365mail.importer.ImportCoordinator=info",
        "-Dorg.slf4j.simpleLogger.showDateTime=true", "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS",
        "-cp", jar, ClusterInstance.class.getName(), props.toString()).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
  }

  /** Every delivery line of every instance's file, in no particular order. */
  static List<Delivery> handedOut(Path dir) {
    List<Delivery> all = new ArrayList<>();
    for (int n = 1; n <= INSTANCES; n++) {
      Path f = dir.resolve("instance-" + n + ".deliveries");
      if (!Files.exists(f)) {
        continue;
      }
      try {
        for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
          String[] p = line.split("\t", -1);
          if (p.length == 5) {
            all.add(new Delivery(Long.parseLong(p[0]), "instance-" + n, p[1].toLowerCase(Locale.ROOT), p[2],
                Boolean.parseBoolean(p[3]), p[4]));
          }
        }
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
    return all;
  }

  static long missing(Map<String, Set<String>> delivered, List<Delivery> handed) {
    Map<String, Set<String>> got = new HashMap<>();
    handed.forEach(d -> got.computeIfAbsent(d.mailbox(), k -> new HashSet<>()).add(d.subject()));
    return delivered.entrySet().stream()
        .mapToLong(e -> e.getValue().stream().filter(s -> !got.getOrDefault(e.getKey(), Set.of()).contains(s)).count())
        .sum();
  }

  /** Owner to the mailboxes whose lease it holds now (not expired, not released). */
  static Map<String, Set<String>> heldBy(DataSource db) {
    Map<String, Set<String>> held = new TreeMap<>();
    try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
      s.setQueryTimeout(10);
      if (!tableExists(c)) {
        return held;
      }
      try (ResultSet rs = s.executeQuery("SELECT owner, mailbox FROM o365mail_lease WHERE expires_at > now()")) {
        while (rs.next()) {
          held.computeIfAbsent(rs.getString(1), k -> new HashSet<>()).add(rs.getString(2).toLowerCase(Locale.ROOT));
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return held;
  }

  private static boolean tableExists(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass('o365mail_lease') IS NOT NULL");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getBoolean(1);
    }
  }

  static Map<String, Integer> counts(Map<String, Set<String>> held) {
    Map<String, Integer> m = new TreeMap<>();
    held.forEach((k, v) -> m.put(k, v.size()));
    return m;
  }

  /** When each of {@code mailboxes} was first seen held by another owner than {@code former} (50 ms polling). */
  static Map<String, Instant> awaitNewOwners(DataSource db, Set<String> mailboxes, String former, Duration limit) {
    Map<String, Instant> seen = new HashMap<>();
    long deadline = System.nanoTime() + limit.toNanos();
    while (seen.size() < mailboxes.size()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not taken over within " + limit + ": "
            + mailboxes.stream().filter(m -> !seen.containsKey(m)).sorted().toList());
      }
      Instant now = Instant.now();
      heldBy(db).forEach((owner, held) -> {
        if (!owner.equals(former)) {
          held.stream().filter(mailboxes::contains).forEach(m -> seen.putIfAbsent(m, now));
        }
      });
      sleep(50);
    }
    return seen;
  }

  /**
   * Each mailbox's first request (Graph) or IMAP login at the tenant after {@code since} by an instance other than
   * {@code former}.
   */
  static Map<String, Instant> firstAccessAfter(List<RecordedRequest> requests, Set<String> mailboxes,
      Instant since, String former, Map<String, String> instanceOfApp) {
    Map<String, Instant> first = new HashMap<>();
    for (RecordedRequest r : requests) {
      Access a = Access.of(r, instanceOfApp);
      if (a != null && a.kind() != Access.Kind.LOGOUT && mailboxes.contains(a.mailbox()) && r.at().isAfter(since)
          && !a.instance().equals(former)) {
        first.merge(a.mailbox(), r.at(), (x, y) -> x.isBefore(y) ? x : y);
      }
    }
    return first;
  }

  /**
   * Mailboxes whose deliveries went from one instance to another and back while the first was alive and had not
   * been stopped: two instances importing one mailbox at once show as such alternations.
   */
  static List<String> interleavedDeliveries(List<Delivery> all, String victim, Instant killedAt, String stopped,
      Instant stoppedAt) {
    Map<String, List<Delivery>> byMailbox = new TreeMap<>();
    all.forEach(d -> byMailbox.computeIfAbsent(d.mailbox(), k -> new ArrayList<>()).add(d));
    List<String> bad = new ArrayList<>();
    byMailbox.forEach((mailbox, ds) -> {
      ds.sort(Comparator.comparingLong(Delivery::at));
      List<String> runs = new ArrayList<>();
      for (Delivery d : ds) {
        if (runs.isEmpty() || !runs.get(runs.size() - 1).equals(d.instance())) {
          runs.add(d.instance());
        }
      }
      // a run of an instance, another's, then the first again: only if the one in between died or was stopped
      for (int i = 0; i + 2 < runs.size(); i++) {
        if (runs.get(i).equals(runs.get(i + 2)) && !runs.get(i + 1).equals(victim)
            && !runs.get(i + 1).equals(stopped)) {
          bad.add(mailbox + " " + runs);
        }
      }
    });
    return bad;
  }

  /** A mailbox touched at the tenant: a Graph request, an IMAP login, or an IMAP LOGOUT (whose app is unknown). */
  record Access(Kind kind, String mailbox, String instance) {
    enum Kind { GRAPH, LOGIN, LOGOUT }

    static Access of(RecordedRequest r, Map<String, String> instanceOfApp) {
      switch (r.service()) {
        case "graph": {
          String instance = instanceOfApp.get(r.attribute("appid"));
          String mailbox = r.attribute("mailbox").replace("%40", "@").toLowerCase(Locale.ROOT);
          return instance == null || mailbox.isEmpty() ? null : new Access(Kind.GRAPH, mailbox, instance);
        }
        case "imap": {
          String instance = instanceOfApp.get(r.attribute("appid"));
          return instance == null || r.status() != 0 ? null
              : new Access(Kind.LOGIN, r.path().toLowerCase(Locale.ROOT), instance);
        }
        case "imap-logout":
          return new Access(Kind.LOGOUT, r.path().toLowerCase(Locale.ROOT), "");
        default:
          return null;
      }
    }
  }

  /**
   * Watches the instances' heartbeats in {@code o365mail_instance} (every 50 ms) and keeps the longest time between
   * two heartbeats of one instance while it was alive: the poll interval as the coordinators really kept it.
   */
  static final class Heartbeats {
    private final DataSource db;
    private final Map<String, Instant> lastExpiry = new HashMap<>();
    private final Map<String, Long> lastChange = new HashMap<>();
    private volatile long longestNanos;
    private volatile boolean running = true;
    private final Thread thread = new Thread(this::watch, "heartbeats");

    Heartbeats(DataSource db) {
      this.db = db;
    }

    void start() {
      thread.start();
    }

    void stop() throws InterruptedException {
      running = false;
      thread.join(5000);
    }

    Duration longestGap() {
      return Duration.ofNanos(longestNanos);
    }

    private void watch() {
      while (running) {
        long now = System.nanoTime();
        Map<String, Instant> seen = new HashMap<>();
        try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
          s.setQueryTimeout(10);
          if (instanceTableExists(c)) {
            try (ResultSet rs = s.executeQuery("SELECT owner, expires_at FROM o365mail_instance")) {
              while (rs.next()) {
                seen.put(rs.getString(1), rs.getTimestamp(2).toInstant());
              }
            }
          }
        } catch (SQLException e) {
          throw new IllegalStateException(e);
        }
        // an instance that left or died stops counting: its row is gone or no longer moves
        lastChange.keySet().retainAll(seen.keySet());
        seen.forEach((owner, expiry) -> {
          if (!expiry.equals(lastExpiry.put(owner, expiry))) {
            Long previous = lastChange.put(owner, now);
            if (previous != null) {
              longestNanos = Math.max(longestNanos, now - previous);
            }
          }
        });
        sleep(50);
      }
    }

    private static boolean instanceTableExists(Connection c) throws SQLException {
      try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass('o365mail_instance') IS NOT NULL");
          ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  static Duration maxSince(Instant since, Map<String, Instant> times) {
    return times.values().stream().map(t -> Duration.between(since, t)).max(Comparator.naturalOrder())
        .orElse(Duration.ZERO);
  }

  static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  interface Condition {
    boolean holds() throws Exception;
  }

  static void awaitTrue(Duration limit, Condition condition, String what, Path dir) throws Exception {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.holds()) {
      if (System.nanoTime() > deadline) {
        StringBuilder logs = new StringBuilder();
        for (int n = 1; n <= INSTANCES; n++) {
          String l = log(dir.resolve("instance-" + n + ".log"));
          logs.append("\n--- instance-").append(n).append(" ---\n")
              .append(l.substring(Math.max(0, l.length() - 3000)));
        }
        throw new AssertionError("not within " + limit + ": " + what + logs);
      }
      sleep(100);
    }
  }

  static String log(Path p) {
    try {
      return Files.exists(p) ? Files.readString(p) : "";
    } catch (IOException e) {
      return e.toString();
    }
  }

  static Path ownerOnly(Path p) throws IOException {
    return Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
