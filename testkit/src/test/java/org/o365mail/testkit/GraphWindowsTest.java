package org.o365mail.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.o365mail.testkit.GraphFixture.user;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.testkit.internal.Json;

/**
 * The Outlook service limits' windows per app and mailbox: requests per period (each {@code $batch} item counted and
 * refused on its own) and bytes uploaded per period, answered 429 with a {@code Retry-After} of the time until the
 * window frees. Time is moved with the tenant's clock, never slept.
 */
@Timeout(60)
class GraphWindowsTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  private static GraphFixture f;
  private static int boxes;

  @BeforeAll
  static void start() {
    f = new GraphFixture(M365.tenant());
  }

  private static Mailbox fresh(int messages) {
    Mailbox m = f.contoso.addUser("window" + ++boxes + "@contoso.com", GraphFixture.PASSWORD).mailbox();
    for (int i = 0; i < messages; i++) {
      f.deliver(m, "Inbox", "w" + i, Instant.parse("2026-01-01T00:00:00Z").plusSeconds(i), false);
    }
    return m;
  }

  private static long retryAfter(TestHttp.Response r) {
    return Long.parseLong(r.header("Retry-After"));
  }

  @Test
  void pastTheRequestWindow_429RequestLimit_withRetryAfterUntilTheWindowFrees() {
    Mailbox m = fresh(1);
    String token = f.token(f.reader);
    String path = user(m.address()) + "/messages?$select=subject";
    f.m365.faults().graphRequestWindow(5, Duration.ofMinutes(10));
    long before = f.m365.graphWindowRejections();
    for (int i = 0; i < 5; i++) {
      assertThat(f.get(token, path).status()).as("request %d", i).isEqualTo(200);
    }
    TestHttp.Response refused = f.get(token, path);
    assertThat(refused.status()).isEqualTo(429);
    assertThat(refused.json().at("/error/code").asText()).isEqualTo("ApplicationThrottled");
    assertThat(refused.json().at("/error/message").asText()).isEqualTo("Application is over its Request limit.");
    assertThat(retryAfter(refused)).as("minutes: until the first request leaves the window").isBetween(590L, 600L);
    assertThat(f.m365.graphWindowRejections() - before).isEqualTo(1);

    // asking again early is refused again: the refusal counted too, so the wait is not shorter
    f.m365.clock().advance(Duration.ofMinutes(5));
    TestHttp.Response early = f.get(token, path);
    assertThat(early.status()).isEqualTo(429);
    assertThat(retryAfter(early)).isBetween(290L, 300L);

    // once the Retry-After has passed, there is room again
    f.m365.clock().advance(Duration.ofSeconds(retryAfter(early)));
    assertThat(f.get(token, path).status()).isEqualTo(200);
  }

  @Test
  void theRequestWindow_isPerAppAndMailbox() {
    Mailbox one = fresh(1);
    Mailbox two = fresh(1);
    f.m365.faults().graphRequestWindow(3, Duration.ofMinutes(10));
    String reader = f.token(f.reader);
    for (int i = 0; i < 3; i++) {
      assertThat(f.get(reader, user(one.address()) + "/messages").status()).isEqualTo(200);
    }
    assertThat(f.get(reader, user(one.address()) + "/messages").status()).isEqualTo(429);
    assertThat(f.get(reader, user(two.address()) + "/messages").status()).as("another mailbox").isEqualTo(200);
    assertThat(f.get(f.token(f.writer), user(one.address()) + "/messages").status()).as("another app").isEqualTo(200);
  }

  @Test
  void everyBatchItemCounts_andItemsPastTheWindowGetTheirOwn429() {
    Mailbox m = fresh(20);
    String token = f.token(f.reader);
    List<String> ids = new ArrayList<>();
    f.get(token, user(m.address()) + "/messages?$select=id&$top=20").json().get("value")
        .forEach(v -> ids.add(v.get("id").asText()));
    assertThat(ids).hasSize(20);
    f.m365.faults().graphRequestWindow(25, Duration.ofSeconds(60));

    // the listing took one of the window's 25 requests, the first batch's items 20 more
    assertThat(statuses(batch(token, m, ids))).containsOnly(200);
    TestHttp.Response second = batch(token, m, ids);
    assertThat(second.status()).as("the $batch itself is answered").isEqualTo(200);
    List<Integer> statuses = statuses(second);
    assertThat(statuses.stream().filter(s -> s == 200)).as("4 more fit").hasSize(4);
    assertThat(statuses.stream().filter(s -> s == 429)).hasSize(16);
    for (JsonNode item : second.json().get("responses")) {
      if (item.get("status").asInt() == 429) {
        assertThat(item.at("/body/error/code").asText()).isEqualTo("ApplicationThrottled");
        assertThat(item.at("/body/error/message").asText()).isEqualTo("Application is over its Request limit.");
        assertThat(item.at("/headers/Retry-After").asLong()).isBetween(50L, 60L);
      }
    }
    List<RecordedRequest> refused = f.m365.requests("graph").stream()
        .filter(r -> r.status() == 429 && r.attribute("mailbox").equals(m.address())).toList();
    assertThat(refused).hasSize(16).allMatch(r -> r.attribute("batchItem").equals("true"));
  }

  private static TestHttp.Response batch(String token, Mailbox m, List<String> ids) {
    ArrayNode requests = Json.array();
    for (int i = 0; i < ids.size(); i++) {
      requests.addObject().put("id", Integer.toString(i + 1)).put("method", "GET")
          .put("url", user(m.address()) + "/messages/" + ids.get(i) + "?$select=subject");
    }
    ObjectNode body = Json.object();
    body.set("requests", requests);
    return f.post(token, "/$batch", body);
  }

  private static List<Integer> statuses(TestHttp.Response batch) {
    List<Integer> statuses = new ArrayList<>();
    batch.json().get("responses").forEach(r -> statuses.add(r.get("status").asInt()));
    return statuses;
  }

  @Test
  void pastTheUploadWindow_429IncomingBytes_andReadsDoNotCount() {
    Mailbox m = fresh(1);
    String token = f.token(f.writer);
    String id = f.get(token, user(m.address()) + "/messages?$select=id").json().at("/value/0/id").asText();
    f.m365.faults().graphUploadWindow(10_000, Duration.ofSeconds(30));
    long before = f.m365.graphUploadRejections();

    assertThat(f.post(token, user(m.address()) + "/messages", draft("first")).status()).isEqualTo(201);
    for (int i = 0; i < 5; i++) {
      assertThat(f.get(token, user(m.address()) + "/messages/" + id + "/$value").status()).as("reads upload nothing")
          .isEqualTo(200);
    }
    TestHttp.Response refused = f.post(token, user(m.address()) + "/messages", draft("second"));
    assertThat(refused.status()).isEqualTo(429);
    assertThat(refused.json().at("/error/code").asText()).isEqualTo("ApplicationThrottled");
    assertThat(refused.json().at("/error/message").asText()).isEqualTo("Application is over its IncomingBytes limit.");
    assertThat(retryAfter(refused)).isBetween(25L, 30L);
    assertThat(f.m365.graphUploadRejections() - before).isEqualTo(1);
    assertThat(m.messages("Drafts")).as("the refused draft was not made").extracting(StoredMail::subject)
        .containsExactly("first");

    f.m365.clock().advance(Duration.ofSeconds(retryAfter(refused)));
    assertThat(f.post(token, user(m.address()) + "/messages", draft("second")).status()).isEqualTo(201);
    assertThat(m.messages("Drafts")).extracting(StoredMail::subject).containsExactlyInAnyOrder("first", "second");
  }

  /** A draft of about 6 KB of JSON. */
  private static ObjectNode draft(String subject) {
    ObjectNode json = Json.object().put("subject", subject);
    json.putObject("body").put("contentType", "text").put("content", "z".repeat(6_000));
    return json;
  }

  @Test
  void theDefaults_areExchanges() {
    Faults faults = f.m365.faults();
    faults.graphRequestWindow(7, Duration.ofSeconds(7)).graphUploadWindow(7, Duration.ofSeconds(7)).reset();
    assertThat(faults.graphRequestWindowRequests()).isEqualTo(10_000);
    assertThat(faults.graphRequestWindow()).isEqualTo(Duration.ofMinutes(10));
    assertThat(faults.graphUploadWindowBytes()).isEqualTo(150L * 1024 * 1024);
    assertThat(faults.graphUploadWindow()).isEqualTo(Duration.ofMinutes(5));
    try (LocalTenant scaled = LocalTenant.builder().graphRequestWindow(600, Duration.ofSeconds(60))
        .graphUploadWindow(15L << 20, Duration.ofSeconds(30)).start()) {
      assertThat(scaled.faults().graphRequestWindowRequests()).isEqualTo(600);
      assertThat(scaled.faults().graphRequestWindow()).isEqualTo(Duration.ofSeconds(60));
      assertThat(scaled.faults().graphUploadWindowBytes()).isEqualTo(15L << 20);
    }
  }
}
