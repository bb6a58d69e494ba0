package org.o365mail.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import org.junit.jupiter.api.Test;

class AppRegistrationTest {
  static final String CLIENT = "1b2c3d4e-0000-1111-2222-333344445555";
  static final String TENANT = "9f8e7d6c-aaaa-bbbb-cccc-ddddeeeeffff";

  @Test
  void singleTenant_authorityNamesTheTenant() {
    AppRegistration app = AppRegistration.builder().clientId(CLIENT).tenant(TENANT).build();
    assertThat(app.authority()).isEqualTo("https://login.microsoftonline.com/" + TENANT + "/");
    assertThat(app.hasSpecificTenant()).isTrue();
  }

  @Test
  void multitenantWithoutTenant_usesOrganizations_andPersonalUsesCommon() {
    assertThat(AppRegistration.builder().clientId(CLIENT).accountTypes(AccountTypes.MULTI_TENANT).build().authority())
        .isEqualTo("https://login.microsoftonline.com/organizations/");
    assertThat(AppRegistration.builder().clientId(CLIENT).accountTypes(AccountTypes.MULTI_TENANT).tenant("contoso.com")
        .build().authority()).isEqualTo("https://login.microsoftonline.com/contoso.com/");
    assertThat(AppRegistration.builder().clientId(CLIENT).accountTypes(AccountTypes.MULTI_TENANT_AND_PERSONAL)
        .build().authority()).isEqualTo("https://login.microsoftonline.com/common/");
  }

  @Test
  void nationalClouds() {
    AppRegistration gov = AppRegistration.builder().clientId(CLIENT).tenant(TENANT).cloud(Cloud.US_GOVERNMENT).build();
    assertThat(gov.authority()).startsWith("https://login.microsoftonline.us/");
    assertThat(Resource.MICROSOFT_GRAPH.appOnlyScope(Cloud.US_GOVERNMENT)).isEqualTo("https://graph.microsoft.us/.default");
    assertThat(Resource.EXCHANGE_ONLINE.appOnlyScope(Cloud.GLOBAL)).isEqualTo("https://outlook.office365.com/.default");
    assertThat(Cloud.CHINA.graphEndpoint()).hasToString("https://microsoftgraph.chinacloudapi.cn");
  }

  @Test
  void rejectsImpossibleCombinations_namingTheField() {
    assertThatThrownBy(() -> AppRegistration.builder().clientId(CLIENT).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("tenant()").hasMessageContaining("SINGLE_TENANT");
    assertThatThrownBy(() -> AppRegistration.builder().clientId(CLIENT).tenant(TENANT)
        .accountTypes(AccountTypes.MULTI_TENANT_AND_PERSONAL).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("tenant must be left unset");
    assertThatThrownBy(() -> AppRegistration.builder().clientId(CLIENT).accountTypes(AccountTypes.PERSONAL_ONLY).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("PERSONAL_ONLY");
    assertThatThrownBy(() -> AppRegistration.builder().clientId("LogicalDOC"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("clientId").hasMessageContaining("Overview");
    assertThatThrownBy(() -> AppRegistration.builder().tenant("common"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("accountTypes");
    assertThatThrownBy(() -> AppRegistration.builder().tenant("contoso"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tenant");
    assertThatThrownBy(() -> AppRegistration.builder().authorityHost(URI.create("http://localhost:8080")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("https");
    assertThatThrownBy(() -> AppRegistration.builder().build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("clientId()");
  }

  @Test
  void flowSpecificRules_areCheckedWhenTheStrategyIsBuilt() {
    AppRegistration organizations = AppRegistration.builder().clientId(CLIENT).accountTypes(AccountTypes.MULTI_TENANT).build();
    assertThatThrownBy(() -> CredentialStrategy.clientCredentials(organizations).secret(ClientSecret.of("x".repeat(40))).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("specific tenant").hasMessageContaining("organizations");
    AppRegistration common = AppRegistration.builder().clientId(CLIENT).accountTypes(AccountTypes.MULTI_TENANT_AND_PERSONAL).build();
    assertThatThrownBy(() -> CredentialStrategy.usernamePassword(common, "a@contoso.com", "pw".toCharArray()).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("/common");
    assertThatThrownBy(() -> CredentialStrategy.clientCredentials(AppRegistration.builder().clientId(CLIENT).tenant(TENANT).build()).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("secret(...)");
  }

  @Test
  void clientSecretNeverShowsItsValue() {
    ClientSecret secret = ClientSecret.of("Abc8Q~verysecretvalue_0123456789abcdefgh");
    assertThat(secret.toString()).contains("hint=Abc").doesNotContain("verysecret");
    assertThat(ClientSecret.of("6c1b9a4e-1234-4c2b-9a8e-0f1e2d3c4b5a").looksLikeSecretId()).isTrue();
    assertThat(new AccessToken("eyJhbGciOi.eyJzdWIiOi.sig", java.time.Instant.EPOCH).toString()).doesNotContain("eyJ");
  }
}
