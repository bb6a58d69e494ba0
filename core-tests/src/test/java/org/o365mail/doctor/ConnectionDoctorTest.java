package org.o365mail.doctor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.o365mail.testsupport.Secrets.secret;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.SetupStep;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.TokenPreflight;
import org.o365mail.auth.TokenRequest;
import org.o365mail.expiry.SecretExpiryTracker;
import org.o365mail.testing.InMemoryMailboxConnector;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testsupport.Tenants;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.Tenant;

@Timeout(60)
@ExtendWith(LeakCheck.class)
class ConnectionDoctorTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static LocalTenant m365;
  static Tenant contoso;

  @BeforeAll
  static void model() {
    m365 = M365.tenant();
    contoso = m365.createTenant("contoso.com");
  }

  static DoctorReport examine(AppRegistration app, String secretValue, SecretExpiryTracker expiry) {
    InMemoryMailboxConnector box = InMemoryMailboxConnector.create("box@contoso.com");
    box.deliver(("Message-ID: <1@t>\r\nFrom: a@fabrikam.com\r\nSubject: Hello\r\n\r\nx\r\n").getBytes(StandardCharsets.UTF_8));
    try (CredentialStrategy strategy = CredentialStrategy.clientCredentials(app).secret(ClientSecret.of(secretValue))
        .maxAttempts(1).build()) {
      ConnectionDoctor.Builder b = ConnectionDoctor.builder().credential(strategy).connector(() -> box)
          .token(TokenRequest.imap(), TokenPreflight.Requirement.imap());
      if (expiry != null) {
        b.expiry(expiry.track(strategy));
      }
      return b.build().examine();
    }
  }

  @Test
  void aProbeSharpensAFailedCheck_aBrokenProbeIsPassedOver_andPassingChecksAreNotProbed() {
    Application app = contoso.registerApp("probed");
    app.addClientSecret("s", Duration.ofDays(300));
    java.util.List<String> asked = new java.util.ArrayList<>();
    DoctorProbe broken = (failure, context) -> {
      asked.add("broken:" + context.check());
      throw new IllegalStateException("probe broke");
    };
    DoctorProbe sharp = (failure, context) -> {
      asked.add("sharp:" + context.check() + ":" + context.mailbox().orElse("-") + ":" + context.token().isPresent());
      return java.util.Optional.of(new DoctorProbe.Finding("looked again", org.o365mail.Diagnosis
          .builder(SetupStep.CLIENT_SECRET, "probe").summary("the secret value is not this app's").fix("paste it")
          .alternative(org.o365mail.Diagnosis.builder(SetupStep.REGISTER_APP, "probe").summary("another app")
              .fix("check the client id").command("Get-ServicePrincipal -Identity x").build())
          .build()));
    };
    try (CredentialStrategy strategy = CredentialStrategy.clientCredentials(Tenants.app(m365, contoso, app))
        .secret(ClientSecret.of(secret("Wrong8Q~" + UUID.randomUUID()))).maxAttempts(1).build()) {
      DoctorReport report = ConnectionDoctor.builder().credential(strategy)
          .connector(() -> InMemoryMailboxConnector.create("box@contoso.com"))
          .token(TokenRequest.imap(), TokenPreflight.Requirement.imap()).mailbox("box@contoso.com")
          .probe(broken).probe(sharp).build().examine();
      DoctorCheck token = report.checks().get(1);
      assertThat(token.status()).isEqualTo(DoctorCheck.Status.FAIL);
      assertThat(token.detail()).endsWith("(probe: looked again)");
      assertThat(token.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.CLIENT_SECRET);
      assertThat(token.diagnosis().orElseThrow().alternatives()).extracting(org.o365mail.Diagnosis::setupStep)
          .containsExactly(SetupStep.REGISTER_APP);
      assertThat(token.diagnosis().orElseThrow().describe()).contains("Or: " + SetupStep.REGISTER_APP.title())
          .contains("Run: Get-ServicePrincipal -Identity x");
      assertThat(asked).containsExactly("broken:token acquired", "sharp:token acquired:box@contoso.com:false");
    }
  }

  @Test
  void everythingPasses() {
    Application app = contoso.registerApp("good");
    PasswordCredential s = app.addClientSecret("s", Duration.ofDays(300));
    secret(s.value());
    app.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp").grantAdminConsent();
    DoctorReport report = examine(Tenants.app(m365, contoso, app), s.value(),
        SecretExpiryTracker.builder().clock(m365.clock()).build());
    assertThat(report.checks()).extracting(DoctorCheck::name).containsExactly("authority reachable", "token acquired",
        "claims fit the connector", "mailbox opened", "folder listed", "message header fetched", "credential expiry");
    assertThat(report.overall()).as(report.toString()).isEqualTo(DoctorCheck.Status.WARN);
    assertThat(report.exitCode()).isEqualTo(1);
    assertThat(report.checks().get(5).detail()).contains("Hello");
    assertThat(report.checks().get(6).status()).isEqualTo(DoctorCheck.Status.WARN);
    assertThat(report.checks().get(6).detail()).contains("UNKNOWN");
  }

  @Test
  void aWrongSecretFailsTheTokenCheck_andSkipsTheRest() {
    Application app = contoso.registerApp("wrong secret");
    app.addClientSecret("s", Duration.ofDays(300));
    DoctorReport report = examine(Tenants.app(m365, contoso, app), secret("Wrong8Q~" + UUID.randomUUID()), null);
    DoctorCheck token = report.firstFailure().orElseThrow();
    assertThat(token.name()).isEqualTo("token acquired");
    assertThat(token.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.CLIENT_SECRET);
    assertThat(report.checks()).filteredOn(c -> c.status() == DoctorCheck.Status.SKIPPED).hasSize(4);
    assertThat(report.exitCode()).isEqualTo(2);
  }

  @Test
  void anUnknownTenantFailsAtTheAuthority_andMissingConsentAtTheClaims() {
    Application app = contoso.registerApp("no consent");
    PasswordCredential s = app.addClientSecret("s", Duration.ofDays(300));
    secret(s.value());
    app.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp");
    DoctorReport unknown = examine(Tenants.app(m365, contoso, app).withTenant(UUID.randomUUID().toString()), s.value(), null);
    assertThat(unknown.firstFailure().orElseThrow().name()).isEqualTo("authority reachable");
    assertThat(unknown.firstFailure().orElseThrow().diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.TENANT);

    DoctorReport consent = examine(Tenants.app(m365, contoso, app), s.value(), null);
    DoctorCheck claims = consent.firstFailure().orElseThrow();
    assertThat(claims.name()).isEqualTo("claims fit the connector");
    assertThat(claims.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.ADMIN_CONSENT);
    assertThat(claims.detail()).contains("roles []");
  }
}
