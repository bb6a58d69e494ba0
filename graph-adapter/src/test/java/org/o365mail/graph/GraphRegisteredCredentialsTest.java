package org.o365mail.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.expiry.CredentialType;
import org.o365mail.expiry.RegisteredCredential;
import org.o365mail.expiry.RegisteredCredentials;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testsupport.Secrets;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.KeyCredential;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.Tenant;

/** The app's own secrets and certificates from Graph for the expiry tracker, with and without permission. */
@Timeout(60)
@ExtendWith(LeakCheck.class)
class GraphRegisteredCredentialsTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static LocalTenant m365;
  static Tenant contoso;

  @BeforeAll
  static void model() {
    m365 = M365.tenant();
    contoso = m365.createTenant("contoso.com");
  }

  static GraphRegisteredCredentials reader(CredentialStrategy c) {
    return GraphRegisteredCredentials.builder().credential(c).baseUrl(m365.graphBaseUrl()).trust(m365.sslContext())
        .build();
  }

  @Test
  void withApplicationReadAll_listsSecretsAndCertificates_withoutTheirValues() throws Exception {
    Application app = GraphApps.daemon(contoso, "Self-reading", "Application.Read.All");
    PasswordCredential old = app.addClientSecret("old", Duration.ofDays(10));
    Secrets.secret(old.value());
    KeyCredential cert = app.addCertificate("signing", Duration.ofDays(365));
    try (CredentialStrategy c = GraphApps.clientCredentials(m365, contoso, app);
        GraphRegisteredCredentials reader = reader(c)) {
      List<RegisteredCredential> list = reader.list(app.clientId());
      assertThat(list).filteredOn(r -> r.type() == CredentialType.CLIENT_SECRET).hasSize(2)
          .anySatisfy(r -> {
            assertThat(r.keyId()).isEqualTo(old.keyId());
            assertThat(r.displayName()).isEqualTo("old");
            assertThat(r.hint()).contains(old.value().substring(0, 3));
            assertThat(r.endDateTime()).isEqualTo(old.endDateTime().truncatedTo(ChronoUnit.SECONDS));
          });
      assertThat(list).filteredOn(r -> r.type() == CredentialType.CERTIFICATE).singleElement().satisfies(r -> {
        assertThat(r.keyId()).isEqualTo(cert.keyId());
        assertThat(r.hint().orElseThrow()).isEqualToIgnoringCase(cert.thumbprint());
      });
      assertThat(list.toString()).doesNotContain(old.value());
    }
  }

  @Test
  void withoutPermission_isUnavailable_withAReasonAnAdminCanActOn() {
    Application app = GraphApps.daemon(contoso, "Mail only", "Mail.Read");
    try (CredentialStrategy c = GraphApps.clientCredentials(m365, contoso, app);
        GraphRegisteredCredentials reader = reader(c)) {
      assertThatThrownBy(() -> reader.list(app.clientId())).isInstanceOf(RegisteredCredentials.Unavailable.class)
          .hasMessage("the app may not read its registration: grant Application.Read.All or make it an owner");
    }
  }
}
