package org.o365mail.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.testkit.internal.Json;

/** {@link Faults#graphBatchBodies(BatchBodies)}: the shapes a {@code $value} takes inside a {@code $batch} answer. */
@Timeout(60)
class GraphBatchBodiesTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  private static final Instant T0 = Instant.parse("2026-03-01T09:00:00Z");
  /** UTF-8 8-bit text, CRLF, and what a JSON string must escape: quotes, a backslash, a tab, a control character. */
  static final byte[] UTF8 = ("From: sender@example.org\r\nTo: x@contoso.com\r\nSubject: caf\u00e9 \"quoted\" back\\slash\r\n"
      + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
      + "Gr\u00fc\u00dfe \u2014 \u65e5\u672c\r\n\ttab \u0001 end \u00ff\u00fe\u00fd\u00fc\u00fb\u00fa\u00f9\r\n")
      .getBytes(StandardCharsets.UTF_8);
  /** 8-bit Latin-1: not valid UTF-8, so it cannot be a JSON string exactly. */
  static final byte[] LATIN1 = ("From: sender@example.org\r\nTo: x@contoso.com\r\nSubject: latin\r\n"
      + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
      + "caf\u00e9 na\u00efve\r\n").getBytes(StandardCharsets.ISO_8859_1);

  private static GraphFixture f;

  @BeforeAll
  static void start() {
    f = new GraphFixture(M365.tenant());
  }

  /** A batch of {@code $value} requests for the messages given, answered. */
  private static JsonNode batch(Mailbox m, List<StoredMail> mails) {
    ArrayNode requests = Json.array();
    for (int i = 0; i < mails.size(); i++) {
      requests.addObject().put("id", Integer.toString(i)).put("method", "GET")
          .put("url", GraphFixture.user(m.address()) + "/messages/" + mails.get(i).id() + "/$value");
    }
    ObjectNode body = Json.object();
    body.set("requests", requests);
    TestHttp.Response r = f.post(f.token(f.writer), "/$batch", body);
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    return r.json().get("responses");
  }

  /** The body of an item as OData 4.01 says to read it: a {@code text/*} string as its text, else base64(url). */
  private static byte[] decode(JsonNode item, boolean asText) {
    String body = item.get("body").asText();
    if (asText) {
      return body.getBytes(StandardCharsets.UTF_8);
    }
    return (body.contains("-") || body.contains("_") ? Base64.getUrlDecoder() : Base64.getDecoder()).decode(body);
  }

  private static boolean isBase64(String s) {
    return s.matches("[A-Za-z0-9+/]*={0,2}") || s.matches("[A-Za-z0-9_-]*={0,2}");
  }

  @Test
  void rawText_isTheMessageAsAString_bodyBeforeHeaders_butNonUtf8StaysBase64() {
    Mailbox m = f.contoso.addUser("raw@contoso.com", GraphFixture.PASSWORD).mailbox();
    StoredMail utf8 = m.deliver("Inbox", UTF8, false, T0);
    StoredMail latin1 = m.deliver("Inbox", LATIN1, false, T0.plusSeconds(1));
    f.m365.faults().graphBatchBodies(BatchBodies.RAW_TEXT);
    ArrayNode requests = Json.array();
    ObjectNode body = Json.object();
    body.set("requests", requests);
    requests.addObject().put("id", "1").put("method", "GET")
        .put("url", GraphFixture.user(m.address()) + "/messages/" + utf8.id() + "/$value");
    requests.addObject().put("id", "2").put("method", "GET")
        .put("url", GraphFixture.user(m.address()) + "/messages/" + latin1.id() + "/$value");
    TestHttp.Response r = f.post(f.token(f.writer), "/$batch", body);
    assertThat(r.status()).isEqualTo(200);
    String raw = r.text();
    assertThat(raw.indexOf("\"body\"")).as("body before headers").isLessThan(raw.indexOf("\"headers\""));
    for (JsonNode item : r.json().get("responses")) {
      assertThat(item.at("/headers/Content-Type").asText()).isEqualTo("text/plain");
      if (item.get("id").asText().equals("1")) {
        assertThat(item.get("body").asText()).startsWith("From: sender@example.org\r\n");
        assertThat(decode(item, true)).isEqualTo(m.mime(utf8));
      } else {
        assertThat(isBase64(item.get("body").asText())).as("8-bit Latin-1 cannot be a JSON string exactly").isTrue();
        assertThat(decode(item, false)).isEqualTo(m.mime(latin1));
      }
    }
  }

  @Test
  void mixed_drawsEachShape_andEveryBodyDecodesExactly() {
    Mailbox m = f.contoso.addUser("mixed@contoso.com", GraphFixture.PASSWORD).mailbox();
    List<StoredMail> mails = new java.util.ArrayList<>();
    for (int i = 0; i < 20; i++) {
      mails.add(m.deliver("Inbox", UTF8, false, T0.plusSeconds(i)));
    }
    f.m365.faults().graphBatchBodies(BatchBodies.MIXED);
    Set<String> seen = new HashSet<>();
    for (int round = 0; round < 3; round++) {
      for (JsonNode item : batch(m, mails)) {
        String body = item.get("body").asText();
        boolean text = !isBase64(body);
        List<String> fields = new java.util.ArrayList<>();
        item.fieldNames().forEachRemaining(fields::add);
        boolean bodyFirst = fields.indexOf("body") < fields.indexOf("headers");
        seen.add((text ? "text" : body.matches(".*[-_].*") ? "base64url" : "base64") + (bodyFirst ? "/body" : "/headers"));
        StoredMail mail = mails.get(item.get("id").asInt());
        assertThat(decode(item, text)).isEqualTo(m.mime(mail));
      }
    }
    assertThat(seen).contains("text/body", "text/headers", "base64url/body", "base64/headers");
  }

  @Test
  void base64_isTheDefault_andJsonStaysJson() {
    Mailbox m = f.contoso.addUser("default@contoso.com", GraphFixture.PASSWORD).mailbox();
    StoredMail mail = m.deliver("Inbox", UTF8, false, T0);
    JsonNode item = batch(m, List.of(mail)).get(0);
    assertThat(isBase64(item.get("body").asText())).isTrue();
    assertThat(Base64.getDecoder().decode(item.get("body").asText())).isEqualTo(m.mime(mail));
    List<String> fields = new java.util.ArrayList<>();
    item.fieldNames().forEachRemaining(fields::add);
    assertThat(fields).containsExactly("id", "status", "headers", "body");
  }

  /** The shapes of one MIXED batch of twenty on a fresh tenant seeded with {@code seed}: body text, field order. */
  private static List<String> mixedShapes(long seed) {
    try (LocalTenant m365 = LocalTenant.builder().seed(seed).start()) {
      TestHttp http = new TestHttp(m365);
      Tenant tenant = m365.createTenant("contoso.com");
      Mailbox m = tenant.addSharedMailbox("replay@contoso.com");
      Application app = tenant.registerApp("Replay");
      PasswordCredential secret = app.addClientSecret("test", java.time.Duration.ofDays(30));
      app.addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "Mail.Read").grantAdminConsent();
      String token = http.clientCredentialsToken(tenant, app, secret, GraphFixture.GRAPH);
      ArrayNode requests = Json.array();
      for (int i = 0; i < 20; i++) {
        StoredMail mail = m.deliver("Inbox", UTF8, false, T0.plusSeconds(i));
        requests.addObject().put("id", Integer.toString(i)).put("method", "GET")
            .put("url", GraphFixture.user(m.address()) + "/messages/" + mail.id() + "/$value");
      }
      m365.faults().graphBatchBodies(BatchBodies.MIXED);
      ObjectNode body = Json.object();
      body.set("requests", requests);
      TestHttp.Response r = http.send("POST", m365.graphBaseUrl() + "/$batch", Json.bytes(body),
          "Authorization", "Bearer " + token, "Content-Type", "application/json");
      assertThat(r.status()).isEqualTo(200);
      List<String> shapes = new java.util.ArrayList<>();
      for (JsonNode item : r.json().get("responses")) {
        List<String> fields = new java.util.ArrayList<>();
        item.fieldNames().forEachRemaining(fields::add);
        shapes.add(item.get("id").asText() + " " + fields + " " + item.get("body").asText());
      }
      java.util.Collections.sort(shapes);
      return shapes;
    }
  }

  @Test
  void mixed_replays_withTheSameSeed() {
    assertThat(mixedShapes(42)).isEqualTo(mixedShapes(42)).isNotEqualTo(mixedShapes(43));
  }
}
