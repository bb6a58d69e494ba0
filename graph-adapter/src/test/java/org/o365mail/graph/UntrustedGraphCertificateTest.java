package org.o365mail.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.net.URI;
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
import org.o365mail.Diagnosis;
import org.o365mail.FolderRef;
import org.o365mail.MailboxException;
import org.o365mail.SetupStep;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testsupport.Secrets;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;

/**
 * Graph with a certificate from a CA the connector does not trust was reached all the same: the failure says so,
 * names the certificate's subject and issuer and the TRUST step, never "Cannot reach". The testkit's identity
 * endpoint and Graph have certificates from two CAs; the connector here trusts only the identity CA.
 */
@Timeout(60)
@ExtendWith(LeakCheck.class)
class UntrustedGraphCertificateTest {
  @RegisterExtension
  static final LocalTenantExtension M365 =
      LocalTenantExtension.create(LocalTenant.builder().twoCertificateAuthorities());

  static LocalTenant m365;
  static Mailbox inbox;
  static CredentialStrategy credential;

  @BeforeAll
  static void model() {
    m365 = M365.tenant();
    Tenant contoso = m365.createTenant("contoso.com");
    inbox = contoso.addSharedMailbox("invoices@contoso.com");
    inbox.deliver(TestMessages.text("billing@fabrikam.com", inbox.address(), "Invoice 2026-001", "Amount due: 42"));
    credential = GraphApps.clientCredentials(m365, contoso, GraphApps.daemon(contoso, "Daemon", "Mail.Read"));
  }

  @AfterAll
  static void close() {
    credential.close();
  }

  static SSLContext trusting(KeyStore anchors) throws Exception {
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(anchors);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }

  @Test
  void graphCertificateFromAnUntrustedCa_isReachedNotTrusted_namingSubjectAndIssuer() throws Exception {
    try (GraphMailboxConnector c = GraphApps.connector(m365, credential, inbox.address())
        .trust(trusting(m365.identityTrustStore())).build()) {
      MailboxException e = assertTimeoutPreemptively(Duration.ofSeconds(30),
          () -> assertThrows(MailboxException.class, () -> c.listMessages(FolderRef.INBOX).stream().findFirst()));

      Diagnosis d = e.diagnosis().orElseThrow();
      assertThat(d.setupStep()).isEqualTo(SetupStep.TRUST);
      assertThat(d.serviceCode()).isEqualTo("tls");
      assertThat(d.summary())
          .startsWith("Reached Graph at localhost:" + URI.create(m365.graphBaseUrl()).getPort()
              + ", but its certificate")
          .contains("subject CN=localhost,O=O365 Mail SDK testkit mail")
          .contains("issued by CN=O365 Mail SDK testkit mail CA")
          .endsWith("is not trusted: no CA it chains to is in the trust store")
          .doesNotContainIgnoringCase("cannot reach");
      assertThat(e.getMessage()).contains("Reached Graph");
      Secrets.assertClean(e);
    }
  }

  @Test
  void oneStoreWithBothCas_readsTheMailbox() {
    try (GraphMailboxConnector c = GraphApps.connector(m365, credential, inbox.address()).build()) {
      assertThat(c.listMessages(FolderRef.INBOX).stream().findFirst().orElseThrow().subject())
          .isEqualTo("Invoice 2026-001");
    }
  }
}
