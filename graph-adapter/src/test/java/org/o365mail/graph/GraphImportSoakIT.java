package org.o365mail.graph;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Timeout.ThreadMode;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.o365mail.DeleteMode;
import org.o365mail.FolderRef;
import org.o365mail.MessageId;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.TokenRequest;
import org.o365mail.importer.Checkpoint;
import org.o365mail.importer.CheckpointKey;
import org.o365mail.importer.CheckpointStore;
import org.o365mail.importer.FileCheckpointStore;
import org.o365mail.importer.HealthState;
import org.o365mail.importer.ImportListener;
import org.o365mail.importer.ImportResult;
import org.o365mail.importer.IncomingMessage;
import org.o365mail.importer.MailImporter;
import org.o365mail.importer.MailboxHealth;
import org.o365mail.importer.MessageHandler;
import org.o365mail.importer.PostAction;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testsupport.Secrets;
import org.o365mail.testkit.BatchBodies;
import org.o365mail.testkit.Faults;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.StoredMail;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;

/**
 * The crash-safe import over Graph under the faults a long import meets (issue 6): 5,000 messages through {@link
 * MailImporter} and {@link GraphMailboxConnector}, moved to {@code Inbox/Imported}, while access tokens live 20 s,
 * the token endpoint answers 503 now and then, Graph answers 429 and 503 now and then, and three outages outlast
 * the connector's retry budget (a 429 storm as the handler reads a message, Entra ID down as the token is due,
 * Graph answering 503); delta tokens are dropped in the middle of a round and between rounds; new mail arrives
 * meanwhile, some of it large and shown late with an older received time; a user reads some mail in Outlook.
 *
 * <p>The guarantee: no message is lost, and one is handed to the handler again only if the process died after the
 * handler accepted it and before its checkpoint was written. No process dies here, so each message must be
 * accepted exactly once, never flagged as a possible redelivery, and end up where the post-action puts it; the
 * health must go through THROTTLED for each outage and end HEALTHY. A smaller case does the same for mark read and
 * delete with checkpoints in files and a restart of the importer half-way. No log line may hold a secret or token.
 * Each run prints its figures.
 */
@Timeout(value = 110, threadMode = ThreadMode.SEPARATE_THREAD)
@ExtendWith(LeakCheck.class)
class GraphImportSoakIT {
  static final int WINDOW_LIFTED = 1_000_000;

  @RegisterExtension
  static final LocalTenantExtension M365 = LocalTenantExtension.create(LocalTenant.builder().seed(6))
      // from the start, so that every token the import uses lives 20 s; and 5,000 messages in half a minute are more
      // requests than Exchange's window lets an app send to one mailbox (10,000 per 10 minutes, each $batch item
      // one): this soak is about faults, so both sides lift the window (GraphRequestWindowTest is about the window)
      .withFaults(faults -> faults.accessTokenLifetime(Duration.ofSeconds(20))
          .graphRequestWindow(WINDOW_LIFTED, Duration.ofMinutes(10)));

  static LocalTenant m365;
  static Tenant contoso;
  static CredentialStrategy credential;

  @BeforeAll
  static void model() {
    m365 = M365.tenant();
    contoso = m365.createTenant("contoso.com");
    credential = GraphApps.clientCredentials(m365, contoso, GraphApps.daemon(contoso, "Soak import", "Mail.ReadWrite"));
  }

  @AfterAll
  static void close() {
    credential.close();
  }

  /** One call of the handler, as the product saw it. */
  record Delivery(String key, String messageId, String subject, boolean possibleRedelivery, int attempt,
      boolean accepted) {}

  /** The product: reads each message's MIME, checks it is the message the summary names, and records it. */
  static final class Product implements MessageHandler {
    final List<Delivery> calls = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger accepted = new AtomicInteger();
    volatile Function<Integer, Void> afterAccept = n -> null;
    volatile Function<Integer, Void> beforeRead = n -> null;

    @Override
    public void handle(IncomingMessage m) throws Exception {
      beforeRead.apply(accepted.get());
      String mime;
      try (InputStream in = m.openMime()) {
        mime = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      } catch (Exception e) {
        calls.add(record(m, false));
        Secrets.assertClean(e);
        throw e;
      }
      assertThat(mime).contains("Message-ID: " + m.summary().internetMessageId().orElseThrow()).contains(m.summary().subject());
      calls.add(record(m, true));
      afterAccept.apply(accepted.incrementAndGet());
    }

    private static Delivery record(IncomingMessage m, boolean accepted) {
      return new Delivery(m.idempotencyKey(), m.summary().internetMessageId().orElse(null), m.summary().subject(),
          m.possibleRedelivery(), m.attempt(), accepted);
    }

    List<Delivery> acceptedCalls() {
      synchronized (calls) {
        return calls.stream().filter(Delivery::accepted).toList();
      }
    }
  }

  /** Every health change, in order. */
  static final class HealthLog implements ImportListener {
    final List<MailboxHealth> states = Collections.synchronizedList(new ArrayList<>());
    final List<String> why = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void healthChanged(HealthState previous, HealthState current) {
      states.add(current.health());
      why.add(current.health() + current.diagnosis().map(d -> " (" + d.serviceCode() + ")").orElse(""));
    }
  }

  /** A fault switched on at one point of the import, and off after the first pass it made fail. */
  static final class Outage {
    private final Runnable on;
    private final Runnable off;
    private final LongSupplier refusals;
    private long before = -1;
    private boolean over;

    Outage(Runnable on, Runnable off, LongSupplier refusals) {
      this.on = on;
      this.off = off;
      this.refusals = refusals;
    }

    synchronized void start() {
      if (before < 0 && !over) {
        before = refusals.getAsLong();
        on.run();
      }
    }

    synchronized void afterPass(ImportResult r) {
      if (before >= 0 && !r.completed() && refusals.getAsLong() > before) {
        off.run();
        before = -1;
        over = true;
      }
    }

    synchronized boolean over() {
      return over;
    }
  }

  /** What a run of passes did. */
  record Run(int passes, int failedPasses, int skipped, Duration took) {}

  /**
   * Runs passes until one completes having imported nothing, with no post-action pending and nothing more to come
   * ({@code done}); a pass that fails (throttled, service down) is followed by a short pause, as the scheduler's
   * back-off would, and {@code between} hears every pass's result. Fails when it takes longer than {@code limit}.
   */
  static Run drive(Supplier<MailImporter> importer, CheckpointStore store, CheckpointKey key, Duration limit,
      BooleanSupplier done, Consumer<ImportResult> between) throws InterruptedException {
    long start = System.nanoTime();
    long deadline = start + limit.toNanos();
    int passes = 0;
    int failed = 0;
    int skipped = 0;
    while (true) {
      ImportResult r = importer.get().runOnce();
      passes++;
      skipped += r.skipped();
      between.accept(r);
      boolean pending = store.load(key).map(c -> !c.pending().isEmpty()).orElse(false);
      if (r.completed() && r.imported() == 0 && !pending && done.getAsBoolean()) {
        return new Run(passes, failed, skipped, Duration.ofNanos(System.nanoTime() - start));
      }
      if (!r.completed()) {
        failed++;
        TimeUnit.MILLISECONDS.sleep(300);
      }
      assertThat(System.nanoTime()).as("the import did not settle within %s: %d passes, last %s, health %s, "
          + "checkpoint %s", limit, passes, r, importer.get().health(), store.load(key).map(GraphImportSoakIT::describe))
          .isLessThan(deadline);
    }
  }

  static String describe(Checkpoint c) {
    return "handled=" + c.handled().size() + ", inFlight=" + java.util.Objects.requireNonNullElse(c.inFlight(), "-") + ", pending="
        + c.pending().size() + ", deadLetters=" + c.deadLetters().size();
  }

  static String subject(int i) {
    return String.format(Locale.ROOT, "Soak %05d", i);
  }

  static String messageId(String box, int i) {
    return String.format(Locale.ROOT, "<soak-%05d.%s@fabrikam.example>", i, box.substring(0, box.indexOf('@')));
  }

  static byte[] message(Mailbox m, int i, int size) {
    if (size > 0) {
      String mime = new String(TestMessages.withAttachment("sender" + i % 37 + "@fabrikam.example", m.address(),
          subject(i), "Document " + i + " attached.", "scan-" + i + ".pdf", "application/pdf", new byte[size]),
          StandardCharsets.UTF_8);
      // the testkit gives it a fresh Message-ID on its first line; the soak needs its own
      return ("Message-ID: " + messageId(m.address(), i) + mime.substring(mime.indexOf("\r\n")))
          .getBytes(StandardCharsets.UTF_8);
    }
    String body = "Document " + i + " for the soak import.\n";
    return TestMessages.text("sender" + i % 37 + "@fabrikam.example", m.address(), subject(i), body,
        messageId(m.address(), i));
  }

  /**
   * Delivers messages {@code from} to {@code to} (exclusive) into the Inbox, received {@code perSecond} to a second
   * from {@code first} on: several in the same second, as bursts of mail arrive.
   */
  static void deliver(Mailbox m, int from, int to, Instant first, int perSecond) {
    for (int i = from; i < to; i++) {
      m.deliver("Inbox", message(m, i, 0), false, first.plusSeconds((i - from) / perSecond));
    }
  }

  /**
   * New mail while the import runs: {@code onTime} messages received now, then {@code late} large ones received
   * {@code lateBy} ago, as Exchange shows a large message only when its delivery commits, after smaller ones
   * received later (and possibly after a delta round that saw those).
   */
  static void arrive(Mailbox m, int from, int onTime, int late, Duration lateBy) {
    Instant now = Instant.now();
    for (int i = from; i < from + onTime; i++) {
      m.deliver("Inbox", message(m, i, 0), false, now);
    }
    for (int i = from + onTime; i < from + onTime + late; i++) {
      m.deliver("Inbox", message(m, i, 300_000), false, now.minus(lateBy));
    }
  }

  static long tokenRefusals() {
    return m365.count(r -> r.service().equals("identity") && r.status() == 503);
  }

  static long graphAnswers(int status) {
    return m365.count(r -> r.service().equals("graph") && r.status() == status);
  }

  static void assertEachOnce(List<Delivery> accepted, Set<String> expectedIds) {
    Map<String, Long> perMessage = accepted.stream()
        .collect(Collectors.groupingBy(Delivery::messageId, Collectors.counting()));
    assertThat(perMessage.keySet()).as("messages handed out").containsExactlyInAnyOrderElementsOf(expectedIds);
    assertThat(perMessage.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).toList())
        .as("messages handed to the handler more than once").isEmpty();
    assertThat(accepted.stream().map(Delivery::key).toList()).as("idempotency keys").doesNotHaveDuplicates();
    assertThat(accepted.stream().filter(Delivery::possibleRedelivery).toList())
        .as("deliveries flagged as possible redeliveries (no process died)").isEmpty();
  }

  @Test
  void fiveThousandMessages_underTokenAndGraphFaults_eachHandedOutOnce_andMoved() throws Exception {
    int total = 5_000;
    int seeded = 4_600;
    Mailbox box = contoso.addSharedMailbox("soak@contoso.com");
    box.createFolder("Inbox/Imported");
    Instant first = Instant.now().minus(Duration.ofHours(2));
    deliver(box, 0, seeded, first, 3);
    Set<String> expected = new LinkedHashSet<>();
    for (int i = 0; i < total; i++) {
      expected.add(messageId(box.address(), i));
    }

    Faults faults = m365.faults();
    double throttleRate = 0.0006;
    double unavailableRate = 0.0003;
    faults.tokenEndpointUnavailableRate(0.3).graphThrottleRate(throttleRate).graphUnavailableRate(unavailableRate)
        .graphRetryAfter(Duration.ofSeconds(1));
    faults.contract(); // Microsoft's latitude on top: delta order and repeats, and the rest contract mode plays
    faults.graphBatchBodies(BatchBodies.MIXED).graphOmitSizeRate(0.5); // MIME in every shape Graph uses, sizes missing
    m365.clearRequests();
    long tokensBefore = m365.tokenRequestCount();

    Product product = new Product();
    HealthLog health = new HealthLog();
    CheckpointStore store = CheckpointStore.inMemory();
    AtomicInteger arrived = new AtomicInteger(seeded);
    // each outage ends after the first pass it made fail
    Outage storm = new Outage(() -> faults.graphThrottleRate(1.0), () -> faults.graphThrottleRate(throttleRate),
        () -> graphAnswers(429));
    Outage entraDown = new Outage(() -> {
      faults.tokenEndpointUnavailableRate(1.0);
      credential.invalidate(TokenRequest.graph("Mail.ReadWrite")); // just as the token is due
    }, () -> faults.tokenEndpointUnavailableRate(0.3), GraphImportSoakIT::tokenRefusals);
    Outage graphDown = new Outage(() -> faults.graphUnavailableRate(1.0),
        () -> faults.graphUnavailableRate(unavailableRate), () -> graphAnswers(503));
    // a budget this small (three attempts, two seconds) is outlasted by each outage: then the importer says why
    try (GraphMailboxConnector connector = GraphApps.connector(m365, credential, box.address())
            .requestWindow(WINDOW_LIFTED, Duration.ofMinutes(10))
            .retryBudget(3, Duration.ofSeconds(2)).build();
        MailImporter importer = MailImporter.builder().connector(connector).handler(product).checkpointStore(store)
            .postAction(PostAction.moveTo(FolderRef.path("Inbox/Imported"))).listener(health).build()) {
      CheckpointKey key = new CheckpointKey(connector.protocol().id(), connector.mailbox(), FolderRef.INBOX.toString());
      product.afterAccept = n -> {
        if (n == 1_000) {
          faults.dropDeltaTokens(); // in the middle of the first round: its skip tokens are gone
        }
        if (n % 500 == 0 && arrived.get() < total - 50) { // new mail arrives while the import runs
          arrive(box, arrived.getAndAdd(50), 45, 5, Duration.ofSeconds(30));
        }
        if (n == 2_000) { // a user reads some mail the import has not reached yet
          markReadInOutlook(box, box.messages("Inbox").stream().limit(40).toList());
        }
        if (n == 3_500) {
          entraDown.start();
        }
        if (n == 4_200) {
          graphDown.start();
        }
        return null;
      };
      product.beforeRead = n -> {
        if (n == 2_500) {
          storm.start(); // just as the handler asks for a message's MIME
        }
        return null;
      };
      Run run = drive(() -> importer, store, key, Duration.ofSeconds(100), () -> arrived.get() >= total, r -> {
        storm.afterPass(r);
        entraDown.afterPass(r);
        graphDown.afterPass(r);
        if (r.completed() && arrived.get() < total) {
          // the first round is done; its delta link is dropped, and the last of the new mail arrives
          faults.dropDeltaTokens();
          arrive(box, arrived.getAndAdd(total - arrived.get()), 45, 5, Duration.ofSeconds(30));
        }
      });
      faults.graphThrottleRate(0).graphUnavailableRate(0).tokenEndpointUnavailableRate(0);

      List<Delivery> accepted = product.acceptedCalls();
      long duplicates = accepted.size() - accepted.stream().map(Delivery::messageId).distinct().count();
      System.out.printf(Locale.ROOT, "Graph soak: %d messages, %d handler calls (%d accepted), %d passes (%d failed),"
          + " %d duplicates, %d x 429, %d x 503, %d x 410 (delta resyncs), %d token requests (%d refused), %d Graph"
          + " requests, %.1f s%n",
          expected.size(), product.calls.size(), accepted.size(), run.passes(), run.failedPasses(), duplicates,
          graphAnswers(429), graphAnswers(503), graphAnswers(410), m365.tokenRequestCount() - tokensBefore,
          tokenRefusals(),
          m365.count(r -> r.service().equals("graph")), run.took().toMillis() / 1000.0);

      System.out.println("Graph soak health: " + String.join(" -> ", health.why) + "; delta order "
          + faults.graphDeltaOrder());
      assertEachOnce(accepted, expected);
      assertThat(importer.deadLetters()).isEmpty();
      assertThat(graphAnswers(410)).as("delta tokens dropped in a round and between rounds").isGreaterThanOrEqualTo(2);
      assertThat(tokenRefusals()).as("token requests refused").isPositive();
      assertThat(List.of(storm, entraDown, graphDown)).as("outages").allMatch(Outage::over);
      assertThat(health.why).as("health changes").contains("THROTTLED (ApplicationThrottled)",
          "THROTTLED (AADSTS90033)", "THROTTLED (ServiceUnavailable)");
      assertThat(health.states.get(health.states.size() - 1)).isEqualTo(MailboxHealth.HEALTHY);
      assertThat(importer.health().health()).isEqualTo(MailboxHealth.HEALTHY);
    }
    assertThat(box.messages("Inbox")).as("left in the Inbox").isEmpty();
    List<StoredMail> imported = box.messages("Inbox/Imported");
    assertThat(imported.stream().map(StoredMail::internetMessageId).toList()).as("in Inbox/Imported")
        .doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(expected);
    Secrets.assertLogsClean();
  }

  /**
   * Contract mode with several seeds, each a tenant of its own: 600 messages moved to {@code Inbox/Imported} while
   * the tenant uses the latitude Microsoft's documentation leaves (see {@link Faults#contract()}), delta tokens are
   * dropped in a round and between rounds, mail arrives (some of it shown late with an older received time) and a
   * user reads mail in Outlook. Each message accepted once and moved, whatever the seed drew.
   */
  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {11, 13, 14}) // seeds whose tenants draw oldest first, change order and random
  void contractMode_severalSeeds_eachMessageHandedOutOnce_andMoved(long seed) throws Exception {
    int seeded = 500;
    int total = 600;
    // the request window is held to in GraphRequestWindowTest and GraphWindowBenchmark; here it is lifted on both
    // sides, or pacing under Exchange's 10,000 per 10 minutes makes each seed a minute long
    try (LocalTenant tenant = LocalTenant.builder().seed(seed).contract()
        .graphRequestWindow(WINDOW_LIFTED, Duration.ofMinutes(10)).start()) {
      Tenant t = tenant.createTenant("contract.com");
      try (CredentialStrategy cred = GraphApps.clientCredentials(tenant, t, GraphApps.daemon(t, "Contract", "Mail.ReadWrite"))) {
        Mailbox box = t.addSharedMailbox("contract@contract.com");
        box.createFolder("Inbox/Imported");
        deliver(box, 0, seeded, Instant.now().minus(Duration.ofHours(1)), 2);
        Set<String> expected = new LinkedHashSet<>();
        for (int i = 0; i < total; i++) {
          expected.add(messageId(box.address(), i));
        }
        tenant.faults().tokenEndpointUnavailableRate(0.2).graphThrottleRate(0.001).graphRetryAfter(Duration.ofSeconds(1));
        Product product = new Product();
        CheckpointStore store = CheckpointStore.inMemory();
        AtomicInteger arrived = new AtomicInteger(seeded);
        try (GraphMailboxConnector connector = GraphApps.connector(tenant, cred, box.address())
                .requestWindow(WINDOW_LIFTED, Duration.ofMinutes(10)).build();
            MailImporter importer = MailImporter.builder().connector(connector).handler(product).checkpointStore(store)
                .postAction(PostAction.moveTo(FolderRef.path("Inbox/Imported"))).batchSize(40).build()) {
          CheckpointKey key = new CheckpointKey(connector.protocol().id(), connector.mailbox(), FolderRef.INBOX.toString());
          product.afterAccept = n -> {
            if (n == 120) {
              tenant.faults().dropDeltaTokens();
            }
            if (n % 100 == 0 && arrived.get() < total - 20) {
              arrive(box, arrived.getAndAdd(20), 17, 3, Duration.ofSeconds(30));
            }
            if (n == 250) {
              try (GraphMailboxConnector outlook = GraphApps.connector(tenant, cred, box.address()).build()) {
                box.messages("Inbox").stream().limit(15).forEach(s -> outlook.markRead(new MessageId(s.id()), true));
              }
            }
            return null;
          };
          Run run = drive(() -> importer, store, key, Duration.ofSeconds(60), () -> arrived.get() >= total, r -> {
            if (r.completed() && arrived.get() < total) {
              tenant.faults().dropDeltaTokens();
              arrive(box, arrived.getAndAdd(total - arrived.get()), 17, 3, Duration.ofSeconds(30));
            }
          });
          List<Delivery> accepted = product.acceptedCalls();
          System.out.printf(Locale.ROOT, "Graph contract soak, seed %d (delta %s): %d messages, %d accepted, %d passes,"
              + " %.1f s%n", seed, tenant.faults().graphDeltaOrder(), expected.size(), accepted.size(), run.passes(),
              run.took().toMillis() / 1000.0);
          assertEachOnce(accepted, expected);
          assertThat(importer.deadLetters()).isEmpty();
        }
        assertThat(box.messages("Inbox")).as("left in the Inbox").isEmpty();
        assertThat(box.messages("Inbox/Imported").stream().map(StoredMail::internetMessageId).toList())
            .doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(expected);
      }
    }
  }

  /** A user reading a message in Outlook: its read flag and change key change, under the import's feet. */
  static void markReadInOutlook(Mailbox box, List<StoredMail> messages) {
    try (GraphMailboxConnector outlook = GraphApps.connector(m365, credential, box.address())
            .requestWindow(WINDOW_LIFTED, Duration.ofMinutes(10)).build()) {
      for (StoredMail s : messages) {
        outlook.markRead(new MessageId(s.id()), true);
      }
    }
  }

  /**
   * The other post-actions, smaller, with checkpoints in files: mark read (the messages stay in the Inbox, so the
   * re-sync after the dropped delta link meets every one of them again) and delete to Deleted Items. Half-way
   * through, the service is restarted: the importer is closed while it imports, and a new one goes on.
   */
  @Test
  void markReadAndDelete_underFaults_withARestart_eachHandedOutOnce(@TempDir Path dir) throws Exception {
    for (PostAction action : List.of(PostAction.markRead(), PostAction.delete(DeleteMode.MOVE_TO_DELETED_ITEMS))) {
      int seeded = 200;
      int total = 220;
      String kind = action.kind().name().toLowerCase(Locale.ROOT);
      Mailbox box = contoso.addSharedMailbox("soak-" + kind + "@contoso.com");
      deliver(box, 0, seeded, Instant.now().minus(Duration.ofHours(1)), 4);
      Set<String> expected = new LinkedHashSet<>();
      for (int i = 0; i < total; i++) {
        expected.add(messageId(box.address(), i));
      }
      Faults faults = m365.faults();
      faults.tokenEndpointUnavailableRate(0.3).graphThrottleRate(0.005).graphUnavailableRate(0.003)
          .graphRetryAfter(Duration.ofSeconds(1));
      // and Graph's contract at its least convenient: MIME as raw text or base64 in either order, $expand refused
      // on delta, sizes left out
      faults.graphBatchBodies(BatchBodies.MIXED).graphRefuseExpandOnDelta(true).graphOmitSizeRate(0.5);
      m365.clearRequests();
      Product product = new Product();
      CheckpointStore store = new FileCheckpointStore(dir.resolve(kind));
      AtomicInteger arrived = new AtomicInteger(seeded);
      AtomicReference<MailImporter> importer = new AtomicReference<>();
      AtomicReference<Thread> restart = new AtomicReference<>();
      Run run;
      try (GraphMailboxConnector connector = GraphApps.connector(m365, credential, box.address())
            .requestWindow(WINDOW_LIFTED, Duration.ofMinutes(10)).build()) {
        Supplier<MailImporter> newImporter = () -> MailImporter.builder().connector(connector).handler(product)
            .checkpointStore(store).postAction(action).batchSize(25).build();
        importer.set(newImporter.get());
        CheckpointKey key = new CheckpointKey(connector.protocol().id(), connector.mailbox(), FolderRef.INBOX.toString());
        product.afterAccept = n -> {
          if (n == 80) {
            faults.dropDeltaTokens(); // in the middle of the first round
          }
          if (n == 130) { // a deploy stops the service while it imports
            Thread closer = new Thread(importer.get()::close, "soak-restart");
            restart.set(closer);
            closer.start();
          }
          return null;
        };
        run = drive(importer::get, store, key, Duration.ofSeconds(40), () -> arrived.get() >= total, r -> {
          Thread closer = restart.getAndSet(null);
          if (closer != null) { // ... and starts it again
            try {
              closer.join(10_000);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            assertThat(importer.get().health().health()).isEqualTo(MailboxHealth.STOPPED);
            importer.set(newImporter.get());
          } else if (r.completed() && arrived.get() < total) {
            faults.dropDeltaTokens(); // between rounds: the re-sync meets every message still in the Inbox
            arrive(box, arrived.getAndAdd(total - seeded), 18, 2, Duration.ofSeconds(30));
          }
        });
      } finally {
        faults.graphThrottleRate(0).graphUnavailableRate(0).tokenEndpointUnavailableRate(0);
        if (importer.get() != null) {
          importer.get().close();
        }
      }
      List<Delivery> accepted = product.acceptedCalls();
      System.out.printf(Locale.ROOT, "Graph soak (%s): %d messages, %d handler calls (%d accepted), %d passes"
          + " (%d failed), %d skipped as handled, %d x 429, %d x 503, %d x 410, %.1f s%n", action, expected.size(),
          product.calls.size(), accepted.size(), run.passes(), run.failedPasses(), run.skipped(), graphAnswers(429),
          graphAnswers(503), graphAnswers(410), run.took().toMillis() / 1000.0);
      assertEachOnce(accepted, expected);
      assertThat(graphAnswers(410)).as("delta tokens dropped in a round and between rounds").isGreaterThanOrEqualTo(2);
      Map<String, StoredMail> inbox = new HashMap<>();
      box.messages("Inbox").forEach(s -> inbox.put(s.internetMessageId(), s));
      if (action.kind() == PostAction.Kind.MARK_READ) {
        assertThat(inbox.keySet()).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(inbox.values()).as("read flags").allMatch(StoredMail::seen);
      } else {
        assertThat(inbox).as("left in the Inbox").isEmpty();
        assertThat(box.messages("Deleted Items").stream().map(StoredMail::internetMessageId).toList())
            .as("in Deleted Items").doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(expected);
      }
    }
    Secrets.assertLogsClean();
  }
}
