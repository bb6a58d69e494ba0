package org.o365mail.imap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Store;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.auth.AccessToken;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.TokenRequest;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testsupport.Secrets;
import org.o365mail.testsupport.Tenants;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;

/**
 * The first end-to-end path, IMAP side: a client-credentials token from real MSAL over HTTPS, then plain Angus
 * Mail logging in with XOAUTH2 over TLS and reading a message; and the failing path when the Exchange service
 * principal was never registered.
 */
@Timeout(60)
@ExtendWith(LeakCheck.class)
class FirstPathImapTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static LocalTenant m365;
  static Tenant contoso;
  static Mailbox inbox;

  @BeforeAll
  static void model() {
    m365 = M365.tenant();
    contoso = m365.createTenant("contoso.com");
    inbox = contoso.addSharedMailbox("invoices@contoso.com");
    inbox.deliver(TestMessages.text("billing@fabrikam.com", "invoices@contoso.com", "Invoice 2026-001", "Amount due: 42"));
  }

  static Application logicalDoc(String name, boolean registerServicePrincipal) {
    Application app = contoso.registerApp(name);
    app.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp").grantAdminConsent();
    if (registerServicePrincipal) {
      String principal = contoso.registerExchangeServicePrincipal(app).objectId();
      contoso.addMailboxPermission(inbox.address(), principal, "FullAccess");
    }
    return app;
  }

  static String token(Application app) {
    PasswordCredential secret = app.addClientSecret("prod", Duration.ofDays(90));
    Secrets.secret(secret.value());
    try (CredentialStrategy credential = CredentialStrategy.clientCredentials(Tenants.app(m365, contoso, app))
        .secret(ClientSecret.of(secret.value())).build()) {
      AccessToken token = credential.token(TokenRequest.imap());
      Secrets.secret(token.value());
      return token.value();
    }
  }

  static Store store() throws Exception {
    Properties p = new Properties();
    p.put("mail.imaps.auth.mechanisms", "XOAUTH2");
    p.put("mail.imaps.ssl.socketFactory", m365.sslContext().getSocketFactory());
    p.put("mail.imaps.ssl.checkserveridentity", "true");
    return Session.getInstance(p).getStore("imaps");
  }

  @Test
  void appOnlyTokenOpensTheMailboxOverImapXoauth2() throws Exception {
    String token = token(logicalDoc("LogicalDOC", true));
    Store store = store();
    store.connect("localhost", m365.imapPort(), inbox.address(), token);
    try {
      Folder folder = store.getFolder("INBOX");
      folder.open(Folder.READ_ONLY);
      Message[] messages = folder.getMessages();
      assertThat(messages).hasSize(1);
      assertThat(messages[0].getSubject()).isEqualTo("Invoice 2026-001");
      folder.close(false);
    } finally {
      store.close();
    }
  }

  @Test
  void withoutTheExchangeServicePrincipal_imapSaysAuthenticateFailed() throws Exception {
    String token = token(logicalDoc("LogicalDOC without New-ServicePrincipal", false));
    Store store = store();
    assertThatThrownBy(() -> store.connect("localhost", m365.imapPort(), inbox.address(), token))
        .isInstanceOf(AuthenticationFailedException.class)
        .hasMessageContaining("AUTHENTICATE failed");
  }
}
