package org.o365mail.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.testkit.internal.Json;

/** {@link Faults#graphRejectMalformedIds(boolean)}: ids Exchange cannot have issued for the mailbox are 400s. */
@Timeout(60)
class GraphMalformedIdsTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  private static final Instant T0 = Instant.parse("2026-02-01T08:00:00Z");
  private static GraphFixture f;

  @BeforeAll
  static void start() {
    f = new GraphFixture(M365.tenant());
  }

  private static String error(TestHttp.Response r) {
    return r.status() + " " + r.json().at("/error/code").asText() + ": " + r.json().at("/error/message").asText();
  }

  @Test
  void garbageAndForeignIds_are400OnEveryMessageRoute_goneOnesStay404() {
    Mailbox own = f.contoso.addUser("ids@contoso.com", GraphFixture.PASSWORD).mailbox();
    Mailbox other = f.contoso.addUser("ids-other@contoso.com", GraphFixture.PASSWORD).mailbox();
    String kept = f.deliver(own, "Inbox", "kept", T0, false).id();
    String foreign = f.deliver(other, "Inbox", "theirs", T0, false).id();
    String gone = f.deliver(own, "Inbox", "gone", T0.plusSeconds(1), false).id();
    String token = f.token(f.writer);
    String base = GraphFixture.user(own.address()) + "/messages/";
    assertThat(f.delete(token, base + gone).status()).isEqualTo(204);
    f.m365.faults().graphRejectMalformedIds(true);

    String malformed = "400 ErrorInvalidIdMalformed: Id is malformed.";
    String notHere = "400 ErrorInvalidMailboxItemId: Item Id doesn't belong to the current mailbox.";
    for (String id : new String[] {"AAMkAGTnope", "not-an-id"}) {
      assertThat(error(f.get(token, base + id))).isEqualTo(malformed);
      assertThat(error(f.get(token, base + id + "/$value"))).isEqualTo(malformed);
      assertThat(error(f.get(token, base + id + "/attachments"))).isEqualTo(malformed);
      assertThat(error(f.patch(token, base + id, Json.object().put("isRead", true)))).isEqualTo(malformed);
      assertThat(error(f.post(token, base + id + "/move", Json.object().put("destinationId", "archive"))))
          .isEqualTo(malformed);
      assertThat(error(f.post(token, base + id + "/permanentDelete", Json.object()))).isEqualTo(malformed);
      assertThat(error(f.delete(token, base + id))).isEqualTo(malformed);
    }
    assertThat(error(f.get(token, base + foreign))).isEqualTo(notHere);
    assertThat(error(f.get(token, base + foreign + "/$value"))).isEqualTo(notHere);
    assertThat(error(f.delete(token, base + foreign))).isEqualTo(notHere);
    assertThat(f.get(token, base + gone).status()).as("an id this mailbox had, its message deleted").isEqualTo(404);
    assertThat(f.get(token, base + kept).status()).isEqualTo(200);
    assertThat(other.count("Inbox")).as("the other mailbox's message untouched").isEqualTo(1);

    f.m365.faults().graphRejectMalformedIds(false);
    assertThat(error(f.get(token, base + "AAMkAGTnope")))
        .isEqualTo("404 ErrorItemNotFound: The specified object was not found in the store.");
  }

  @Test
  void malformedIds_inABatch_areAnsweredPerItem() {
    Mailbox own = f.contoso.addUser("batch-ids@contoso.com", GraphFixture.PASSWORD).mailbox();
    String kept = f.deliver(own, "Inbox", "kept", T0, false).id();
    f.m365.faults().graphRejectMalformedIds(true);
    ArrayNode requests = Json.array();
    String base = GraphFixture.user(own.address()) + "/messages/";
    requests.addObject().put("id", "1").put("method", "GET").put("url", base + kept + "?$select=subject");
    requests.addObject().put("id", "2").put("method", "GET").put("url", base + "garbage/$value");
    ObjectNode patch = requests.addObject().put("id", "3").put("method", "PATCH").put("url", base + "garbage");
    patch.set("headers", Json.object().put("Content-Type", "application/json"));
    patch.set("body", Json.object().put("isRead", true));
    ObjectNode body = Json.object();
    body.set("requests", requests);
    TestHttp.Response r = f.post(f.token(f.writer), "/$batch", body);
    assertThat(r.status()).isEqualTo(200);
    for (JsonNode item : r.json().get("responses")) {
      if (item.get("id").asText().equals("1")) {
        assertThat(item.get("status").asInt()).isEqualTo(200);
      } else {
        assertThat(item.get("status").asInt()).isEqualTo(400);
        assertThat(item.at("/body/error/code").asText()).isEqualTo("ErrorInvalidIdMalformed");
      }
    }
  }
}
