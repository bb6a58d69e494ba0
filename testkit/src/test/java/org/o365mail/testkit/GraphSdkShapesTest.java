package org.o365mail.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.o365mail.testkit.GraphFixture.user;

import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Request shapes the Graph SDKs send and Graph accepts: the {@code delta()} function-call form of the delta path,
 * and action parameters in any case ({@code DestinationId}, {@code Message}, {@code SaveToSentItems}, as the Java
 * SDK v6 serialises them); and the message size as the extended property {@code Integer 0x0E08} through {@code
 * $expand=singleValueExtendedProperties($filter=id eq 'Integer 0x0E08')}.
 */
@Timeout(60)
class GraphSdkShapesTest {
  private static GraphFixture f;
  private static final Instant T0 = Instant.parse("2026-03-01T08:00:00Z");

  @BeforeAll
  static void start() {
    f = new GraphFixture();
  }

  @AfterAll
  static void stop() {
    f.close();
  }

  @Test
  void delta_answersTheFunctionCallFormOfThePath() {
    Mailbox m = f.contoso.addUser("deltafn@contoso.com", GraphFixture.PASSWORD).mailbox();
    f.deliver(m, "Inbox", "one", T0, false);
    TestHttp.Response r = f.get(f.token(f.writer), user(m.address()) + "/mailFolders/inbox/messages/delta()");
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    assertThat(r.json().get("value")).hasSize(1);
    assertThat(r.json().get("@odata.deltaLink").asText()).contains("/messages/delta()?$deltatoken=");
    TestHttp.Response again = f.get(f.token(f.writer), r.json().get("@odata.deltaLink").asText());
    assertThat(again.status()).as(again.text()).isEqualTo(200);
    assertThat(again.json().get("value")).isEmpty();
  }

  @Test
  void actionParameters_matchInAnyCase() {
    Mailbox m = f.contoso.addUser("shapes@contoso.com", GraphFixture.PASSWORD).mailbox();
    StoredMail mail = f.deliver(m, "Inbox", "move me", T0, false);
    TestHttp.Response moved = f.post(f.token(f.writer), user(m.address()) + "/messages/" + mail.id() + "/move",
        GraphFixture.json("{\"DestinationId\":\"archive\"}"), "Prefer", "IdType=\"ImmutableId\"");
    assertThat(moved.status()).as(moved.text()).isEqualTo(201);
    assertThat(m.messages("Archive")).extracting(StoredMail::subject).containsExactly("move me");

    TestHttp.Response sent = f.post(f.token(f.writer), user(m.address()) + "/sendMail", GraphFixture.json(
        "{\"Message\":{\"subject\":\"capitalised\",\"body\":{\"contentType\":\"text\",\"content\":\"hi\"},"
            + "\"toRecipients\":[{\"emailAddress\":{\"address\":\"someone@fabrikam.com\"}}]},\"SaveToSentItems\":false}"));
    assertThat(sent.status()).as(sent.text()).isEqualTo(202);
    assertThat(f.m365.outboundMail()).anySatisfy(o -> assertThat(o.subject()).isEqualTo("capitalised"));
    assertThat(m.messages("Sent Items")).extracting(StoredMail::subject).doesNotContain("capitalised");
  }

  private static final String SIZE = "singleValueExtendedProperties($filter=id%20eq%20'Integer%200x0E08')";

  @Test
  void messageSize_comesAsExtendedProperty_whenExpanded_alsoThroughDeltaRounds() {
    Mailbox m = f.contoso.addUser("sizes@contoso.com", GraphFixture.PASSWORD).mailbox();
    StoredMail mail = f.deliver(m, "Inbox", "sized", T0, false);
    String messages = user(m.address()) + "/mailFolders/inbox/messages";

    TestHttp.Response plain = f.get(f.token(f.writer), messages + "?$select=subject");
    assertThat(plain.json().get("value").get(0).has("singleValueExtendedProperties")).isFalse();

    TestHttp.Response listed = f.get(f.token(f.writer), messages + "?$select=subject&$expand=" + SIZE);
    assertThat(listed.status()).as(listed.text()).isEqualTo(200);
    var prop = listed.json().get("value").get(0).get("singleValueExtendedProperties").get(0);
    assertThat(prop.get("id").asText()).isEqualTo("Integer 0xe08");
    assertThat(prop.get("value").asText()).isEqualTo(Long.toString(mail.size()));

    TestHttp.Response single = f.get(f.token(f.writer), user(m.address()) + "/messages/" + mail.id() + "?$expand="
        + SIZE.replace("0x0E08", "0xe08"));
    assertThat(single.json().at("/singleValueExtendedProperties/0/value").asText()).isEqualTo(Long.toString(mail.size()));

    TestHttp.Response first = f.get(f.token(f.writer), messages + "/delta?$select=subject&$expand=" + SIZE);
    assertThat(first.json().at("/value/0/singleValueExtendedProperties/0/value").asText())
        .isEqualTo(Long.toString(mail.size()));
    StoredMail later = f.deliver(m, "Inbox", "later", T0.plusSeconds(60), false);
    TestHttp.Response next = f.get(f.token(f.writer), first.json().get("@odata.deltaLink").asText());
    assertThat(next.json().at("/value/0/subject").asText()).isEqualTo("later");
    assertThat(next.json().at("/value/0/singleValueExtendedProperties/0/value").asText())
        .isEqualTo(Long.toString(later.size()));
  }
}
