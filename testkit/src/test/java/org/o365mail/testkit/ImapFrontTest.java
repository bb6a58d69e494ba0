package org.o365mail.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The IMAP front before and at login: greeting, capabilities, XOAUTH2 and the ways Exchange refuses it. */
@Timeout(60)
class ImapFrontTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  private static final String PRE_LOGIN =
      "* CAPABILITY IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR UIDPLUS ID UNSELECT CHILDREN IDLE NAMESPACE LITERAL+";
  private static final String LOGGED_IN =
      "* CAPABILITY IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR UIDPLUS MOVE ID UNSELECT CLIENTACCESSRULES"
          + " CLIENTNETWORKPRESENCELOCATION BACKENDAUTHENTICATE CHILDREN IDLE NAMESPACE LITERAL+";

  private static LocalTenant m365;
  private static Contoso contoso;

  @BeforeAll
  static void start() {
    m365 = M365.tenant();
    contoso = new Contoso(m365);
  }

  private static Wire connect() {
    Wire wire = Wire.tls(m365, m365.imapPort());
    assertThat(wire.readLine()).matches("\\* OK The Microsoft Exchange IMAP4 service is ready\\. \\[[A-Za-z0-9+/=]+\\]");
    return wire;
  }

  private static List<String> authenticate(Wire wire, String user, String token) {
    return wire.imap("A1", "AUTHENTICATE XOAUTH2 " + Wire.xoauth2(user, token));
  }

  private static void assertFails(String user, String token) {
    try (Wire wire = connect()) {
      assertThat(authenticate(wire, user, token)).containsExactly("A1 NO AUTHENTICATE failed.");
    }
  }

  @Test
  void greetingAndCapabilities_beforeAndAfterLogin() {
    try (Wire wire = connect()) {
      assertThat(wire.imap("a", "CAPABILITY")).containsExactly(PRE_LOGIN, "a OK CAPABILITY completed.");
      assertThat(wire.imap("b", "NOOP")).containsExactly("b OK NOOP completed.");
      assertThat(wire.imap("c", "ID (\"name\" \"test\")")).containsExactly("* ID NIL", "c OK ID completed.");
      assertThat(wire.imap("d", "SELECT INBOX")).containsExactly("d BAD Command received in Invalid state.");
      assertThat(wire.imap("e", "STARTTLS")).containsExactly("e BAD Command received in Invalid state.");
      assertThat(authenticate(wire, Contoso.ALICE, contoso.appToken())).containsExactly("A1 OK AUTHENTICATE completed.");
      assertThat(wire.imap("f", "CAPABILITY")).containsExactly(LOGGED_IN, "f OK CAPABILITY completed.");
      assertThat(wire.imap("g", "LOGOUT"))
          .containsExactly("* BYE Microsoft Exchange Server IMAP4 server signing off.", "g OK LOGOUT completed.");
      assertThat(wire.closedByServer()).isTrue();
    }
  }

  @Test
  void logoutBeforeLogin_saysByeAndCloses() {
    try (Wire wire = connect()) {
      assertThat(wire.imap("z", "LOGOUT"))
          .containsExactly("* BYE Microsoft Exchange Server IMAP4 server signing off.", "z OK LOGOUT completed.");
      assertThat(wire.closedByServer()).isTrue();
    }
  }

  @Test
  void appOnlyLogin_opensTheMailboxAndReadsAMessage() {
    contoso.mailbox(Contoso.ALICE).deliver(TestMessages.text("carol@fabrikam.com", Contoso.ALICE, "Invoice 42", "Hello Alice"));
    try (Wire wire = connect()) {
      assertThat(authenticate(wire, Contoso.ALICE, contoso.appToken())).containsExactly("A1 OK AUTHENTICATE completed.");
      List<String> select = wire.imap("s", "SELECT INBOX");
      assertThat(select).contains("* 1 EXISTS").last().asString().startsWith("s OK [READ-WRITE]");
      List<String> fetch = wire.imap("f", "UID FETCH 1:* (BODY.PEEK[])");
      assertThat(fetch.get(0)).contains("Subject: Invoice 42").contains("Hello Alice");
      assertThat(fetch).last().asString().startsWith("f OK");
    }
    RecordedRequest login = m365.requests("imap").get(0);
    assertThat(login.method()).isEqualTo("AUTHENTICATE XOAUTH2");
    assertThat(login.path()).isEqualTo(Contoso.ALICE);
    assertThat(login.status()).isZero();
    assertThat(login.attribute("outcome")).isEqualTo("OK");
    assertThat(login.attribute("appid")).isEqualTo(contoso.daemon.clientId());
  }

  @Test
  void twoStepXoauth2_andCancel() {
    try (Wire wire = connect()) {
      wire.send("A1 AUTHENTICATE XOAUTH2");
      assertThat(wire.readLine()).isEqualTo("+ ");
      wire.send("*");
      assertThat(wire.readLine()).isEqualTo("A1 BAD AUTHENTICATE aborted.");
      wire.send("A2 AUTHENTICATE XOAUTH2");
      assertThat(wire.readLine()).isEqualTo("+ ");
      wire.send(Wire.xoauth2(Contoso.ALICE, contoso.appToken()));
      assertThat(wire.readLine()).isEqualTo("A2 OK AUTHENTICATE completed.");
    }
  }

  @Test
  void delegatedLogin_ownMailbox_andSharedMailboxWithFullAccess() {
    try (Wire wire = connect()) {
      assertThat(authenticate(wire, Contoso.ALICE, contoso.userToken(Contoso.ALICE)))
          .containsExactly("A1 OK AUTHENTICATE completed.");
      assertThat(wire.imap("s", "SELECT INBOX")).last().asString().startsWith("s OK");
    }
    try (Wire wire = connect()) {
      assertThat(authenticate(wire, Contoso.SUPPORT, contoso.userToken(Contoso.BOB)))
          .containsExactly("A1 OK AUTHENTICATE completed.");
      assertThat(wire.imap("s", "SELECT INBOX")).last().asString().startsWith("s OK");
    }
  }

  @Test
  void sharedMailboxWithoutFullAccess_isAuthenticatedButNotConnected() {
    try (Wire wire = connect()) {
      assertThat(authenticate(wire, Contoso.ALICE, contoso.userToken(Contoso.BOB)))
          .containsExactly("A1 OK AUTHENTICATE completed.");
      assertThat(wire.imap("c", "CAPABILITY")).containsExactly(LOGGED_IN, "c OK CAPABILITY completed.");
      assertThat(wire.imap("n", "NOOP")).containsExactly("n OK NOOP completed.");
      assertThat(wire.imap("s", "SELECT INBOX")).containsExactly("s BAD User is authenticated but not connected.");
      assertThat(wire.closedByServer()).isTrue();
    }
    RecordedRequest login = m365.requests("imap").get(0);
    assertThat(login.attribute("outcome")).isEqualTo("NOT_CONNECTED");
    assertThat(login.status()).isEqualTo(1);
    assertThat(login.attribute("reason")).contains("no FullAccess");
  }

  @Test
  void appOnlyFailures_allSayAuthenticateFailed() {
    String token = contoso.appToken();
    // no FullAccess on bob's mailbox
    assertFails(Contoso.BOB, token);

    // Exchange service principal never registered
    Application unregistered = contoso.tenant.registerApp("Unregistered importer");
    PasswordCredential s1 = unregistered.addClientSecret("s", Duration.ofDays(30));
    unregistered.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp").grantAdminConsent();
    assertFails(Contoso.ALICE, contoso.http.clientCredentialsToken(contoso.tenant, unregistered, s1, Contoso.EXCHANGE));

    // registered with the app registration's object id instead of the enterprise application's
    Application wrongId = contoso.tenant.registerApp("Wrong object id importer");
    PasswordCredential s2 = wrongId.addClientSecret("s", Duration.ofDays(30));
    wrongId.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp").grantAdminConsent();
    ExchangeServicePrincipal wrong = contoso.tenant.newExchangeServicePrincipal(wrongId.clientId(), wrongId.objectId());
    contoso.tenant.addMailboxPermission(Contoso.ALICE, wrong.objectId(), "FullAccess");
    assertFails(Contoso.ALICE, contoso.http.clientCredentialsToken(contoso.tenant, wrongId, s2, Contoso.EXCHANGE));

    // the IMAP.AccessAsApp role is missing (only Mail.Read)
    Application noRole = contoso.tenant.registerApp("No IMAP role");
    PasswordCredential s3 = noRole.addClientSecret("s", Duration.ofDays(30));
    noRole.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "Mail.Read").grantAdminConsent();
    ExchangeServicePrincipal noRoleSp = contoso.tenant.registerExchangeServicePrincipal(noRole);
    contoso.tenant.addMailboxPermission(Contoso.ALICE, noRoleSp.objectId(), "FullAccess");
    assertFails(Contoso.ALICE, contoso.http.clientCredentialsToken(contoso.tenant, noRole, s3, Contoso.EXCHANGE));

    // a Graph token
    Application graph = contoso.tenant.registerApp("Graph app");
    PasswordCredential s4 = graph.addClientSecret("s", Duration.ofDays(30));
    graph.addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "Mail.Read").grantAdminConsent();
    assertFails(Contoso.ALICE,
        contoso.http.clientCredentialsToken(contoso.tenant, graph, s4, "https://graph.microsoft.com/.default"));

    // garbage, and a malformed XOAUTH2 message
    assertFails(Contoso.ALICE, "eyJhbGciOiJub25lIn0.garbage.token");
    try (Wire wire = connect()) {
      assertThat(wire.imap("A1", "AUTHENTICATE XOAUTH2 bm90IHhvYXV0aDI=")).containsExactly("A1 NO AUTHENTICATE failed.");
    }

    assertThat(m365.requests("imap"))
        .hasSize(7)
        .allSatisfy(r -> {
          assertThat(r.status()).isEqualTo(1);
          assertThat(r.attribute("outcome")).isEqualTo("AUTHENTICATION_FAILED");
          assertThat(r.toString()).doesNotContain(token);
        });
    assertThat(m365.requests("imap").get(2).attribute("reason")).contains("no Exchange service principal");
  }

  @Test
  void expiredToken_andImapDisabled_failLogin() {
    String token = contoso.appToken();
    m365.clock().advance(Duration.ofMinutes(61));
    assertFails(Contoso.ALICE, token);
    m365.clock().setOffset(Duration.ZERO);

    contoso.mailbox(Contoso.SUPPORT).imapEnabled(false);
    try {
      assertFails(Contoso.SUPPORT, token);
    } finally {
      contoso.mailbox(Contoso.SUPPORT).imapEnabled(true);
    }
    assertThat(m365.requests("imap")).extracting(r -> r.attribute("reason"))
        .satisfiesExactly(
            r -> assertThat(r).startsWith("token expired"),
            r -> assertThat(r).isEqualTo("IMAP is disabled for mailbox " + Contoso.SUPPORT));
  }

  @Test
  void basicAuth_isRefusedAndRecorded() {
    String token = contoso.appToken();
    try (Wire wire = connect()) {
      assertThat(wire.imap("a", "LOGIN " + Contoso.ALICE + " " + token)).containsExactly("a NO LOGIN failed.");
      String plain = java.util.Base64.getEncoder()
          .encodeToString(("\u0000" + Contoso.ALICE + "\u0000" + token).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      assertThat(wire.imap("b", "AUTHENTICATE PLAIN " + plain)).containsExactly("b NO AUTHENTICATE failed.");
      wire.send("c AUTHENTICATE PLAIN");
      assertThat(wire.readLine()).isEqualTo("+ ");
      wire.send(plain);
      assertThat(wire.readLine()).isEqualTo("c NO AUTHENTICATE failed.");
      wire.send("d LOGIN {17+}");
      wire.sendRaw((Contoso.ALICE + " secret\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      assertThat(wire.readLine()).isEqualTo("d NO LOGIN failed.");
      assertThat(wire.imap("e", "AUTHENTICATE GSSAPI"))
          .containsExactly("e NO The specified authentication package is not supported.");
    }
    List<RecordedRequest> basic = m365.requests("imap");
    assertThat(basic).extracting(RecordedRequest::method)
        .containsExactly("LOGIN", "AUTHENTICATE PLAIN", "AUTHENTICATE PLAIN", "LOGIN");
    assertThat(basic).extracting(RecordedRequest::path).containsOnly(Contoso.ALICE);
    assertThat(basic).allSatisfy(r -> {
      assertThat(r.status()).isEqualTo(1);
      assertThat(r.toString()).doesNotContain(token).doesNotContain("secret");
    });
  }

  @Test
  void throttling_byKnobAndByConnectionCount() {
    String token = contoso.appToken();
    m365.faults().imapThrottle(Contoso.ALICE, Duration.ofMillis(299_910), 1);
    try (Wire wire = connect()) {
      assertThat(authenticate(wire, Contoso.ALICE, token))
          .containsExactly("A1 NO Request is throttled. Suggested Backoff Time: 299910 milliseconds");
      assertThat(authenticate(wire, Contoso.ALICE, token)).containsExactly("A1 OK AUTHENTICATE completed.");
    }

    m365.faults().imapThrottle(Contoso.ALICE, Duration.ofSeconds(5));
    for (int i = 0; i < 2; i++) {
      try (Wire wire = connect()) {
        assertThat(authenticate(wire, Contoso.ALICE, token))
            .containsExactly("A1 NO Request is throttled. Suggested Backoff Time: 5000 milliseconds");
      }
    }
    m365.faults().clearImapThrottle(Contoso.ALICE);

    m365.faults().imapMaxConnectionsPerMailbox(2);
    try (Wire first = connect(); Wire second = connect(); Wire third = connect()) {
      assertThat(authenticate(first, Contoso.ALICE, token)).containsExactly("A1 OK AUTHENTICATE completed.");
      assertThat(authenticate(second, Contoso.ALICE, token)).containsExactly("A1 OK AUTHENTICATE completed.");
      assertThat(authenticate(third, Contoso.ALICE, token)).singleElement().asString()
          .matches("A1 NO Request is throttled\\. Suggested Backoff Time: \\d+ milliseconds");
      // another mailbox is not affected
      assertThat(authenticate(third, Contoso.SUPPORT, token)).containsExactly("A1 OK AUTHENTICATE completed.");
      first.imap("x", "LOGOUT");
    }
    assertThat(m365.requests("imap")).filteredOn(r -> r.attribute("outcome").equals("THROTTLED")).hasSize(4);
  }

  @Test
  void startTlsPort_refusesAuthenticationUntilUpgraded() {
    try (Wire wire = Wire.plain(m365, m365.imapStartTlsPort())) {
      assertThat(wire.readLine()).startsWith("* OK The Microsoft Exchange IMAP4 service is ready.");
      assertThat(wire.imap("a", "CAPABILITY")).containsExactly(
          "* CAPABILITY IMAP4 IMAP4rev1 LOGINDISABLED STARTTLS UIDPLUS ID UNSELECT CHILDREN IDLE NAMESPACE LITERAL+",
          "a OK CAPABILITY completed.");
      String token = contoso.appToken();
      assertThat(authenticate(wire, Contoso.ALICE, token)).containsExactly("A1 BAD Command received in Invalid state.");
      assertThat(wire.imap("b", "LOGIN alice@contoso.com x")).containsExactly("b BAD Command received in Invalid state.");
      assertThat(wire.imap("c", "STARTTLS")).containsExactly("c OK Begin TLS negotiation now.");
      wire.startTls();
      assertThat(wire.imap("d", "CAPABILITY")).containsExactly(PRE_LOGIN, "d OK CAPABILITY completed.");
      assertThat(wire.imap("e", "STARTTLS")).containsExactly("e BAD Command received in Invalid state.");
      assertThat(authenticate(wire, Contoso.ALICE, token)).containsExactly("A1 OK AUTHENTICATE completed.");
      assertThat(wire.imap("s", "SELECT INBOX")).last().asString().startsWith("s OK");
    }
    assertThat(m365.requests("imap")).extracting(RecordedRequest::method)
        .containsExactly("LOGIN", "AUTHENTICATE XOAUTH2");
  }
}
