package org.o365mail.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.o365mail.testkit.TestHttp.form;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The tenant states issue 15 added so that every setup step can be broken: a user without a mailbox, a tenant in
 * another national cloud, an expired certificate, a redirect URI or one permission taken off a registration.
 */
@Timeout(60)
class SetupStepVariantsTest {
  static final String PASSWORD = "Variant-Passw0rd!";
  static final String EXCHANGE_DEFAULT = "https://outlook.office365.com/.default";

  static LocalTenant m365;
  static TestHttp http;

  @BeforeAll
  static void start() {
    m365 = LocalTenant.start();
    http = new TestHttp(m365);
  }

  @AfterAll
  static void stop() {
    m365.close();
  }

  @Test
  void aUserWithoutAMailbox_signsIn_butGraphAnswersMailboxNotEnabled_andImapRefusesTheLogin() {
    Tenant tenant = m365.createTenant("nolicence.example");
    Application app = tenant.registerApp("reader").allowPublicClientFlows(true);
    app.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read", "Mail.ReadWrite")
        .addDelegatedPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsUser.All").grantAdminConsent();
    User bob = tenant.addUserWithoutMailbox("bob@nolicence.example", PASSWORD);
    assertThat(bob.hasMailbox()).isFalse();
    assertThat(tenant.addUser("alice@nolicence.example", PASSWORD).hasMailbox()).isTrue();

    String graphToken = http.passwordToken(tenant, app, bob.userPrincipalName(), PASSWORD, "Mail.ReadWrite");
    for (String path : new String[] {"/me/messages", "/users/bob@nolicence.example/messages"}) {
      TestHttp.Response r = http.get(m365.graphBaseUrl() + path, "Authorization", "Bearer " + graphToken);
      assertThat(r.status()).as(r.text()).isEqualTo(404);
      assertThat(r.json().get("error").get("code").asText()).isEqualTo("MailboxNotEnabledForRESTAPI");
    }
    TestHttp.Response unknown = http.get(m365.graphBaseUrl() + "/users/nobody@nolicence.example/messages",
        "Authorization", "Bearer " + graphToken);
    // a delegated caller gets the store's not-found for an address no mailbox has (GraphServer cites the sources)
    assertThat(unknown.json().get("error").get("code").asText()).isEqualTo("ErrorItemNotFound");

    String imapToken = http.passwordToken(tenant, app, bob.userPrincipalName(), PASSWORD,
        "https://outlook.office365.com/IMAP.AccessAsUser.All");
    try (Wire wire = Wire.tls(m365, m365.imapPort())) {
      wire.readLine();
      assertThat(wire.imap("A1", "AUTHENTICATE XOAUTH2 " + Wire.xoauth2(bob.userPrincipalName(), imapToken)))
          .containsExactly("A1 NO AUTHENTICATE failed.");
    }
  }

  @Test
  void aTenantInAnotherCloud_isNamedInTheGlobalMetadata_andRefusedTokensAsCrossCloud() {
    Tenant gov = m365.createTenant("agency.example").nationalCloud(NationalCloud.US_GOVERNMENT);
    Application app = gov.registerApp("daemon").allowPublicClientFlows(true);
    PasswordCredential secret = app.addClientSecret("s", Duration.ofDays(30));
    gov.addUser("clerk@agency.example", PASSWORD);

    JsonNode metadata = http.get(m365.authority(gov) + "v2.0/.well-known/openid-configuration").json();
    assertThat(metadata.get("cloud_instance_name").asText()).isEqualTo("microsoftonline.us");
    assertThat(metadata.get("tenant_region_scope").asText()).isEqualTo("USGov");
    assertThat(metadata.get("msgraph_host").asText()).isEqualTo("graph.microsoft.us");
    Tenant worldwide = m365.createTenant("global.example");
    JsonNode global = http.get(m365.authority(worldwide) + "v2.0/.well-known/openid-configuration").json();
    assertThat(global.get("cloud_instance_name").asText()).isEqualTo("microsoftonline.com");
    assertThat(global.get("tenant_region_scope").asText()).isEqualTo("WW");

    TestHttp.Response confidential = http.token(gov.id(), form("grant_type", "client_credentials",
        "client_id", app.clientId(), "client_secret", secret.value(), "scope", EXCHANGE_DEFAULT));
    assertThat(confidential.status()).isEqualTo(400);
    assertThat(confidential.json().get("error_codes").get(0).asInt()).isEqualTo(900432);
    TestHttp.Response user = http.token(gov.id(), form("grant_type", "password", "client_id", app.clientId(),
        "username", "clerk@agency.example", "password", PASSWORD, "scope", "Mail.ReadWrite"));
    assertThat(user.status()).isEqualTo(400);
    assertThat(user.json().get("error_codes").get(0).asInt()).isEqualTo(90038);
    assertThat(user.json().get("error_description").asText()).contains("microsoftonline.us");
    TestHttp.Response device = http.postForm(m365.authority(gov) + "oauth2/v2.0/devicecode",
        form("client_id", app.clientId(), "scope", "Mail.ReadWrite"));
    assertThat(device.json().get("error_codes").get(0).asInt()).isEqualTo(90038);
  }

  @Test
  void aCertificateWithPastDates_isUploadedWithItsKey_andRemovingAPermissionOrRedirectKeepsTheRest() {
    Tenant tenant = m365.createTenant("certs.example");
    Application app = tenant.registerApp("daemon");
    Instant now = m365.clock().instant();
    KeyCredential old = app.addCertificate("old", now.minus(Duration.ofDays(400)), now.minus(Duration.ofDays(1)));
    assertThat(old.endDateTime()).isBefore(now);
    assertThat(old.privateKey()).isPresent();

    app.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp")
        .addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read");
    // the app has no delegated Exchange permission: removing an application one must not throw
    app.removePermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp");
    assertThat(app.applicationPermissions().get(ApiResource.EXCHANGE_ONLINE)).isEmpty();
    assertThat(app.delegatedPermissions().get(ApiResource.MICROSOFT_GRAPH)).containsExactly("User.Read");

    app.addRedirectUri(Platform.MOBILE_AND_DESKTOP, "http://localhost").addRedirectUri(Platform.WEB, "https://app");
    app.removeRedirectUri(Platform.MOBILE_AND_DESKTOP, "http://localhost")
        .removeRedirectUri(Platform.SINGLE_PAGE_APPLICATION, "http://never-added");
    assertThat(app.redirectUris(Platform.MOBILE_AND_DESKTOP)).isEmpty();
    assertThat(app.redirectUris(Platform.WEB)).containsExactly("https://app");
  }
}
