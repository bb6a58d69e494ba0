package org.o365mail.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Collections;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.o365mail.testkit.internal.Pki;

/**
 * With two certificate authorities the identity endpoint presents a certificate of one CA and Graph and IMAP one of
 * the other: each side's trust store reaches only its side, {@link LocalTenant#trustStore()} both.
 */
@Timeout(60)
class TwoCertificateAuthoritiesTest {
  static LocalTenant m365;

  @BeforeAll
  static void start() {
    m365 = LocalTenant.builder().twoCertificateAuthorities().start();
  }

  @AfterAll
  static void stop() {
    m365.close();
  }

  static int get(KeyStore trust, String url) throws Exception {
    HttpClient http = HttpClient.newBuilder().sslContext(Pki.clientContext(trust))
        .connectTimeout(Duration.ofSeconds(10)).build();
    return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  static X509Certificate imapCertificate(KeyStore trust) throws Exception {
    SSLContext context = Pki.clientContext(trust);
    try (SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket(m365.hostName(), m365.imapPort())) {
      s.setSoTimeout(20_000);
      s.startHandshake();
      return (X509Certificate) s.getSession().getPeerCertificates()[0];
    }
  }

  @Test
  void eachSidesStore_reachesOnlyItsSide() throws Exception {
    String metadata = m365.authority("common") + "v2.0/.well-known/openid-configuration";
    String graph = m365.graphBaseUrl() + "/users";

    assertThat(get(m365.identityTrustStore(), metadata)).isEqualTo(200);
    assertThatThrownBy(() -> get(m365.identityTrustStore(), graph)).isInstanceOf(SSLHandshakeException.class);
    assertThatThrownBy(() -> imapCertificate(m365.identityTrustStore())).isInstanceOf(SSLHandshakeException.class);

    assertThat(get(m365.mailTrustStore(), graph)).isEqualTo(401);
    assertThatThrownBy(() -> get(m365.mailTrustStore(), metadata)).isInstanceOf(SSLHandshakeException.class);
    assertThat(imapCertificate(m365.mailTrustStore())).isEqualTo(m365.mailCertificate());
  }

  @Test
  void theCombinedStore_holdsBothCas_andReachesBothSides() throws Exception {
    assertThat(Collections.list(m365.trustStore().aliases())).hasSize(2);
    assertThat(get(m365.trustStore(), m365.authority("common") + "v2.0/.well-known/openid-configuration"))
        .isEqualTo(200);
    assertThat(get(m365.trustStore(), m365.graphBaseUrl() + "/users")).isEqualTo(401);
  }

  @Test
  void certificates_areIssuedByTheirSidesCa_andCertificateSaysThereAreTwo() {
    assertThat(m365.identityCertificate().getIssuerX500Principal().getName())
        .isEqualTo("CN=O365 Mail SDK testkit identity CA");
    assertThat(m365.mailCertificate().getIssuerX500Principal().getName())
        .isEqualTo("CN=O365 Mail SDK testkit mail CA");
    assertThatThrownBy(m365::certificate).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("identityCertificate()");
  }
}
