package org.o365mail.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.testkit.internal.Json;

/** JSON batching: limits, embedded bodies, dependsOn, per-item authorisation, throttling and recording. */
@Timeout(60)
class GraphBatchTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  private static final Instant T0 = Instant.parse("2026-01-10T12:00:00Z");
  private static GraphFixture f;

  @BeforeAll
  static void start() {
    f = new GraphFixture(M365.tenant());
  }

  private static Mailbox fresh(String name, int messages) {
    Mailbox m = f.contoso.addUser(name + "@contoso.com", GraphFixture.PASSWORD).mailbox();
    for (int i = 0; i < messages; i++) {
      f.deliver(m, "Inbox", "b" + i, T0.plusSeconds(i), false);
    }
    return m;
  }

  private static ObjectNode item(ArrayNode requests, String id, String method, String url) {
    ObjectNode item = requests.addObject();
    item.put("id", id).put("method", method).put("url", url);
    return item;
  }

  private static ObjectNode withBody(ObjectNode item, String contentType, JsonNode body) {
    item.set("headers", Json.object().put("Content-Type", contentType));
    item.set("body", body);
    return item;
  }

  private static JsonNode text(String value) {
    return Json.MAPPER.getNodeFactory().textNode(value);
  }

  private static TestHttp.Response batch(String token, ArrayNode requests) {
    ObjectNode body = Json.object();
    body.set("requests", requests);
    return f.post(token, "/$batch", body);
  }

  private static Map<String, JsonNode> byId(TestHttp.Response r) {
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    Map<String, JsonNode> result = new HashMap<>();
    r.json().get("responses").forEach(x -> result.put(x.get("id").asText(), x));
    return result;
  }

  @Test
  void batchOf20_embedsJsonBodies_andMimeAsBase64() {
    Mailbox m = fresh("batch20", 10);
    List<StoredMail> stored = m.messages("Inbox");
    ArrayNode requests = Json.array();
    for (int i = 0; i < 10; i++) {
      item(requests, "mime" + i, "GET", "/users/batch20%40contoso.com/messages/" + stored.get(i).id() + "/$value");
      String json = "users/batch20%40contoso.com/messages/" + stored.get(i).id() + "?$select=subject";
      item(requests, "json" + i, "GET", json);
    }
    Map<String, JsonNode> responses = byId(batch(f.token(f.writer), requests));
    assertThat(responses).hasSize(20);
    for (int i = 0; i < 10; i++) {
      JsonNode mime = responses.get("mime" + i);
      assertThat(mime.get("status").asInt()).isEqualTo(200);
      assertThat(mime.at("/headers/Content-Type").asText()).isEqualTo("text/plain");
      assertThat(Base64.getDecoder().decode(mime.get("body").asText())).isEqualTo(m.mime(stored.get(i)));
      JsonNode json = responses.get("json" + i);
      assertThat(json.get("status").asInt()).isEqualTo(200);
      assertThat(json.at("/body/subject").asText()).isEqualTo("b" + i);
      assertThat(json.at("/headers/request-id").asText()).isNotEmpty();
    }
  }

  @Test
  void batchOf21_is400() {
    ArrayNode requests = Json.array();
    for (int i = 0; i < 21; i++) {
      item(requests, "r" + i, "GET", "/users/alice%40contoso.com/messages");
    }
    TestHttp.Response r = batch(f.token(f.writer), requests);
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().at("/error/code").asText()).isEqualTo("BadRequest");
    assertThat(r.json().at("/error/message").asText())
        .isEqualTo("The batch has 21 requests; the limit is 20 requests per batch.");
  }

  @Test
  void batch_withoutToken_is401_andItemsAreAuthorisedOneByOne() {
    Mailbox m = fresh("peritem", 1);
    ArrayNode requests = Json.array();
    item(requests, "1", "GET", "/users/peritem%40contoso.com/messages");
    assertThat(batch(null, requests).status()).isEqualTo(401);
    String id = m.messages("Inbox").get(0).id();
    withBody(item(requests, "2", "PATCH", "/users/peritem%40contoso.com/messages/" + id), "application/json",
        Json.object().put("isRead", true));
    item(requests, "3", "GET", "/users/nobody%40contoso.com/messages");
    Map<String, JsonNode> responses = byId(batch(f.token(f.reader), requests));
    assertThat(responses.get("1").get("status").asInt()).isEqualTo(200);
    assertThat(responses.get("2").get("status").asInt()).isEqualTo(403);
    assertThat(responses.get("2").at("/body/error/code").asText()).isEqualTo("ErrorAccessDenied");
    assertThat(responses.get("3").get("status").asInt()).isEqualTo(404);
    assertThat(responses.get("3").at("/body/error/code").asText()).isEqualTo("ErrorInvalidUser");
    assertThat(m.messages("Inbox").get(0).seen()).isFalse();
  }

  @Test
  void dependsOn_runsInOrder_and424sAfterAFailure() {
    Mailbox m = fresh("depends", 1);
    String id = m.messages("Inbox").get(0).id();
    String message = "/users/depends%40contoso.com/messages/" + id;
    ArrayNode requests = Json.array();
    item(requests, "read", "GET", message + "?$select=isRead").putArray("dependsOn").add("mark");
    withBody(item(requests, "mark", "PATCH", message), "application/json", Json.object().put("isRead", true));
    item(requests, "missing", "GET", "/users/depends%40contoso.com/messages/AAMkAGTnope");
    item(requests, "after", "GET", message).putArray("dependsOn").add("missing");
    TestHttp.Response r = batch(f.token(f.writer), requests);
    Map<String, JsonNode> responses = byId(r);
    assertThat(r.json().get("responses")).extracting(x -> x.get("id").asText())
        .containsExactly("read", "mark", "missing", "after");
    assertThat(responses.get("mark").get("status").asInt()).isEqualTo(200);
    assertThat(responses.get("read").at("/body/isRead").asBoolean()).isTrue();
    assertThat(responses.get("missing").get("status").asInt()).isEqualTo(404);
    assertThat(responses.get("after").get("status").asInt()).isEqualTo(424);
    assertThat(responses.get("after").at("/body/error/code").asText()).isEqualTo("FailedDependency");

    ArrayNode cycle = Json.array();
    item(cycle, "x", "GET", message).putArray("dependsOn").add("y");
    item(cycle, "y", "GET", message).putArray("dependsOn").add("x");
    assertThat(batch(f.token(f.writer), cycle).status()).isEqualTo(400);
  }

  @Test
  void aChain_runsOneItemAtATime_soItHoldsOneSlot_and424sTheRestAfterAFailure() {
    Mailbox m = fresh("chain", 3);
    List<String> ids = m.messages("Inbox").stream().map(StoredMail::id).toList();
    f.m365.faults().mailboxConcurrencyLimit(1).graphProcessingTime(Duration.ofMillis(20));
    ArrayNode requests = Json.array();
    for (int i = 0; i < 8; i++) {
      ObjectNode item = item(requests, Integer.toString(i + 1), "GET",
          "/users/chain%40contoso.com/messages/" + ids.get(i % 3) + "/$value");
      if (i > 0) {
        item.putArray("dependsOn").add(Integer.toString(i));
      }
    }
    Map<String, JsonNode> responses = byId(batch(f.token(f.writer), requests));
    // one slot is enough: with no dependsOn, eight items would run four at a time and seven would be throttled
    assertThat(responses.values()).allSatisfy(x -> assertThat(x.get("status").asInt()).isEqualTo(200));
    assertThat(f.m365.graphPeakConcurrency("chain@contoso.com")).isEqualTo(1);
    assertThat(Base64.getDecoder().decode(responses.get("2").get("body").asText())).isEqualTo(m.mime(m.messages("Inbox")
        .get(1)));

    ArrayNode broken = Json.array();
    item(broken, "1", "GET", "/users/chain%40contoso.com/messages/" + ids.get(0) + "/$value");
    item(broken, "2", "GET", "/users/chain%40contoso.com/messages/AAMkAGTgone/$value").putArray("dependsOn").add("1");
    item(broken, "3", "GET", "/users/chain%40contoso.com/messages/" + ids.get(1) + "/$value").putArray("dependsOn")
        .add("2");
    item(broken, "4", "GET", "/users/chain%40contoso.com/messages/" + ids.get(2) + "/$value").putArray("dependsOn")
        .add("3");
    TestHttp.Response r = batch(f.token(f.writer), broken);
    assertThat(r.json().get("responses")).extracting(x -> x.get("id").asText() + ":" + x.get("status").asInt())
        .containsExactly("1:200", "2:404", "3:424", "4:424");
  }

  @Test
  void items_runAtMostFourAtATime_andAreRecordedAsRequests() {
    Mailbox m = fresh("parallel", 1);
    String id = m.messages("Inbox").get(0).id();
    f.m365.faults().graphProcessingTime(Duration.ofMillis(150));
    ArrayNode requests = Json.array();
    for (int i = 0; i < 13; i++) {
      item(requests, "g" + i, "GET", "/users/parallel%40contoso.com/messages/" + id + "?$select=subject");
    }
    long begin = System.nanoTime();
    Map<String, JsonNode> responses = byId(batch(f.token(f.writer), requests));
    Duration elapsed = Duration.ofNanos(System.nanoTime() - begin);
    assertThat(responses.values()).allSatisfy(x -> assertThat(x.get("status").asInt()).isEqualTo(200));
    assertThat(elapsed).as("13 items of 150 ms, 4 at a time: 4 rounds").isGreaterThanOrEqualTo(Duration.ofMillis(600));
    assertThat(f.m365.graphPeakConcurrency("parallel@contoso.com")).isBetween(2, 4);
    assertThat(f.m365.requests("graph").stream()
            .filter(r -> r.path().equals("/v1.0/users/parallel%40contoso.com/messages/" + id)).count())
        .isEqualTo(13);
  }

  @Test
  void items_areThrottledOneByOne() {
    Mailbox m = fresh("throttled", 1);
    String id = m.messages("Inbox").get(0).id();
    f.m365.faults()
        .graphProcessingTime(Duration.ofMillis(200))
        .mailboxConcurrencyLimit(1)
        .graphRetryAfter(Duration.ofSeconds(2));
    ArrayNode requests = Json.array();
    for (int i = 0; i < 8; i++) {
      item(requests, "t" + i, "GET", "/users/throttled%40contoso.com/messages/" + id + "?$select=subject");
    }
    Map<String, JsonNode> responses = byId(batch(f.token(f.writer), requests));
    List<JsonNode> throttled = responses.values().stream().filter(x -> x.get("status").asInt() == 429).toList();
    assertThat(throttled).isNotEmpty();
    assertThat(responses.values()).anySatisfy(x -> assertThat(x.get("status").asInt()).isEqualTo(200));
    assertThat(throttled).allSatisfy(x -> {
      assertThat(x.at("/headers/Retry-After").asText()).isEqualTo("2");
      assertThat(x.at("/body/error/code").asText()).isEqualTo("ApplicationThrottled");
      assertThat(x.at("/body/error/message").asText()).isEqualTo("Application is over its MailboxConcurrency limit.");
    });
    assertThat(f.m365.graphPeakConcurrency("throttled@contoso.com")).isEqualTo(1);
  }

  @Test
  void sendMail_inABatch_takesJsonOrBase64Mime() {
    fresh("batchsender", 0);
    Mailbox to = fresh("batchreceiver", 0);
    ArrayNode requests = Json.array();
    ObjectNode json = Json.object();
    json.putObject("message").put("subject", "Batched JSON").putArray("toRecipients").addObject()
        .putObject("emailAddress").put("address", "batchreceiver@contoso.com");
    String sendMail = "/users/batchsender%40contoso.com/sendMail";
    withBody(item(requests, "json", "POST", sendMail), "application/json", json);
    byte[] mime = TestMessages.text("batchsender@contoso.com", "batchreceiver@contoso.com", "Batched MIME", "hi");
    byte[] payload = Base64.getEncoder().encode(mime);
    withBody(item(requests, "mime", "POST", sendMail), "text/plain", text(Base64.getEncoder().encodeToString(payload)));
    byte[] notBase64 = "not base64 MIME!".getBytes(StandardCharsets.US_ASCII);
    withBody(
        item(requests, "bad", "POST", sendMail), "text/plain", text(Base64.getEncoder().encodeToString(notBase64)));
    Map<String, JsonNode> responses = byId(batch(f.token(f.writer), requests));
    assertThat(responses.get("json").get("status").asInt()).isEqualTo(202);
    assertThat(responses.get("mime").get("status").asInt()).isEqualTo(202);
    assertThat(responses.get("bad").get("status").asInt()).isEqualTo(400);
    assertThat(responses.get("bad").at("/body/error/code").asText()).isEqualTo("ErrorMimeContentInvalidBase64String");
    assertThat(to.messages("Inbox")).extracting(StoredMail::subject)
        .containsExactlyInAnyOrder("Batched JSON", "Batched MIME");
  }
}
