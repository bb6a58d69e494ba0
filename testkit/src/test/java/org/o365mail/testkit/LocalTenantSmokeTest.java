package org.o365mail.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class LocalTenantSmokeTest {

  @Test
  void starts_andIssuesAnAppOnlyToken() {
    // how fast it starts is measured by TestkitStartupBenchmark (examples), not asserted on a shared machine
    try (LocalTenant m365 = LocalTenant.start()) {
      System.out.println("startup " + m365.startupTime().toMillis() + " ms");
      assertThat(m365.startupTime()).isPositive();
      Tenant contoso = m365.createTenant("contoso.com");
      Application app = contoso.registerApp("Importer");
      PasswordCredential secret = app.addClientSecret("prod", Duration.ofDays(30));
      app.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp").grantAdminConsent();
      String token =
          new TestHttp(m365).clientCredentialsToken(contoso, app, secret, "https://outlook.office365.com/.default");
      VerifiedToken claims = m365.tokens().verify(token).orElseThrow();
      assertThat(claims.audience()).isEqualTo("https://outlook.office365.com");
      assertThat(claims.roles()).containsExactly("IMAP.AccessAsApp");
      assertThat(claims.tenantId()).isEqualTo(contoso.id());
      assertThat(claims.appId()).isEqualTo(app.clientId());
    }
  }
}
