package org.o365mail.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.o365mail.FolderRef;
import org.o365mail.MailboxConnector;
import org.o365mail.Protocol;
import org.o365mail.SyncState;
import org.o365mail.ThrottledException;
import org.o365mail.importer.CheckpointStore;
import org.o365mail.importer.ImportCoordinator;
import org.o365mail.importer.MailImporter;
import org.o365mail.importer.MessageHandler;
import org.o365mail.testing.InMemoryMailboxConnector;

/**
 * The import and connector meters after a known sequence of events of real importers on in-memory mailboxes: each
 * meter's value, the mailbox tag (none by default, a hash or the address when asked) and what closing does.
 */
class ImportMetricsTest {
  private static final String BOX = "box@contoso.com";
  private static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  static byte[] message(String subject) {
    return ("Message-ID: <" + UUID.randomUUID() + "@test>\r\nFrom: a@fabrikam.com\r\nTo: " + BOX + "\r\nSubject: "
        + subject + "\r\n\r\nBody\r\n").getBytes(StandardCharsets.UTF_8);
  }

  /** Accepts everything but "poison" (always refused) and "flaky" (refused once). */
  static MessageHandler handler() {
    AtomicInteger flaky = new AtomicInteger();
    return m -> {
      String subject = m.summary().subject();
      if (subject.equals("poison") || subject.equals("flaky") && flaky.incrementAndGet() == 1) {
        throw new IOException("refused " + subject);
      }
    };
  }

  private static InMemoryMailboxConnector mailbox() {
    InMemoryMailboxConnector box = InMemoryMailboxConnector.builder().mailbox(BOX).clock(CLOCK).build();
    box.deliver(message("good"));
    box.deliver(message("flaky"));
    box.deliver(message("poison"));
    return box;
  }

  private MailImporter importer(O365MailMetrics metrics, MailboxConnector connector) {
    return MailImporter.builder().connector(metrics.timed(connector)).handler(handler()).handlerAttempts(2)
        .handlerBackoff(Duration.ZERO).clock(CLOCK).listener(metrics.importListener(BOX)).build();
  }

  private double count(String name, String... tags) {
    return registry.get(name).tags(tags).counter().count();
  }

  private double mailboxes(String state) {
    return registry.get("o365mail.import.mailboxes").tag("state", state).gauge().value();
  }

  @Test
  void importMeters_countMessagesFailuresParkingsHealthAndThrottling_afterAKnownSequence() {
    O365MailMetrics metrics = O365MailMetrics.builder().clock(CLOCK).build();
    metrics.bindTo(registry);
    InMemoryMailboxConnector box = mailbox();
    try (MailImporter importer = importer(metrics, box)) {
      assertThat(count("o365mail.import.messages")).isZero();
      assertThat(mailboxes("healthy")).isEqualTo(1);

      // pass 1: "good" and "flaky" (second attempt) imported, "poison" refused twice and parked
      importer.runOnce();
      assertThat(count("o365mail.import.messages")).isEqualTo(2);
      assertThat(count("o365mail.import.handler.failures", "exception", "IOException")).isEqualTo(3);
      assertThat(count("o365mail.import.parked")).isEqualTo(1);

      // pass 2: the service throttles for 30 s
      box.failNextSyncs(1, () -> new ThrottledException("throttled", Duration.ofSeconds(30), null, null));
      importer.runOnce();
      assertThat(mailboxes("throttled")).isEqualTo(1);
      assertThat(mailboxes("healthy")).isZero();
      assertThat(count("o365mail.import.throttled")).isEqualTo(1);
      Timer wait = registry.get("o365mail.import.throttle.wait").timer();
      assertThat(wait.count()).isEqualTo(1);
      assertThat(wait.totalTime(TimeUnit.SECONDS)).isEqualTo(30.0);

      // pass 3: healthy again, one new message
      box.deliver(message("later"));
      importer.runOnce();
      assertThat(mailboxes("healthy")).isEqualTo(1);
      assertThat(count("o365mail.import.messages")).isEqualTo(3);
      assertThat(count("o365mail.import.health.changes", "state", "throttled")).isEqualTo(1);
      assertThat(count("o365mail.import.health.changes", "state", "healthy")).isEqualTo(1);

      // the connector's calls, by protocol, operation and outcome
      Timer syncs = registry.get("o365mail.connector.requests").tags("protocol", "memory", "operation", "sync",
          "outcome", "success", "exception", "none").timer();
      assertThat(syncs.count()).isGreaterThanOrEqualTo(2);
      assertThat(registry.get("o365mail.connector.requests").tags("operation", "sync", "outcome", "error",
          "exception", "ThrottledException").timer().count()).isEqualTo(1);
    }
    // closed: it leaves the health gauge; the shared counters (no mailbox tag) stay
    assertThat(mailboxes("healthy")).isZero();
    assertThat(count("o365mail.import.messages")).isEqualTo(3);
  }

  @Test
  void connectorTimer_measuresEachCallOnTheRegistrysClock() {
    MockClock clock = new MockClock();
    SimpleMeterRegistry mocked = new SimpleMeterRegistry(SimpleConfig.DEFAULT, clock);
    O365MailMetrics metrics = O365MailMetrics.create();
    metrics.bindTo(mocked);
    InMemoryMailboxConnector box = mailbox();
    MailboxConnector timed = metrics.timed(box);
    box.failNextSyncs(1, () -> {
      clock.add(Duration.ofMillis(250)); // the service took 250 ms to say no
      return new ThrottledException("throttled", Duration.ofSeconds(1), null, null);
    });
    assertThatThrownBy(() -> timed.sync(FolderRef.INBOX, SyncState.BEGINNING, 10))
        .isInstanceOf(ThrottledException.class);
    Timer failed = mocked.get("o365mail.connector.requests").tags("protocol", "memory", "operation", "sync",
        "outcome", "error", "exception", "ThrottledException").timer();
    assertThat(failed.count()).isEqualTo(1);
    assertThat(failed.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(250.0);
    assertThat(timed.mailbox()).isEqualTo(BOX);
    assertThat(timed.protocol()).isEqualTo(Protocol.MEMORY);
  }

  @Test
  void byDefault_noTagHoldsTheMailboxAddress_andPerMailboxMetersCollapse() {
    O365MailMetrics metrics = O365MailMetrics.create();
    metrics.bindTo(registry);
    InMemoryMailboxConnector other = InMemoryMailboxConnector.builder().mailbox("other@contoso.com").clock(CLOCK)
        .build();
    other.deliver(message("good"));
    try (MailImporter a = importer(metrics, mailbox());
        MailImporter b = MailImporter.builder().connector(metrics.timed(other)).handler(handler()).build()) {
      metrics.bind(b);
      a.runOnce();
      b.runOnce();
    }
    assertThat(allTags()).isNotEmpty().noneMatch(t -> t.getKey().equals("mailbox"))
        .noneMatch(t -> t.getValue().contains("@") || t.getValue().contains("contoso"));
    assertThat(registry.get("o365mail.import.messages").counters()).hasSize(1);
    assertThat(count("o365mail.import.messages")).isEqualTo(3);
  }

  @Test
  void hashedTag_isAStablePseudonym_andAClosedImportersMetersAreRemoved() {
    O365MailMetrics metrics = O365MailMetrics.builder().mailboxTag(MailboxTagging.HASHED).clock(CLOCK).build();
    metrics.bindTo(registry);
    String hash;
    try (MailImporter importer = importer(metrics, mailbox())) {
      importer.runOnce();
      hash = registry.get("o365mail.import.messages").counter().getId().getTag("mailbox");
      assertThat(hash).matches("[0-9a-f]{16}")
          .isEqualTo(O365MailMetrics.builder().mailboxTag(MailboxTagging.HASHED).build().mailboxTags("BOX@contoso.com")
              .stream().findFirst().orElseThrow().getValue());
      assertThat(count("o365mail.import.messages", "mailbox", hash)).isEqualTo(2);
      assertThat(allTags()).noneMatch(t -> t.getValue().contains("contoso"));
    }
    // removed, not left at their last value: the mailbox may be imported by another instance now
    assertThat(registry.find("o365mail.import.messages").meters()).isEmpty();
    assertThat(registry.find("o365mail.import.handler.failures").meters()).isEmpty();
    assertThat(mailboxes("healthy")).isZero();
  }

  @Test
  void withACoordinator_eachHeldMailboxCounts_andItsMetersGoWhenTheCoordinatorLetsItGo() {
    O365MailMetrics metrics = O365MailMetrics.builder().mailboxTag(MailboxTagging.HASHED).build();
    metrics.bindTo(registry);
    Map<String, InMemoryMailboxConnector> boxes = new ConcurrentHashMap<>();
    for (String m : List.of("one@contoso.com", "two@contoso.com")) {
      InMemoryMailboxConnector box = InMemoryMailboxConnector.create(m);
      box.deliver(message("hello " + m));
      boxes.put(m, box);
    }
    ImportCoordinator coordinator = ImportCoordinator.builder().checkpointStore(CheckpointStore.inMemory())
        .owner("metrics-test").mailboxes(List.copyOf(boxes.keySet()))
        .importers(m -> MailImporter.builder().connector(metrics.timed(boxes.get(m))).handler(msg -> { })
            .listener(metrics.importListener(m)))
        .build();
    try {
      coordinator.rebalance();
      assertThat(coordinator.held()).hasSize(2);
      for (String m : boxes.keySet()) {
        coordinator.importer(m).orElseThrow().runOnce();
      }
      assertThat(mailboxes("healthy")).isEqualTo(2);
      assertThat(registry.get("o365mail.import.messages").counters()).hasSize(2)
          .allSatisfy(c -> assertThat(c.count()).isEqualTo(1));
    } finally {
      coordinator.close();
    }
    assertThat(mailboxes("healthy")).isZero();
    assertThat(registry.find("o365mail.import.messages").meters()).isEmpty();
    assertThat(registry.find("o365mail.connector.requests").meters()).as("the importers closed their connectors")
        .isEmpty();
  }

  @Test
  void addressTag_onlyWhenAsked() {
    O365MailMetrics metrics = O365MailMetrics.builder().mailboxTag(MailboxTagging.ADDRESS).build();
    metrics.bindTo(registry);
    try (MailImporter importer = importer(metrics, mailbox())) {
      importer.runOnce();
      assertThat(count("o365mail.import.messages", "mailbox", BOX)).isEqualTo(2);
      assertThat(registry.get("o365mail.connector.requests").tag("mailbox", BOX).timers()).isNotEmpty();
    }
  }

  @Test
  void close_removesEveryMeter_laterEventsCountNowhere_untilBoundAgain() {
    O365MailMetrics metrics = O365MailMetrics.create();
    metrics.bindTo(registry);
    InMemoryMailboxConnector box = mailbox();
    try (MailImporter importer = importer(metrics, box)) {
      importer.runOnce();
      assertThat(registry.getMeters()).isNotEmpty();
      metrics.close();
      assertThat(registry.getMeters()).isEmpty();
      box.deliver(message("after"));
      importer.runOnce();
      assertThat(registry.getMeters()).isEmpty();

      // bound again: counting starts over in the registry, not on the counters removed from it
      metrics.bindTo(registry);
      box.deliver(message("bound again"));
      importer.runOnce();
      assertThat(count("o365mail.import.messages")).isEqualTo(1);
    }
  }

  @Test
  void exceptionTag_isTheSimpleClassName_orTheFullNameOfAnAnonymousClass() {
    assertThat(O365MailMetrics.exceptionName(new IOException("disk full"))).isEqualTo("IOException");
    RuntimeException anonymous = new RuntimeException() { };
    assertThat(O365MailMetrics.exceptionName(anonymous)).isEqualTo(anonymous.getClass().getName()).isNotEmpty();
  }

  @Test
  void bindingToASecondRegistry_isRefused() {
    O365MailMetrics metrics = O365MailMetrics.create();
    metrics.bindTo(registry);
    metrics.bindTo(registry);
    assertThatThrownBy(() -> metrics.bindTo(new SimpleMeterRegistry())).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("CompositeMeterRegistry");
  }

  private Set<Tag> allTags() {
    return registry.getMeters().stream().map(Meter::getId).flatMap(id -> id.getTags().stream())
        .collect(Collectors.toSet());
  }

  static List<String> names(SimpleMeterRegistry r) {
    return r.getMeters().stream().map(m -> m.getId().getName()).distinct().sorted().toList();
  }
}
