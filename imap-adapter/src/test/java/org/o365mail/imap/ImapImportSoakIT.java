package org.o365mail.imap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.o365mail.DeleteMode;
import org.o365mail.FolderRef;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.importer.Checkpoint;
import org.o365mail.importer.CheckpointKey;
import org.o365mail.importer.CheckpointStore;
import org.o365mail.importer.HealthState;
import org.o365mail.importer.ImportListener;
import org.o365mail.importer.ImportResult;
import org.o365mail.importer.IncomingMessage;
import org.o365mail.importer.MailImporter;
import org.o365mail.importer.MailboxHealth;
import org.o365mail.importer.PostAction;
import org.o365mail.testsupport.CapturingLoggerProvider;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testsupport.Secrets;
import org.o365mail.testsupport.Tenants;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.RecordedRequest;
import org.o365mail.testkit.StoredMail;
import org.o365mail.testkit.TestMessages;

/**
 * The crash-safe import (issue 6) over IMAP, soaked: thousands of messages through {@link MailImporter} and {@link
 * ImapMailboxConnector} while the local tenant misbehaves, all at once, the ways Entra ID and Exchange Online do
 * during a long import:
 *
 * <ul>
 *   <li>the token endpoint answers {@code 503 temporarily_unavailable} (Retry-After 1 s) to a fifth of requests;
 *   <li>access tokens last 20 s of the tenant's time, which the handler moves on by 40 ms a message, so connections
 *       are logged in again before {@code exp}; for a stretch the client's clock runs 30 s behind the tenant's, so
 *       Exchange ends sessions with {@code BYE ... AccessTokenExpired} instead;
 *   <li>connections are dropped without a BYE after a share of commands and after every 800 or so FETCH answers,
 *       and a mailbox takes at most two connections;
 *   <li>logins are throttled ({@code Suggested Backoff Time}) for longer than the connector's retry budget, and a
 *       share of every other command is throttled too ({@code NO} or {@code BAD}, with or without {@code * BYE});
 *   <li>outages: the IMAP front drops every connection, later the token endpoint answers only 503, each until a pass
 *       of the import fails for it;
 *   <li>Exchange renumbers the Inbox (a new UIDVALIDITY) once, from inside the handler, in the middle of a batch.
 * </ul>
 *
 * <p>The guarantee under test: no message is lost, and a message is handed to the handler again only if the process
 * died after the handler accepted it and before its checkpoint was written. One process that never dies must
 * therefore hand every message out exactly once, never flagged as a possible redelivery, and carry out every
 * post-action. The import is driven with {@link MailImporter#runOnce()} until a pass completes with nothing new and no
 * post-action pending; every wait is bounded. The 5,000-message run uses sync batches of 500, as an importer would;
 * the figures are printed on one line.
 */
@ExtendWith({FreshLogs.class, LeakCheck.class})
class ImapImportSoakIT {
  private static final long SEED = 20_260_106L;

  @RegisterExtension
  static final LocalTenantExtension M365 = LocalTenantExtension.create(LocalTenant.builder().seed(SEED));

  /** Tenant time the handler lets pass per message: 5,000 messages cover ten token lifetimes on top of real time. */
  private static final Duration TENANT_TIME_PER_MESSAGE = Duration.ofMillis(40);
  private static final Duration TOKEN_LIFETIME = Duration.ofSeconds(20);
  private static final double TOKEN_503_RATE = 0.2;

  static LocalTenant m365;
  static Exchange contoso;

  @BeforeAll
  static void tenant() {
    m365 = M365.tenant();
    contoso = new Exchange(m365, "contoso.com");
  }

  @AfterAll
  static void close() {
    contoso.close();
  }

  @Test
  @Timeout(value = 110, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void markRead_5000Messages_underEveryFault_eachHandedOutOnce_andAllMarkedRead() {
    int messages = 5_000;
    Mailbox mailbox = contoso.mailbox("soak");
    Map<String, String> subjects = seed(mailbox, messages);

    Soak soak = new Soak(mailbox, PostAction.markRead(), 500, Duration.ofSeconds(95));
    soak.faults(800, 0.02);
    soak.at(1_000, () -> m365.faults().imapThrottle(mailbox.address(), Duration.ofMillis(1_500), 2));
    // the login throttle ends before the IMAP outage: a throttled login during the outage would be reported as
    // throttling (rightly), and the outage must be seen as what it is
    soak.at(2_500, () -> m365.faults().clearImapThrottle(mailbox.address()));
    soak.at(1_500, () -> m365.faults().imapThrottleCommands(0.05, Duration.ofMillis(20)));
    soak.at(2_000, soak::clientClockSlow);
    soak.at(2_537, soak::renumberInbox);
    soak.at(3_300, soak::clientClockRight);
    soak.at(3_300, soak::imapDown);
    soak.at(4_000, soak::tokenEndpointDown);
    Report report = soak.run();
    report.print("mark read");

    report.assertEachHandedOutOnce(subjects);
    List<StoredMail> inbox = mailbox.messages("Inbox");
    assertThat(inbox).hasSize(messages);
    assertThat(inbox.stream().filter(m -> !m.seen()).map(StoredMail::subject).toList())
        .as("messages left unread").isEmpty();
    assertThat(report.healthStates()).as("health reported along the way")
        .contains(MailboxHealth.THROTTLED, MailboxHealth.DEGRADED);
    report.assertHealthMadeSense();
    assertThat(report.uidValidityChanges).isEqualTo(1);
    assertThat(report.proactiveRelogins).as("logins renewed before the token's exp").isPositive();
    assertThat(report.tokenExpiredByes).as("sessions ended by Exchange with AccessTokenExpired").isPositive();
    assertThat(report.dropped).as("connections the IMAP front dropped").isGreaterThanOrEqualTo(3);
    assertThat(report.throttledLogins).as("logins refused as throttled").isPositive();
    assertThat(report.throttledCommands).as("other commands refused as throttled").isPositive();
    assertThat(report.token503s).as("token requests answered 503").isPositive();
    assertLogsClean();
  }

  @ParameterizedTest
  @EnumSource(DeleteMode.class)
  @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void delete_400Messages_underFaults_eachHandedOutOnce_andGoneFromTheInbox(DeleteMode mode) {
    int messages = 400;
    Mailbox mailbox = contoso.mailbox("soak-delete");
    Map<String, String> subjects = seed(mailbox, messages);
    Set<String> deletedItemsBefore = messageIds(mailbox.messages("Deleted Items"));

    Soak soak = new Soak(mailbox, PostAction.delete(mode), 50, Duration.ofSeconds(45));
    soak.faults(300, 0.005);
    if (mode == DeleteMode.MOVE_TO_DELETED_ITEMS) {
      // the fallback without MOVE (COPY, \Deleted, UID EXPUNGE) is the one a lost connection can leave half done
      m365.faults().imapAdvertiseMove(false);
    }
    soak.at(100, () -> m365.faults().imapThrottle(mailbox.address(), Duration.ofMillis(1_500), 1));
    soak.at(150, () -> m365.faults().imapThrottleCommands(0.02, Duration.ofMillis(20)));
    soak.at(213, soak::renumberInbox);
    Report report = soak.run();
    report.print("delete, " + mode);

    report.assertEachHandedOutOnce(subjects);
    assertThat(mailbox.messages("Inbox")).extracting(StoredMail::subject).as("left in the Inbox").isEmpty();
    List<StoredMail> deleted = mailbox.messages("Deleted Items").stream()
        .filter(m -> !deletedItemsBefore.contains(m.internetMessageId())).toList();
    if (mode == DeleteMode.MOVE_TO_DELETED_ITEMS) {
      assertThat(deleted).extracting(StoredMail::internetMessageId).as("in Deleted Items, each once")
          .doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(subjects.values());
    } else {
      assertThat(deleted).extracting(StoredMail::subject).as("in Deleted Items after a permanent delete").isEmpty();
    }
    assertThat(report.healthStates()).as("health reported along the way").contains(MailboxHealth.THROTTLED);
    report.assertHealthMadeSense();
    assertThat(report.uidValidityChanges).isEqualTo(1);
    assertThat(report.throttledCommands).as("commands refused as throttled").isPositive();
    assertLogsClean();
  }

  /**
   * Contract mode ({@link org.o365mail.testkit.Faults#contract()}) with several seeds, each a tenant of its own: 300
   * messages marked read while one IMAP command in a hundred is throttled as Exchange does it (NO or BAD, with or
   * without {@code * BYE}), connections drop, tokens live 20 s and the Inbox is renumbered. Each message handed out
   * once and marked read, whatever the seed drew.
   */
  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {31, 32, 33})
  @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void contractMode_severalSeeds_eachHandedOutOnce_andMarkedRead(long seed) {
    try (LocalTenant tenant = LocalTenant.builder().seed(seed).contract().start();
        Exchange exchange = new Exchange(tenant, "contract" + seed + ".com")) {
      Mailbox mailbox = exchange.mailbox("contract");
      Map<String, String> subjects = seed(mailbox, 300);
      Soak soak = new Soak(exchange, mailbox, PostAction.markRead(), 10, Duration.ofSeconds(45));
      soak.faults(120, 0.005);
      // on top of contract mode's one in a hundred: more, and two UID FETCHes for certain
      tenant.faults().imapThrottleCommands(0.05, Duration.ofMillis(20))
          .imapThrottleCommand("UID FETCH", 2, Duration.ofMillis(20));
      soak.at(170, soak::renumberInbox);
      Report report = soak.run();
      report.print("contract mode, seed " + seed);
      report.assertEachHandedOutOnce(subjects);
      assertThat(mailbox.messages("Inbox")).hasSize(300).allMatch(StoredMail::seen);
      assertThat(report.throttledCommands).as("commands refused as throttled").isPositive();
      report.assertHealthMadeSense();
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // the soak

  /** {@code count} small messages, a second apart, in the Inbox; returns subject to Message-ID. */
  private static Map<String, String> seed(Mailbox mailbox, int count) {
    Instant first = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(count);
    Map<String, String> subjects = new LinkedHashMap<>();
    for (int i = 1; i <= count; i++) {
      String subject = String.format(Locale.ROOT, "Soak %05d", i);
      String messageId = TestMessages.newMessageId();
      mailbox.deliver("Inbox", TestMessages.text("sender@fabrikam.com", mailbox.address(), subject,
          "Body of " + subject, messageId), false, first.plusSeconds(i));
      subjects.put(subject, messageId);
    }
    return subjects;
  }

  private static Set<String> messageIds(List<StoredMail> mails) {
    return mails.stream().map(StoredMail::internetMessageId).collect(Collectors.toSet());
  }

  /** No secret or token in any captured log line, and the capture (which stops at 500,000 lines) saw them all. */
  private static void assertLogsClean() {
    assertThat(CapturingLoggerProvider.lines().size()).as("captured log lines").isLessThan(500_000);
    Secrets.assertLogsClean();
  }

  private static long logLines(String... words) {
    return CapturingLoggerProvider.count(words);
  }

  /** A clock that runs {@code lag} behind another: a client whose clock is slow against the server's. */
  private static final class LaggingClock extends Clock {
    private final Clock base;
    private final AtomicReference<Duration> lag;

    LaggingClock(Clock base, AtomicReference<Duration> lag) {
      this.base = base;
      this.lag = lag;
    }

    @Override
    public ZoneId getZone() {
      return base.getZone();
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException("a test clock");
    }

    @Override
    public Instant instant() {
      return base.instant().minus(lag.get());
    }
  }

  /** One delivery the handler accepted. */
  record Delivery(String key, String messageId, String subject, boolean possibleRedelivery, int attempt) {}

  /** One import of one mailbox under faults. */
  private static final class Soak {
    /** The tenant and its Exchange model this soak runs on (the class's own, or one of a seed's own). */
    final LocalTenant m365;
    final Exchange contoso;
    final Mailbox mailbox;
    final PostAction postAction;
    final int batchSize;
    final Duration budget;
    final AtomicReference<Duration> clientClockLag = new AtomicReference<>(Duration.ZERO);
    final Map<Integer, List<Runnable>> events = new HashMap<>();
    final List<Delivery> deliveries = Collections.synchronizedList(new ArrayList<>());
    final List<HealthState> health = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger accepted = new AtomicInteger();
    final AtomicInteger refusedReads = new AtomicInteger();
    List<HealthState> healthAtEnd = List.of();
    int dropAfterFetches;
    double dropRate;
    volatile boolean outage;
    int uidValidityChanges;

    Soak(Mailbox mailbox, PostAction postAction, int batchSize, Duration budget) {
      this(ImapImportSoakIT.contoso, mailbox, postAction, batchSize, budget);
    }

    Soak(Exchange exchange, Mailbox mailbox, PostAction postAction, int batchSize, Duration budget) {
      this.m365 = exchange.m365;
      this.contoso = exchange;
      this.mailbox = mailbox;
      this.postAction = postAction;
      this.batchSize = batchSize;
      this.budget = budget;
    }

    /** The faults on for the whole import. */
    void faults(int dropAfterFetches, double dropRate) {
      this.dropAfterFetches = dropAfterFetches;
      this.dropRate = dropRate;
      m365.faults()
          .accessTokenLifetime(TOKEN_LIFETIME)
          .tokenEndpointUnavailableRate(TOKEN_503_RATE)
          .imapDropAfterFetches(dropAfterFetches)
          .imapDropRate(dropRate)
          .imapMaxConnectionsPerMailbox(2);
    }

    /** Runs {@code event} inside the handler, while it handles the {@code n}th message. */
    void at(int n, Runnable event) {
      events.computeIfAbsent(n, k -> new ArrayList<>()).add(event);
    }

    /**
     * The client's clock falls 30 s behind the tenant's, more than a token lives, and connections are no longer dropped
     * by FETCH count: they live past their token's {@code exp} by the tenant's clock while the connector thinks the
     * token fresh, and Exchange ends them.
     */
    void clientClockSlow() {
      clientClockLag.set(Duration.ofSeconds(30));
      m365.faults().imapDropAfterFetches(0);
    }

    void clientClockRight() {
      clientClockLag.set(Duration.ZERO);
      m365.faults().imapDropAfterFetches(dropAfterFetches);
    }

    void renumberInbox() {
      long before = mailbox.uidValidity("Inbox");
      assertThat(mailbox.resetUidValidity("Inbox")).isNotEqualTo(before);
      uidValidityChanges++;
    }

    /** Every token request is answered 503 until a pass of the import fails for it. */
    void tokenEndpointDown() {
      outage = true;
      m365.faults().tokenEndpointUnavailableRate(1.0);
    }

    /** Every IMAP connection is dropped after its first command until a pass of the import fails for it. */
    void imapDown() {
      outage = true;
      m365.faults().imapDropRate(1.0);
    }

    void outageOver() {
      if (outage) {
        outage = false;
        m365.faults().tokenEndpointUnavailableRate(TOKEN_503_RATE).imapDropRate(dropRate);
      }
    }

    void handle(IncomingMessage m) throws IOException {
      byte[] mime;
      try (InputStream in = m.openMime()) {
        mime = in.readAllBytes();
      } catch (RuntimeException | IOException e) {
        refusedReads.incrementAndGet();
        Secrets.assertClean(e);
        throw e;
      }
      String text = new String(mime, StandardCharsets.UTF_8);
      assertThat(text).as("MIME of %s", m.idempotencyKey())
          .startsWith("Message-ID: " + m.summary().internetMessageId().orElseThrow())
          .contains("Subject: " + m.summary().subject() + "\r\n");
      assertThat((long) mime.length).as("size of %s", m.idempotencyKey()).isEqualTo(m.summary().size().orElseThrow());
      deliveries.add(new Delivery(m.idempotencyKey(), m.summary().internetMessageId().orElse(null),
          m.summary().subject(),
          m.possibleRedelivery(), m.attempt()));
      int n = accepted.incrementAndGet();
      m365.clock().advance(TENANT_TIME_PER_MESSAGE);
      events.getOrDefault(n, List.of()).forEach(Runnable::run);
    }

    Report run() {
      long tokenRequestsBefore = m365.tokenRequestCount();
      long token503sBefore = token503s();
      Counts before = new Counts();
      CredentialStrategy credential = contoso.keep(CredentialStrategy.clientCredentials(
              Tenants.app(m365, contoso.tenant, contoso.daemon))
          .secret(ClientSecret.of(contoso.daemonSecret.value()))
          .clock(m365.clock())
          .build());
      CheckpointStore store = CheckpointStore.inMemory();
      CheckpointKey key = new CheckpointKey("imap", mailbox.address(), FolderRef.INBOX.toString());
      long start = System.nanoTime();
      long deadline = start + budget.toNanos();
      int passes = 0;
      int failedPasses = 0;
      try (ImapMailboxConnector connector = contoso.connector(mailbox, credential)
              .clock(new LaggingClock(m365.clock(), clientClockLag))
              .throttleBudget(Duration.ofSeconds(1))
              .timeout(Duration.ofSeconds(10))
              .build();
          MailImporter importer = MailImporter.builder()
              .connector(connector)
              .handler(this::handle)
              .checkpointStore(store)
              .postAction(postAction)
              .batchSize(batchSize)
              .handlerBackoff(Duration.ofMillis(50))
              .closeTimeout(Duration.ofSeconds(5))
              .listener(new ImportListener() {
                @Override
                public void healthChanged(HealthState previous, HealthState current) {
                  health.add(current);
                }
              })
              .build()) {
        while (true) {
          if (System.nanoTime() - deadline > 0) {
            fail("the import did not finish within %s: %d of %d messages handed out in %d passes, health %s",
                budget, accepted.get(), mailbox.count("Inbox"), passes, importer.health());
          }
          ImportResult result = importer.runOnce();
          passes++;
          if (!result.completed()) {
            failedPasses++;
            outageOver();
            pause(); // Exchange's backoff is waited out on the monotonic clock, which no test clock moves
            continue;
          }
          Checkpoint checkpoint = store.load(key).orElseThrow();
          if (result.imported() == 0 && checkpoint.pending().isEmpty()) {
            assertThat(checkpoint.deadLetters()).as("parked messages").isEmpty();
            assertThat(importer.health().health()).isEqualTo(MailboxHealth.HEALTHY);
            healthAtEnd = List.copyOf(health); // closing adds STOPPED
            break;
          }
        }
      }
      return new Report(this, passes, failedPasses, System.nanoTime() - start,
          m365.tokenRequestCount() - tokenRequestsBefore, token503s() - token503sBefore, new Counts().minus(before));
    }

    private static void pause() {
      try {
        TimeUnit.MILLISECONDS.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }

    private long token503s() {
      return m365.count(r -> r.service().equals("identity") && r.path().endsWith("/oauth2/v2.0/token")
          && r.status() == 503);
    }
  }

  /** What the logs say happened to connections: counted before and after a soak. */
  private static final class Counts {
    final long dropped;
    final long lost;
    final long expired;
    final long renewed;

    Counts() {
      this(logLines("testkit.ImapSession", "dropping the connection as the faults ask"),
          logLines("MailboxSession", "connection lost during"),
          logLines("MailboxSession", "connection lost during", "access token expired"),
          logLines("MailboxSession", "logging in again on a new connection"));
    }

    private Counts(long dropped, long lost, long expired, long renewed) {
      this.dropped = dropped;
      this.lost = lost;
      this.expired = expired;
      this.renewed = renewed;
    }

    Counts minus(Counts before) {
      return new Counts(dropped - before.dropped, lost - before.lost, expired - before.expired,
          renewed - before.renewed);
    }
  }

  /** What a soak did, and the checks on it. */
  private static final class Report {
    final long seed;
    final List<Delivery> deliveries;
    final List<HealthState> health;
    final int refusedReads;
    final int uidValidityChanges;
    final int passes;
    final int failedPasses;
    final long nanos;
    final long tokenRequests;
    final long token503s;
    final long dropped;
    final long connectionsLost;
    final long tokenExpiredByes;
    final long proactiveRelogins;
    final long logins;
    final long throttledLogins;
    final long throttledCommands;

    Report(Soak soak, int passes, int failedPasses, long nanos, long tokenRequests, long token503s, Counts counts) {
      this.seed = soak.m365.faults().seed();
      this.deliveries = List.copyOf(soak.deliveries);
      this.health = soak.healthAtEnd;
      this.refusedReads = soak.refusedReads.get();
      this.uidValidityChanges = soak.uidValidityChanges;
      this.passes = passes;
      this.failedPasses = failedPasses;
      this.nanos = nanos;
      this.tokenRequests = tokenRequests;
      this.token503s = token503s;
      this.dropped = counts.dropped;
      this.connectionsLost = counts.lost;
      this.tokenExpiredByes = counts.expired;
      this.proactiveRelogins = counts.renewed;
      List<RecordedRequest> logins = soak.m365.requests("imap").stream()
          .filter(r -> r.path().equalsIgnoreCase(soak.mailbox.address())).toList();
      this.logins = logins.stream().filter(r -> r.attribute("outcome").equals("OK")).count();
      this.throttledLogins = logins.stream().filter(r -> r.attribute("outcome").equals("THROTTLED")
          && r.method().startsWith("AUTHENTICATE")).count();
      this.throttledCommands = logins.stream().filter(r -> r.attribute("outcome").equals("THROTTLED")
          && !r.method().startsWith("AUTHENTICATE")).count();
    }

    /** Every message handed out and accepted exactly once, by Message-ID and by key, never as a redelivery. */
    void assertEachHandedOutOnce(Map<String, String> subjects) {
      Map<String, Long> perMessage = deliveries.stream()
          .collect(Collectors.groupingBy(Delivery::messageId, Collectors.counting()));
      Map<String, Long> repeated = perMessage.entrySet().stream().filter(e -> e.getValue() > 1)
          .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
      assertThat(repeated).as("messages handed out more than once (Message-ID: deliveries)").isEmpty();
      assertThat(deliveries).extracting(Delivery::key).as("idempotency keys").doesNotHaveDuplicates();
      Set<String> missing = new HashSet<>(subjects.values());
      missing.removeAll(perMessage.keySet());
      assertThat(missing).as("messages never handed out").isEmpty();
      assertThat(perMessage.keySet()).as("only the seeded messages")
          .containsExactlyInAnyOrderElementsOf(subjects.values());
      for (Delivery d : deliveries) {
        assertThat(subjects.get(d.subject())).as("Message-ID of %s", d.subject()).isEqualTo(d.messageId());
      }
      assertThat(deliveries).filteredOn(Delivery::possibleRedelivery).as("flagged as possible redeliveries")
          .isEmpty();
    }

    List<MailboxHealth> healthStates() {
      return health.stream().map(HealthState::health).toList();
    }

    /**
     * Faults of the service show as DEGRADED or THROTTLED, with a diagnosis free of secrets, never as a problem a
     * person would have to fix (consent, sign-in, an expired secret); and the import ends HEALTHY.
     */
    void assertHealthMadeSense() {
      assertThat(healthStates()).as("health changes")
          .allMatch(h -> h == MailboxHealth.HEALTHY || h == MailboxHealth.DEGRADED || h == MailboxHealth.THROTTLED);
      if (!health.isEmpty()) {
        assertThat(healthStates().get(health.size() - 1)).as("health at the end").isEqualTo(MailboxHealth.HEALTHY);
      }
      for (HealthState h : health) {
        if (h.health() != MailboxHealth.HEALTHY) {
          assertThat(h.diagnosis()).as("diagnosis of %s", h.health()).isPresent();
          Secrets.assertClean("diagnosis", h.diagnosis().orElseThrow().describe());
        }
      }
    }

    void print(String what) {
      System.out.printf(Locale.ROOT,
          "IMAP import soak (%s): %d messages handed out, %d duplicates, %d passes (%d failed), %d reads refused,"
              + " %d connections dropped by the faults, %d lost by the connector (%d ended AccessTokenExpired),"
              + " %d logins (%d throttled, %d renewed before exp), %d other commands throttled,"
              + " %d token requests (%d answered 503),"
              + " %d UIDVALIDITY change, health %s, %.1f s, seed %d%n",
          what, deliveries.size(), deliveries.size() - deliveries.stream().map(Delivery::messageId).distinct().count(),
          passes, failedPasses, refusedReads, dropped, connectionsLost, tokenExpiredByes, logins, throttledLogins,
          proactiveRelogins, throttledCommands, tokenRequests, token503s, uidValidityChanges,
          healthStates().stream().map(Enum::name).collect(Collectors.joining(">")), nanos / 1e9, seed);
    }
  }
}
