package org.o365mail.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.o365mail.testkit.TestHttp.form;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The consumers tenant as the wire shows it: who signs in where, and what their access tokens look like. */
@Timeout(60)
class PersonalAccountsTest {
  static final String PASSWORD = "Outl00k-Contract!";

  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static LocalTenant m365;
  static TestHttp http;
  static Application personalApp;
  static Application orgApp;
  static User someone;

  @BeforeAll
  static void model() {
    m365 = M365.tenant();
    http = new TestHttp(m365);
    Tenant contoso = m365.createTenant("contoso.com");
    personalApp = contoso.registerApp("ImageManager").allowPublicClientFlows(true)
        .accountTypes(SupportedAccountTypes.MULTI_TENANT_AND_PERSONAL);
    personalApp.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read", "Mail.Send");
    orgApp = contoso.registerApp("organizations only").allowPublicClientFlows(true)
        .accountTypes(SupportedAccountTypes.MULTI_TENANT);
    orgApp.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read", "Mail.Send").grantAdminConsent();
    someone = m365.consumers().addUser("someone@outlook.com", PASSWORD);
  }

  /** Device code through {@code segment}, approved by the outlook.com user; the token endpoint's answer. */
  static TestHttp.Response signIn(Application app, String segment) {
    JsonNode code = http.postForm(m365.authorityHost() + "/" + segment + "/oauth2/v2.0/devicecode",
        form("client_id", app.clientId(), "scope", "User.Read Mail.Send offline_access openid profile")).json();
    m365.deviceCodes().approve(code.get("user_code").asText(), someone.userPrincipalName(), PASSWORD);
    return http.token(segment, form("grant_type", "device_code", "client_id", app.clientId(),
        "device_code", code.get("device_code").asText()));
  }

  @Test
  void consumersTenant_hasTheWellKnownIdAndTheConsumerDomains_once() {
    Tenant consumers = m365.consumers();
    assertThat(consumers).isSameAs(m365.consumers());
    assertThat(consumers.id()).isEqualTo("9188040d-6c67-4c5b-b112-36a304b66dad");
    assertThat(consumers.isConsumers()).isTrue();
    assertThat(consumers.domains()).contains("outlook.com", "hotmail.com", "live.com");
    assertThat(m365.tenant("contoso.com").isConsumers()).isFalse();
  }

  @Test
  void throughConsumersAndCommon_theAccessTokenIsNoJwt_butGraphTakesIt() {
    for (String segment : new String[] {"consumers", "common"}) {
      TestHttp.Response r = signIn(personalApp, segment);
      assertThat(r.status()).as(r.text()).isEqualTo(200);
      String token = r.json().get("access_token").asText();
      assertThat(token).startsWith("EwA").doesNotContain(".");
      VerifiedToken t = m365.tokens().verify(token).orElseThrow();
      assertThat(t.tenantId()).isEqualTo(LocalTenant.CONSUMERS_TENANT_ID);
      assertThat(t.upn()).isEqualTo("someone@outlook.com");
      assertThat(t.scopes()).contains("Mail.Send");
      String clientInfo = new String(Base64.getUrlDecoder().decode(r.json().get("client_info").asText()),
          StandardCharsets.UTF_8);
      assertThat(clientInfo).contains("\"utid\":\"" + LocalTenant.CONSUMERS_TENANT_ID + "\"");
      TestHttp.Response me = http.get(m365.graphBaseUrl() + "/me", "Authorization", "Bearer " + token);
      assertThat(me.status()).as(me.text()).isEqualTo(200);
    }
  }

  @Test
  void throughOrganizationsOrATenant_50020() {
    for (String segment : new String[] {"organizations", "contoso.com"}) {
      TestHttp.Response r = signIn(personalApp, segment);
      IdentityServerTest.assertAadError(r, 400, "invalid_grant", 50020);
      assertThat(r.json().get("error_description").asText()).contains("live.com");
    }
  }

  @Test
  void appForOrganizationsOnly_9002332AtConsumers_50020AtCommon() {
    IdentityServerTest.assertAadError(signIn(orgApp, "consumers"), 400, "unauthorized_client", 9002332);
    IdentityServerTest.assertAadError(signIn(orgApp, "common"), 400, "invalid_grant", 50020);
  }
}
