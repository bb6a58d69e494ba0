package org.o365mail.graph;

import java.time.Duration;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.testsupport.Secrets;
import org.o365mail.testsupport.Tenants;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.Tenant;

/** App registrations and credentials in the local tenant, the way the setup guides make them. */
final class GraphApps {
  private GraphApps() {}

  /** A daemon app with Graph application permissions, admin-consented, and a client secret. */
  static Application daemon(Tenant tenant, String name, String... graphRoles) {
    Application app = tenant.registerApp(name);
    if (graphRoles.length > 0) {
      app.addApplicationPermission(ApiResource.MICROSOFT_GRAPH, graphRoles).grantAdminConsent();
    }
    return app;
  }

  /** Client credentials with a fresh secret of {@code app}; every secret and token is registered for the leak check. */
  static CredentialStrategy clientCredentials(LocalTenant m365, Tenant tenant, Application app) {
    PasswordCredential secret = app.addClientSecret("prod", Duration.ofDays(180));
    Secrets.secret(secret.value());
    return CredentialStrategy.clientCredentials(Tenants.app(m365, tenant, app))
        .secret(ClientSecret.of(secret.value()))
        .build();
  }

  /** A connector on the local tenant's Graph for {@code mailbox}. */
  static GraphMailboxConnector.Builder connector(LocalTenant m365, CredentialStrategy credential, String mailbox) {
    return GraphMailboxConnector.builder()
        .mailbox(mailbox)
        .credential(credential)
        .baseUrl(m365.graphBaseUrl())
        .trust(m365.sslContext());
  }
}
