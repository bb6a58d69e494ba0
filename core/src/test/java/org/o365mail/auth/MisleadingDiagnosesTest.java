package org.o365mail.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.o365mail.testsupport.Secrets.secret;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.o365mail.Diagnosis;
import org.o365mail.MailboxAuthenticationException;
import org.o365mail.SetupStep;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testsupport.Secrets;
import org.o365mail.testsupport.Tenants;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Platform;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.User;

/**
 * Failures that used to be reported as something else: a damaged or planted token store as a network failure or
 * not at all, and a sign-in Entra ID refused in the browser as one that "did not complete within N s".
 */
@Timeout(60)
@ExtendWith(LeakCheck.class)
class MisleadingDiagnosesTest {
  static final String PASSWORD = secret("Diagn0sis-Passw0rd!");

  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static LocalTenant m365;
  static Tenant contoso;
  static Application desk;
  static User agent;

  @BeforeAll
  static void model() {
    m365 = M365.tenant();
    contoso = m365.createTenant("contoso.com");
    desk = contoso.registerApp("Service desk").allowPublicClientFlows(true);
    desk.addDelegatedPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsUser.All").grantAdminConsent();
    agent = contoso.addUser("agent@contoso.com", PASSWORD);
  }

  /** Signs {@code agent} in with a device code; the store then holds a real MSAL cache with a refresh token. */
  static void signIn(TokenStore store) {
    try (DeviceCodeCredential login = CredentialStrategy.deviceCode(Tenants.app(m365, contoso, desk))
        .signInRequest(TokenRequest.imap()).tokenStore(store).build()) {
      DeviceCodeChallenge challenge = login.start();
      m365.deviceCodes().approve(challenge.userCode(), agent.userPrincipalName(), PASSWORD);
      secret(login.await(Duration.ofSeconds(20)).value());
    }
  }

  static DeviceCodeCredential again(TokenStore store) {
    return CredentialStrategy.deviceCode(Tenants.app(m365, contoso, desk)).signInRequest(TokenRequest.imap())
        .tokenStore(store).maxAttempts(1).build();
  }

  @Test
  void damagedTokenStore_isReportedAsTheStore_withTheFileAndTheFix_notAsTheNetwork(@TempDir Path dir)
      throws Exception {
    signIn(FileTokenStore.builder(dir).build());
    Path file = FileTokenStoreTest.only(dir, ".json");
    byte[] whole = Files.readAllBytes(file);
    Files.write(file, java.util.Arrays.copyOf(whole, whole.length / 2)); // a disk that filled up mid-write

    try (DeviceCodeCredential s = again(FileTokenStore.builder(dir).build())) {
      MailboxAuthenticationException e = catchThrowableOfType(MailboxAuthenticationException.class,
          () -> s.token(TokenRequest.imap()));
      assertThat(e).isNotNull();
      assertThat(e.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.TOKEN_STORE);
      assertThat(e.getMessage()).contains(file.toString()).contains("sign in again").doesNotContain("reach")
          .doesNotContain("network");
      Secrets.assertClean(e);
    }
  }

  @Test
  void plantedPlaintextCache_inAnEncryptedStore_isRefused_andItsRefreshTokenNeverSent(@TempDir Path dir)
      throws Exception {
    Path elsewhere = Files.createDirectory(dir.resolve("attacker"));
    signIn(FileTokenStore.builder(elsewhere).build());
    Path stolen = FileTokenStoreTest.only(elsewhere, ".json");
    Path store = Files.createDirectory(dir.resolve("store"));
    Path planted = store.resolve(stolen.getFileName().toString().replace(".json", ".enc"));
    Files.copy(stolen, planted);
    byte[] key = new byte[32];
    key[3] = 42;
    long refreshesBefore = m365.count(r -> r.attribute("grant_type").equals("refresh_token"));

    try (DeviceCodeCredential s = again(FileTokenStore.builder(store).encryptionKey(key).build())) {
      MailboxAuthenticationException e = catchThrowableOfType(MailboxAuthenticationException.class,
          () -> s.token(TokenRequest.imap()));
      assertThat(e).isNotNull();
      assertThat(e.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.TOKEN_STORE);
      assertThat(e.getMessage()).contains(planted.toString()).contains("not encrypted");
    }
    assertThat(m365.count(r -> r.attribute("grant_type").equals("refresh_token")))
        .as("the planted refresh token was never redeemed").isEqualTo(refreshesBefore);
    assertThat(Files.readAllBytes(planted)).isEqualTo(Files.readAllBytes(stolen));
  }

  @Test
  void interactiveSignInDeclinedInTheBrowser_failsAtOnceWithEntrasCode_notAsATimeout() {
    Application noConsent = contoso.registerApp("Desk without consent")
        .addRedirectUri(Platform.MOBILE_AND_DESKTOP, "http://localhost");
    noConsent.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "Mail.Read");
    java.util.concurrent.CompletableFuture<Integer> listenerAnswered = new java.util.concurrent.CompletableFuture<>();
    BrowserLauncher decliningUser = uri -> m365.declineInBrowser(uri, agent.userPrincipalName(), PASSWORD)
        .whenComplete((status, failure) -> {
          if (failure != null) {
            listenerAnswered.completeExceptionally(failure);
          } else {
            listenerAnswered.complete(status);
          }
        });
    try (InteractiveCredential login = CredentialStrategy.interactive(Tenants.app(m365, contoso, noConsent))
        .browser(decliningUser).signInRequest(TokenRequest.graph("Mail.Read"))
        .signInTimeout(Duration.ofSeconds(300)).build()) {
      MailboxAuthenticationException e = assertTimeoutPreemptively(Duration.ofSeconds(30),
          () -> catchThrowableOfType(MailboxAuthenticationException.class, login::signIn),
          "a refused sign-in must not wait for the 300 s sign-in timeout");
      assertThat(e).isNotNull();
      assertThat(e.serviceErrorCode()).contains("AADSTS65004");
      assertThat(e.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.ADMIN_CONSENT);
      assertThat(e.getMessage()).doesNotContain("did not complete within");
      assertThat(login.isSignedIn()).isFalse();
      assertThat(assertTimeoutPreemptively(Duration.ofSeconds(30), () -> listenerAnswered.get()))
          .as("the SDK's redirect listener answered the browser's declined redirect").isEqualTo(200);
    }
  }

  /** The seconds an interactive timeout says it waited ("no redirect came back in 2.0 s"). */
  static double waited(String summary) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("no redirect came back in (\\d+\\.\\d) s")
        .matcher(summary);
    assertThat(m.find()).as(summary).isTrue();
    return Double.parseDouble(m.group(1));
  }

  /**
   * Entra ID shows AADSTS50011 on its own page before anyone signs in and never redirects: after its wait the SDK
   * reads the same page once more and names the redirect URI, with the time it really waited.
   */
  @Test
  void interactiveSignInWithoutRedirectUri_timesOut_andTheSignInPageNamesTheRedirectUri() {
    Application noRedirect = contoso.registerApp("Desk without redirect URI");
    noRedirect.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "Mail.Read").grantAdminConsent();
    try (InteractiveCredential login = CredentialStrategy.interactive(Tenants.app(m365, contoso, noRedirect))
        .browser(uri -> m365.signInInBrowser(uri, agent.userPrincipalName(), PASSWORD))
        .signInRequest(TokenRequest.graph("Mail.Read")).signInTimeout(Duration.ofSeconds(2)).build()) {
      MailboxAuthenticationException e = assertTimeoutPreemptively(Duration.ofSeconds(30),
          () -> catchThrowableOfType(MailboxAuthenticationException.class, login::signIn));
      assertThat(e).isNotNull();
      Diagnosis d = e.diagnosis().orElseThrow();
      assertThat(d.setupStep()).isEqualTo(SetupStep.REDIRECT_URI);
      assertThat(d.serviceCode()).isEqualTo("AADSTS50011");
      assertThat(d.command()).hasValueSatisfying(c -> assertThat(c).contains(noRedirect.clientId())
          .contains("RedirectUris"));
      assertThat(waited(d.summary())).isGreaterThanOrEqualTo(2.0);
      Secrets.assertClean(e);
    }
  }

  /**
   * A blocked user sees AADSTS50057 only after signing in, on Entra ID's page: the page read again shows no error,
   * so the timeout names the account and Conditional Access as what the browser may have shown, not the redirect URI.
   */
  @Test
  void interactiveSignInOfABlockedUser_timesOut_withTheAccountAndConditionalAccessAsAlternatives() {
    Application desktop = contoso.registerApp("Desk with redirect URI")
        .addRedirectUri(Platform.MOBILE_AND_DESKTOP, "http://localhost");
    desktop.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "Mail.Read").grantAdminConsent();
    User blocked = contoso.addUser("blocked-" + System.nanoTime() + "@contoso.com", PASSWORD);
    blocked.enabled(false);
    try (InteractiveCredential login = CredentialStrategy.interactive(Tenants.app(m365, contoso, desktop))
        .browser(uri -> m365.signInInBrowser(uri, blocked.userPrincipalName(), PASSWORD))
        .loginHint(blocked.userPrincipalName())
        .signInRequest(TokenRequest.graph("Mail.Read")).signInTimeout(Duration.ofSeconds(2)).build()) {
      MailboxAuthenticationException e = assertTimeoutPreemptively(Duration.ofSeconds(30),
          () -> catchThrowableOfType(MailboxAuthenticationException.class, login::signIn));
      assertThat(e).isNotNull();
      Diagnosis d = e.diagnosis().orElseThrow();
      assertThat(d.setupStep()).isEqualTo(SetupStep.SIGN_IN_AGAIN);
      assertThat(d.summary()).contains("shows no error before sign-in");
      assertThat(waited(d.summary())).isGreaterThanOrEqualTo(2.0);
      assertThat(d.alternatives()).extracting(Diagnosis::setupStep)
          .containsExactly(SetupStep.USER_ACCOUNT, SetupStep.CONDITIONAL_ACCESS);
      assertThat(d.alternatives().get(0).command()).contains("Get-MgUser -UserId " + blocked.userPrincipalName()
          + " -Property AccountEnabled");
    }
  }
}
