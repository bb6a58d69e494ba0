package org.o365mail.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.o365mail.testsupport.Secrets.secret;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.o365mail.MailboxAuthenticationException;
import org.o365mail.SetupStep;
import org.o365mail.internal.Sleeper;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.Platform;
import org.o365mail.testkit.SupportedAccountTypes;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.User;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testsupport.Secrets;
import org.o365mail.testsupport.Tenants;

@Timeout(60)
@ExtendWith(LeakCheck.class)
class DelegatedFlowsTest {
  static final String PASSWORD = secret("Qu3ue-Passw0rd!");

  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static LocalTenant m365;
  static Tenant contoso;
  static Application sinch;
  static Application docbits;
  static PasswordCredential docbitsSecret;
  static User queue;

  @BeforeAll
  static void model() {
    m365 = M365.tenant();
    contoso = m365.createTenant("contoso.com");
    sinch = contoso.registerApp("Sinch Contact Pro").allowPublicClientFlows(true);
    sinch.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read", "User.ReadBasic.All", "Mail.ReadWrite")
        .addDelegatedPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsUser.All", "SMTP.Send")
        .grantAdminConsent();
    docbits = contoso.registerApp("DocBits").accountTypes(SupportedAccountTypes.MULTI_TENANT);
    docbitsSecret = docbits.addClientSecret("docbits", Duration.ofDays(365));
    secret(docbitsSecret.value());
    docbits.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read", "Mail.ReadWrite").grantAdminConsent();
    queue = contoso.addUser("queue@contoso.com", PASSWORD);
  }

  static AccessToken token(CredentialStrategy s, TokenRequest r) {
    AccessToken t = s.token(r);
    secret(t.value());
    return t;
  }

  @Nested
  class UsernamePassword {
    @Test
    void publicClient_asTheSinchGuide_thenRefreshesSilentlyAndReachesExchangeToo() {
      try (CredentialStrategy s = CredentialStrategy.usernamePassword(Tenants.app(m365, contoso, sinch),
          "queue@contoso.com", PASSWORD.toCharArray()).build()) {
        AccessToken graph = token(s, TokenRequest.graph("Mail.ReadWrite"));
        assertThat(graph.claims().scopes()).contains("Mail.ReadWrite");
        assertThat(graph.claims().userPrincipalName()).contains("queue@contoso.com");
        long grantsBefore = m365.count(r -> r.attribute("grant_type").equals("password"));
        AccessToken imap = token(s, TokenRequest.imap());
        assertThat(imap.claims().audience()).isEqualTo("https://outlook.office.com");
        assertThat(imap.claims().scopes()).contains("IMAP.AccessAsUser.All");
        assertThat(m365.count(r -> r.attribute("grant_type").equals("password"))).as("no second password sign-in")
            .isEqualTo(grantsBefore);
        assertThat(m365.requests("identity").stream().anyMatch(r -> r.attribute("grant_type").equals("refresh_token")))
            .isTrue();
        assertThat(TokenPreflight.check(imap, TokenPreflight.Requirement.imap(), s.registration())).isEmpty();
      }
    }

    @Test
    void confidentialClient_asTheDocBitsGuide() {
      AppRegistration app = Tenants.app(m365, contoso, docbits).toBuilder()
          .accountTypes(AccountTypes.MULTI_TENANT).build();
      try (CredentialStrategy s = CredentialStrategy.usernamePassword(app, "queue@contoso.com", PASSWORD.toCharArray())
          .clientSecret(ClientSecret.of(docbitsSecret.value())).build()) {
        assertThat(token(s, TokenRequest.graph("Mail.ReadWrite")).claims().scopes()).contains("Mail.ReadWrite");
        s.invalidate(TokenRequest.graph("Mail.ReadWrite"));
        assertThat(token(s, TokenRequest.graph("Mail.ReadWrite")).claims().userPrincipalName()).contains("queue@contoso.com");
      }
    }

    @Test
    void eachUserProblemNamesItsStep() {
      User mfa = contoso.addUser("mfa-" + UUID.randomUUID().toString().substring(0, 6) + "@contoso.com", PASSWORD).mfaRequired(true);
      User blocked = contoso.addUser("blocked-" + UUID.randomUUID().toString().substring(0, 6) + "@contoso.com", PASSWORD).enabled(false);
      User expired = contoso.addUser("exp-" + UUID.randomUUID().toString().substring(0, 6) + "@contoso.com", PASSWORD).passwordExpired(true);
      assertStep(sinch, queue.userPrincipalName(), "wrong-password", SetupStep.USER_CREDENTIALS, "AADSTS50126");
      assertStep(sinch, mfa.userPrincipalName(), PASSWORD, SetupStep.CONDITIONAL_ACCESS, "AADSTS50076");
      assertStep(sinch, blocked.userPrincipalName(), PASSWORD, SetupStep.USER_ACCOUNT, "AADSTS50057");
      assertStep(sinch, expired.userPrincipalName(), PASSWORD, SetupStep.USER_ACCOUNT, "AADSTS50055");
      assertStep(sinch, "nobody@contoso.com", PASSWORD, SetupStep.USER_ACCOUNT, "AADSTS50034");
      Application flowsOff = contoso.registerApp("flows off");
      flowsOff.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite").grantAdminConsent();
      MailboxAuthenticationException off = assertStep(flowsOff, queue.userPrincipalName(), PASSWORD,
          SetupStep.ALLOW_PUBLIC_CLIENT_FLOWS, "AADSTS7000218");
      assertThat(off.getMessage()).contains("Allow public client flows = Yes");
      Application noConsent = contoso.registerApp("no consent").allowPublicClientFlows(true);
      noConsent.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite");
      assertStep(noConsent, queue.userPrincipalName(), PASSWORD, SetupStep.ADMIN_CONSENT, "AADSTS65001");
    }

    MailboxAuthenticationException assertStep(Application app, String user, String password, SetupStep step, String code) {
      secret(password);
      try (CredentialStrategy s = CredentialStrategy.usernamePassword(Tenants.app(m365, contoso, app), user,
          password.toCharArray()).build()) {
        MailboxAuthenticationException e = org.assertj.core.api.Assertions
            .catchThrowableOfType(MailboxAuthenticationException.class, () -> s.token(TokenRequest.graph("Mail.ReadWrite")));
        assertThat(e).as(user + " expected " + code).isNotNull();
        assertThat(e.serviceErrorCode()).contains(code);
        assertThat(e.diagnosis().orElseThrow().setupStep()).isEqualTo(step);
        Secrets.assertClean(e);
        return e;
      }
    }
  }

  @Nested
  class DeviceCode {
    AppRegistration app() {
      return Tenants.app(m365, contoso, sinch);
    }

    @Test
    void twoSteps_startShowsTheCode_awaitCompletesAfterApproval(@TempDir Path dir) throws Exception {
      TokenStore store = FileTokenStore.builder(dir).build();
      try (DeviceCodeCredential login = CredentialStrategy.deviceCode(app()).signInRequest(TokenRequest.imap())
          .tokenStore(store).build()) {
        assertThat(login.status()).isEqualTo(SignInStatus.NOT_STARTED);
        assertThatThrownBy(() -> login.token(TokenRequest.imap()))
            .isInstanceOfSatisfying(MailboxAuthenticationException.class,
                e -> assertThat(e.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.SIGN_IN_AGAIN));
        DeviceCodeChallenge challenge = login.start();
        assertThat(challenge.userCode()).hasSize(9);
        assertThat(challenge.verificationUri()).isEqualTo(URI.create(m365.authorityHost() + "/devicelogin"));
        assertThat(login.status()).isEqualTo(SignInStatus.PENDING);
        m365.deviceCodes().approve(challenge.userCode(), queue.userPrincipalName(), PASSWORD);
        AccessToken token = login.await(Duration.ofSeconds(20));
        secret(token.value());
        assertThat(token.claims().scopes()).contains("IMAP.AccessAsUser.All");
        assertThat(login.status()).isEqualTo(SignInStatus.SIGNED_IN);
        assertThat(login.isSignedIn()).isTrue();
        assertThat(token(login, TokenRequest.graph("Mail.ReadWrite")).claims().scopes()).contains("Mail.ReadWrite");
      }
      // restart: a new strategy object on the same store signs in without the user
      try (DeviceCodeCredential again = CredentialStrategy.deviceCode(app()).signInRequest(TokenRequest.imap())
          .tokenStore(FileTokenStore.builder(dir).build()).build()) {
        assertThat(again.isSignedIn()).isTrue();
        long devicePolls = m365.count(r -> r.attribute("grant_type").contains("device_code"));
        assertThat(token(again, TokenRequest.imap()).claims().userPrincipalName()).contains(queue.userPrincipalName());
        assertThat(m365.count(r -> r.attribute("grant_type").contains("device_code"))).isEqualTo(devicePolls);
      }
    }

    @Test
    void slowDown_addsFiveSecondsToTheInterval() {
      // the polls wait on the injected sleeper: it records each wait and lets the test run at full speed
      List<Duration> waits = new CopyOnWriteArrayList<>();
      Sleeper recording = d -> {
        waits.add(d);
        Thread.sleep(20);
      };
      try (DeviceCodeCredential login = CredentialStrategy.deviceCode(app()).sleeper(recording).build()) {
        m365.deviceCodes().forceSlowDown(1);
        DeviceCodeChallenge challenge = login.start();
        assertThat(challenge.interval()).isEqualTo(Duration.ofSeconds(1));
        AccessToken token = null;
        // approve once the slow_down has been answered, so the next poll is the one that succeeds
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (m365.count(r -> r.attribute("error").equals("slow_down")) == 0 && System.nanoTime() < deadline) {
          Thread.onSpinWait();
        }
        m365.deviceCodes().approve(challenge.userCode(), queue.userPrincipalName(), PASSWORD);
        token = login.await(Duration.ofSeconds(20));
        secret(token.value());
        var polls = m365.requests("identity").stream()
            .filter(r -> r.attribute("grant_type").contains("device_code")).toList();
        var slowDown = polls.stream().filter(r -> r.attribute("error").equals("slow_down")).findFirst().orElseThrow();
        int slowDownPoll = polls.indexOf(slowDown);
        assertThat(polls).hasSizeGreaterThan(slowDownPoll + 1);
        // the waits up to the slow_down answer are the code's interval, and each poll after it came after a wait
        // five seconds longer
        int after = polls.size() - slowDownPoll - 1;
        assertThat(waits).hasSizeGreaterThan(after);
        assertThat(waits.subList(0, waits.size() - after)).containsOnly(Duration.ofSeconds(1));
        assertThat(waits.subList(waits.size() - after, waits.size())).containsOnly(Duration.ofSeconds(6));
      }
    }

    @Test
    void declinedExpiredAndCancelled() {
      try (DeviceCodeCredential login = CredentialStrategy.deviceCode(app()).build()) {
        m365.deviceCodes().decline(login.start().userCode());
        assertThatThrownBy(() -> login.await(Duration.ofSeconds(20)))
            .isInstanceOfSatisfying(MailboxAuthenticationException.class, e -> {
              assertThat(e.serviceErrorCode()).contains("AADSTS70000");
              assertThat(e.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.SIGN_IN_AGAIN);
            });
        assertThat(login.status()).isEqualTo(SignInStatus.DECLINED);

        login.start();
        m365.clock().advance(Duration.ofMinutes(16));
        try {
          assertThatThrownBy(() -> login.await(Duration.ofSeconds(20)))
              .isInstanceOf(MailboxAuthenticationException.class).hasMessageContaining("AADSTS70019");
          assertThat(login.status()).isEqualTo(SignInStatus.EXPIRED);
        } finally {
          m365.clock().advance(Duration.ofMinutes(-16));
        }

        login.start();
        assertThatThrownBy(() -> login.await(Duration.ofMillis(200)))
            .isInstanceOfSatisfying(MailboxAuthenticationException.class, e -> {
              assertThat(e.diagnosis().orElseThrow().retryable()).isTrue();
              // the real wait, to a tenth of a second, not the whole seconds of the timeout ("within 0 s")
              assertThat(e.diagnosis().orElseThrow().summary()).containsPattern("after \\d+\\.\\d s of waiting");
              assertThat(e.diagnosis().orElseThrow().summary()).doesNotContain("after 0.0 s").doesNotContain("after 0.1 s");
            });
        login.cancel();
        assertThat(login.status()).isEqualTo(SignInStatus.CANCELLED);
      }
    }

    @Test
    void consentDeclinedOnTheDevicePage_endsThePollWithAadsts65001AtOnce() {
      Application fresh = contoso.registerApp("device consent").allowPublicClientFlows(true);
      fresh.addDelegatedPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsUser.All");
      try (DeviceCodeCredential login = CredentialStrategy.deviceCode(Tenants.app(m365, contoso, fresh))
          .signInRequest(TokenRequest.imap()).build()) {
        m365.deviceCodes().approve(login.start().userCode(), queue.userPrincipalName(), PASSWORD, false);
        assertThatThrownBy(() -> login.await(Duration.ofSeconds(20)))
            .isInstanceOfSatisfying(MailboxAuthenticationException.class, e -> {
              assertThat(e.serviceErrorCode()).contains("AADSTS65001");
              assertThat(e.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.ADMIN_CONSENT);
              assertThat(e.diagnosis().orElseThrow().serviceCode()).isNotEqualTo("device_code_pending");
            });
        assertThat(login.status()).isEqualTo(SignInStatus.FAILED);
      }
    }

    @Test
    void publicClientFlowsOff_failsWithTheStep() {
      Application off = contoso.registerApp("device flows off");
      off.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read").grantAdminConsent();
      try (DeviceCodeCredential login = CredentialStrategy.deviceCode(Tenants.app(m365, contoso, off)).build()) {
        m365.deviceCodes().approve(login.start().userCode(), queue.userPrincipalName(), PASSWORD);
        assertThatThrownBy(() -> login.await(Duration.ofSeconds(20)))
            .isInstanceOfSatisfying(MailboxAuthenticationException.class,
                e -> assertThat(e.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.ALLOW_PUBLIC_CLIENT_FLOWS));
        assertThat(login.status()).isEqualTo(SignInStatus.FAILED);
      }
    }
  }

  @Nested
  class Interactive {
    @Test
    void pkceLoopback_withAScriptedBrowser() throws Exception {
      Application imageManager = contoso.registerApp("ImageManager").accountTypes(SupportedAccountTypes.MULTI_TENANT)
          .addRedirectUri(Platform.MOBILE_AND_DESKTOP, "http://localhost");
      imageManager.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read", "Mail.Send");
      AppRegistration app = Tenants.organizations(m365, imageManager);
      ScriptedBrowser browser = new ScriptedBrowser(m365, queue.userPrincipalName(), PASSWORD);
      try (InteractiveCredential login = CredentialStrategy.interactive(app).browser(browser)
          .signInRequest(TokenRequest.graph("Mail.Send")).signInTimeout(Duration.ofSeconds(20)).build()) {
        AccessToken token = login.signIn();
        secret(token.value());
        assertThat(token.claims().scopes()).contains("Mail.Send");
        assertThat(browser.visited).isTrue();
        assertThat(login.isSignedIn()).isTrue();
        assertThat(token(login, TokenRequest.graph("Mail.Send")).claims().userPrincipalName()).contains(queue.userPrincipalName());
      }
    }

    @Test
    void anErrorRedirect_isNamedAtOnceThroughTheCatalogue_notAsATimeout() {
      Application personal = contoso.registerApp("personal accounts only")
          .accountTypes(SupportedAccountTypes.PERSONAL_ONLY).addRedirectUri(Platform.MOBILE_AND_DESKTOP, "http://localhost");
      personal.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read", "Mail.Send");
      try (InteractiveCredential login = CredentialStrategy.interactive(Tenants.app(m365, contoso, personal))
          .browser(new ScriptedBrowser(m365, queue.userPrincipalName(), PASSWORD))
          .signInRequest(TokenRequest.graph("Mail.Send")).signInTimeout(Duration.ofSeconds(20)).build()) {
        assertThatThrownBy(login::signIn)
            .isInstanceOfSatisfying(MailboxAuthenticationException.class, e -> {
              assertThat(e.serviceErrorCode()).contains("AADSTS9002331");
              assertThat(e.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.SUPPORTED_ACCOUNT_TYPES);
              assertThat(e.getMessage()).doesNotContain("did not complete within");
            });
      }
    }

    @Test
    void userWhoNeverFinishes_timesOutCleanly() {
      Application app = contoso.registerApp("Desktop").addRedirectUri(Platform.MOBILE_AND_DESKTOP, "http://localhost");
      app.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read").grantAdminConsent();
      try (InteractiveCredential login = CredentialStrategy.interactive(Tenants.app(m365, contoso, app))
          .browser(uri -> { }).signInTimeout(Duration.ofSeconds(2)).build()) {
        long start = System.nanoTime();
        assertThatThrownBy(login::signIn)
            .isInstanceOfSatisfying(MailboxAuthenticationException.class, e -> {
              assertThat(e.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.SIGN_IN_AGAIN);
              // the time really waited, at least the 2 s timeout
              assertThat(e.diagnosis().orElseThrow().summary()).containsPattern("no redirect came back in ([2-9]|\\d{2,})\\.\\d s");
            });
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
      }
    }
  }

  /** A browser launcher whose user signs in on the testkit's page. */
  static final class ScriptedBrowser implements BrowserLauncher {
    private final LocalTenant m365;
    private final String user;
    private final String password;
    volatile boolean visited;

    ScriptedBrowser(LocalTenant m365, String user, String password) {
      this.m365 = m365;
      this.user = user;
      this.password = password;
    }

    @Override
    public void open(URI uri) {
      visited = true;
      m365.signInInBrowser(uri, user, password);
    }
  }
}
