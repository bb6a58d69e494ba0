package org.o365mail.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.o365mail.testkit.GraphFixture.user;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Exchange-style concurrency throttling per app and mailbox, and the random 429/503 fault knobs. */
@Timeout(60)
class GraphThrottlingTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  private static GraphFixture f;
  private static ExecutorService pool;

  @BeforeAll
  static void start() {
    f = new GraphFixture(M365.tenant());
    pool = Executors.newFixedThreadPool(16);
  }

  @AfterAll
  static void stop() {
    pool.shutdownNow();
  }

  private static void fresh(String name) {
    Mailbox m = f.contoso.addUser(name + "@contoso.com", GraphFixture.PASSWORD).mailbox();
    f.deliver(m, "Inbox", "t", Instant.parse("2026-01-01T00:00:00Z"), false);
  }

  /** A request to fire: token and path. */
  private record Call(String token, String path) {}

  /** Fires all calls at once (released together by a latch) and returns their responses in order. */
  private static List<TestHttp.Response> fire(List<Call> calls) throws InterruptedException, ExecutionException {
    CountDownLatch ready = new CountDownLatch(calls.size());
    CountDownLatch go = new CountDownLatch(1);
    List<Future<TestHttp.Response>> futures = new ArrayList<>();
    for (Call call : calls) {
      futures.add(pool.submit(() -> {
        ready.countDown();
        go.await();
        return f.get(call.token(), call.path());
      }));
    }
    assertThat(ready.await(10, TimeUnit.SECONDS)).isTrue();
    go.countDown();
    List<TestHttp.Response> responses = new ArrayList<>();
    for (Future<TestHttp.Response> future : futures) {
      responses.add(future.get());
    }
    return responses;
  }

  private static List<Call> times(int n, String token, String path) {
    List<Call> calls = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      calls.add(new Call(token, path));
    }
    return calls;
  }

  @Test
  void twelveConcurrentRequests_onOneMailbox_areCappedAtFour() throws Exception {
    fresh("busy");
    String path = user("busy@contoso.com") + "/mailFolders/inbox/messages?$select=subject";
    String token = f.token(f.reader);
    fire(times(12, token, path)); // opens the client's connections, so the timed round starts together

    f.m365.faults().graphLatency(Duration.ofMillis(200));
    long rejectedBefore = f.m365.graphConcurrencyRejections();
    int recordedBefore = f.m365.requests("graph").size();
    List<TestHttp.Response> responses = fire(times(12, token, path));
    List<TestHttp.Response> throttled = responses.stream().filter(r -> r.status() == 429).toList();
    List<TestHttp.Response> ok = responses.stream().filter(r -> r.status() == 200).toList();
    assertThat(ok.size() + throttled.size()).isEqualTo(12);
    assertThat(throttled).isNotEmpty();
    assertThat(ok.size()).isGreaterThanOrEqualTo(4);
    assertThat(throttled).allSatisfy(r -> {
      assertThat(r.header("Retry-After")).isEqualTo("1");
      assertThat(r.json().at("/error/code").asText()).isEqualTo("ApplicationThrottled");
      assertThat(r.json().at("/error/message").asText()).isEqualTo("Application is over its MailboxConcurrency limit.");
    });
    assertThat(f.m365.graphPeakConcurrency("busy@contoso.com")).isEqualTo(4);
    assertThat(f.m365.graphConcurrencyRejections() - rejectedBefore).isEqualTo(throttled.size());
    List<RecordedRequest> recorded = f.m365.requests("graph");
    assertThat(recorded.subList(recordedBefore, recorded.size()).stream()
            .filter(r -> r.status() == 429 && r.attribute("mailbox").equals("busy@contoso.com")))
        .hasSize(throttled.size())
        .allSatisfy(r -> assertThat(r.errorCode()).isEqualTo("ApplicationThrottled"));
  }

  /**
   * A client that sends its next request once it holds the answer to the last never has two in flight: the slot
   * is given back before the answer's last byte leaves, or a client keeping the limit would be refused.
   */
  @Test
  void oneRequestAfterTheOther_isNeverTwoInFlight() {
    fresh("serial");
    String token = f.token(f.reader);
    String mailbox = "serial@contoso.com";
    String id = f.get(token, user(mailbox) + "/messages?$select=id").json().at("/value/0/id").asText();
    f.m365.faults().mailboxConcurrencyLimit(1);
    for (int i = 0; i < 300; i++) {
      String path = i % 2 == 0 ? user(mailbox) + "/messages?$select=subject" : user(mailbox) + "/messages/" + id + "/$value";
      TestHttp.Response r = f.get(token, path);
      assertThat(r.status()).as("request %d (%s)", i, path).isEqualTo(200);
    }
    assertThat(f.m365.graphPeakConcurrency(mailbox)).isEqualTo(1);
  }

  @Test
  void theLimitIsPerAppAndMailbox() throws Exception {
    fresh("shared1");
    fresh("shared2");
    f.m365.faults().graphLatency(Duration.ofMillis(200));
    String one = user("shared1@contoso.com") + "/messages?$select=subject";
    String two = user("shared2@contoso.com") + "/messages?$select=subject";
    List<Call> calls = new ArrayList<>();
    calls.addAll(times(4, f.token(f.reader), one));
    calls.addAll(times(4, f.token(f.writer), one));
    calls.addAll(times(4, f.token(f.reader), two));
    List<TestHttp.Response> responses = fire(calls);
    assertThat(responses).as("4 per app and mailbox: none over").allSatisfy(r -> assertThat(r.status()).isEqualTo(200));
  }

  @Test
  void aLowerLimit_isHonoured() throws Exception {
    fresh("narrow");
    f.m365.faults().graphLatency(Duration.ofMillis(200)).mailboxConcurrencyLimit(2);
    List<TestHttp.Response> responses = fire(times(6, f.token(f.reader), user("narrow@contoso.com") + "/messages"));
    assertThat(responses).anySatisfy(r -> assertThat(r.status()).isEqualTo(429));
    assertThat(f.m365.graphPeakConcurrency("narrow@contoso.com")).isEqualTo(2);
  }

  @Test
  void randomThrottlingAndOutages_carryRetryAfter() {
    fresh("faulty");
    String path = user("faulty@contoso.com") + "/messages";
    String token = f.token(f.reader);
    f.m365.faults().graphThrottleRate(1.0).graphRetryAfter(Duration.ofSeconds(3));
    TestHttp.Response throttled = f.get(token, path);
    assertThat(throttled.status()).isEqualTo(429);
    assertThat(throttled.header("Retry-After")).isEqualTo("3");
    assertThat(throttled.json().at("/error/code").asText()).isEqualTo("ApplicationThrottled");
    assertThat(throttled.json().at("/error/message").asText())
        .isIn("Application is over its MailboxConcurrency limit.", "Application is over its IncomingBytes limit.");

    f.m365.faults().graphThrottleRate(0).graphUnavailableRate(1.0).graphRetryAfter(Duration.ofMillis(300));
    TestHttp.Response unavailable = f.get(token, path);
    assertThat(unavailable.status()).isEqualTo(503);
    assertThat(unavailable.header("Retry-After")).as("at least one second").isEqualTo("1");
    assertThat(unavailable.json().at("/error/code").asText()).isEqualTo("ServiceUnavailable");

    f.m365.faults().reset();
    assertThat(f.get(token, path).status()).isEqualTo(200);
    assertThat(f.m365.graphPeakConcurrency("faulty@contoso.com")).as("a slot was taken and given back").isEqualTo(1);
  }
}
