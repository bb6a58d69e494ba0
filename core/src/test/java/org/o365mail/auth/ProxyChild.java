package org.o365mail.auth;

import java.time.Duration;
import org.o365mail.MailboxException;
import org.o365mail.ProxySettings;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LoopbackProxy;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.Tenant;

/**
 * A child JVM for {@link SignInProxyChildTest}, for what depends on the JVM's own settings: {@code credentials}
 * signs in through a proxy demanding Basic credentials (run with or without {@code
 * -Djdk.http.auth.tunneling.disabledSchemes=}); {@code wrong} gives the wrong password. Prints one line: what the proxy saw, or the diagnosis.
 */
public final class ProxyChild {
  private ProxyChild() {}

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage();
  }

  public static void main(String[] args) {
    String mode = args[0];
    try (LocalTenant m365 = LocalTenant.start();
        LoopbackProxy proxy = LoopbackProxy.httpWithBasic("svc", "proxy-pass-1")) {
      Tenant contoso = m365.createTenant("contoso.com");
      Application daemon = contoso.registerApp("Daemon");
      PasswordCredential secret = daemon.addClientSecret("prod", Duration.ofDays(180));
      daemon.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp").grantAdminConsent();
      AppRegistration app = AppRegistration.builder().clientId(daemon.clientId()).tenant(contoso.id())
          .authorityHost(m365.authorityHost()).trust(m365.sslContext()).build();
      CredentialStrategy.ClientCredentialsBuilder b = CredentialStrategy.clientCredentials(app)
          .secret(ClientSecret.of(secret.value())).maxAttempts(1);
      {
        b.proxy(ProxySettings.http(proxy.host(), proxy.port())
            .withCredentials("svc", (mode.equals("wrong") ? "not-the-pass" : "proxy-pass-1")::toCharArray));
      }
      try (CredentialStrategy s = b.build()) {
        String token = s.token(TokenRequest.imap()).value();
        System.out.println("TOKEN answers=" + proxy.answers() + " authorizations=" + proxy.proxyAuthorizations().size()
            + " targets=" + proxy.connectTargets() + " tokenInClear=" + proxy.sawInClear(token)
            + " secretInClear=" + proxy.sawInClear(secret.value()));
      } catch (MailboxException e) {
        System.out.println("FAILED " + e.diagnosis().map(d -> d.serviceCode() + " " + d.setupStep() + " " + d.summary()
            + " | " + d.fix()).orElse(e.toString()) + " answers=" + proxy.answers() + " cause=" + rootMessage(e));
      }
    }
  }
}
