package org.o365mail.imap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.security.KeyStore;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.ConnectionCheck;
import org.o365mail.Diagnosis;
import org.o365mail.FolderRef;
import org.o365mail.MailboxException;
import org.o365mail.SetupStep;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testsupport.Secrets;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;

/**
 * Mail servers whose certificate comes from a CA the connector does not trust were reached all the same: IMAP
 * (implicit TLS) and SMTP (STARTTLS) failures say so, name the certificate's subject and issuer and the TRUST step,
 * and never "Cannot reach". The testkit's identity endpoint and mail servers have certificates from two CAs, and
 * the registration trusts only the identity CA, so sign-in works and the mail side is refused.
 */
@Timeout(60)
@ExtendWith({FreshLogs.class, LeakCheck.class})
class UntrustedMailCertificateTest {
  @RegisterExtension
  static final LocalTenantExtension M365 =
      LocalTenantExtension.create(LocalTenant.builder().twoCertificateAuthorities());

  static Exchange contoso;
  static CredentialStrategy signInTrustOnly;
  static Mailbox mailbox;

  @BeforeAll
  static void model() throws Exception {
    LocalTenant m365 = M365.tenant();
    contoso = new Exchange(m365, "contoso.com");
    mailbox = contoso.mailbox("trust");
    Exchange.fill(mailbox, 1, "Trusted");
    AppRegistration app = AppRegistration.builder().clientId(contoso.daemon.clientId()).tenant(contoso.tenant.id())
        .authorityHost(m365.authorityHost()).trust(trusting(m365.identityTrustStore())).build();
    signInTrustOnly = contoso.keep(CredentialStrategy.clientCredentials(app)
        .secret(ClientSecret.of(contoso.daemonSecret.value())).build());
  }

  @AfterAll
  static void close() {
    contoso.close();
  }

  static SSLContext trusting(KeyStore anchors) throws Exception {
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(anchors);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }

  static void assertNamesTheMailCertificate(Diagnosis d, String server, int port) {
    assertThat(d.setupStep()).isEqualTo(SetupStep.TRUST);
    assertThat(d.serviceCode()).isEqualTo("tls");
    assertThat(d.summary())
        .startsWith("Reached " + server + " at localhost:" + port + ", but its certificate")
        .contains("subject CN=localhost,O=O365 Mail SDK testkit mail")
        .contains("issued by CN=O365 Mail SDK testkit mail CA")
        .endsWith("is not trusted: no CA it chains to is in the trust store")
        .doesNotContainIgnoringCase("cannot reach");
    assertThat(d.fix()).contains("Add the CA");
  }

  @Test
  void imapCertificateFromAnUntrustedCa_isReachedNotTrusted_namingSubjectAndIssuer() {
    try (ImapMailboxConnector c = contoso.connector(mailbox, signInTrustOnly).timeout(Duration.ofSeconds(20))
        .build()) {
      MailboxException e = assertTimeoutPreemptively(Duration.ofSeconds(30),
          () -> assertThrows(MailboxException.class, c::listFolders));

      assertNamesTheMailCertificate(e.diagnosis().orElseThrow(), "the IMAP server", M365.tenant().imapPort());
      assertThat(e.retryable()).isFalse();
      Secrets.assertClean(e);
    }
  }

  @Test
  void smtpCertificateAfterStartTls_isReachedNotTrusted_namingSubjectAndIssuer() {
    SmtpSender sender = SmtpSender.builder().mailbox(mailbox.address()).credential(signInTrustOnly)
        .host(M365.tenant().hostName()).port(M365.tenant().smtpPort()).timeout(Duration.ofSeconds(20)).build();

    ConnectionCheck check = assertTimeoutPreemptively(Duration.ofSeconds(30), sender::checkConnection);

    assertThat(check.ok()).isFalse();
    assertNamesTheMailCertificate(check.diagnosis().orElseThrow(), "the SMTP server", M365.tenant().smtpPort());
  }

  @Test
  void theMailCaAsTheConnectorsTrust_reachesTheMailbox() throws Exception {
    try (ImapMailboxConnector c = contoso.connector(mailbox, signInTrustOnly)
        .trust(trusting(M365.tenant().mailTrustStore())).build()) {
      assertThat(c.listMessages(FolderRef.INBOX).stream().findFirst().orElseThrow().subject()).isEqualTo("Trusted 0");
    }
  }
}
