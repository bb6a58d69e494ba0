package org.o365mail.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link Faults#graphRefuseExpandOnDelta(boolean)}, {@link Faults#graphRefuseExpandOnMessages(boolean)} and {@link
 * Faults#graphOmitSizeRate(double)}: Graph refusing {@code $expand}, and messages without the size property.
 */
@Timeout(60)
class GraphExpandAndSizeTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  private static final Instant T0 = Instant.parse("2026-05-01T07:00:00Z");
  private static final String EXPAND = "$expand=singleValueExtendedProperties(%24filter%3Did%20eq%20'Integer%200x0E08')";
  private static GraphFixture f;

  @BeforeAll
  static void start() {
    f = new GraphFixture(M365.tenant());
  }

  private static Mailbox fresh(String name) {
    Mailbox m = f.contoso.addUser(name + "@contoso.com", GraphFixture.PASSWORD).mailbox();
    for (int i = 0; i < 3; i++) {
      f.deliver(m, "Inbox", "s" + i, T0.plusSeconds(i), false);
    }
    return m;
  }

  private static String error(TestHttp.Response r) {
    return r.status() + " " + r.json().at("/error/code").asText() + ": " + r.json().at("/error/message").asText();
  }

  @Test
  void delta_refusesExpand_withEitherReportedAnswer_butNotWithoutIt_norOnItsLinks() {
    Mailbox m = fresh("delta-expand");
    String token = f.token(f.writer);
    String delta = GraphFixture.user(m.address()) + "/mailFolders/inbox/messages/delta";
    TestHttp.Response first = f.get(token, delta + "?$select=subject&" + EXPAND);
    assertThat(first.status()).isEqualTo(200);
    String deltaLink = first.json().get("@odata.deltaLink").asText();
    f.m365.faults().graphRefuseExpandOnDelta(true);
    Set<String> answers = new HashSet<>();
    for (int i = 0; i < 24; i++) {
      answers.add(error(f.get(token, delta + "?$select=subject&" + EXPAND)));
    }
    assertThat(answers).containsExactlyInAnyOrder(
        "500 InternalServerError: Value cannot be null.\r\nParameter name: type",
        "400 BadRequest: Parsing OData Select and Expand failed: Value cannot be null. (Parameter 'initialState')",
        "400 BadRequest: The query option $expand is not supported for this request.");
    assertThat(f.get(token, delta + "?$select=subject").status()).isEqualTo(200);
    assertThat(f.get(token, deltaLink).status()).as("a round begun with $expand goes on").isEqualTo(200);
    assertThat(f.get(token, GraphFixture.user(m.address()) + "/mailFolders/inbox/messages?" + EXPAND).status())
        .as("listings are another knob").isEqualTo(200);
  }

  @Test
  void listingsAndMessages_refuseTheSizeExpansion_whenAsked() {
    Mailbox m = fresh("list-expand");
    String token = f.token(f.writer);
    String id = m.messages("Inbox").get(0).id();
    f.m365.faults().graphRefuseExpandOnMessages(true);
    String refusal = "400 BadRequest: Parsing OData Select and Expand failed: Could not find a property named"
        + " 'singleValueExtendedProperties' on type 'microsoft.graph.message'.";
    assertThat(error(f.get(token, GraphFixture.user(m.address()) + "/mailFolders/inbox/messages?" + EXPAND)))
        .isEqualTo(refusal);
    assertThat(error(f.get(token, GraphFixture.user(m.address()) + "/messages/" + id + "?" + EXPAND)))
        .isEqualTo(refusal);
    assertThat(f.get(token, GraphFixture.user(m.address()) + "/mailFolders/inbox/messages?$select=subject").status())
        .isEqualTo(200);
  }

  @Test
  void omittedSize_leavesTheExtendedPropertiesOut() {
    Mailbox m = fresh("no-size");
    String token = f.token(f.writer);
    String list = GraphFixture.user(m.address()) + "/mailFolders/inbox/messages?$select=subject&" + EXPAND;
    for (JsonNode msg : f.get(token, list).json().get("value")) {
      assertThat(msg.at("/singleValueExtendedProperties/0/value").asLong()).isPositive();
    }
    f.m365.faults().graphOmitSizeRate(1);
    for (JsonNode msg : f.get(token, list).json().get("value")) {
      assertThat(msg.has("singleValueExtendedProperties")).isFalse();
      assertThat(msg.get("subject").asText()).startsWith("s");
    }
    String delta = GraphFixture.user(m.address()) + "/mailFolders/inbox/messages/delta?$select=subject&" + EXPAND;
    for (JsonNode msg : f.get(token, delta).json().get("value")) {
      assertThat(msg.has("singleValueExtendedProperties")).isFalse();
    }
  }
}
