package org.o365mail.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.o365mail.testkit.GraphFixture.user;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.o365mail.testkit.internal.Json;

/** Attachments from MIME parts, direct attachment, upload sessions and sending large mail through a draft. */
@Timeout(60)
class GraphAttachmentsTest {
  private static final int MIB = 1024 * 1024;
  private static GraphFixture f;

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

  private static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static String draft(String mailbox, String to) {
    ObjectNode message = Json.object();
    message.put("subject", "Large");
    message.putObject("body").put("contentType", "text").put("content", "See attached.");
    message.putArray("toRecipients").addObject().putObject("emailAddress").put("address", to);
    TestHttp.Response r = f.post(token(), user(mailbox) + "/messages", message);
    assertThat(r.status()).as(r.text()).isEqualTo(201);
    return r.json().get("id").asText();
  }

  private static JsonNode createSession(String mailbox, String messageId, String name, long size) {
    ObjectNode body = Json.object();
    body.putObject("AttachmentItem").put("attachmentType", "file").put("name", name).put("size", size)
        .put("contentType", "application/octet-stream");
    String path = user(mailbox) + "/messages/" + messageId + "/attachments/createUploadSession";
    TestHttp.Response r = f.post(token(), path, body);
    assertThat(r.status()).as(r.text()).isEqualTo(201);
    return r.json();
  }

  private static TestHttp.Response put(String uploadUrl, byte[] content, int from, int to, String... headers) {
    byte[] chunk = Arrays.copyOfRange(content, from, to);
    String range = "bytes " + from + "-" + (to - 1) + "/" + content.length;
    return f.http.send("PUT", uploadUrl, chunk, GraphFixture.concat(headers, "Content-Range", range));
  }

  @Test
  void attachments_comeFromTheMimeParts_withStableIds() {
    Mailbox m = fresh("parts");
    byte[] pdf = random(50_000, 1);
    String boundary = "b-parts";
    String mime =
        "Message-ID: <parts@example.org>\r\nFrom: a@example.org\r\nTo: parts@contoso.com\r\nSubject: With parts\r\n"
            + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\n"
            + "--" + boundary + "\r\nContent-Type: text/plain\r\n\r\nBody\r\n"
            + "--" + boundary + "\r\nContent-Type: application/pdf; name=\"report.pdf\"\r\n"
            + "Content-Disposition: attachment; filename=\"report.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + Base64.getMimeEncoder().encodeToString(pdf) + "\r\n"
            + "--" + boundary + "\r\nContent-Type: image/png\r\nContent-ID: <logo@example.org>\r\n"
            + "Content-Disposition: inline; filename=\"logo.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + Base64.getMimeEncoder().encodeToString(new byte[] {1, 2, 3}) + "\r\n"
            + "--" + boundary + "--\r\n";
    StoredMail stored = m.deliver("Inbox", mime.getBytes(StandardCharsets.US_ASCII), false, Instant.now());
    String base = user("parts@contoso.com") + "/messages/" + stored.id();
    assertThat(f.get(token(), base + "?$select=hasAttachments").json().get("hasAttachments").asBoolean()).isTrue();
    TestHttp.Response list = f.get(token(), base + "/attachments");
    assertThat(list.status()).isEqualTo(200);
    JsonNode value = list.json().get("value");
    assertThat(value).hasSize(2);
    JsonNode report = value.get(0);
    assertThat(report.get("@odata.type").asText()).isEqualTo("#microsoft.graph.fileAttachment");
    assertThat(report.get("name").asText()).isEqualTo("report.pdf");
    assertThat(report.get("contentType").asText()).isEqualTo("application/pdf");
    assertThat(report.get("size").asLong()).isEqualTo(50_000);
    assertThat(report.get("isInline").asBoolean()).isFalse();
    assertThat(report.has("contentBytes")).isFalse();
    JsonNode logo = value.get(1);
    assertThat(logo.get("isInline").asBoolean()).isTrue();
    assertThat(logo.get("contentId").asText()).isEqualTo("logo@example.org");
    String id = report.get("id").asText();
    assertThat(f.get(token(), base + "/attachments").json().at("/value/0/id").asText()).isEqualTo(id);
    TestHttp.Response single = f.get(token(), base + "/attachments/" + id);
    assertThat(Base64.getDecoder().decode(single.json().get("contentBytes").asText())).isEqualTo(pdf);
    TestHttp.Response raw = f.get(token(), base + "/attachments/" + id + "/$value");
    assertThat(raw.status()).isEqualTo(200);
    assertThat(raw.header("Content-Type")).isEqualTo("application/pdf");
    assertThat(raw.body()).isEqualTo(pdf);
    TestHttp.Response missing = f.get(token(), base + "/attachments/AAMkAGAtnope");
    assertThat(missing.status()).isEqualTo(404);
    assertThat(missing.json().at("/error/code").asText()).isEqualTo("ErrorItemNotFound");
  }

  @Test
  void smallAttachment_isAddedDirectly_largeOneNeedsAnUploadSession() {
    fresh("direct");
    String id = draft("direct@contoso.com", "bob@contoso.com");
    String attachments = user("direct@contoso.com") + "/messages/" + id + "/attachments";
    ObjectNode small = Json.object();
    small.put("@odata.type", "#microsoft.graph.fileAttachment").put("name", "notes.txt")
        .put("contentType", "text/plain")
        .put("contentBytes", Base64.getEncoder().encodeToString("first".getBytes(StandardCharsets.UTF_8)));
    TestHttp.Response first = f.post(token(), attachments, small);
    assertThat(first.status()).as(first.text()).isEqualTo(201);
    String firstId = first.json().get("id").asText();
    small.put("name", "more.txt");
    TestHttp.Response second = f.post(token(), attachments, small);
    assertThat(second.status()).isEqualTo(201);
    JsonNode list = f.get(token(), attachments).json().get("value");
    assertThat(list).extracting(a -> a.get("name").asText()).containsExactly("notes.txt", "more.txt");
    assertThat(list.get(0).get("id").asText()).as("ids stay stable when attachments are added").isEqualTo(firstId);
    assertThat(f.get(token(), user("direct@contoso.com") + "/messages/" + id).json().get("id").asText()).isEqualTo(id);

    ObjectNode large = Json.object();
    large.put("@odata.type", "#microsoft.graph.fileAttachment").put("name", "big.bin")
        .put("contentBytes", Base64.getEncoder().encodeToString(random(3 * MIB, 2)));
    TestHttp.Response tooLarge = f.post(token(), attachments, large);
    assertThat(tooLarge.status()).isEqualTo(413);
    assertThat(tooLarge.json().at("/error/code").asText()).isEqualTo("RequestEntityTooLarge");
    assertThat(f.get(token(), attachments).json().get("value")).hasSize(2);
  }

  @Test
  void uploadSession_takes10MBInThreeRanges_withoutAuthorization() {
    fresh("uploader");
    String id = draft("uploader@contoso.com", "bob@contoso.com");
    byte[] content = random(10 * MIB, 3);
    JsonNode session = createSession("uploader@contoso.com", id, "archive.zip", content.length);
    assertThat(session.get("nextExpectedRanges")).extracting(JsonNode::asText).containsExactly("0-");
    assertThat(Instant.parse(session.get("expirationDateTime").asText())).isAfter(f.m365.clock().instant());
    String uploadUrl = session.get("uploadUrl").asText();
    assertThat(uploadUrl).startsWith("https://localhost:" + f.m365.graphPort() + "/").contains("authtoken=");

    TestHttp.Response first = put(uploadUrl, content, 0, 4 * MIB);
    assertThat(first.status()).as(first.text()).isEqualTo(200);
    assertThat(first.json().get("nextExpectedRanges")).extracting(JsonNode::asText).containsExactly(4 * MIB + "-");

    TestHttp.Response outOfOrder = put(uploadUrl, content, 8 * MIB, 10 * MIB);
    assertThat(outOfOrder.status()).isEqualTo(416);
    assertThat(outOfOrder.json().get("nextExpectedRanges")).extracting(JsonNode::asText).containsExactly(4 * MIB + "-");

    TestHttp.Response oversized = put(uploadUrl, content, 4 * MIB, 8 * MIB + 1);
    assertThat(oversized.status()).isEqualTo(413);

    TestHttp.Response second =
        put(uploadUrl, content, 4 * MIB, 8 * MIB, "Authorization", "Bearer ignored-by-the-upload-url");
    assertThat(second.status()).as("an Authorization header is ignored").isEqualTo(200);
    assertThat(second.json().get("nextExpectedRanges")).extracting(JsonNode::asText).containsExactly(8 * MIB + "-");

    TestHttp.Response last = put(uploadUrl, content, 8 * MIB, 10 * MIB);
    assertThat(last.status()).as(last.text()).isEqualTo(201);
    String location = last.header("Location");
    assertThat(location).startsWith(f.base() + "/users/uploader%40contoso.com/messages/" + id + "/attachments/");

    TestHttp.Response raw = f.get(token(), location + "/$value");
    assertThat(raw.status()).isEqualTo(200);
    assertThat(raw.body()).isEqualTo(content);
    String message = user("uploader@contoso.com") + "/messages/" + id;
    JsonNode list = f.get(token(), message + "/attachments").json().get("value");
    assertThat(list).hasSize(1);
    assertThat(list.get(0).get("name").asText()).isEqualTo("archive.zip");
    assertThat(list.get(0).get("size").asLong()).isEqualTo(content.length);
    assertThat(f.get(token(), message).json().get("hasAttachments").asBoolean()).isTrue();
    assertThat(put(uploadUrl, content, 0, 10).status()).as("a completed session is gone").isEqualTo(404);

    List<RecordedRequest> uploads =
        f.m365.requests("graph").stream().filter(r -> r.path().equals(URI.create(uploadUrl).getRawPath())).toList();
    assertThat(uploads).extracting(RecordedRequest::status).containsExactly(200, 416, 413, 200, 201, 404);
    assertThat(uploads.subList(0, 5)).allSatisfy(r -> {
      assertThat(r.attribute("mailbox")).isEqualTo("uploader@contoso.com");
      assertThat(r.attribute("appid")).isEqualTo(f.writer.app().clientId());
      assertThat(r.path()).doesNotContain("authtoken");
    });
  }

  @Test
  void attachmentsTakingADraftOverMaxSendSize_are400ErrorMessageSizeExceeded_andLeaveTheDraftAsItWas() {
    Mailbox m = fresh("maxsend");
    m.maxSendSize(2 * MIB);
    String id = draft("maxsend@contoso.com", "bob@contoso.com");
    ObjectNode direct = Json.object();
    direct.put("@odata.type", "#microsoft.graph.fileAttachment").put("name", "big.bin")
        .put("contentType", "application/octet-stream")
        .put("contentBytes", Base64.getEncoder().encodeToString(random(2 * MIB, 5)));
    TestHttp.Response refused = f.post(token(), user("maxsend@contoso.com") + "/messages/" + id + "/attachments", direct);
    assertThat(refused.status()).isEqualTo(400);
    assertThat(refused.json().at("/error/code").asText()).isEqualTo("ErrorMessageSizeExceeded");

    byte[] content = random(3 * MIB, 6);
    String uploadUrl = createSession("maxsend@contoso.com", id, "scan.bin", content.length).get("uploadUrl").asText();
    assertThat(put(uploadUrl, content, 0, 2 * MIB).status()).isEqualTo(200);
    TestHttp.Response last = put(uploadUrl, content, 2 * MIB, 3 * MIB);
    assertThat(last.status()).as("the last range").isEqualTo(400);
    assertThat(last.json().at("/error/code").asText()).isEqualTo("ErrorMessageSizeExceeded");
    assertThat(f.get(token(), user("maxsend@contoso.com") + "/messages/" + id + "/attachments").json().get("value"))
        .as("attachments of the draft").isEmpty();
  }

  @Test
  void uploadUrl_withAWrongToken_is401() {
    fresh("forger");
    String id = draft("forger@contoso.com", "bob@contoso.com");
    String uploadUrl = createSession("forger@contoso.com", id, "a.bin", 10).get("uploadUrl").asText();
    String forged = uploadUrl.substring(0, uploadUrl.indexOf("authtoken=") + 10) + "forged";
    TestHttp.Response r = f.http.send("PUT", forged, new byte[10], "Content-Range", "bytes 0-9/10");
    assertThat(r.status()).isEqualTo(401);
    assertThat(r.json().at("/error/code").asText()).isEqualTo("InvalidAuthenticationToken");
    assertThat(f.http.send("PUT", uploadUrl, new byte[10], "Content-Range", "bytes 0-9/10").status()).isEqualTo(201);
  }

  @Test
  void largeMail_isSentThroughADraft_withAnUploadedAttachment() {
    fresh("bigsender");
    Mailbox to = fresh("bigreceiver");
    String id = draft("bigsender@contoso.com", "bigreceiver@contoso.com");
    byte[] content = random(3 * MIB + 500_000, 4);
    String uploadUrl = createSession("bigsender@contoso.com", id, "scan.tif", content.length).get("uploadUrl").asText();
    assertThat(put(uploadUrl, content, 0, content.length).status()).isEqualTo(201);
    String draft = user("bigsender@contoso.com") + "/messages/" + id;
    TestHttp.Response sent = f.post(token(), draft + "/send", Json.object());
    assertThat(sent.status()).as(sent.text()).isEqualTo(202);
    assertThat(f.m365.mailbox("bigsender@contoso.com").count("Drafts")).isZero();
    StoredMail received = to.messages("Inbox").get(0);
    assertThat(received.subject()).isEqualTo("Large");
    String base = user("bigreceiver@contoso.com") + "/messages/" + received.id();
    JsonNode attachment = f.get(token(), base + "/attachments").json().at("/value/0");
    assertThat(attachment.get("name").asText()).isEqualTo("scan.tif");
    String value = base + "/attachments/" + attachment.get("id").asText() + "/$value";
    assertThat(f.get(token(), value).body()).isEqualTo(content);
    assertThat(f.get(token(), base + "?$select=body").json().at("/body/content").asText()).isEqualTo("See attached.");
  }
}
