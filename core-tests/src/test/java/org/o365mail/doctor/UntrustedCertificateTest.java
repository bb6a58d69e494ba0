package org.o365mail.doctor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.Diagnosis;
import org.o365mail.MailboxException;
import org.o365mail.SetupStep;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.TokenPreflight;
import org.o365mail.auth.TokenRequest;
import org.o365mail.testing.InMemoryMailboxConnector;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testsupport.Secrets;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Tenant;

/**
 * A sign-in endpoint whose certificate is not trusted was reached all the same: the doctor and the token acquisition
 * say so, naming the certificate's subject and issuer and the TRUST step, never "Cannot reach". The testkit issues
 * the identity endpoint's certificate from one CA and the mail servers' from another, so a store holding only the
 * mail CA is exactly the mistake of one store for two PKIs.
 */
@Timeout(60)
@ExtendWith(LeakCheck.class)
class UntrustedCertificateTest {
  @RegisterExtension
  static final LocalTenantExtension M365 =
      LocalTenantExtension.create(LocalTenant.builder().twoCertificateAuthorities());

  static LocalTenant m365;
  static Tenant contoso;
  static Application app;
  static String secret;

  @BeforeAll
  static void model() {
    m365 = M365.tenant();
    contoso = m365.createTenant("contoso.com");
    app = contoso.registerApp("two CAs");
    secret = app.addClientSecret("s", Duration.ofDays(300)).value();
    app.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp").grantAdminConsent();
  }

  static SSLContext trusting(KeyStore anchors) throws Exception {
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(anchors);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }

  static AppRegistration registration(SSLContext trust) {
    return AppRegistration.builder().clientId(app.clientId()).tenant(contoso.id())
        .authorityHost(m365.authorityHost()).trust(trust).build();
  }

  static DoctorReport examine(AppRegistration registration) {
    InMemoryMailboxConnector box = InMemoryMailboxConnector.create("box@contoso.com");
    box.deliver("Message-ID: <1@t>\r\nSubject: Hello\r\n\r\nx\r\n".getBytes(StandardCharsets.UTF_8));
    try (CredentialStrategy strategy = CredentialStrategy.clientCredentials(registration)
        .secret(ClientSecret.of(secret)).maxAttempts(1).build()) {
      return ConnectionDoctor.builder().credential(strategy).connector(() -> box)
          .token(TokenRequest.imap(), TokenPreflight.Requirement.imap()).build().examine();
    }
  }

  static void assertNamesTheIdentityCertificate(Diagnosis d) {
    assertThat(d.setupStep()).isEqualTo(SetupStep.TRUST);
    assertThat(d.serviceCode()).isEqualTo("tls-sign-in");
    assertThat(d.summary())
        .startsWith("Reached the sign-in endpoint at localhost:" + m365.identityPort() + ", but its certificate")
        .contains("subject CN=localhost,O=O365 Mail SDK testkit identity")
        .contains("issued by CN=O365 Mail SDK testkit identity CA")
        .endsWith("is not trusted: no CA it chains to is in the trust store")
        .doesNotContainIgnoringCase("cannot reach");
    assertThat(d.fix()).contains("Add the CA").contains("AppRegistration.trust(...)");
    assertThat(d.retryable()).isFalse();
  }

  @Test
  void doctor_signInCertificateFromAnotherCa_saysReachedNotTrusted_andNamesSubjectAndIssuer() throws Exception {
    DoctorReport report = examine(registration(trusting(m365.mailTrustStore())));

    DoctorCheck authority = report.checks().get(0);
    assertThat(authority.name()).isEqualTo("authority reachable");
    assertThat(authority.status()).isEqualTo(DoctorCheck.Status.FAIL);
    assertThat(authority.detail()).startsWith("Reached the sign-in endpoint");
    assertNamesTheIdentityCertificate(authority.diagnosis().orElseThrow());
  }

  @Test
  void tokenAcquisition_signInCertificateFromAnotherCa_isATrustDiagnosisNamingTheCertificate() throws Exception {
    try (CredentialStrategy strategy = CredentialStrategy.clientCredentials(registration(
        trusting(m365.mailTrustStore()))).secret(ClientSecret.of(secret)).maxAttempts(1).build()) {
      MailboxException e = assertThrows(MailboxException.class, () -> strategy.token(TokenRequest.imap()));

      assertNamesTheIdentityCertificate(e.diagnosis().orElseThrow());
      Secrets.assertClean(e);
    }
  }

  @Test
  void oneStoreWithBothCas_signsIn() throws Exception {
    DoctorReport report = examine(registration(trusting(m365.trustStore())));

    assertThat(report.checks().get(0).status()).isEqualTo(DoctorCheck.Status.PASS);
    assertThat(report.checks().get(1).name()).isEqualTo("token acquired");
    assertThat(report.checks().get(1).status()).isEqualTo(DoctorCheck.Status.PASS);
  }
}
