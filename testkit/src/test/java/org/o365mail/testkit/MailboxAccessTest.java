package org.o365mail.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Who touched which mailbox and when ({@link LocalTenant#mailboxAccess()}), seen through real IMAP, SMTP and HTTPS
 * clients of two (or three) apps: overlaps when their sessions or requests really are in flight at once, none when
 * they take turns, and the handovers with their instants moved by the tenant clock.
 */
@Timeout(60)
class MailboxAccessTest {
  private static LocalTenant m365;
  private static Contoso contoso;
  /** A second daemon app with IMAP.AccessAsApp and FullAccess on the test mailboxes: another instance. */
  private static Application second;
  private static PasswordCredential secondSecret;
  /** An app with Graph Mail.Read only. */
  private static Application graphApp;
  private static PasswordCredential graphSecret;
  private static Application graphApp2;
  private static PasswordCredential graphSecret2;
  private static int boxes;

  @BeforeAll
  static void start() {
    m365 = LocalTenant.start();
    contoso = new Contoso(m365);
    second = contoso.tenant.registerApp("Importer instance 2");
    secondSecret = second.addClientSecret("prod", Duration.ofDays(180));
    second.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp").grantAdminConsent();
    contoso.tenant.registerExchangeServicePrincipal(second);
    graphApp = graphApp("Graph importer 1");
    graphSecret = graphApp.addClientSecret("prod", Duration.ofDays(180));
    graphApp2 = graphApp("Graph importer 2");
    graphSecret2 = graphApp2.addClientSecret("prod", Duration.ofDays(180));
  }

  private static Application graphApp(String name) {
    Application app = contoso.tenant.registerApp(name);
    app.addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "Mail.Read").grantAdminConsent();
    return app;
  }

  @AfterAll
  static void stop() {
    m365.close();
  }

  @BeforeEach
  void clear() {
    m365.clearRecorded();
  }

  @AfterEach
  void resetClockAndFaults() {
    m365.clock().setOffset(Duration.ZERO);
    m365.faults().graphProcessingTime(Duration.ZERO);
  }

  /** A fresh mailbox both IMAP apps hold FullAccess on. */
  private static Mailbox box() {
    Mailbox box = contoso.newMailbox("shared" + (++boxes));
    ExchangeServicePrincipal sp = contoso.tenant.exchangeServicePrincipals().stream()
        .filter(p -> p.appId().equalsIgnoreCase(second.clientId())).findFirst().orElseThrow();
    contoso.tenant.addMailboxPermission(box.address(), sp.objectId(), "FullAccess");
    return box;
  }

  private static String firstToken() {
    return contoso.appToken();
  }

  private static String secondToken() {
    return contoso.http.clientCredentialsToken(contoso.tenant, second, secondSecret, Contoso.EXCHANGE);
  }

  private static String graphToken(Application app, PasswordCredential secret) {
    return contoso.http.clientCredentialsToken(contoso.tenant, app, secret, "https://graph.microsoft.com/.default");
  }

  /** An IMAP session logged in to {@code box} with {@code token}. */
  private static Wire imapSession(Mailbox box, String token) {
    Wire wire = Wire.tls(m365, m365.imapPort());
    wire.readLine();
    List<String> answer = wire.imap("A1", "AUTHENTICATE XOAUTH2 " + Wire.xoauth2(box.address(), token));
    assertThat(answer.get(answer.size() - 1)).isEqualTo("A1 OK AUTHENTICATE completed.");
    return wire;
  }

  private static void logout(Wire wire) {
    List<String> answer = wire.imap("Z", "LOGOUT");
    assertThat(answer.get(answer.size() - 1)).startsWith("Z OK");
  }

  private static TestHttp.Response listMessages(String token, Mailbox box) {
    return contoso.http.get(m365.graphBaseUrl() + "/users/" + box.address().replace("@", "%40")
        + "/messages?$select=subject", "Authorization", "Bearer " + token);
  }

  /** Waits (up to 10 s) for the tenant to see what the client did on another thread; no assertion on the time. */
  private static MailboxAccess awaitAccess(java.util.function.Predicate<MailboxAccess> condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    MailboxAccess access = m365.mailboxAccess();
    while (!condition.test(access) && System.nanoTime() < deadline) {
      Thread.sleep(10);
      access = m365.mailboxAccess();
    }
    return access;
  }

  @Test
  void imapSessionsOfTwoApps_openAtOnce_areReportedAsAnOverlap() {
    Mailbox box = box();
    String first = contoso.daemon.clientId();
    try (Wire a = imapSession(box, firstToken())) {
      Instant beforeSecond = m365.clock().instant();
      try (Wire b = imapSession(box, secondToken())) {
        MailboxAccess access = m365.mailboxAccess();
        assertThat(access.overlaps()).singleElement().satisfies(o -> {
          assertThat(o.mailbox()).isEqualTo(box.address());
          assertThat(o.client()).isEqualTo(first);
          assertThat(o.otherClient()).isEqualTo(second.clientId());
          assertThat(o.at()).isAfterOrEqualTo(beforeSecond);
        });
        assertThat(access.active()).containsEntry(box.address(), Set.of(first, second.clientId()));
        assertThat(access.handovers(box.address())).singleElement().satisfies(h -> {
          assertThat(h.fromClient()).isEqualTo(first);
          assertThat(h.toClient()).isEqualTo(second.clientId());
          assertThat(h.gap()).isZero();
        });
        logout(b);
      }
      logout(a);
    }
    MailboxAccess after = m365.mailboxAccess();
    assertThat(after.active()).isEmpty();
    assertThat(after.overlaps()).hasSize(1);
    assertThat(after.droppedOverlaps()).isZero();
  }

  @Test
  void imapSessionsTakingTurns_withLogout_noOverlap_andOneHandoverAtTheTenantClocksInstants() {
    Mailbox box = box();
    Instant firstLoggedOut;
    try (Wire a = imapSession(box, firstToken())) {
      a.imap("A2", "SELECT INBOX");
      logout(a);
      firstLoggedOut = m365.clock().instant();
    }
    // the second instance takes the mailbox over ten minutes later (tenant time)
    m365.clock().advance(Duration.ofMinutes(10));
    Instant secondLogsIn = m365.clock().instant();
    try (Wire b = imapSession(box, secondToken())) {
      logout(b);
    }
    MailboxAccess access = m365.mailboxAccess();
    assertThat(access.overlaps()).isEmpty();
    assertThat(access.handovers(box.address())).singleElement().satisfies(h -> {
      assertThat(h.fromClient()).isEqualTo(contoso.daemon.clientId());
      assertThat(h.toClient()).isEqualTo(second.clientId());
      assertThat(h.fromLastActivity()).isBeforeOrEqualTo(firstLoggedOut);
      assertThat(h.toFirstActivity()).isAfterOrEqualTo(secondLogsIn);
      assertThat(h.gap()).isGreaterThanOrEqualTo(Duration.ofMinutes(10));
    });
    assertThat(access.mailboxesOf(contoso.daemon.clientId())).containsExactly(box.address());
    assertThat(access.mailboxesOf(second.clientId())).containsExactly(box.address());
  }

  @Test
  void imapSessionEndedBySocketClose_withoutLogout_isNoLongerInFlight_andTheNextAppDoesNotOverlapIt()
      throws InterruptedException {
    Mailbox box = box();
    Wire a = imapSession(box, firstToken());
    assertThat(m365.mailboxAccess().active()).containsKey(box.address());
    a.close(); // as a killed process's socket: no LOGOUT
    MailboxAccess closed = awaitAccess(access -> access.active().isEmpty());
    assertThat(closed.active()).isEmpty();

    try (Wire b = imapSession(box, secondToken())) {
      logout(b);
    }
    MailboxAccess access = m365.mailboxAccess();
    assertThat(access.overlaps()).isEmpty();
    assertThat(access.handovers(box.address())).extracting(MailboxAccess.Handover::toClient)
        .containsExactly(second.clientId());
  }

  @Test
  void graphRequest_whileAnotherAppsImapSessionIsOpen_isAnOverlap_andAfterItsLogout_isAHandover() {
    Mailbox box = box();
    String graphToken = graphToken(graphApp, graphSecret);
    try (Wire a = imapSession(box, firstToken())) {
      assertThat(listMessages(graphToken, box)).extracting(TestHttp.Response::status, TestHttp.Response::text).first().isEqualTo(200);
      logout(a);
    }
    assertThat(listMessages(graphToken, box)).extracting(TestHttp.Response::status, TestHttp.Response::text).first().isEqualTo(200);

    MailboxAccess access = m365.mailboxAccess();
    assertThat(access.overlaps()).singleElement().satisfies(o -> {
      assertThat(o.client()).isEqualTo(contoso.daemon.clientId());
      assertThat(o.otherClient()).isEqualTo(graphApp.clientId());
    });
    // a handover is counted when a client begins: the IMAP session ending after the first request hands nothing over
    assertThat(access.handovers(box.address())).singleElement().satisfies(h -> {
      assertThat(h.fromClient()).isEqualTo(contoso.daemon.clientId());
      assertThat(h.toClient()).isEqualTo(graphApp.clientId());
      assertThat(h.gap()).as("the IMAP session was still open").isZero();
    });
    assertThat(access.mailboxesOf(graphApp.clientId())).containsExactly(box.address());
    assertThat(access.active()).isEmpty();
  }

  @Test
  void graphRequestsOfTwoApps_inFlightAtOnce_areAnOverlap_takingTurns_areNot() throws Exception {
    Mailbox box = box();
    String token1 = graphToken(graphApp, graphSecret);
    String token2 = graphToken(graphApp2, graphSecret2);

    // taking turns: each answered before the other asks
    assertThat(listMessages(token1, box).status()).isEqualTo(200);
    assertThat(listMessages(token2, box).status()).isEqualTo(200);
    MailboxAccess turns = m365.mailboxAccess();
    assertThat(turns.overlaps()).isEmpty();
    assertThat(turns.handovers(box.address())).singleElement().satisfies(h -> {
      assertThat(h.fromClient()).isEqualTo(graphApp.clientId());
      assertThat(h.toClient()).isEqualTo(graphApp2.clientId());
      assertThat(h.fromLastActivity()).isBeforeOrEqualTo(h.toFirstActivity());
    });

    // at once: the first request is held in the handler until the second one has arrived
    m365.clearRecorded();
    m365.faults().graphProcessingTime(Duration.ofSeconds(2));
    AtomicReference<TestHttp.Response> slow = new AtomicReference<>();
    CompletableFuture<Void> first = CompletableFuture.runAsync(() -> slow.set(listMessages(token1, box)));
    MailboxAccess inFlight = awaitAccess(access -> access.active().containsKey(box.address()));
    assertThat(inFlight.active()).containsEntry(box.address(), Set.of(graphApp.clientId()));
    assertThat(listMessages(token2, box).status()).isEqualTo(200);
    first.get(30, TimeUnit.SECONDS);
    assertThat(slow.get().status()).isEqualTo(200);

    MailboxAccess overlapping = m365.mailboxAccess();
    assertThat(overlapping.overlaps()).singleElement().satisfies(o -> {
      assertThat(o.mailbox()).isEqualTo(box.address());
      assertThat(o.client()).isEqualTo(graphApp.clientId());
      assertThat(o.otherClient()).isEqualTo(graphApp2.clientId());
    });
    assertThat(overlapping.active()).isEmpty();
  }

  @Test
  void smtpSession_fromAuthUntilQuit_touchesItsMailbox() {
    Mailbox box = box();
    try (Wire smtp = Wire.plain(m365, m365.smtpPort())) {
      assertThat(smtp.readLine()).startsWith("220 ");
      ehlo(smtp);
      assertThat(smtp.send("STARTTLS").readLine()).startsWith("220 ");
      smtp.startTls();
      ehlo(smtp);
      assertThat(smtp.send("AUTH XOAUTH2 " + Wire.xoauth2(box.address(), firstToken())).readLine())
          .startsWith("235 ");
      try (Wire b = imapSession(box, secondToken())) {
        logout(b);
      }
      assertThat(smtp.send("QUIT").readLine()).startsWith("221 ");
    }
    try (Wire b = imapSession(box, secondToken())) {
      logout(b);
    }
    MailboxAccess access = m365.mailboxAccess();
    assertThat(access.overlaps()).singleElement().satisfies(o -> {
      assertThat(o.client()).isEqualTo(contoso.daemon.clientId());
      assertThat(o.otherClient()).isEqualTo(second.clientId());
    });
    assertThat(access.handovers(box.address())).extracting(MailboxAccess.Handover::toClient)
        .containsExactly(second.clientId());
    assertThat(access.mailboxesOf(contoso.daemon.clientId())).containsExactly(box.address());
  }

  private static void ehlo(Wire wire) {
    wire.send("EHLO client.example");
    String line;
    do {
      line = wire.readLine();
    } while (line.startsWith("250-"));
  }

  @Test
  void clearRecorded_forgetsOverlapsHandoversAndClients_butNotWhatIsStillInFlight() {
    Mailbox box = box();
    try (Wire a = imapSession(box, firstToken())) {
      try (Wire b = imapSession(box, secondToken())) {
        logout(b);
      }
      m365.clearRecorded();
      MailboxAccess cleared = m365.mailboxAccess();
      assertThat(cleared.overlaps()).isEmpty();
      assertThat(cleared.handovers()).isEmpty();
      assertThat(cleared.clients()).containsExactly(contoso.daemon.clientId());
      assertThat(cleared.active()).containsEntry(box.address(), Set.of(contoso.daemon.clientId()));
      try (Wire b = imapSession(box, secondToken())) {
        logout(b);
      }
      logout(a);
    }
    assertThat(m365.mailboxAccess().overlaps()).hasSize(1);
  }

  @Test
  void theRecord_isBounded_keepsTheFirstOverlapsAndHandoversPerMailbox_andCountsTheRest() {
    Clock fixed = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
    MailboxAccessLog log = new MailboxAccessLog(fixed, 3, 2);
    for (int i = 0; i < 5; i++) {
      MailboxAccessLog.Activity a = log.begin("x@contoso.com", "app-a");
      MailboxAccessLog.Activity b = log.begin("X@contoso.com", "app-b"); // the same mailbox, another spelling
      b.end();
      a.end();
      a.end(); // idempotent
    }
    MailboxAccess access = log.snapshot();
    assertThat(access.overlaps()).hasSize(3);
    assertThat(access.droppedOverlaps()).isEqualTo(2);
    // a->b, b->a, a->b, ... : 9 changes, 2 kept
    assertThat(access.handovers()).hasSize(2);
    assertThat(access.droppedHandovers()).isEqualTo(7);
    assertThat(access.mailboxesByClient()).isEqualTo(Map.of(
        "app-a", Set.of("x@contoso.com"), "app-b", Set.of("x@contoso.com")));
    assertThat(access.active()).isEmpty();
  }
}
