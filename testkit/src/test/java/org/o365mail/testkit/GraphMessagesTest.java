package org.o365mail.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.o365mail.testkit.GraphFixture.user;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.o365mail.testkit.internal.Json;

/** Folders, message listing, single messages, actions and sending of the Graph stand-in. */
@Timeout(60)
class GraphMessagesTest {
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

  private static Mailbox fresh(String name) {
    return f.contoso.addUser(name + "@contoso.com", GraphFixture.PASSWORD).mailbox();
  }

  private static String token() {
    return f.token(f.writer);
  }

  /** Follows nextLinks from {@code path}; returns every page. */
  private static List<JsonNode> pages(String path, String... headers) {
    List<JsonNode> pages = new ArrayList<>();
    String next = path;
    while (next != null) {
      TestHttp.Response r = f.get(token(), next, headers);
      assertThat(r.status()).as(r.text()).isEqualTo(200);
      JsonNode page = r.json();
      pages.add(page);
      next = page.has("@odata.nextLink") ? page.get("@odata.nextLink").asText() : null;
    }
    return pages;
  }

  private static String error(TestHttp.Response r) {
    return r.json().at("/error/code").asText() + ": " + r.json().at("/error/message").asText();
  }

  // ----- folders -----

  /** internetMessageId is the header's bytes: backslashes and double quotes as they are, on every read. */
  @Test
  void internetMessageId_keepsBackslashesAndQuotes() {
    Mailbox m = fresh("msgid");
    String messageId = "<a\\\\b\"q\"\\c@x>"; // <a\\b"q"\c@x> with real backslashes
    StoredMail stored = m.deliver(
        "Inbox", TestMessages.text("carol@example.org", m.address(), "Backslashes", "Body", messageId), false, T0);
    for (int read = 1; read <= 2; read++) {
      TestHttp.Response r = f.get(token(), user("msgid@contoso.com") + "/messages/" + stored.id());
      assertThat(r.status()).as(r.text()).isEqualTo(200);
      assertThat(r.json().get("internetMessageId").asText()).isEqualTo(messageId);
      JsonNode list = pages(user("msgid@contoso.com") + "/mailFolders/inbox/messages?$select=internetMessageId").get(0);
      assertThat(list.at("/value/0/internetMessageId").asText()).isEqualTo(messageId);
    }
  }

  @Test
  void mailFolders_listTopLevelFolders_inPages() {
    fresh("folders");
    List<JsonNode> pages = pages(user("folders@contoso.com") + "/mailFolders?$top=3");
    assertThat(pages).hasSize(3);
    String nextLink = pages.get(0).get("@odata.nextLink").asText();
    assertThat(nextLink)
        .startsWith("https://localhost:" + f.m365.graphPort() + "/v1.0/users/folders%40contoso.com/mailFolders?")
        .contains("$top=3")
        .contains("$skiptoken=");
    List<String> names = new ArrayList<>();
    pages.forEach(p -> p.get("value").forEach(v -> names.add(v.get("displayName").asText())));
    assertThat(names)
        .containsExactly("Archive", "Deleted Items", "Drafts", "Inbox", "Junk Email", "Outbox", "Sent Items");
    JsonNode inbox = pages.get(1).get("value").get(0);
    assertThat(inbox.get("isHidden").asBoolean()).isFalse();
    assertThat(inbox.get("childFolderCount").asInt()).isZero();
  }

  @Test
  void mailFolder_byWellKnownNameOrId_withCounts() {
    Mailbox m = fresh("counts");
    f.deliver(m, "Inbox", "one", T0, false);
    f.deliver(m, "Inbox", "two", T0.plusSeconds(1), true);
    f.deliver(m, "Inbox", "three", T0.plusSeconds(2), false);
    TestHttp.Response r = f.get(token(), user("counts@contoso.com") + "/mailFolders/inbox");
    assertThat(r.status()).isEqualTo(200);
    JsonNode inbox = r.json();
    assertThat(inbox.get("displayName").asText()).isEqualTo("Inbox");
    assertThat(inbox.get("totalItemCount").asInt()).isEqualTo(3);
    assertThat(inbox.get("unreadItemCount").asInt()).isEqualTo(2);
    String id = inbox.get("id").asText();
    assertThat(f.get(token(), user("counts@contoso.com") + "/mailFolders/" + id).json().get("displayName").asText())
        .isEqualTo("Inbox");
    for (String wellKnown : List.of("sentitems", "deleteditems", "drafts", "junkemail", "archive", "outbox")) {
      assertThat(f.get(token(), user("counts@contoso.com") + "/mailFolders/" + wellKnown).status()).isEqualTo(200);
    }
    String root = f.get(token(), user("counts@contoso.com") + "/mailFolders/msgfolderroot").json().get("id").asText();
    assertThat(inbox.get("parentFolderId").asText()).isEqualTo(root);
    TestHttp.Response missing = f.get(token(), user("counts@contoso.com") + "/mailFolders/AAMkAGFnope");
    assertThat(missing.status()).isEqualTo(404);
    assertThat(error(missing)).isEqualTo("ErrorItemNotFound: The specified object was not found in the store.");
  }

  @Test
  void childFolders_createAndList_duplicateIs409() {
    fresh("tree");
    String inbox = user("tree@contoso.com") + "/mailFolders/inbox";
    TestHttp.Response created =
        f.post(token(), inbox + "/childFolders", GraphFixture.json("{\"displayName\":\"Invoices\"}"));
    assertThat(created.status()).as(created.text()).isEqualTo(201);
    String inboxId = f.get(token(), inbox).json().get("id").asText();
    assertThat(created.json().get("parentFolderId").asText()).isEqualTo(inboxId);
    assertThat(created.json().get("displayName").asText()).isEqualTo("Invoices");
    String invoicesId = created.json().get("id").asText();
    TestHttp.Response dup =
        f.post(token(), inbox + "/childFolders", GraphFixture.json("{\"displayName\":\"invoices\"}"));
    assertThat(dup.status()).isEqualTo(409);
    assertThat(error(dup)).isEqualTo("ErrorFolderExists: A folder with the specified name already exists.");
    assertThat(f.get(token(), inbox).json().get("childFolderCount").asInt()).isEqualTo(1);
    JsonNode children = f.get(token(), inbox + "/childFolders").json().get("value");
    assertThat(children).hasSize(1);
    assertThat(children.get(0).get("id").asText()).isEqualTo(invoicesId);
    TestHttp.Response top =
        f.post(token(), user("tree@contoso.com") + "/mailFolders", GraphFixture.json("{\"displayName\":\"Projects\"}"));
    assertThat(top.status()).isEqualTo(201);
    assertThat(f.m365.mailbox("tree@contoso.com").folderPaths()).contains("Inbox/Invoices", "Projects");
    f.m365.mailbox("tree@contoso.com").deliver("Inbox/Invoices", TestMessages.text("a@example.org", "tree@contoso.com",
        "Invoice 7", "x"), false);
    assertThat(f.get(token(), user("tree@contoso.com") + "/mailFolders/" + invoicesId + "/messages").json()
        .at("/value/0/subject").asText()).isEqualTo("Invoice 7");
  }

  // ----- listing -----

  @Test
  void messages_pageThroughAbsoluteNextLinks_newestFirst() {
    Mailbox m = fresh("paging");
    for (int i = 0; i < 25; i++) {
      f.deliver(m, i % 2 == 0 ? "Inbox" : "Archive", "m" + i, T0.plus(i, ChronoUnit.MINUTES), false);
    }
    List<JsonNode> pages = pages(user("paging@contoso.com") + "/messages?$select=subject,receivedDateTime");
    assertThat(pages).extracting(p -> p.get("value").size()).containsExactly(10, 10, 5);
    String next = pages.get(0).get("@odata.nextLink").asText();
    assertThat(next)
        .startsWith("https://localhost:" + f.m365.graphPort() + "/v1.0/users/paging%40contoso.com/messages?");
    List<String> subjects = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    pages.forEach(p -> p.get("value").forEach(v -> {
      subjects.add(v.get("subject").asText());
      ids.add(v.get("id").asText());
    }));
    assertThat(ids).hasSize(25);
    assertThat(subjects.get(0)).isEqualTo("m24");
    assertThat(subjects.get(24)).isEqualTo("m0");
    List<JsonNode> inbox = pages(user("paging@contoso.com") + "/mailFolders/inbox/messages?$top=5");
    assertThat(inbox).extracting(p -> p.get("value").size()).containsExactly(5, 5, 3);
    TestHttp.Response tooMany = f.get(token(), user("paging@contoso.com") + "/messages?$top=1001");
    assertThat(tooMany.status()).isEqualTo(400);
    assertThat(error(tooMany)).isEqualTo("BadRequest: The limit of '1000' for Top query has been exceeded. The value"
        + " from the incoming request is '1001'.");
  }

  @Test
  void messages_filterByReceivedDateTimeAndIsRead_orderAscending() {
    Mailbox m = fresh("filters");
    for (int i = 0; i < 6; i++) {
      f.deliver(m, "Inbox", "f" + i, T0.plus(i, ChronoUnit.HOURS), i % 2 == 0);
    }
    String base = user("filters@contoso.com") + "/mailFolders/inbox/messages?$select=subject&";
    JsonNode since = f.get(token(), base + "$filter=receivedDateTime%20ge%202026-03-01T10:00:00Z").json().get("value");
    assertThat(since).extracting(v -> v.get("subject").asText()).containsExactly("f5", "f4", "f3", "f2");
    String gtAndUnread = "$filter=receivedDateTime%20gt%202026-03-01T10:00:00Z%20and%20isRead%20eq%20false";
    JsonNode after = f.get(token(), base + gtAndUnread + "&$orderby=receivedDateTime%20asc").json().get("value");
    assertThat(after).extracting(v -> v.get("subject").asText()).containsExactly("f3", "f5");
    JsonNode before = f.get(token(), base + "$filter=receivedDateTime%20lt%202026-03-01T10:00:00Z").json().get("value");
    assertThat(before).extracting(v -> v.get("subject").asText()).containsExactly("f1", "f0");
    JsonNode unread = f.get(token(), base + "$filter=isRead%20eq%20false").json().get("value");
    assertThat(unread).extracting(v -> v.get("subject").asText()).containsExactly("f5", "f3", "f1");
    TestHttp.Response inefficient =
        f.get(token(), base + "$filter=isRead%20eq%20false&$orderby=receivedDateTime%20desc");
    assertThat(inefficient.status()).isEqualTo(400);
    assertThat(error(inefficient))
        .isEqualTo("InefficientFilter: The restriction or sort order is too complex for this operation.");
    TestHttp.Response invalid = f.get(token(), base + "$filter=size%20gt%2010");
    assertThat(invalid.status()).isEqualTo(400);
    assertThat(error(invalid))
        .isEqualTo("ErrorInvalidUrlQueryFilter: The query filter contains one or more invalid nodes.");
  }

  @Test
  void select_returnsOnlyTheSelectedProperties_plusIdAndEtag() {
    Mailbox m = fresh("select");
    f.deliver(m, "Inbox", "sel", T0, false);
    JsonNode v = f.get(token(), user("select@contoso.com") + "/messages?$select=subject,isRead").json().at("/value/0");
    List<String> names = new ArrayList<>();
    v.fieldNames().forEachRemaining(names::add);
    assertThat(names).containsExactly("@odata.etag", "id", "subject", "isRead");
    TestHttp.Response bad = f.get(token(), user("select@contoso.com") + "/messages?$select=subject,size");
    assertThat(bad.status()).isEqualTo(400);
    assertThat(error(bad)).isEqualTo(
        "RequestBroker--ParseUri: Could not find a property named 'size' on type 'Microsoft.OutlookServices.Message'.");
  }

  // ----- single messages -----

  @Test
  void message_isRenderedFromItsMime() {
    Mailbox m = fresh("render");
    String mime =
        "Message-ID: <render-1@example.org>\r\n"
            + "Date: Sun, 1 Mar 2026 07:59:00 +0000\r\n"
            + "From: \"Carol Sender\" <carol@example.org>\r\n"
            + "To: Render <render@contoso.com>, dave@example.org\r\n"
            + "Cc: erin@example.org\r\n"
            + "Reply-To: replies@example.org\r\n"
            + "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n"
            + "Importance: High\r\n"
            + "MIME-Version: 1.0\r\n"
            + "Content-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n"
            + "--b1\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nHello   there\r\n"
            + "--b1\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n<p>Hello <b>there</b></p>\r\n"
            + "--b1--\r\n";
    StoredMail stored = m.deliver("Inbox", TestMessages.bytes(mime), false, T0);
    TestHttp.Response r = f.get(token(), user("render@contoso.com") + "/messages/" + stored.id());
    assertThat(r.status()).isEqualTo(200);
    JsonNode msg = r.json();
    assertThat(msg.get("id").asText()).isEqualTo(stored.id());
    assertThat(msg.get("@odata.etag").asText()).startsWith("W/\"");
    assertThat(msg.get("subject").asText()).isEqualTo("Grüße");
    assertThat(msg.get("internetMessageId").asText()).isEqualTo("<render-1@example.org>");
    assertThat(msg.get("receivedDateTime").asText()).isEqualTo("2026-03-01T08:00:00Z");
    assertThat(msg.get("sentDateTime").asText()).isEqualTo("2026-03-01T07:59:00Z");
    assertThat(msg.at("/from/emailAddress/name").asText()).isEqualTo("Carol Sender");
    assertThat(msg.at("/from/emailAddress/address").asText()).isEqualTo("carol@example.org");
    assertThat(msg.at("/sender/emailAddress/address").asText()).isEqualTo("carol@example.org");
    assertThat(msg.get("toRecipients")).extracting(t -> t.at("/emailAddress/address").asText())
        .containsExactly("render@contoso.com", "dave@example.org");
    assertThat(msg.at("/ccRecipients/0/emailAddress/address").asText()).isEqualTo("erin@example.org");
    assertThat(msg.at("/replyTo/0/emailAddress/address").asText()).isEqualTo("replies@example.org");
    assertThat(msg.get("bccRecipients")).isEmpty();
    assertThat(msg.get("importance").asText()).isEqualTo("high");
    assertThat(msg.at("/body/contentType").asText()).isEqualTo("html");
    assertThat(msg.at("/body/content").asText()).contains("<b>there</b>");
    assertThat(msg.get("bodyPreview").asText()).isEqualTo("Hello there");
    assertThat(msg.get("hasAttachments").asBoolean()).isFalse();
    assertThat(msg.get("isRead").asBoolean()).isFalse();
    assertThat(msg.get("isDraft").asBoolean()).isFalse();
    assertThat(msg.get("parentFolderId").asText())
        .isEqualTo(f.get(token(), user("render@contoso.com") + "/mailFolders/inbox").json().get("id").asText());
    assertThat(msg.get("conversationId").asText()).startsWith("AAQkAD");
    TestHttp.Response text =
        f.get(token(), user("render@contoso.com") + "/messages/" + stored.id() + "?$select=body",
            "Prefer", "outlook.body-content-type=\"text\"");
    assertThat(text.json().at("/body/contentType").asText()).isEqualTo("text");
    assertThat(text.json().at("/body/content").asText()).startsWith("Hello   there");
    assertThat(text.header("Preference-Applied")).isEqualTo("outlook.body-content-type=\"text\"");
    TestHttp.Response missing = f.get(token(), user("render@contoso.com") + "/messages/AAMkAGTnope");
    assertThat(missing.status()).isEqualTo(404);
    assertThat(error(missing)).isEqualTo("ErrorItemNotFound: The specified object was not found in the store.");
  }

  @Test
  void value_streamsTheStoredMimeUnchanged() {
    Mailbox m = fresh("mime");
    byte[] big = TestMessages.ofSize("a@example.org", "mime@contoso.com", "big", 6 * 1024 * 1024);
    StoredMail stored = m.deliver("Inbox", big, false, T0);
    TestHttp.Response r = f.get(token(), user("mime@contoso.com") + "/messages/" + stored.id() + "/$value");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("Content-Type")).isEqualTo("text/plain");
    assertThat(r.body()).isEqualTo(m.mime(stored));
    assertThat(r.body().length).isGreaterThan(6_000_000);
  }

  @Test
  void patch_isRead_setsSeenInTheStore_andChangesTheEtag() {
    Mailbox m = fresh("patch");
    StoredMail stored = f.deliver(m, "Inbox", "p", T0, false);
    String path = user("patch@contoso.com") + "/messages/" + stored.id();
    String etag = f.get(token(), path).json().get("@odata.etag").asText();
    TestHttp.Response r = f.patch(token(), path, GraphFixture.json("{\"isRead\":true}"));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().get("isRead").asBoolean()).isTrue();
    assertThat(r.json().get("@odata.etag").asText()).isNotEqualTo(etag);
    assertThat(m.messages("Inbox").get(0).seen()).isTrue();
    TestHttp.Response unread = f.patch(token(), path, GraphFixture.json("{\"isRead\":false}"));
    assertThat(unread.json().get("isRead").asBoolean()).isFalse();
    assertThat(m.messages("Inbox").get(0).seen()).isFalse();
    TestHttp.Response unsupported = f.patch(token(), path, GraphFixture.json("{\"subject\":\"new\"}"));
    assertThat(unsupported.status()).isEqualTo(400);
  }

  @Test
  void move_givesANewId_unlessImmutableIdsArePreferred() {
    Mailbox m = fresh("mover");
    StoredMail first = f.deliver(m, "Inbox", "first", T0, false);
    StoredMail second = f.deliver(m, "Inbox", "second", T0.plusSeconds(1), false);
    String messages = user("mover@contoso.com") + "/messages/";
    TestHttp.Response moved =
        f.post(token(), messages + first.id() + "/move", GraphFixture.json("{\"destinationId\":\"deleteditems\"}"));
    assertThat(moved.status()).isEqualTo(201);
    assertThat(moved.header("Preference-Applied")).isNull();
    String newId = moved.json().get("id").asText();
    assertThat(newId).isNotEqualTo(first.id());
    String deletedItems =
        f.get(token(), user("mover@contoso.com") + "/mailFolders/deleteditems").json().get("id").asText();
    assertThat(moved.json().get("parentFolderId").asText()).isEqualTo(deletedItems);
    assertThat(f.get(token(), messages + first.id()).status()).isEqualTo(404);
    assertThat(f.get(token(), messages + newId).json().get("subject").asText()).isEqualTo("first");

    TestHttp.Response kept =
        f.post(token(), messages + second.id() + "/move", Json.object().put("destinationId", deletedItems),
            "Prefer", "IdType=\"ImmutableId\"");
    assertThat(kept.status()).isEqualTo(201);
    assertThat(kept.json().get("id").asText()).isEqualTo(second.id());
    assertThat(kept.header("Preference-Applied")).isEqualTo("IdType=\"ImmutableId\"");
    assertThat(m.messages("Deleted Items")).extracting(StoredMail::subject)
        .containsExactlyInAnyOrder("first", "second");
    assertThat(m.count("Inbox")).isZero();

    TestHttp.Response nowhere =
        f.post(token(), messages + second.id() + "/move", GraphFixture.json("{\"destinationId\":\"AAMkAGFnowhere\"}"));
    assertThat(nowhere.status()).isEqualTo(404);
  }

  @Test
  void copy_createsASecondMessage_withItsOwnId() {
    Mailbox m = fresh("copier");
    StoredMail original = f.deliver(m, "Inbox", "keep me", T0, true);
    TestHttp.Response copy = f.post(token(), user("copier@contoso.com") + "/messages/" + original.id() + "/copy",
        GraphFixture.json("{\"destinationId\":\"archive\"}"));
    assertThat(copy.status()).isEqualTo(201);
    assertThat(copy.json().get("id").asText()).isNotEqualTo(original.id());
    assertThat(copy.json().get("isRead").asBoolean()).isTrue();
    assertThat(m.count("Inbox")).isEqualTo(1);
    assertThat(m.messages("Archive")).extracting(StoredMail::subject).containsExactly("keep me");
  }

  @Test
  void delete_goesToRecoverableItems_permanentDeleteDoesNot() {
    Mailbox m = fresh("deleter");
    StoredMail soft = f.deliver(m, "Inbox", "soft", T0, false);
    StoredMail hard = f.deliver(m, "Inbox", "hard", T0.plusSeconds(1), false);
    String messages = user("deleter@contoso.com") + "/messages/";
    assertThat(f.delete(token(), messages + soft.id()).status()).isEqualTo(204);
    assertThat(f.post(token(), messages + hard.id() + "/permanentDelete", Json.object()).status()).isEqualTo(204);
    assertThat(m.count("Inbox")).isZero();
    assertThat(m.count("Deleted Items")).isZero();
    assertThat(f.m365.recoverableItems("deleter@contoso.com")).extracting(StoredMail::id).containsExactly(soft.id());
    assertThat(f.get(token(), messages + soft.id()).status()).isEqualTo(404);
    assertThat(f.delete(token(), messages + soft.id()).status()).isEqualTo(404);
  }

  // ----- sending -----

  private static ObjectNode mail(String subject, String to, String cc, String bcc) {
    ObjectNode message = Json.object();
    message.put("subject", subject);
    message.putObject("body").put("contentType", "HTML").put("content", "<p>Hi</p>");
    message.putArray("toRecipients").addObject().putObject("emailAddress").put("address", to).put("name", "To");
    if (cc != null) {
      message.putArray("ccRecipients").addObject().putObject("emailAddress").put("address", cc);
    }
    if (bcc != null) {
      message.putArray("bccRecipients").addObject().putObject("emailAddress").put("address", bcc);
    }
    return message;
  }

  @Test
  void sendMail_deliversLocally_savesToSentItems_andSendsTheRestOut() {
    Mailbox sender = fresh("sender");
    Mailbox to = fresh("receiver");
    Mailbox hidden = fresh("hidden");
    ObjectNode body = Json.object();
    body.set("message", mail("Quarterly report", "receiver@contoso.com", "partner@example.net", "hidden@contoso.com"));
    TestHttp.Response r = f.post(token(), user("sender@contoso.com") + "/sendMail", body);
    assertThat(r.status()).as(r.text()).isEqualTo(202);
    assertThat(r.body()).isEmpty();
    assertThat(to.messages("Inbox")).extracting(StoredMail::subject).containsExactly("Quarterly report");
    assertThat(hidden.messages("Inbox")).extracting(StoredMail::subject).containsExactly("Quarterly report");
    String received = new String(to.mime(to.messages("Inbox").get(0)), StandardCharsets.UTF_8);
    assertThat(received).contains("From: Sender <sender@contoso.com>").doesNotContain("hidden@contoso.com");
    assertThat(sender.messages("Sent Items")).extracting(StoredMail::subject).containsExactly("Quarterly report");
    assertThat(sender.messages("Sent Items").get(0).seen()).isTrue();
    OutboundMessage out =
        f.m365.outboundMail().stream().filter(o -> o.subject().equals("Quarterly report")).findFirst().orElseThrow();
    assertThat(out.sender()).isEqualTo("sender@contoso.com");
    assertThat(out.recipients()).containsExactly("partner@example.net");
    JsonNode graphView =
        f.get(token(), user("receiver@contoso.com") + "/mailFolders/inbox/messages").json().at("/value/0");
    assertThat(graphView.at("/body/content").asText()).isEqualTo("<p>Hi</p>");
    assertThat(graphView.at("/ccRecipients/0/emailAddress/address").asText()).isEqualTo("partner@example.net");

    ObjectNode unsaved = Json.object();
    unsaved.set("message", mail("Not saved", "receiver@contoso.com", null, null));
    unsaved.put("saveToSentItems", false);
    assertThat(f.post(token(), user("sender@contoso.com") + "/sendMail", unsaved).status()).isEqualTo(202);
    assertThat(sender.count("Sent Items")).isEqualTo(1);
    assertThat(to.count("Inbox")).isEqualTo(2);
  }

  @Test
  void sendMail_asAnotherAddress_is403ErrorSendAsDenied_untilSendAsIsGiven() {
    fresh("assistant");
    fresh("director");
    Mailbox to = fresh("sendasto");
    ObjectNode body = Json.object();
    body.set("message", mail("For the director", "sendasto@contoso.com", null, null));
    ((ObjectNode) body.get("message")).putObject("from").putObject("emailAddress").put("address", "director@contoso.com");
    TestHttp.Response denied = f.post(token(), user("assistant@contoso.com") + "/sendMail", body);
    assertThat(denied.status()).isEqualTo(403);
    assertThat(error(denied)).isEqualTo("ErrorSendAsDenied: The user account which was used to submit this request"
        + " does not have the right to send mail on behalf of the specified sending account. Cannot submit message.");
    ObjectNode outsider = body.deepCopy();
    ((ObjectNode) outsider.at("/message/from/emailAddress")).put("address", "ceo@fabrikam.com");
    assertThat(f.post(token(), user("assistant@contoso.com") + "/sendMail", outsider).status()).isEqualTo(403);
    assertThat(to.messages("Inbox")).isEmpty();

    f.contoso.addRecipientPermission("director@contoso.com", "assistant@contoso.com", "SendAs");
    TestHttp.Response sent = f.post(token(), user("assistant@contoso.com") + "/sendMail", body);
    assertThat(sent.status()).as(sent.text()).isEqualTo(202);
    assertThat(new String(to.mime(to.messages("Inbox").get(0)), StandardCharsets.UTF_8))
        .contains("From: director@contoso.com");
  }

  @Test
  void sendMail_andDraftSend_overTheMailboxsMaxSendSize_are400ErrorMessageSizeExceeded() {
    Mailbox small = fresh("smalllimit");
    Mailbox to = fresh("smallto");
    assertThat(small.maxSendSize()).isEqualTo(Mailbox.DEFAULT_MAX_SEND_SIZE).isEqualTo(35L * 1024 * 1024);
    small.maxSendSize(2_000);
    ObjectNode message = mail("Too big", "smallto@contoso.com", null, null);
    message.putObject("body").put("contentType", "text").put("content", "x".repeat(5_000));
    ObjectNode body = Json.object();
    body.set("message", message);
    TestHttp.Response refused = f.post(token(), user("smalllimit@contoso.com") + "/sendMail", body);
    assertThat(refused.status()).isEqualTo(400);
    assertThat(error(refused)).isEqualTo("ErrorMessageSizeExceeded: The message exceeds the maximum supported"
        + " size., Cannot save changes made to an item to store.");

    TestHttp.Response draft = f.post(token(), user("smalllimit@contoso.com") + "/messages", message);
    assertThat(draft.status()).as(draft.text()).isEqualTo(201);
    String id = draft.json().get("id").asText();
    TestHttp.Response send = f.post(token(), user("smalllimit@contoso.com") + "/messages/" + id + "/send", Json.object());
    assertThat(send.status()).isEqualTo(400);
    assertThat(error(send)).startsWith("ErrorMessageSizeExceeded: ");
    assertThat(small.count("Drafts")).as("the draft stays a draft").isEqualTo(1);
    assertThat(to.messages("Inbox")).isEmpty();

    small.maxSendSize(Mailbox.DEFAULT_MAX_SEND_SIZE);
    assertThat(f.post(token(), user("smalllimit@contoso.com") + "/messages/" + id + "/send", Json.object()).status())
        .isEqualTo(202);
    assertThat(to.messages("Inbox")).extracting(StoredMail::subject).containsExactly("Too big");
  }

  @Test
  void sendMail_acceptsBase64Mime_andRefusesInvalidBase64() {
    Mailbox to = fresh("mimeto");
    fresh("mimefrom");
    byte[] mime = TestMessages.text("mimefrom@contoso.com", "mimeto@contoso.com", "From MIME", "raw body");
    TestHttp.Response r = f.send("POST", token(), user("mimefrom@contoso.com") + "/sendMail",
        Base64.getMimeEncoder().encode(mime), "Content-Type", "text/plain");
    assertThat(r.status()).as(r.text()).isEqualTo(202);
    assertThat(to.messages("Inbox")).extracting(StoredMail::subject).containsExactly("From MIME");
    assertThat(f.m365.mailbox("mimefrom@contoso.com").count("Sent Items")).isEqualTo(1);

    TestHttp.Response invalid = f.send("POST", token(), user("mimefrom@contoso.com") + "/sendMail", mime,
        "Content-Type", "text/plain");
    assertThat(invalid.status()).isEqualTo(400);
    assertThat(error(invalid))
        .isEqualTo("ErrorMimeContentInvalidBase64String: Invalid base64 string for MIME content.");
  }

  @Test
  void sendMail_over4MB_is413_andWithoutRecipients_is400() {
    fresh("large");
    byte[] huge = TestMessages.ofSize("large@contoso.com", "bob@contoso.com", "huge", 3_200_000);
    TestHttp.Response tooLarge = f.send("POST", token(), user("large@contoso.com") + "/sendMail",
        Base64.getMimeEncoder().encode(huge), "Content-Type", "text/plain");
    assertThat(tooLarge.status()).isEqualTo(413);
    assertThat(error(tooLarge)).isEqualTo("RequestEntityTooLarge: The maximum request length supported is 4MB.");
    ObjectNode none = Json.object();
    none.putObject("message").put("subject", "nobody");
    TestHttp.Response noRecipients = f.post(token(), user("large@contoso.com") + "/sendMail", none);
    assertThat(noRecipients.status()).isEqualTo(400);
    assertThat(error(noRecipients))
        .isEqualTo("ErrorInvalidRecipients: At least one recipient is required, but none were found.");
  }

  @Test
  void draft_isCreatedInDrafts_andSendDeliversIt() {
    Mailbox author = fresh("author");
    Mailbox to = fresh("reader");
    TestHttp.Response created = f.post(token(), user("author@contoso.com") + "/messages",
        mail("Draft subject", "reader@contoso.com", null, null));
    assertThat(created.status()).as(created.text()).isEqualTo(201);
    JsonNode draft = created.json();
    assertThat(draft.get("isDraft").asBoolean()).isTrue();
    assertThat(draft.get("isRead").asBoolean()).isTrue();
    assertThat(author.messages("Drafts")).extracting(StoredMail::subject).containsExactly("Draft subject");
    String id = draft.get("id").asText();
    TestHttp.Response sent = f.post(token(), user("author@contoso.com") + "/messages/" + id + "/send", Json.object());
    assertThat(sent.status()).as(sent.text()).isEqualTo(202);
    assertThat(author.count("Drafts")).isZero();
    assertThat(author.messages("Sent Items")).extracting(StoredMail::subject).containsExactly("Draft subject");
    assertThat(to.messages("Inbox")).extracting(StoredMail::subject).containsExactly("Draft subject");
    assertThat(f.get(token(), user("author@contoso.com") + "/messages/" + id).status()).isEqualTo(404);
    assertThat(f.get(f.token(f.reader), user("author@contoso.com") + "/messages?$filter=isDraft%20eq%20true").json()
        .get("value")).isEmpty();
    String readerToken = f.token(f.reader);
    TestHttp.Response notAllowed = f.post(readerToken, user("author@contoso.com") + "/messages",
        mail("x", "reader@contoso.com", null, null));
    assertThat(notAllowed.status()).isEqualTo(403);
  }
}
