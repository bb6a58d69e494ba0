package org.o365mail.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.o365mail.testsupport.Secrets.secret;

import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.identity.ClientSecretCredentialBuilder;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.MailboxAuthenticationException;
import org.o365mail.SetupStep;
import org.o365mail.auth.AccessToken;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialKind;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.TokenClaims;
import org.o365mail.auth.TokenRequest;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.Tenant;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testsupport.Tenants;

@Timeout(60)
@ExtendWith(LeakCheck.class)
class AzureCredentialsTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static LocalTenant m365;
  static Tenant contoso;
  static Application daemon;
  static PasswordCredential secret;

  @BeforeAll
  static void model() {
    m365 = M365.tenant();
    contoso = m365.createTenant("contoso.com");
    daemon = contoso.registerApp("daemon");
    secret = daemon.addClientSecret("s", Duration.ofDays(30));
    secret(secret.value());
    daemon.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp")
        .addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "Mail.Read").grantAdminConsent();
  }

  static TokenCredential azureIdentity(String value) {
    return new ClientSecretCredentialBuilder()
        .authorityHost(m365.authorityHost().toString())
        .tenantId(contoso.id())
        .clientId(daemon.clientId())
        .clientSecret(value)
        .disableInstanceDiscovery()
        .httpClient(new JdkHttpClientBuilder(java.net.http.HttpClient.newBuilder().sslContext(m365.sslContext())).build())
        .build();
  }

  @Test
  void anyTokenCredential_isAStrategy_withOurCacheInFront() {
    try (CredentialStrategy s = AzureCredentials.fromTokenCredential(Tenants.app(m365, contoso, daemon),
        azureIdentity(secret.value()), CredentialKind.APP_ONLY)) {
      long before = m365.tokenRequestCount();
      AccessToken t = s.token(TokenRequest.imap());
      secret(t.value());
      assertThat(s.token(TokenRequest.imap())).isSameAs(t);
      assertThat(m365.tokenRequestCount() - before).isEqualTo(1);
      assertThat(t.claims().roles()).contains("IMAP.AccessAsApp");
    }
  }

  @Test
  void tokenCredentialFailures_areDiagnosedToo() {
    try (CredentialStrategy s = AzureCredentials.fromTokenCredential(Tenants.app(m365, contoso, daemon),
        azureIdentity(secret.keyId()), CredentialKind.APP_ONLY)) {
      assertThatThrownBy(() -> s.token(TokenRequest.imap()))
          .isInstanceOfSatisfying(MailboxAuthenticationException.class, e -> {
            assertThat(e.serviceErrorCode()).contains("AADSTS7000215");
            assertThat(e.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.CLIENT_SECRET);
          });
    }
  }

  @Test
  void ourStrategy_isATokenCredential() {
    try (CredentialStrategy s = CredentialStrategy.clientCredentials(Tenants.app(m365, contoso, daemon))
        .secret(ClientSecret.of(secret.value())).build()) {
      TokenCredential credential = AzureCredentials.asTokenCredential(s);
      com.azure.core.credential.AccessToken graph =
          credential.getTokenSync(new TokenRequestContext().addScopes("https://graph.microsoft.com/.default"));
      secret(graph.getToken());
      assertThat(TokenClaims.decode(graph.getToken()).audience()).isEqualTo("https://graph.microsoft.com");
      com.azure.core.credential.AccessToken viaMono =
          credential.getToken(new TokenRequestContext().addScopes("https://outlook.office365.com/.default")).block();
      secret(viaMono.getToken());
      assertThat(TokenClaims.decode(viaMono.getToken()).roles()).contains("IMAP.AccessAsApp");
      assertThatThrownBy(() -> credential.getTokenSync(new TokenRequestContext()
          .addScopes("https://graph.microsoft.com/.default", "https://outlook.office365.com/.default")))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("more than one resource");
    }
  }
}
