package org.o365mail.doctor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.o365mail.testsupport.Secrets.secret;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.ConnectionCheck;
import org.o365mail.Diagnosis;
import org.o365mail.SetupStep;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.DeviceCodeCredential;
import org.o365mail.auth.TokenPreflight;
import org.o365mail.auth.TokenRequest;
import org.o365mail.testing.InMemoryMailboxConnector;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testsupport.Tenants;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.Tenant;

/**
 * The doctor's own second looks against the local tenant: consent versus a permission not added (AADSTS65001), an
 * application permission under the wrong API, a tenant of another cloud, and what the connection is for.
 */
@Timeout(60)
@ExtendWith(LeakCheck.class)
class DoctorProbesTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();
  static final String PASSWORD = "Pa55-" + UUID.randomUUID();

  static LocalTenant m365;
  static Tenant contoso;

  @BeforeAll
  static void model() {
    m365 = M365.tenant();
    contoso = m365.createTenant("contoso.com");
    contoso.addUser("sender@contoso.com", secret(PASSWORD));
  }

  static DoctorReport delegated(Application app, TokenRequest request, TokenPreflight.Requirement needed) {
    try (CredentialStrategy s = CredentialStrategy.usernamePassword(Tenants.app(m365, contoso, app),
        "sender@contoso.com", PASSWORD.toCharArray()).build()) {
      return ConnectionDoctor.builder().credential(s).connector(() -> InMemoryMailboxConnector.create("b@contoso.com"))
          .token(request, needed).build().examine();
    }
  }

  static DoctorReport appOnly(Application app, TokenRequest request, TokenPreflight.Requirement needed) {
    PasswordCredential s = app.addClientSecret("s", Duration.ofDays(300));
    secret(s.value());
    try (CredentialStrategy c = CredentialStrategy.clientCredentials(Tenants.app(m365, contoso, app))
        .secret(ClientSecret.of(s.value())).maxAttempts(1).build()) {
      return ConnectionDoctor.builder().credential(c).connector(() -> InMemoryMailboxConnector.create("b@contoso.com"))
          .token(request, needed).build().examine();
    }
  }

  static DoctorCheck check(DoctorReport report, String name) {
    return report.checks().stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void aadsts65001_withNothingConsented_namesAdminConsent_andTheUnaddedPermissionAsAlternative() {
    Application app = contoso.registerApp("added, not consented").allowPublicClientFlows(true)
        .addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "Mail.Read");
    DoctorReport report = delegated(app, TokenRequest.graph("Mail.Read"), TokenPreflight.Requirement.graphRead());
    DoctorCheck token = report.firstFailure().orElseThrow();
    assertThat(token.name()).isEqualTo("token acquired");
    assertThat(token.detail()).contains("probe: token for Microsoft Graph .default: AADSTS65001 as well");
    assertThat(token.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.ADMIN_CONSENT);
    assertThat(token.diagnosis().orElseThrow().serviceCode()).isEqualTo("AADSTS65001");
    assertThat(token.diagnosis().orElseThrow().command())
        .hasValueSatisfying(c -> assertThat(c).contains("Get-MgOauth2PermissionGrant"));
    assertThat(token.diagnosis().orElseThrow().alternatives()).extracting(Diagnosis::setupStep)
        .containsExactly(SetupStep.DELEGATED_PERMISSION);
  }

  @Test
  void aadsts65001_withNothingOfThisApiButConsentForTheOther_namesDelegatedPermission() {
    Application app = contoso.registerApp("imap not added").allowPublicClientFlows(true)
        .addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read").grantAdminConsent();
    DoctorReport report = delegated(app, TokenRequest.imap(), TokenPreflight.Requirement.imap());
    DoctorCheck token = report.firstFailure().orElseThrow();
    assertThat(token.name()).isEqualTo("token acquired");
    assertThat(token.detail()).contains("for Microsoft Graph .default: scp [User.Read]");
    assertThat(token.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.DELEGATED_PERMISSION);
    assertThat(token.diagnosis().orElseThrow().fix())
        .contains("Office 365 Exchange Online > Delegated permissions > IMAP.AccessAsUser.All");
    assertThat(token.diagnosis().orElseThrow().alternatives()).extracting(Diagnosis::setupStep)
        .containsExactly(SetupStep.ADMIN_CONSENT);
  }

  @Test
  void aadsts65001_forAPermissionNotAdded_namesDelegatedPermission_withTheConsentedOnesAsEvidence() {
    Application app = contoso.registerApp("not added").allowPublicClientFlows(true)
        .addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read").grantAdminConsent();
    DoctorReport report = delegated(app, TokenRequest.graph("Mail.Send"), TokenPreflight.Requirement.graphSend());
    DoctorCheck token = report.firstFailure().orElseThrow();
    assertThat(token.name()).isEqualTo("token acquired");
    assertThat(token.detail()).contains("probe: token for Microsoft Graph .default: scp [User.Read]");
    assertThat(token.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.DELEGATED_PERMISSION);
    assertThat(token.diagnosis().orElseThrow().fix()).contains("Microsoft Graph > Delegated permissions > Mail.Send");
    assertThat(token.diagnosis().orElseThrow().alternatives()).extracting(Diagnosis::setupStep)
        .containsExactly(SetupStep.ADMIN_CONSENT);
  }

  /**
   * A user's connector to a shared mailbox asks for Mail.ReadWrite.Shared, not the Mail.ReadWrite of the doctor's
   * own token; with that request given, the failed mailbox check is probed for the permission that was refused.
   */
  @Test
  void aFailedMailboxCheck_isProbedWithTheConnectorsOwnTokenRequest() {
    Application app = contoso.registerApp("shared not added").allowPublicClientFlows(true)
        .addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read", "Mail.ReadWrite").grantAdminConsent();
    List<String> asked = new java.util.ArrayList<>();
    DoctorProbe recorder = (failure, context) -> {
      asked.add(context.check() + ": " + context.tokenRequest().permissions() + ", token "
          + context.token().isPresent());
      return Optional.empty();
    };
    try (CredentialStrategy s = CredentialStrategy.usernamePassword(Tenants.app(m365, contoso, app),
        "sender@contoso.com", PASSWORD.toCharArray()).build()) {
      // the connector to support@ asks Entra ID for what GraphMailboxConnector asks for another user's mailbox
      ConnectionDoctor.Builder doctor = ConnectionDoctor.builder().credential(s)
          .connector(() -> {
            s.token(TokenRequest.graph("Mail.ReadWrite.Shared"));
            return InMemoryMailboxConnector.create("support@contoso.com");
          })
          .token(TokenRequest.graph("Mail.ReadWrite"), TokenPreflight.Requirement.graphReadWrite())
          .mailbox("support@contoso.com").probe(recorder);

      DoctorCheck without = doctor.build().examine().firstFailure().orElseThrow();
      assertThat(without.name()).isEqualTo("mailbox opened");
      assertThat(without.diagnosis().orElseThrow().setupStep())
          .isEqualTo(SetupStep.ADMIN_CONSENT); // Entra ID's answer as it is

      DoctorCheck with = doctor.mailboxToken(TokenRequest.graph("Mail.ReadWrite.Shared")).build().examine()
          .firstFailure().orElseThrow();
      assertThat(with.name()).isEqualTo("mailbox opened");
      assertThat(with.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.DELEGATED_PERMISSION);
      assertThat(with.diagnosis().orElseThrow().fix())
          .contains("Microsoft Graph > Delegated permissions > Mail.ReadWrite.Shared");
      assertThat(with.diagnosis().orElseThrow().alternatives()).extracting(Diagnosis::setupStep)
          .containsExactly(SetupStep.ADMIN_CONSENT);
      assertThat(with.detail()).contains("scp [Mail.ReadWrite, User.Read]");
      assertThat(asked).containsExactly("mailbox opened: [Mail.ReadWrite], token true",
          "mailbox opened: [Mail.ReadWrite.Shared], token false");
    }
  }

  @Test
  void anAddedProbe_isAskedBeforeTheDoctorsOwn_andItsFindingWins() {
    Application app = contoso.registerApp("registration readable").allowPublicClientFlows(true)
        .addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "Mail.Read");
    DoctorProbe registration = (failure, context) -> Optional.of(new DoctorProbe.Finding("read the registration",
        Diagnosis.builder(SetupStep.ADMIN_CONSENT, failure.serviceCode()).summary("Mail.Read is configured, not granted")
            .fix("Grant admin consent").build()));
    try (CredentialStrategy s = CredentialStrategy.usernamePassword(Tenants.app(m365, contoso, app),
        "sender@contoso.com", PASSWORD.toCharArray()).build()) {
      DoctorCheck token = ConnectionDoctor.builder().credential(s)
          .connector(() -> InMemoryMailboxConnector.create("b@contoso.com"))
          .token(TokenRequest.graph("Mail.Read"), TokenPreflight.Requirement.graphRead()).probe(registration).build()
          .examine().firstFailure().orElseThrow();
      assertThat(token.detail()).endsWith("(probe: read the registration)");
      assertThat(token.diagnosis().orElseThrow().alternatives()).isEmpty();
    }
  }

  @Test
  void aSendOnlyAppCheckedAsAReader_getsTheSendOnlyUseAsAnAlternative() {
    Application app = contoso.registerApp("send only, checked as reader").allowPublicClientFlows(true)
        .addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read", "Mail.Send").grantAdminConsent();
    DoctorReport report = delegated(app, TokenRequest.graph("Mail.ReadWrite"),
        TokenPreflight.Requirement.graphReadWrite());
    Diagnosis d = report.firstFailure().orElseThrow().diagnosis().orElseThrow();
    assertThat(d.setupStep()).isEqualTo(SetupStep.DELEGATED_PERMISSION);
    assertThat(d.alternatives()).extracting(Diagnosis::setupStep)
        .containsExactly(SetupStep.ADMIN_CONSENT, SetupStep.SCOPES);
    assertThat(d.alternatives().get(1).fix()).contains("use = send");
  }

  @Test
  void imapRoleMissing_withMailReadUnderGraph_namesApplicationPermissionOnTheWrongApi() {
    Application app = contoso.registerApp("role under graph")
        .addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "Mail.Read").grantAdminConsent();
    DoctorReport report = appOnly(app, TokenRequest.imap(), TokenPreflight.Requirement.imap());
    DoctorCheck claims = report.firstFailure().orElseThrow();
    assertThat(claims.name()).isEqualTo("claims fit the connector");
    assertThat(claims.detail()).contains("probe: app-only token for Microsoft Graph: roles [Mail.Read]");
    assertThat(claims.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.APPLICATION_PERMISSION);
    assertThat(claims.diagnosis().orElseThrow().fix())
        .startsWith("Added under Microsoft Graph; add IMAP.AccessAsApp under Office"
        + " 365 Exchange Online (APIs my organization uses)");
    assertThat(claims.diagnosis().orElseThrow().alternatives()).extracting(Diagnosis::setupStep)
        .containsExactly(SetupStep.ADMIN_CONSENT);
  }

  @Test
  void smtpRoleMissing_onTheSendToken_isProbedWithTheSendRequirement() {
    Application app = contoso.registerApp("reads imap, smtp role missing")
        .addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp")
        .addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "Mail.Send").grantAdminConsent();
    PasswordCredential secret = app.addClientSecret("s", Duration.ofDays(300));
    secret(secret.value());
    try (CredentialStrategy c = CredentialStrategy.clientCredentials(Tenants.app(m365, contoso, app))
        .secret(ClientSecret.of(secret.value())).maxAttempts(1).build()) {
      DoctorReport report = ConnectionDoctor.builder().credential(c)
          .use(ConnectionDoctor.Use.READ, ConnectionDoctor.Use.SEND)
          .connector(() -> InMemoryMailboxConnector.create("b@contoso.com"))
          .token(TokenRequest.imap(), TokenPreflight.Requirement.imap())
          .sendToken(TokenRequest.smtp(), TokenPreflight.Requirement.smtp()).build().examine();
      assertThat(check(report, "claims fit the connector").status()).isEqualTo(DoctorCheck.Status.PASS);
      DoctorCheck send = report.firstFailure().orElseThrow();
      assertThat(send.name()).isEqualTo("send claims fit");
      // the Exchange token has a role (IMAP.AccessAsApp), just not SMTP's: the right API, the wrong permission
      assertThat(send.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.APPLICATION_PERMISSION);
      assertThat(send.diagnosis().orElseThrow().fix()).contains("SMTP.SendAsApp");
    }
  }

  @Test
  void graphRoleAddedUnderExchange_isNamedExactly() {
    Application app = contoso.registerApp("role under exchange")
        .addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "Mail.Read").grantAdminConsent();
    DoctorReport report = appOnly(app, TokenRequest.graph(), TokenPreflight.Requirement.graphRead());
    DoctorCheck claims = report.firstFailure().orElseThrow();
    assertThat(claims.name()).isEqualTo("claims fit the connector");
    assertThat(claims.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.APPLICATION_PERMISSION);
    assertThat(claims.diagnosis().orElseThrow().summary())
        .contains("Mail.Read is added under Office 365 Exchange Online");
    assertThat(claims.diagnosis().orElseThrow().alternatives()).isEmpty();
  }

  @Test
  void noRolesOnEitherApi_namesAdminConsent_andTheUnaddedPermissionAsAlternative() {
    Application app = contoso.registerApp("not consented")
        .addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp");
    DoctorReport report = appOnly(app, TokenRequest.imap(), TokenPreflight.Requirement.imap());
    DoctorCheck claims = report.firstFailure().orElseThrow();
    assertThat(claims.name()).isEqualTo("claims fit the connector");
    assertThat(claims.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.ADMIN_CONSENT);
    assertThat(claims.diagnosis().orElseThrow().alternatives()).extracting(Diagnosis::setupStep)
        .containsExactly(SetupStep.APPLICATION_PERMISSION);
    assertThat(claims.diagnosis().orElseThrow().describe()).contains("Get-MgServicePrincipalAppRoleAssignment");
  }

  @Test
  void tenantOfAnotherCloud_failsAtTheAuthority_namingThatCloudsHost() {
    Tenant gov = m365.createTenant("agency.us").nationalCloud(org.o365mail.testkit.NationalCloud.US_GOVERNMENT);
    Application app = gov.registerApp("gov app")
        .addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp").grantAdminConsent();
    PasswordCredential s = app.addClientSecret("s", Duration.ofDays(300));
    secret(s.value());
    try (CredentialStrategy c = CredentialStrategy.clientCredentials(Tenants.app(m365, gov, app))
        .secret(ClientSecret.of(s.value())).maxAttempts(1).build()) {
      DoctorReport report = ConnectionDoctor.builder().credential(c)
          .connector(() -> InMemoryMailboxConnector.create("b@agency.us"))
          .token(TokenRequest.imap(), TokenPreflight.Requirement.imap()).build().examine();
      DoctorCheck authority = report.firstFailure().orElseThrow();
      assertThat(authority.name()).isEqualTo("authority reachable");
      assertThat(authority.detail()).contains("cloud_instance_name microsoftonline.us, tenant_region_scope USGov");
      assertThat(authority.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.TENANT);
      assertThat(authority.diagnosis().orElseThrow().fix())
          .contains("US_GOVERNMENT").contains("https://login.microsoftonline.us");
      assertThat(check(report, "token acquired").status()).isEqualTo(DoctorCheck.Status.SKIPPED);
    }
  }

  @Test
  void sendOnlyConnection_checksItsSendTokenAndPath_andNoMailbox() {
    Application app = contoso.registerApp("ImageManager style").allowPublicClientFlows(true)
        .addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "Mail.Send").grantAdminConsent();
    AtomicInteger sendChecks = new AtomicInteger();
    try (CredentialStrategy s = CredentialStrategy.usernamePassword(Tenants.app(m365, contoso, app),
        "sender@contoso.com", PASSWORD.toCharArray()).build()) {
      DoctorReport report = ConnectionDoctor.builder().credential(s).use(ConnectionDoctor.Use.SEND)
          .token(TokenRequest.graph("Mail.Send"), TokenPreflight.Requirement.graphSend())
          .sendPath(() -> {
            sendChecks.incrementAndGet();
            return ConnectionCheck.ok("send path open", Duration.ofMillis(3));
          })
          .build().examine();
      assertThat(report.checks()).extracting(DoctorCheck::name).containsExactly("authority reachable",
          "token acquired", "claims fit the connector", "send path", "credential expiry");
      assertThat(report.overall()).as(report.toString()).isEqualTo(DoctorCheck.Status.PASS);
      assertThat(check(report, "claims fit the connector").detail()).contains("Mail.Send");
      assertThat(sendChecks).hasValue(1);
    }
  }

  @Test
  void readAndSendOverSmtp_checksTheSmtpToken_andReportsTheSendPathsStep() {
    Application app = contoso.registerApp("reads IMAP, sends SMTP").allowPublicClientFlows(true)
        .addDelegatedPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsUser.All", "SMTP.Send").grantAdminConsent();
    Diagnosis smtpOff = Diagnosis.builder(SetupStep.MAILBOX_PROTOCOL, "535 5.7.139")
        .summary("SMTP AUTH is disabled for the tenant").fix("Set-TransportConfig -SmtpClientAuthenticationDisabled $false")
        .build();
    try (CredentialStrategy s = CredentialStrategy.usernamePassword(Tenants.app(m365, contoso, app),
        "sender@contoso.com", PASSWORD.toCharArray()).build()) {
      DoctorReport report = ConnectionDoctor.builder().credential(s)
          .use(ConnectionDoctor.Use.READ, ConnectionDoctor.Use.SEND)
          .connector(() -> InMemoryMailboxConnector.create("sender@contoso.com"))
          .token(TokenRequest.imap(), TokenPreflight.Requirement.imap())
          .sendToken(TokenRequest.smtp(), TokenPreflight.Requirement.smtp())
          .sendPath(() -> ConnectionCheck.failed(smtpOff, Duration.ofMillis(5)))
          .build().examine();
      assertThat(report.checks()).extracting(DoctorCheck::name).containsExactly("authority reachable",
          "token acquired", "claims fit the connector", "mailbox opened", "folder listed", "message header fetched",
          "send token acquired", "send claims fit", "send path", "credential expiry");
      assertThat(check(report, "send claims fit").status()).isEqualTo(DoctorCheck.Status.PASS);
      assertThat(check(report, "send claims fit").detail()).contains("SMTP.Send");
      assertThat(report.firstFailure().orElseThrow().name()).isEqualTo("send path");
      assertThat(report.firstFailure().orElseThrow().diagnosis().orElseThrow().setupStep())
          .isEqualTo(SetupStep.MAILBOX_PROTOCOL);
    }
  }

  @Test
  void deviceCodeWithoutStoredSignIn_saysSo_andStartsNoSignIn() {
    Application app = contoso.registerApp("device code").allowPublicClientFlows(true)
        .addDelegatedPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsUser.All").grantAdminConsent();
    int sessionsBefore = m365.deviceCodes().sessions().size();
    AppRegistration registration = Tenants.app(m365, contoso, app);
    try (DeviceCodeCredential login = CredentialStrategy.deviceCode(registration).build()) {
      DoctorReport report = ConnectionDoctor.builder().credential(login)
          .connector(() -> InMemoryMailboxConnector.create("sender@contoso.com"))
          .token(TokenRequest.imap(), TokenPreflight.Requirement.imap()).build().examine();
      DoctorCheck token = report.firstFailure().orElseThrow();
      assertThat(token.name()).isEqualTo("token acquired");
      assertThat(token.detail()).startsWith("no stored sign-in");
      assertThat(token.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.SIGN_IN_AGAIN);
      assertThat(token.diagnosis().orElseThrow().serviceCode()).isEqualTo("not_signed_in");
      assertThat(token.diagnosis().orElseThrow().fix()).contains("does not start one");
      assertThat(m365.deviceCodes().sessions()).hasSize(sessionsBefore);
    }
  }

  @Test
  void withoutAnExpiryTracker_theExpiryLineSaysItWasNotChecked() {
    Application app = contoso.registerApp("no tracker")
        .addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp").grantAdminConsent();
    DoctorReport report = appOnly(app, TokenRequest.imap(), TokenPreflight.Requirement.imap());
    assertThat(check(report, "credential expiry").detail()).isEqualTo("not checked: no expiry tracker given");
    assertThat(report.checks()).extracting(DoctorCheck::status)
        .containsOnly(DoctorCheck.Status.PASS);
    assertThat(List.of(report.exitCode())).containsExactly(0);
  }
}
