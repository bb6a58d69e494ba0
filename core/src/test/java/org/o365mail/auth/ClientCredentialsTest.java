package org.o365mail.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.o365mail.testsupport.Secrets.secret;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.o365mail.MailboxAuthenticationException;
import org.o365mail.MailboxException;
import org.o365mail.SetupStep;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testsupport.Secrets;
import org.o365mail.testsupport.Tenants;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.KeyCredential;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.Tenant;

@Timeout(60)
@ExtendWith(LeakCheck.class)
class ClientCredentialsTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static LocalTenant m365;
  static Tenant contoso;
  static Application daemon;
  static PasswordCredential secret;
  static KeyCredential certificate;

  @BeforeAll
  static void model() {
    m365 = M365.tenant();
    contoso = m365.createTenant("contoso.com");
    daemon = contoso.registerApp("LogicalDOC");
    secret = daemon.addClientSecret("prod", Duration.ofDays(180));
    secret(secret.value());
    certificate = daemon.addCertificate("cert", Duration.ofDays(365));
    daemon.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp", "SMTP.SendAsApp")
        .addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite")
        .grantAdminConsent();
  }

  static AppRegistration app() {
    return Tenants.app(m365, contoso, daemon);
  }

  static AccessToken token(CredentialStrategy strategy, TokenRequest request) {
    AccessToken token = strategy.token(request);
    secret(token.value());
    return token;
  }

  @Test
  void secret_getsAnAppOnlyExchangeToken_andServesItFromCache() {
    try (CredentialStrategy s = CredentialStrategy.clientCredentials(app()).secret(ClientSecret.of(secret.value())).build()) {
      long before = m365.tokenRequestCount();
      AccessToken first = token(s, TokenRequest.imap());
      AccessToken second = token(s, TokenRequest.imap());
      assertThat(second).isSameAs(first);
      assertThat(m365.tokenRequestCount() - before).isEqualTo(1);
      TokenClaims claims = first.claims();
      assertThat(claims.audience()).isEqualTo("https://outlook.office365.com");
      assertThat(claims.roles()).contains("IMAP.AccessAsApp");
      assertThat(claims.appOnly()).isTrue();
      assertThat(TokenPreflight.check(first, TokenPreflight.Requirement.imap(), app())).isEmpty();
      assertThat(s.kind()).isEqualTo(CredentialKind.APP_ONLY);
      Secrets.assertClean("toString", s.toString());
    }
  }

  @Test
  void oneResourcePerToken_graphAndExchangeAreSeparateRequests() {
    try (CredentialStrategy s = CredentialStrategy.clientCredentials(app()).secret(ClientSecret.of(secret.value())).build()) {
      AccessToken graph = token(s, TokenRequest.graph("Mail.ReadWrite"));
      AccessToken exchange = token(s, TokenRequest.smtp());
      assertThat(graph.claims().audience()).isEqualTo("https://graph.microsoft.com");
      assertThat(graph.claims().roles()).containsExactly("Mail.ReadWrite");
      assertThat(exchange.claims().roles()).contains("SMTP.SendAsApp");
      List<String> scopes = m365.requests("identity").stream().map(r -> r.attribute("scope")).toList();
      assertThat(scopes).allSatisfy(sc -> assertThat(sc.contains("graph.microsoft.com") && sc.contains("outlook")).isFalse());
    }
  }

  @Test
  void certificate_fromPkcs12_andPem(@TempDir Path dir) throws Exception {
    Path p12 = certificate.writePkcs12(dir.resolve("app.p12"), "changeit".toCharArray());
    try (CredentialStrategy s = CredentialStrategy.clientCredentials(app())
        .certificate(CertificateCredential.pkcs12(p12, "changeit".toCharArray())).build()) {
      assertThat(token(s, TokenRequest.imap()).claims().roles()).contains("IMAP.AccessAsApp");
    }
    Path key = dir.resolve("app.key");
    Path cert = dir.resolve("app.crt");
    certificate.writePem(key, cert);
    CertificateCredential pem = CertificateCredential.pem(key, cert);
    assertThat(pem.thumbprint()).isEqualTo(certificate.thumbprint());
    try (CredentialStrategy s = CredentialStrategy.clientCredentials(app()).certificate(pem).build()) {
      assertThat(token(s, TokenRequest.graph()).claims().roles()).contains("Mail.ReadWrite");
    }
    // the same key as PKCS#1 ("BEGIN RSA PRIVATE KEY"), as openssl writes it by default
    byte[] pkcs8 = certificate.privateKey().orElseThrow().getEncoded();
    byte[] pkcs1 = PrivateKeyInfo.getInstance(pkcs8).parsePrivateKey().toASN1Primitive().getEncoded();
    Path rsaKey = dir.resolve("rsa.key");
    Files.writeString(rsaKey, "-----BEGIN RSA PRIVATE KEY-----\n"
        + Base64.getMimeEncoder().encodeToString(pkcs1) + "\n-----END RSA PRIVATE KEY-----\n", StandardCharsets.US_ASCII);
    try (CredentialStrategy s = CredentialStrategy.clientCredentials(app())
        .certificate(CertificateCredential.pem(rsaKey, cert)).build()) {
      assertThat(token(s, TokenRequest.imap()).claims().appId()).isEqualTo(daemon.clientId());
    }
  }

  @Test
  void wrongSecret_isDiagnosedAsClientSecret_withoutShowingIt() {
    String wrong = secret("Xyz8Q~" + UUID.randomUUID().toString().replace("-", ""));
    try (CredentialStrategy s = CredentialStrategy.clientCredentials(app()).secret(ClientSecret.of(wrong)).build()) {
      MailboxAuthenticationException e = catchAuth(s, TokenRequest.imap());
      assertThat(e.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.CLIENT_SECRET);
      assertThat(e.serviceErrorCode()).contains("AADSTS7000215");
      assertThat(e.getMessage()).contains("not a current secret").doesNotContain("secret ID pasted")
          .doesNotContain("Secret ID");
      assertThat(e.diagnosis().orElseThrow().retryable()).isFalse();
      assertThat(e.diagnosis().orElseThrow().traceId()).isPresent();
      Secrets.assertClean(e);
    }
  }

  @Test
  void secretIdPastedInsteadOfValue_isSaidSo() {
    try (CredentialStrategy s = CredentialStrategy.clientCredentials(app()).secret(ClientSecret.of(secret.keyId())).build()) {
      MailboxAuthenticationException e = catchAuth(s, TokenRequest.imap());
      assertThat(e.diagnosis().orElseThrow().summary()).contains("Secret ID");
    }
  }

  @Test
  void expiredSecret_7000222() {
    Instant now = m365.clock().instant();
    PasswordCredential old = daemon.addClientSecret("old", now.minus(Duration.ofDays(365)), now.minus(Duration.ofDays(1)));
    secret(old.value());
    try (CredentialStrategy s = CredentialStrategy.clientCredentials(app()).secret(ClientSecret.of(old.value())).build()) {
      MailboxAuthenticationException e = catchAuth(s, TokenRequest.imap());
      assertThat(e.serviceErrorCode()).contains("AADSTS7000222");
      assertThat(e.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.CLIENT_SECRET);
      assertThat(e.getMessage()).contains("expired").contains("New client secret");
    } finally {
      daemon.removeCredential(old.keyId());
    }
  }

  @Test
  void rotation_expiredFirstSecretFallsOverToTheSecond() {
    Instant now = m365.clock().instant();
    PasswordCredential old = daemon.addClientSecret("old", now.minus(Duration.ofDays(365)), now.minus(Duration.ofDays(1)));
    secret(old.value());
    List<String> failovers = new ArrayList<>();
    try (CredentialStrategy s = CredentialStrategy.clientCredentials(app())
        .secret(ClientSecret.of(old.value()))
        .secret(ClientSecret.of(secret.value()))
        .listener(new CredentialListener() {
          @Override
          public void credentialFailover(String from, String to, MailboxException cause) {
            failovers.add(from + " -> " + to + " " + cause.serviceErrorCode().orElse(""));
          }
        })
        .build()) {
      assertThat(token(s, TokenRequest.imap()).claims().roles()).contains("IMAP.AccessAsApp");
      assertThat(failovers).singleElement().asString()
          .contains("client secret " + old.hint()).contains("client secret " + secret.hint()).contains("AADSTS7000222");
      long before = m365.tokenRequestCount();
      s.invalidate(TokenRequest.imap());
      token(s, TokenRequest.imap());
      assertThat(m365.tokenRequestCount() - before).as("the working secret stays in use").isEqualTo(1);
    } finally {
      daemon.removeCredential(old.keyId());
    }
  }

  @Test
  void unknownApp_unknownTenant_certificateNotRegistered() {
    Application ghost = m365.createTenant("ghost-" + UUID.randomUUID().toString().substring(0, 8) + ".com").registerApp("x");
    AppRegistration unknownApp = AppRegistration.builder().clientId(ghost.clientId()).tenant(contoso.id())
        .authorityHost(m365.authorityHost()).trust(m365.sslContext()).build();
    try (CredentialStrategy s = CredentialStrategy.clientCredentials(unknownApp).secret(ClientSecret.of(secret.value())).build()) {
      assertThat(catchAuth(s, TokenRequest.imap()).diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.REGISTER_APP);
    }
    AppRegistration unknownTenant = app().withTenant(UUID.randomUUID().toString());
    try (CredentialStrategy s = CredentialStrategy.clientCredentials(unknownTenant).secret(ClientSecret.of(secret.value())).build()) {
      MailboxAuthenticationException e = catchAuth(s, TokenRequest.imap());
      assertThat(e.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.TENANT);
      assertThat(e.serviceErrorCode()).contains("AADSTS90002");
    }
    KeyCredential foreign = ghost.addCertificate("foreign", Duration.ofDays(30));
    try (CredentialStrategy s = CredentialStrategy.clientCredentials(app())
        .certificate(CertificateCredential.of(foreign.privateKey().orElseThrow(), foreign.certificate())).build()) {
      MailboxAuthenticationException e = catchAuth(s, TokenRequest.imap());
      assertThat(e.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.CERTIFICATE);
      assertThat(e.serviceErrorCode()).contains("AADSTS700027");
    }
  }

  @Test
  void missingAdminConsent_tokenHasNoRoles_andPreflightSaysAdminConsent() {
    Application app = contoso.registerApp("not consented");
    PasswordCredential s = app.addClientSecret("s", Duration.ofDays(30));
    secret(s.value());
    app.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp");
    AppRegistration registration = Tenants.app(m365, contoso, app);
    try (CredentialStrategy strategy = CredentialStrategy.clientCredentials(registration).secret(ClientSecret.of(s.value())).build()) {
      AccessToken token = token(strategy, TokenRequest.imap());
      var problem = TokenPreflight.check(token, TokenPreflight.Requirement.imap(), registration).orElseThrow();
      assertThat(problem.setupStep()).isEqualTo(SetupStep.ADMIN_CONSENT);
      assertThat(problem.fix()).contains("IMAP.AccessAsApp").contains("Grant admin consent");
      AccessToken graph = token(strategy, TokenRequest.graph());
      var audience = TokenPreflight.check(graph, TokenPreflight.Requirement.imap(), registration).orElseThrow();
      assertThat(audience.setupStep()).isEqualTo(SetupStep.SCOPES);
      assertThat(audience.summary()).contains("Microsoft Graph").contains("IMAP");
    }
  }

  @Test
  void transientFailures_areRetriedWithBackoff_thenReportedAsRetryable() {
    List<Duration> waits = new ArrayList<>();
    m365.faults().tokenEndpointUnavailableRate(1.0);
    try (CredentialStrategy s = CredentialStrategy.clientCredentials(app()).secret(ClientSecret.of(secret.value()))
        .maxAttempts(3).sleeper(waits::add).build()) {
      long before = m365.tokenRequestCount();
      assertThatThrownBy(() -> s.token(TokenRequest.imap()))
          .isInstanceOfSatisfying(MailboxException.class, e -> {
            assertThat(e.retryable()).isTrue();
            assertThat(e.serviceErrorCode()).contains("AADSTS90033");
          });
      assertThat(m365.tokenRequestCount() - before).isEqualTo(3);
      assertThat(waits).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(1));
    } finally {
      m365.faults().tokenEndpointUnavailableRate(0);
    }
  }

  @Test
  void permanentFailures_areNotRetried() {
    try (CredentialStrategy s = CredentialStrategy.clientCredentials(app()).secret(ClientSecret.of(secret.keyId())).build()) {
      long before = m365.tokenRequestCount();
      catchAuth(s, TokenRequest.imap());
      assertThat(m365.tokenRequestCount() - before).isEqualTo(1);
    }
  }

  @Test
  void untrustedCertificate_isATrustProblem() {
    AppRegistration noTrust = AppRegistration.builder().clientId(daemon.clientId()).tenant(contoso.id())
        .authorityHost(m365.authorityHost()).build();
    try (CredentialStrategy s = CredentialStrategy.clientCredentials(noTrust).secret(ClientSecret.of(secret.value()))
        .maxAttempts(1).build()) {
      assertThatThrownBy(() -> s.token(TokenRequest.imap()))
          .isInstanceOfSatisfying(MailboxException.class,
              e -> assertThat(e.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.TRUST));
    }
  }

  static MailboxAuthenticationException catchAuth(CredentialStrategy s, TokenRequest request) {
    try {
      s.token(request);
    } catch (MailboxAuthenticationException e) {
      Secrets.assertClean(e);
      return e;
    }
    throw new AssertionError("expected a MailboxAuthenticationException");
  }
}
