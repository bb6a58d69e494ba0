package org.o365mail.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.o365mail.testkit.GraphFixture.user;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a doctor reads through Graph to tell alike answers apart: a missing mailbox as Exchange answers it per caller,
 * a user without a licence, and an app's registration, service principal and consent in Entra ID's shapes.
 */
@Timeout(60)
class GraphDoctorAnswersTest {
  private static GraphFixture f;
  private static User unlicensed;

  @BeforeAll
  static void start() {
    f = new GraphFixture();
    unlicensed = f.contoso.addUserWithoutMailbox("nolicence@contoso.com", GraphFixture.PASSWORD);
  }

  @AfterAll
  static void stop() {
    f.close();
  }

  @Test
  void unknownMailbox_delegated_isTheStoresNotFound_appOnly_isErrorInvalidUser() {
    TestHttp.Response delegated = f.get(f.token(f.delegatedAll, f.alice), user("nobdy@contoso.com") + "/mailFolders/inbox");
    assertThat(delegated.status()).isEqualTo(404);
    assertThat(delegated.json().at("/error/code").asText()).isEqualTo("ErrorItemNotFound");
    assertThat(delegated.json().at("/error/message").asText())
        .isEqualTo("The specified object was not found in the store.");
    TestHttp.Response appOnly = f.get(f.token(f.reader), user("nobdy@contoso.com") + "/mailFolders/inbox");
    assertThat(appOnly.json().at("/error/code").asText()).isEqualTo("ErrorInvalidUser");
  }

  @Test
  void userWithoutMailbox_isMailboxNotEnabled_butFoundInTheDirectory_withoutAnExchangePlan() {
    TestHttp.Response mail = f.get(f.token(f.reader), user(unlicensed.userPrincipalName()) + "/messages");
    assertThat(mail.status()).isEqualTo(404);
    assertThat(mail.json().at("/error/code").asText()).isEqualTo("MailboxNotEnabledForRESTAPI");
    JsonNode u = f.get(f.token(f.writer), user(unlicensed.userPrincipalName())
        + "?$select=id,mail,accountEnabled,assignedPlans").json();
    assertThat(u.get("id").asText()).isEqualTo(unlicensed.objectId());
    assertThat(u.get("mail").isNull()).isTrue();
    assertThat(u.get("accountEnabled").asBoolean()).isTrue();
    assertThat(u.get("assignedPlans")).isEmpty();
    JsonNode alice = f.get(f.token(f.writer), user("alice@contoso.com") + "?$select=mail,assignedPlans").json();
    assertThat(alice.at("/assignedPlans/0/service").asText()).isEqualTo("exchange");
    JsonNode shared = f.get(f.token(f.writer), user(f.shared.address()) + "?$select=mail,accountEnabled").json();
    assertThat(shared.get("accountEnabled").asBoolean()).isFalse();
    assertThat(f.get(f.token(f.writer), user("nobdy@contoso.com")).json().at("/error/code").asText())
        .isEqualTo("Request_ResourceNotFound");
    String filter = "/users?$filter=mail%20eq%20'support@contoso.com'%20or%20proxyAddresses/any(p:p%20eq%20"
        + "'smtp:support@contoso.com')&$select=id,mail";
    assertThat(f.get(f.token(f.writer), filter).json().at("/value/0/mail").asText()).isEqualTo("support@contoso.com");
    assertThat(f.get(f.token(f.writer), filter.replace("support@", "nobdy@")).json().get("value")).isEmpty();
  }

  @Test
  void mailboxSettings_needsItsPermission_andSaysSharedOrUser() {
    TestHttp.Response denied = f.get(f.token(f.writer), user(f.shared.address()) + "/mailboxSettings");
    assertThat(denied.status()).isEqualTo(403);
    assertThat(denied.json().at("/error/code").asText()).isEqualTo("ErrorAccessDenied");
    Application app = f.contoso.registerApp("Settings reader");
    PasswordCredential secret = app.addClientSecret("s", java.time.Duration.ofDays(1));
    app.addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "MailboxSettings.Read").grantAdminConsent();
    String token = f.http.clientCredentialsToken(f.contoso, app, secret, GraphFixture.GRAPH);
    assertThat(f.get(token, user(f.shared.address()) + "/mailboxSettings").json().get("userPurpose").asText())
        .isEqualTo("shared");
    assertThat(f.get(token, user("alice@contoso.com") + "/mailboxSettings").json().get("userPurpose").asText())
        .isEqualTo("user");
  }

  @Test
  void registration_servicePrincipals_andGrants_nameEachPermissionUnderItsApi() {
    String token = f.token(f.writer);
    String appId = f.writer.app().clientId();
    JsonNode apps = f.get(token, "/applications?$filter=appId%20eq%20'" + appId + "'&$select=id,requiredResourceAccess")
        .json().get("value");
    assertThat(apps).hasSize(1);
    JsonNode rra = apps.get(0).get("requiredResourceAccess");
    assertThat(rra).singleElement().satisfies(r ->
        assertThat(r.get("resourceAppId").asText()).isEqualTo(ApiResource.MICROSOFT_GRAPH.appId()));
    JsonNode graphSp = f.get(token, "/servicePrincipals?$filter=appId%20eq%20'" + ApiResource.MICROSOFT_GRAPH.appId()
        + "'").json().at("/value/0");
    Map<String, String> roles = new HashMap<>();
    graphSp.get("appRoles").forEach(r -> roles.put(r.get("id").asText(), r.get("value").asText()));
    Set<String> added = new HashSet<>();
    rra.get(0).get("resourceAccess").forEach(a -> {
      assertThat(a.get("type").asText()).isEqualTo("Role");
      added.add(roles.get(a.get("id").asText()));
    });
    assertThat(added).containsExactlyInAnyOrder("Mail.ReadWrite", "Mail.Send", "Application.Read.All", "User.Read.All");
    JsonNode sp = f.get(token, "/servicePrincipals?$filter=appId%20eq%20'" + appId + "'").json().at("/value/0");
    JsonNode assignments = f.get(token, "/servicePrincipals/" + sp.get("id").asText() + "/appRoleAssignments").json()
        .get("value");
    Set<String> granted = new HashSet<>();
    assignments.forEach(a -> {
      assertThat(a.get("resourceId").asText()).isEqualTo(graphSp.get("id").asText());
      granted.add(roles.get(a.get("appRoleId").asText()));
    });
    assertThat(granted).isEqualTo(added);
    // delegated grants need DelegatedPermissionGrant.Read.All or Directory.Read.All, which the writer lacks
    assertThat(f.get(token, "/oauth2PermissionGrants?$filter=clientId%20eq%20'" + sp.get("id").asText() + "'")
        .status()).isEqualTo(403);
  }
}
