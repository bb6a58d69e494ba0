package org.o365mail.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.o365mail.testsupport.Secrets.secret;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.MailboxAuthenticationException;
import org.o365mail.SetupStep;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Platform;
import org.o365mail.testkit.SupportedAccountTypes;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.User;
import org.o365mail.testsupport.CapturingLoggerProvider;
import org.o365mail.testsupport.LeakCheck;

/**
 * Personal Microsoft accounts (outlook.com) signing in with the device code through /consumers and /common, as the
 * ImageManager guide allows them: an app for "any organizational directory and personal Microsoft accounts" with the
 * tenant left blank. Their access tokens are not JWTs.
 */
@Timeout(60)
@ExtendWith(LeakCheck.class)
class PersonalAccountsTest {
  static final String PASSWORD = secret("Outl00k-Passw0rd!");

  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static LocalTenant m365;
  static Tenant contoso;
  static Application imageManager;
  static Application orgOnly;
  static User someone;

  @BeforeAll
  static void model() {
    m365 = M365.tenant();
    contoso = m365.createTenant("contoso.com");
    imageManager = contoso.registerApp("ImageManager").accountTypes(SupportedAccountTypes.MULTI_TENANT_AND_PERSONAL)
        .allowPublicClientFlows(true);
    imageManager.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read", "Mail.Send", "Mail.ReadWrite")
        .addDelegatedPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsUser.All", "SMTP.Send");
    orgOnly = contoso.registerApp("organizations only").accountTypes(SupportedAccountTypes.MULTI_TENANT)
        .allowPublicClientFlows(true);
    orgOnly.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read", "Mail.Send").grantAdminConsent();
    someone = m365.consumers().addUser("someone@outlook.com", PASSWORD);
  }

  static AppRegistration.Builder personalApp(Application app) {
    return AppRegistration.builder().clientId(app.clientId()).accountTypes(AccountTypes.MULTI_TENANT_AND_PERSONAL)
        .authorityHost(m365.authorityHost()).trust(m365.sslContext());
  }

  static AccessToken signIn(AppRegistration app, TokenRequest request) {
    try (DeviceCodeCredential login = CredentialStrategy.deviceCode(app).signInRequest(request).build()) {
      m365.deviceCodes().approve(login.start().userCode(), someone.userPrincipalName(), PASSWORD);
      AccessToken token = login.await(Duration.ofSeconds(20));
      secret(token.value());
      // once the token is thrown away, the refresh token gets a new one without the user
      long devicePolls = m365.count(r -> r.attribute("grant_type").contains("device_code"));
      long refreshes = m365.count(r -> r.attribute("grant_type").contains("refresh_token"));
      login.invalidate(request);
      AccessToken again = login.token(request);
      secret(again.value());
      assertThat(again.value()).isNotEqualTo(token.value()).doesNotContain(".");
      assertThat(m365.count(r -> r.attribute("grant_type").contains("refresh_token"))).isEqualTo(refreshes + 1);
      assertThat(m365.count(r -> r.attribute("grant_type").contains("device_code"))).isEqualTo(devicePolls);
      return token;
    }
  }

  @Test
  void deviceCodeThroughConsumers_givesATokenThatIsNotAJwt_andThePreflightLetsItPass() {
    AppRegistration app = personalApp(imageManager).consumers().build();
    assertThat(app.authority()).endsWith("/consumers/");
    AccessToken token = signIn(app, TokenRequest.graph("Mail.Send"));
    assertThat(token.value()).doesNotContain(".");
    assertThatThrownBy(token::claims).isInstanceOf(IllegalArgumentException.class);
    for (TokenPreflight.Requirement r : new TokenPreflight.Requirement[] {TokenPreflight.Requirement.graphSend(),
        TokenPreflight.Requirement.graphReadWrite(), TokenPreflight.Requirement.imap(),
        TokenPreflight.Requirement.smtp()}) {
      assertThat(TokenPreflight.check(token, r, app)).isEmpty();
    }
  }

  @Test
  void deviceCodeThroughCommon_signsInThePersonalAccountToo() {
    AppRegistration app = personalApp(imageManager).build();
    assertThat(app.authority()).endsWith("/common/");
    AccessToken token = signIn(app, TokenRequest.imap());
    assertThat(token.value()).doesNotContain(".");
  }

  @Test
  void personalAccountThroughOrganizations_isDiagnosedAsTheAccountTypesStep() {
    AppRegistration app = AppRegistration.builder().clientId(orgOnly.clientId()).accountTypes(AccountTypes.MULTI_TENANT)
        .authorityHost(m365.authorityHost()).trust(m365.sslContext()).build();
    try (DeviceCodeCredential login = CredentialStrategy.deviceCode(app).build()) {
      m365.deviceCodes().approve(login.start().userCode(), someone.userPrincipalName(), PASSWORD);
      assertThatThrownBy(() -> login.await(Duration.ofSeconds(20)))
          .isInstanceOfSatisfying(MailboxAuthenticationException.class, e -> {
            assertThat(e.serviceErrorCode()).contains("AADSTS50020");
            assertThat(e.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.SUPPORTED_ACCOUNT_TYPES);
            assertThat(e.diagnosis().orElseThrow().fix()).contains("personal Microsoft accounts");
          });
    }
  }

  @Test
  void appForOrganizationsOnlyThroughConsumers_isDiagnosedWithTheAccountTypesFix() {
    // the registration says personal accounts, the app in Entra does not: Entra refuses /consumers
    AppRegistration app = personalApp(orgOnly).consumers().build();
    try (DeviceCodeCredential login = CredentialStrategy.deviceCode(app).build()) {
      m365.deviceCodes().approve(login.start().userCode(), someone.userPrincipalName(), PASSWORD);
      assertThatThrownBy(() -> login.await(Duration.ofSeconds(20)))
          .isInstanceOfSatisfying(MailboxAuthenticationException.class, e -> {
            assertThat(e.serviceErrorCode()).contains("AADSTS9002332");
            assertThat(e.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.SUPPORTED_ACCOUNT_TYPES);
            assertThat(e.diagnosis().orElseThrow().fix()).contains("personal Microsoft accounts");
          });
    }
  }

  @Test
  void interactiveThroughConsumers_withTheMobileAndDesktopRedirect() throws Exception {
    Application desktop = contoso.registerApp("ImageManager desktop")
        .accountTypes(SupportedAccountTypes.MULTI_TENANT_AND_PERSONAL)
        .addRedirectUri(Platform.MOBILE_AND_DESKTOP, "http://localhost");
    desktop.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read", "Mail.Send");
    DelegatedFlowsTest.ScriptedBrowser browser =
        new DelegatedFlowsTest.ScriptedBrowser(m365, someone.userPrincipalName(), PASSWORD);
    try (InteractiveCredential login = CredentialStrategy.interactive(personalApp(desktop).consumers().build())
        .browser(browser).signInRequest(TokenRequest.graph("Mail.Send")).signInTimeout(Duration.ofSeconds(20))
        .build()) {
      AccessToken token = login.signIn();
      secret(token.value());
      assertThat(browser.visited).isTrue();
      assertThat(token.value()).doesNotContain(".");
      assertThat(login.isSignedIn()).isTrue();
    }
  }

  @Test
  void interactiveWithTheRedirectOnTheWebPlatform_isDiagnosedAsTheRedirectStep() {
    // the guide's platform is "Mobile and desktop applications"; under "Web" the app is confidential and Entra asks
    // the code's redeemer for a secret (AADSTS7000218), which for an interactive sign-in is the redirect platform
    Application web = contoso.registerApp("ImageManager web platform")
        .accountTypes(SupportedAccountTypes.MULTI_TENANT_AND_PERSONAL).addRedirectUri(Platform.WEB, "http://localhost");
    web.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read", "Mail.Send");
    try (InteractiveCredential login = CredentialStrategy.interactive(personalApp(web).consumers().build())
        .browser(new DelegatedFlowsTest.ScriptedBrowser(m365, someone.userPrincipalName(), PASSWORD))
        .signInRequest(TokenRequest.graph("Mail.Send")).signInTimeout(Duration.ofSeconds(20)).build()) {
      assertThatThrownBy(login::signIn)
          .isInstanceOfSatisfying(MailboxAuthenticationException.class, e -> {
            assertThat(e.serviceErrorCode()).contains("AADSTS7000218");
            assertThat(e.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.REDIRECT_URI);
          });
    }
  }

  @Test
  void deviceCodeWithPublicClientFlowsOff_isDiagnosedAsThatStep() {
    Application off = contoso.registerApp("ImageManager flows off")
        .accountTypes(SupportedAccountTypes.MULTI_TENANT_AND_PERSONAL);
    off.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read", "Mail.Send");
    try (DeviceCodeCredential login = CredentialStrategy.deviceCode(personalApp(off).consumers().build()).build()) {
      m365.deviceCodes().approve(login.start().userCode(), someone.userPrincipalName(), PASSWORD);
      assertThatThrownBy(() -> login.await(Duration.ofSeconds(20)))
          .isInstanceOfSatisfying(MailboxAuthenticationException.class,
              e -> assertThat(e.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.ALLOW_PUBLIC_CLIENT_FLOWS));
    }
  }

  @Test
  void preflight_letsEveryTokenItCannotRead_pass_withoutALogLine() {
    AppRegistration app = personalApp(imageManager).consumers().build();
    String[] unreadable = {
      "EwBwA8l6BAAUbDba3x2OMJElkF7gJ4z",                    // a compact ticket
      "eyJhbGciOiJSU0EtT0FFUCJ9.bm90LWpzb24.c2ln",             // three parts, the payload not JSON
      "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d", // five parts (JWE), the second not base64url JSON
      "a..b", "."};
    CapturingLoggerProvider.clear();
    for (String value : unreadable) {
      AccessToken token = new AccessToken(value.length() > 10 ? secret(value) : value, Instant.now().plusSeconds(3600));
      for (TokenPreflight.Requirement r : new TokenPreflight.Requirement[] {TokenPreflight.Requirement.graphSend(),
          TokenPreflight.Requirement.imap(), TokenPreflight.Requirement.smtp()}) {
        assertThat(TokenPreflight.check(token, r, app)).as(value).isEmpty();
      }
    }
    assertThat(CapturingLoggerProvider.lines()).noneMatch(l -> l.contains("EwBwA8l6") || l.contains("bm90LWpzb24"));
  }

  @Test
  void consumersNeedsAnAppForPersonalAccounts_andIsNoTenant() {
    assertThatThrownBy(() -> AppRegistration.builder().clientId(orgOnly.clientId())
        .accountTypes(AccountTypes.MULTI_TENANT).consumers().build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("MULTI_TENANT_AND_PERSONAL");
    assertThatThrownBy(() -> AppRegistration.builder().tenant(AppRegistration.CONSUMERS_TENANT_ID))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("consumers()");
    AppRegistration app = personalApp(imageManager).consumers().build();
    assertThat(app.toBuilder().build().authorityTenant()).isEqualTo("consumers");
    assertThat(app.hasSpecificTenant()).isFalse();
  }
}
