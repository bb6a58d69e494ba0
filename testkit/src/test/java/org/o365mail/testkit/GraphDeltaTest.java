package org.o365mail.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.o365mail.testkit.GraphFixture.user;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.o365mail.testkit.internal.Json;

/** Per-folder message delta of the Graph stand-in: paging, changes, removals, filters and 410 resets. */
@Timeout(60)
class GraphDeltaTest {
  private static final Instant T0 = Instant.parse("2026-02-01T00:00:00Z");
  private static GraphFixture f;

  @BeforeAll
  static void start() {
    f = new GraphFixture();
  }

  @AfterAll
  static void stop() {
    f.close();
  }

  private static Mailbox fresh(String name, int messages) {
    Mailbox m = f.contoso.addUser(name + "@contoso.com", GraphFixture.PASSWORD).mailbox();
    for (int i = 0; i < messages; i++) {
      f.deliver(m, "Inbox", "m" + i, T0.plus(i, ChronoUnit.MINUTES), false);
    }
    return m;
  }

  private static String token() {
    return f.token(f.writer);
  }

  /** One delta round: its pages' items, and the delta link it ends with. */
  record Round(List<JsonNode> items, List<Integer> pageSizes, String deltaLink, List<TestHttp.Response> responses) {}

  private static Round round(String start, int pageSize) {
    List<JsonNode> items = new ArrayList<>();
    List<Integer> sizes = new ArrayList<>();
    List<TestHttp.Response> responses = new ArrayList<>();
    String next = start;
    while (true) {
      TestHttp.Response r = f.get(token(), next, "Prefer", "odata.maxpagesize=" + pageSize);
      assertThat(r.status()).as(r.text()).isEqualTo(200);
      responses.add(r);
      JsonNode page = r.json();
      page.get("value").forEach(items::add);
      sizes.add(page.get("value").size());
      if (page.has("@odata.nextLink")) {
        assertThat(page.has("@odata.deltaLink")).isFalse();
        next = page.get("@odata.nextLink").asText();
      } else {
        return new Round(items, sizes, page.get("@odata.deltaLink").asText(), responses);
      }
    }
  }

  private static String deltaPath(String mailbox) {
    return user(mailbox) + "/mailFolders/inbox/messages/delta";
  }

  private static List<String> subjects(Round round) {
    return round.items().stream().filter(i -> i.has("subject")).map(i -> i.get("subject").asText()).toList();
  }

  private static List<String> removed(Round round) {
    return round.items().stream().filter(i -> i.has("@removed")).map(i -> i.get("id").asText()).toList();
  }

  @Test
  void firstRound_pagesEveryMessage_thenADeltaLink() {
    fresh("pages", 25);
    Round round = round(deltaPath("pages@contoso.com") + "?$select=subject,isRead", 10);
    assertThat(round.pageSizes()).containsExactly(10, 10, 5);
    assertThat(round.responses().get(0).header("Preference-Applied")).isEqualTo("odata.maxpagesize=10");
    String nextLink = round.responses().get(0).json().get("@odata.nextLink").asText();
    assertThat(nextLink)
        .startsWith(f.base() + "/users/pages%40contoso.com/mailFolders/inbox/messages/delta?$skiptoken=");
    assertThat(round.deltaLink())
        .startsWith(f.base() + "/users/pages%40contoso.com/mailFolders/inbox/messages/delta?$deltatoken=");
    assertThat(subjects(round)).hasSize(25).startsWith("m24", "m23").endsWith("m0");
    JsonNode first = round.items().get(0);
    List<String> names = new ArrayList<>();
    first.fieldNames().forEachRemaining(names::add);
    assertThat(names).containsExactly("@odata.type", "@odata.etag", "id", "subject", "isRead");
    assertThat(first.get("@odata.type").asText()).isEqualTo("#microsoft.graph.message");

    Round quiet = round(round.deltaLink(), 10);
    assertThat(quiet.items()).isEmpty();
    assertThat(quiet.deltaLink()).isNotEqualTo(round.deltaLink());
  }

  @Test
  void nextRound_returnsAddedChangedAndRemovedMessages() {
    Mailbox m = fresh("changes", 6);
    String messages = user("changes@contoso.com") + "/messages/";
    Round first = round(deltaPath("changes@contoso.com") + "?$select=subject,isRead", 4);
    List<StoredMail> inbox = m.messages("Inbox");
    StoredMail read = inbox.get(1);
    StoredMail deleted = inbox.get(2);
    StoredMail moved = inbox.get(3);
    assertThat(f.patch(token(), messages + read.id(), Json.object().put("isRead", true)).status()).isEqualTo(200);
    assertThat(f.delete(token(), messages + deleted.id()).status()).isEqualTo(204);
    assertThat(f.post(token(), messages + moved.id() + "/move", Json.object().put("destinationId", "archive")).status())
        .isEqualTo(201);
    f.deliver(m, "Inbox", "new1", T0.plus(1, ChronoUnit.DAYS), false);
    f.deliver(m, "Inbox", "new2", T0.plus(2, ChronoUnit.DAYS), false);
    f.deliver(m, "Archive", "elsewhere", T0.plus(3, ChronoUnit.DAYS), false);

    Round second = round(first.deltaLink(), 10);
    assertThat(subjects(second)).containsExactly("new2", "new1", read.subject());
    JsonNode changed =
        second.items().stream().filter(i -> i.path("id").asText().equals(read.id())).findFirst().orElseThrow();
    assertThat(changed.get("isRead").asBoolean()).isTrue();
    assertThat(removed(second)).containsExactlyInAnyOrder(deleted.id(), moved.id());
    JsonNode gone = second.items().stream().filter(i -> i.has("@removed")).findFirst().orElseThrow();
    assertThat(gone.get("@odata.type").asText()).isEqualTo("#microsoft.graph.message");
    assertThat(gone.at("/@removed/reason").asText()).isEqualTo("deleted");
    assertThat(round(second.deltaLink(), 10).items()).isEmpty();
    assertThat(round(first.deltaLink(), 10).items()).as("a delta link can be replayed").hasSize(5);
  }

  @Test
  void changeDuringPaging_isReplayedInTheNextRound_notLost() {
    Mailbox m = fresh("replay", 4);
    TestHttp.Response page1 =
        f.get(token(), deltaPath("replay@contoso.com") + "?$select=subject,isRead", "Prefer", "odata.maxpagesize=2");
    String seenId = page1.json().at("/value/0/id").asText();
    assertThat(f.patch(token(), user("replay@contoso.com") + "/messages/" + seenId, Json.object().put("isRead", true))
        .status()).isEqualTo(200);
    f.deliver(m, "Inbox", "late", T0.plus(1, ChronoUnit.DAYS), false);
    Round rest = round(page1.json().get("@odata.nextLink").asText(), 2);
    assertThat(subjects(rest)).containsExactly("m1", "m0");
    Round next = round(rest.deltaLink(), 10);
    assertThat(subjects(next)).containsExactly("late", "m3");
  }

  @Test
  void receivedDateTimeFilter_appliesToTheWholeSync() {
    Mailbox m = fresh("filtered", 6);
    String filter = "$filter=receivedDateTime%20ge%202026-02-01T00:03:00Z";
    Round first = round(deltaPath("filtered@contoso.com") + "?$select=subject&" + filter, 10);
    assertThat(subjects(first)).containsExactly("m5", "m4", "m3");
    f.deliver(m, "Inbox", "old", T0.minus(1, ChronoUnit.DAYS), false);
    f.deliver(m, "Inbox", "recent", T0.plus(1, ChronoUnit.DAYS), false);
    assertThat(subjects(round(first.deltaLink(), 10))).containsExactly("recent");
    TestHttp.Response unsupported =
        f.get(token(), deltaPath("filtered@contoso.com") + "?$filter=isRead%20eq%20false");
    assertThat(unsupported.status()).isEqualTo(400);
    assertThat(unsupported.json().at("/error/code").asText()).isEqualTo("ErrorInvalidUrlQueryFilter");
  }

  @Test
  void droppedTokens_areGone_withAFreshDeltaUrlInLocation() {
    fresh("reset", 3);
    String start = deltaPath("reset@contoso.com") + "?$select=subject";
    Round first = round(start, 10);
    TestHttp.Response page1 = f.get(token(), start, "Prefer", "odata.maxpagesize=1");
    f.m365.faults().dropDeltaTokens();
    for (String link : List.of(first.deltaLink(), page1.json().get("@odata.nextLink").asText())) {
      TestHttp.Response gone = f.get(token(), link);
      assertThat(gone.status()).isEqualTo(410);
      assertThat(gone.json().at("/error/code").asText()).isEqualTo("SyncStateNotFound");
      assertThat(gone.json().at("/error/message").asText()).isEqualTo("The sync state generation is not found.");
      assertThat(gone.header("Location"))
          .isEqualTo(f.base() + "/users/reset%40contoso.com/mailFolders/inbox/messages/delta?$select=subject");
    }
    Round resync = round(f.get(token(), first.deltaLink()).header("Location"), 10);
    assertThat(subjects(resync)).containsExactly("m2", "m1", "m0");
    assertThat(resync.items().get(0).has("isRead")).isFalse();
  }

  @Test
  void malformedToken_is400_unknownToken_is410() {
    fresh("tokens", 1);
    TestHttp.Response malformed = f.get(token(), deltaPath("tokens@contoso.com") + "?$deltatoken=garbage");
    assertThat(malformed.status()).isEqualTo(400);
    assertThat(malformed.json().at("/error/code").asText()).isEqualTo("SyncStateInvalid");
    TestHttp.Response unknown =
        f.get(token(), deltaPath("tokens@contoso.com") + "?$deltatoken=D" + "A".repeat(32));
    assertThat(unknown.status()).isEqualTo(410);
    assertThat(unknown.header("Location"))
        .isEqualTo(f.base() + "/users/tokens%40contoso.com/mailFolders/inbox/messages/delta");
    fresh("other", 1);
    String othersLink = round(deltaPath("other@contoso.com"), 10).deltaLink();
    String stolen = deltaPath("tokens@contoso.com") + othersLink.substring(othersLink.indexOf('?'));
    assertThat(f.get(token(), stolen).status()).as("a token of another mailbox").isEqualTo(410);
  }

  @Test
  void deltaOrder_oldestFirst_andChangeOrder_interleaveRemovals_andFirstRoundsKeepTheirOrderBy() {
    Mailbox m = fresh("ordered", 6);
    Faults faults = f.m365.faults();
    try {
      faults.graphDeltaOrder(Faults.DeltaOrder.OLDEST_FIRST);
      String ordered = deltaPath("ordered@contoso.com") + "?$select=subject&$orderby=receivedDateTime%20desc";
      assertThat(subjects(round(ordered, 4))).as("$orderby asked in the first round").startsWith("m5", "m4");
      Round first = round(deltaPath("ordered@contoso.com") + "?$select=subject", 4);
      assertThat(subjects(first)).containsExactly("m0", "m1", "m2", "m3", "m4", "m5");

      faults.graphDeltaOrder(Faults.DeltaOrder.CHANGE_ORDER);
      List<StoredMail> inbox = m.messages("Inbox");
      f.deliver(m, "Inbox", "committed first, received last", T0.plus(2, ChronoUnit.DAYS), false);
      f.deliver(m, "Inbox", "committed last, received first", T0.plus(1, ChronoUnit.DAYS), false);
      for (int i = 0; i < 4; i++) {
        assertThat(f.delete(token(), user("ordered@contoso.com") + "/messages/" + inbox.get(i).id()).status())
            .isEqualTo(204);
      }
      Round second = round(first.deltaLink(), 2);
      assertThat(subjects(second)).containsExactly("committed first, received last", "committed last, received first");
      assertThat(removed(second)).hasSize(4);
    } finally {
      faults.reset();
    }
  }

  @Test
  void deltaOrder_random_withRepeats_showsEveryChange_someTwice_andReplaysWithTheSameSeed() {
    List<List<String>> runs = new ArrayList<>();
    for (int run = 0; run < 2; run++) {
      try (LocalTenant tenant = LocalTenant.builder().seed(4242).start()) {
        tenant.faults().graphDeltaOrder(Faults.DeltaOrder.RANDOM).graphDeltaRepeatRate(0.3);
        Tenant t = tenant.createTenant("replay.com");
        Mailbox m = t.addUser("r@replay.com", GraphFixture.PASSWORD).mailbox();
        for (int i = 0; i < 30; i++) {
          m.deliver("Inbox", TestMessages.text("a@fabrikam.com", m.address(), "m" + i, "x"), false,
              T0.plus(i, ChronoUnit.MINUTES));
        }
        Application app = t.registerApp("replay");
        PasswordCredential secret = app.addClientSecret("test", Duration.ofDays(30));
        app.addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "Mail.Read").grantAdminConsent();
        TestHttp http = new TestHttp(tenant);
        String token = http.clientCredentialsToken(t, app, secret, GraphFixture.GRAPH);
        List<String> seen = new ArrayList<>();
        String next = tenant.graphBaseUrl() + user("r@replay.com") + "/mailFolders/inbox/messages/delta?$select=subject";
        while (next != null) {
          JsonNode page = http.get(next, "Authorization", "Bearer " + token, "Prefer", "odata.maxpagesize=7").json();
          page.get("value").forEach(i -> seen.add(i.get("subject").asText()));
          next = page.has("@odata.nextLink") ? page.get("@odata.nextLink").asText() : null;
        }
        assertThat(new java.util.HashSet<>(seen)).hasSize(30);
        assertThat(seen.size()).as("some changes shown twice").isGreaterThan(30);
        assertThat(seen.subList(0, 30)).isNotEqualTo(seen.stream().sorted().toList());
        runs.add(seen);
      }
    }
    assertThat(runs.get(1)).as("the same seed, the same answers").isEqualTo(runs.get(0));
  }

  @Test
  void shortPages_holdAnyNumberUpToThePreference_emptyOnesIncluded_andTheRoundIsComplete() {
    fresh("short", 40);
    Faults faults = f.m365.faults();
    try {
      faults.graphDeltaShortPages(true);
      Round round = round(deltaPath("short@contoso.com") + "?$select=subject", 5);
      assertThat(subjects(round)).hasSize(40).doesNotHaveDuplicates();
      assertThat(round.pageSizes()).allMatch(n -> n <= 5);
      assertThat(round.pageSizes().subList(0, round.pageSizes().size() - 1)).as("pages before the last")
          .anyMatch(n -> n < 5);
    } finally {
      faults.reset();
    }
  }
}
