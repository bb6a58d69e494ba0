package org.o365mail.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.o365mail.testkit.GraphFixture.user;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.o365mail.testkit.internal.Json;

/** Token checks, permissions, mailbox addressing, /users, /applications and recording of the Graph stand-in. */
@Timeout(60)
class GraphServerTest {
  private static GraphFixture f;

  @BeforeAll
  static void start() {
    f = new GraphFixture();
    f.deliver(f.alice.mailbox(), "Inbox", "Hello", f.m365.clock().instant(), false);
    f.deliver(f.bob.mailbox(), "Inbox", "Hello Bob", f.m365.clock().instant(), false);
    f.deliver(f.shared, "Inbox", "Ticket 1", f.m365.clock().instant(), false);
  }

  @AfterAll
  static void stop() {
    f.close();
  }

  private static final String ALICE_MESSAGES = user("alice@contoso.com") + "/messages";

  private static void assertError(TestHttp.Response r, int status, String code, String message) {
    assertThat(r.status()).as(r.text()).isEqualTo(status);
    JsonNode error = r.json().get("error");
    assertThat(error.get("code").asText()).isEqualTo(code);
    assertThat(error.get("message").asText()).isEqualTo(message);
    assertThat(error.at("/innerError/request-id").asText()).isEqualTo(r.header("request-id"));
    assertThat(error.at("/innerError/client-request-id").asText()).isEqualTo(r.header("client-request-id"));
    assertThat(error.at("/innerError/date").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d");
  }

  // ----- tokens -----

  @Test
  void noToken_is401AccessTokenEmpty_withWwwAuthenticate() {
    TestHttp.Response r = f.get(null, ALICE_MESSAGES);
    assertError(r, 401, "InvalidAuthenticationToken", "Access token is empty.");
    assertThat(r.header("WWW-Authenticate")).startsWith("Bearer realm=\"\"").contains("client_id=\"00000003-");
    TestHttp.Response empty = f.get(null, ALICE_MESSAGES, "Authorization", "Bearer ");
    assertError(empty, 401, "InvalidAuthenticationToken", "Access token is empty.");
  }

  @Test
  void tokenThatIsNotOurs_is401ValidationFailure() {
    assertError(
        f.get("not-a-jwt", ALICE_MESSAGES), 401, "InvalidAuthenticationToken", "Access token validation failure.");
    String token = f.token(f.reader);
    String tampered = token.substring(0, token.length() - 4) + (token.endsWith("AAAA") ? "BBBB" : "AAAA");
    TestHttp.Response r = f.get(tampered, ALICE_MESSAGES);
    assertError(r, 401, "InvalidAuthenticationToken", "Access token validation failure.");
    assertThat(r.header("WWW-Authenticate")).startsWith("Bearer ");
  }

  /** Entra may give a delegated Graph token Graph's app id as {@code aud}; Graph takes it (see Faults.GraphAudience). */
  @Test
  void delegatedTokenWithGraphAppIdAudience_isAccepted() {
    f.m365.faults().delegatedGraphAudience(Faults.GraphAudience.APP_ID);
    try {
      String token = f.http.passwordToken(f.contoso, f.delegatedOwn, "alice@contoso.com", GraphFixture.PASSWORD,
          "https://graph.microsoft.com/Mail.Read");
      assertThat(f.m365.tokens().verify(token).orElseThrow().audience())
          .isEqualTo("00000003-0000-0000-c000-000000000000");
      assertThat(f.get(token, "/me/messages").status()).isEqualTo(200);
    } finally {
      f.m365.faults().delegatedGraphAudience(Faults.GraphAudience.URI);
    }
  }

  @Test
  void exchangeOnlineToken_is401InvalidAudience() {
    String exchangeToken =
        f.http.clientCredentialsToken(
            f.contoso, f.reader.app(), f.reader.secret(), "https://outlook.office365.com/.default");
    assertError(f.get(exchangeToken, ALICE_MESSAGES), 401, "InvalidAuthenticationToken",
        "Access token validation failure. Invalid audience.");
  }

  @Test
  void expiredToken_is401Lifetime() {
    String token =
        f.http.clientCredentialsToken(f.contoso, f.reader.app(), f.reader.secret(), GraphFixture.GRAPH);
    assertThat(f.get(token, ALICE_MESSAGES).status()).isEqualTo(200);
    f.m365.clock().advance(Duration.ofMinutes(61));
    try {
      assertError(f.get(token, ALICE_MESSAGES), 401, "InvalidAuthenticationToken",
          "Lifetime validation failed, the token is expired.");
    } finally {
      f.m365.clock().advance(Duration.ofMinutes(-61));
    }
  }

  @Test
  void everyResponse_carriesRequestIds_andEchoesTheClientRequestId() {
    String clientRequestId = "7d4c9f38-0000-4000-8000-000000000001";
    TestHttp.Response r = f.get(f.token(f.reader), ALICE_MESSAGES, "client-request-id", clientRequestId);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("request-id")).matches("[0-9a-f-]{36}");
    assertThat(r.header("client-request-id")).isEqualTo(clientRequestId);
    TestHttp.Response error = f.get(null, ALICE_MESSAGES, "client-request-id", "abc");
    assertThat(error.header("client-request-id")).isEqualTo("abc");
    assertThat(error.json().at("/error/innerError/client-request-id").asText()).isEqualTo("abc");
  }

  // ----- mailboxes and permissions -----

  @Test
  void unknownMailbox_is404ErrorInvalidUser() {
    assertError(f.get(f.token(f.reader), user("nobody@contoso.com") + "/messages"), 404, "ErrorInvalidUser",
        "The requested user 'nobody@contoso.com' is invalid.");
  }

  @Test
  void mailboxOfAnotherTenant_is404ErrorInvalidUser() {
    assertError(f.get(f.token(f.reader), user("eve@fabrikam.com") + "/messages"), 404, "ErrorInvalidUser",
        "The requested user 'eve@fabrikam.com' is invalid.");
    assertError(f.get(f.token(f.foreign), ALICE_MESSAGES), 404, "ErrorInvalidUser",
        "The requested user 'alice@contoso.com' is invalid.");
    assertThat(f.get(f.token(f.foreign), user("eve@fabrikam.com") + "/messages").status()).isEqualTo(200);
  }

  @Test
  void mailbox_isAddressedByUpn_encodedOrNot_orByObjectId() {
    String token = f.token(f.reader);
    assertThat(f.get(token, "/users/alice@contoso.com/messages").status()).isEqualTo(200);
    assertThat(f.get(token, "/users/ALICE%40CONTOSO.COM/messages").status()).isEqualTo(200);
    TestHttp.Response byId = f.get(token, "/users/" + f.alice.objectId() + "/messages");
    assertThat(byId.status()).isEqualTo(200);
    assertThat(byId.json().at("/value/0/subject").asText()).isEqualTo("Hello");
  }

  @Test
  void appOnlyAccess_isTenantWide_includingSharedMailboxes_withoutExchangeServicePrincipal() {
    String token = f.token(f.reader);
    assertThat(f.get(token, user("support@contoso.com") + "/messages").json().at("/value/0/subject").asText())
        .isEqualTo("Ticket 1");
    assertThat(f.get(token, user("bob@contoso.com") + "/messages").status()).isEqualTo(200);
  }

  @Test
  void appWithoutMailPermission_is403() {
    assertError(f.get(f.token(f.noMail), ALICE_MESSAGES), 403, "ErrorAccessDenied",
        "Access is denied. Check credentials and try again.");
  }

  @Test
  void readPermission_doesNotAllowWritesOrSending() {
    String token = f.token(f.reader);
    String id = f.get(token, ALICE_MESSAGES).json().at("/value/0/id").asText();
    assertError(f.patch(token, ALICE_MESSAGES + "/" + id, GraphFixture.json("{\"isRead\":true}")), 403,
        "ErrorAccessDenied", "Access is denied. Check credentials and try again.");
    ObjectNode mail = Json.object();
    mail.putObject("message").put("subject", "x").putArray("toRecipients").addObject().putObject("emailAddress")
        .put("address", "bob@contoso.com");
    assertError(f.post(token, user("alice@contoso.com") + "/sendMail", mail), 403, "ErrorAccessDenied",
        "Access is denied. Check credentials and try again.");
    assertError(f.post(token, user("alice@contoso.com") + "/mailFolders", GraphFixture.json("{\"displayName\":\"X\"}")),
        403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.");
  }

  @Test
  void readBasic_showsSummariesWithoutBody_andRefusesMimeAndAttachments() {
    String token = f.token(f.basic);
    TestHttp.Response list = f.get(token, ALICE_MESSAGES);
    assertThat(list.status()).isEqualTo(200);
    JsonNode message = list.json().at("/value/0");
    assertThat(message.get("subject").asText()).isEqualTo("Hello");
    assertThat(message.has("body")).isFalse();
    assertThat(message.has("bodyPreview")).isFalse();
    String id = message.get("id").asText();
    assertThat(f.get(token, ALICE_MESSAGES + "/" + id).json().has("body")).isFalse();
    assertError(f.get(token, ALICE_MESSAGES + "/" + id + "/$value"), 403, "ErrorAccessDenied",
        "Access is denied. Check credentials and try again.");
    assertError(f.get(token, ALICE_MESSAGES + "/" + id + "/attachments"), 403, "ErrorAccessDenied",
        "Access is denied. Check credentials and try again.");
    assertThat(f.get(f.token(f.reader), ALICE_MESSAGES + "/" + id).json().at("/body/content").asText())
        .startsWith("Body of Hello");
  }

  @Test
  void applicationAccessPolicy_restrictsTheAppToItsMailboxes() {
    String token = f.token(f.reader);
    f.contoso.newApplicationAccessPolicy(f.reader.app().clientId(), Set.of("bob@contoso.com"));
    try {
      assertError(f.get(token, ALICE_MESSAGES), 403, "ErrorAccessDenied", "Access to OData is disabled.");
      assertThat(f.get(token, user("bob@contoso.com") + "/messages").status()).isEqualTo(200);
      assertThat(f.get(f.token(f.writer), ALICE_MESSAGES).status()).as("other apps are not restricted").isEqualTo(200);
    } finally {
      f.contoso.removeApplicationAccessPolicy(f.reader.app().clientId());
    }
    assertThat(f.get(token, ALICE_MESSAGES).status()).isEqualTo(200);
  }

  @Test
  void applicationAccessPolicy_doesNotApplyToDelegatedTokens() {
    f.contoso.newApplicationAccessPolicy(f.delegatedOwn.clientId(), Set.of());
    try {
      assertThat(f.get(f.token(f.delegatedOwn, f.alice), "/me/messages").status()).isEqualTo(200);
    } finally {
      f.contoso.removeApplicationAccessPolicy(f.delegatedOwn.clientId());
    }
  }

  @Test
  void delegated_readsOwnMailbox_throughMeAndUsers() {
    String token = f.token(f.delegatedOwn, f.alice);
    TestHttp.Response me = f.get(token, "/me/messages");
    assertThat(me.status()).isEqualTo(200);
    assertThat(me.json().at("/value/0/subject").asText()).isEqualTo("Hello");
    assertThat(f.get(token, ALICE_MESSAGES).status()).isEqualTo(200);
    String first = "/me/messages/" + me.json().at("/value/0/id").asText();
    assertError(f.patch(token, first, GraphFixture.json("{\"isRead\":true}")), 403, "ErrorAccessDenied",
        "Access is denied. Check credentials and try again.");
  }

  @Test
  void me_withAnAppOnlyToken_is400() {
    assertError(f.get(f.token(f.reader), "/me/messages"), 400, "BadRequest",
        "/me request is only valid with delegated authentication flow.");
  }

  @Test
  void delegated_otherMailbox_needsSharedScope_andFullAccess() {
    String own = f.token(f.delegatedOwn, f.alice);
    String all = f.token(f.delegatedAll, f.alice);
    String supportMessages = user("support@contoso.com") + "/messages";
    String denied = "Access is denied. Check credentials and try again.";
    assertError(f.get(all, supportMessages), 403, "ErrorAccessDenied", denied);
    assertError(f.get(all, user("bob@contoso.com") + "/messages"), 403, "ErrorAccessDenied", denied);
    f.contoso.addMailboxPermission("support@contoso.com", "alice@contoso.com", "FullAccess");
    try {
      assertError(f.get(own, supportMessages), 403, "ErrorAccessDenied", denied);
      TestHttp.Response r = f.get(all, supportMessages);
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.json().at("/value/0/subject").asText()).isEqualTo("Ticket 1");
      assertError(f.get(all, user("bob@contoso.com") + "/messages"), 403, "ErrorAccessDenied", denied);
    } finally {
      f.contoso.removeMailboxPermission("support@contoso.com", "alice@contoso.com");
    }
    assertError(f.get(all, supportMessages), 403, "ErrorAccessDenied", denied);
  }

  // ----- directory -----

  @Test
  void usersEndpoint_returnsTheUser_withUserReadAll() {
    String token = f.token(f.writer);
    TestHttp.Response r = f.get(token, user("alice@contoso.com"));
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    JsonNode u = r.json();
    assertThat(u.get("id").asText()).isEqualTo(f.alice.objectId());
    assertThat(u.get("userPrincipalName").asText()).isEqualTo("alice@contoso.com");
    assertThat(u.get("mail").asText()).isEqualTo("alice@contoso.com");
    assertThat(u.get("displayName").asText()).isEqualTo("Alice");
    assertThat(f.get(token, "/users/" + f.alice.objectId()).json().get("userPrincipalName").asText())
        .isEqualTo("alice@contoso.com");
    String sharedId = f.get(token, user("support@contoso.com")).json().get("id").asText();
    assertThat(f.get(f.token(f.reader), "/users/" + sharedId + "/messages").json().at("/value/0/subject").asText())
        .isEqualTo("Ticket 1");
    assertError(f.get(token, user("nobody@contoso.com")), 404, "Request_ResourceNotFound",
        "Resource 'nobody@contoso.com' does not exist or one of its queried reference-property objects are not"
            + " present.");
    assertError(f.get(f.token(f.reader), user("alice@contoso.com")), 403, "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.");
    TestHttp.Response me = f.get(f.token(f.delegatedOwn, f.alice), "/me");
    assertThat(me.json().get("userPrincipalName").asText()).isEqualTo("alice@contoso.com");
    assertThat(f.get(token, user("alice@contoso.com") + "?$select=mail").json().has("displayName")).isFalse();
  }

  @Test
  void applications_withApplicationReadAll_showCredentials() {
    Application target = f.contoso.registerApp("Mail importer");
    PasswordCredential secret = target.addClientSecret("prod", Duration.ofDays(180));
    KeyCredential cert = target.addCertificate("cert", Duration.ofDays(365));
    String token = f.token(f.writer);
    TestHttp.Response r =
        f.get(token, "/applications(appId='" + target.clientId()
            + "')?$select=id,appId,displayName,passwordCredentials,keyCredentials");
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    JsonNode app = r.json();
    assertThat(app.get("id").asText()).isEqualTo(target.objectId());
    assertThat(app.get("appId").asText()).isEqualTo(target.clientId());
    assertThat(app.get("displayName").asText()).isEqualTo("Mail importer");
    assertThat(app.has("signInAudience")).isFalse();
    JsonNode p = app.at("/passwordCredentials/0");
    assertThat(p.get("customKeyIdentifier").isNull()).isTrue();
    assertThat(p.get("displayName").asText()).isEqualTo("prod");
    assertThat(p.get("hint").asText()).isEqualTo(secret.value().substring(0, 3));
    assertThat(p.get("keyId").asText()).isEqualTo(secret.keyId());
    assertThat(p.get("secretText").isNull()).isTrue();
    assertThat(p.get("endDateTime").asText()).isEqualTo(GraphServer.format(secret.endDateTime()));
    assertThat(p.get("startDateTime").asText()).isEqualTo(GraphServer.format(secret.startDateTime()));
    JsonNode k = app.at("/keyCredentials/0");
    assertThat(java.util.HexFormat.of().withUpperCase().formatHex(
        java.util.Base64.getDecoder().decode(k.get("customKeyIdentifier").asText()))).isEqualTo(cert.thumbprint());
    assertThat(k.get("keyId").asText()).isEqualTo(cert.keyId());
    assertThat(k.get("type").asText()).isEqualTo("AsymmetricX509Cert");
    assertThat(k.get("usage").asText()).isEqualTo("Verify");
    assertThat(k.get("key").isNull()).isTrue();
    assertThat(k.get("endDateTime").asText()).isEqualTo(GraphServer.format(cert.endDateTime()));
    assertThat(r.text()).doesNotContain(secret.value());

    assertThat(f.get(token, "/applications/" + target.objectId()).json().get("appId").asText())
        .isEqualTo(target.clientId());
    assertError(f.get(token, "/applications(appId='00000000-0000-0000-0000-000000000001')"), 404,
        "Request_ResourceNotFound",
        "Resource '00000000-0000-0000-0000-000000000001' does not exist or one of its queried reference-property"
            + " objects are not present.");
    assertThat(f.get(token, "/applications(appId='" + target.clientId() + "')?$select=nope").json().at("/error/code")
        .asText()).isEqualTo("Request_BadRequest");
  }

  @Test
  void applications_withoutPermission_is403_unlessOwnerOrOwnedBy() {
    Application target = f.contoso.registerApp("Owned app");
    String path = "/applications(appId='" + target.clientId() + "')";
    String insufficient = "Insufficient privileges to complete the operation.";
    assertError(f.get(f.token(f.reader), path), 403, "Authorization_RequestDenied", insufficient);
    String alice = f.token(f.delegatedOwn, f.alice);
    assertError(f.get(alice, path), 403, "Authorization_RequestDenied", insufficient);
    target.addOwner(f.alice);
    assertThat(f.get(alice, path).status()).isEqualTo(200);

    GraphFixture.App self = new GraphFixture.App(target, target.addClientSecret("self", Duration.ofDays(1)));
    target.addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "Application.ReadWrite.OwnedBy").grantAdminConsent();
    String selfToken = f.token(self);
    assertThat(f.get(selfToken, path).status()).isEqualTo(200);
    assertError(f.get(selfToken, "/applications(appId='" + f.reader.app().clientId() + "')"), 403,
        "Authorization_RequestDenied", insufficient);
  }

  // ----- recording -----

  @Test
  void requests_areRecorded_withMailboxAppAndErrorCode_butNeverTheToken() {
    String token = f.token(f.reader);
    f.get(token, ALICE_MESSAGES);
    f.get(token, user("nobody@contoso.com") + "/messages");
    List<RecordedRequest> graph = f.m365.requests("graph");
    RecordedRequest ok =
        graph.stream().filter(r -> r.path().equals("/v1.0" + ALICE_MESSAGES) && r.status() == 200
            && r.attribute("appid").equals(f.reader.app().clientId())).reduce((a, b) -> b).orElseThrow();
    assertThat(ok.method()).isEqualTo("GET");
    assertThat(ok.attribute("mailbox")).isEqualTo("alice@contoso.com");
    assertThat(ok.errorCode()).isEmpty();
    RecordedRequest failed =
        graph.stream().filter(r -> r.path().contains("nobody")).reduce((a, b) -> b).orElseThrow();
    assertThat(failed.status()).isEqualTo(404);
    assertThat(failed.errorCode()).isEqualTo("ErrorInvalidUser");
    for (RecordedRequest r : f.m365.requests()) {
      assertThat(r.toString()).doesNotContain(token).doesNotContain(token.substring(token.lastIndexOf('.') + 1));
    }
  }
}
