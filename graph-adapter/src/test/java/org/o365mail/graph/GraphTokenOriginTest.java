package org.o365mail.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.FolderRef;
import org.o365mail.ListOptions;
import org.o365mail.MailboxException;
import org.o365mail.SyncBatch;
import org.o365mail.SyncState;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.graph.internal.GraphAuthentication;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;
import org.o365mail.testkit.internal.Pki;

/**
 * The bearer token goes only to the configured Graph origin (scheme, host and port): a hostile Graph answer whose
 * next or delta link points at another port of the same host, or at http://, is refused, never followed with the
 * token and never stored; a stored sync state holding such a link is discarded. The other origin is a second HTTPS
 * server on loopback whose certificate the connector trusts, so that only the origin check stands between it and
 * the token.
 */
@Timeout(90)
@ExtendWith(LeakCheck.class)
class GraphTokenOriginTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static LocalTenant m365;
  static Tenant contoso;
  static CredentialStrategy credential;
  static SSLContext trustBoth;
  static SSLContext otherTls;
  static int boxes;

  HttpsServer other;
  final AtomicInteger otherRequests = new AtomicInteger();
  final AtomicInteger otherTokens = new AtomicInteger();

  @BeforeAll
  static void model() throws Exception {
    m365 = M365.tenant();
    contoso = m365.createTenant("contoso.com");
    credential = GraphApps.clientCredentials(m365, contoso, GraphApps.daemon(contoso, "Origin", "Mail.ReadWrite"));
    KeyPair keys = Pki.rsaKeyPair();
    X509Certificate cert = Pki.serverCertificate(keys, Instant.now().minus(Duration.ofDays(1)),
        Instant.now().plus(Duration.ofDays(1)));
    otherTls = Pki.serverContext(keys.getPrivate(), cert);
    KeyStore both = KeyStore.getInstance("PKCS12");
    both.load(null, null);
    both.setCertificateEntry("tenant", m365.certificate());
    both.setCertificateEntry("other", cert);
    trustBoth = Pki.clientContext(both);
  }

  @AfterAll
  static void close() {
    credential.close();
  }

  @BeforeEach
  void startOther() throws Exception {
    other = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    other.setHttpsConfigurator(new HttpsConfigurator(otherTls));
    other.createContext("/", exchange -> {
      otherRequests.incrementAndGet();
      if (exchange.getRequestHeaders().containsKey("Authorization")) {
        otherTokens.incrementAndGet();
      }
      byte[] body = ("{\"value\":[],\"@odata.deltaLink\":\"https://" + m365.hostName() + ":" + m365.graphPort()
          + "/v1.0/x?$deltatoken=y\"}").getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    other.start();
  }

  @AfterEach
  void stopOther() {
    other.stop(0);
  }

  String otherOrigin() {
    return "https://" + m365.hostName() + ":" + other.getAddress().getPort();
  }

  Mailbox mailboxWith(int messages) {
    Mailbox m = contoso.addSharedMailbox("origin" + ++boxes + "@contoso.com");
    for (int i = 0; i < messages; i++) {
      m.deliver("Inbox", TestMessages.text("a@fabrikam.com", m.address(), "Origin " + i, "x"), false,
          Instant.parse("2026-01-01T00:00:00Z").plusSeconds(60L * i));
    }
    return m;
  }

  GraphMailboxConnector connector(Mailbox m) {
    return GraphApps.connector(m365, credential, m.address()).trust(trustBoth).build();
  }

  /** Syncs twice from the beginning, one message a call, so that a next link handed out is also followed. */
  static void syncTwice(GraphMailboxConnector c) {
    SyncBatch first = c.sync(FolderRef.INBOX, SyncState.BEGINNING, 1);
    c.sync(FolderRef.INBOX, first.next(), 1);
  }

  @Test
  void sync_nextLinkOnAnotherPort_isRefusedAndTheOtherOriginNeverSeesTheToken() {
    Mailbox m = mailboxWith(3);
    try (GraphMailboxConnector c = connector(m)) {
      m365.faults().hostileLinkOrigin(otherOrigin());
      RuntimeException failure = null;
      try {
        syncTwice(c);
      } catch (RuntimeException e) {
        failure = e;
      }
      assertThat(otherTokens.get()).as("requests to the other origin with a token").isZero();
      assertThat(otherRequests.get()).as("requests to the other origin").isZero();
      assertThat(failure).isInstanceOf(MailboxException.class).hasMessageContaining(otherOrigin())
          .hasMessageContaining("@odata.nextLink");
    }
  }

  @Test
  void sync_deltaLinkOnAnotherPort_isRefusedAndNeverStored() {
    Mailbox m = mailboxWith(2);
    try (GraphMailboxConnector c = connector(m)) {
      m365.faults().hostileLinkOrigin(otherOrigin());
      assertThatThrownBy(() -> {
        SyncBatch round = c.sync(FolderRef.INBOX, SyncState.BEGINNING, 100);
        // the old code stored the link and sent the token there on the next import
        c.sync(FolderRef.INBOX, round.next(), 100);
      }).isInstanceOf(MailboxException.class).hasMessageContaining("@odata.deltaLink")
          .hasMessageContaining(String.valueOf(other.getAddress().getPort()));
      // the failed call stored nothing: the caller's last state (the beginning) still works, and holds no foreign link
      SyncBatch again = c.sync(FolderRef.INBOX, SyncState.BEGINNING, 100);
      assertThat(again.messages()).hasSize(2);
      assertThat(decoded(again.next())).doesNotContain(":" + other.getAddress().getPort());
    }
    assertThat(otherTokens.get()).isZero();
    assertThat(otherRequests.get()).isZero();
  }

  @Test
  void listMessages_nextLinkOnAnotherPort_isRefusedWithoutSendingTheToken() {
    Mailbox m = mailboxWith(3);
    try (GraphMailboxConnector c = connector(m)) {
      m365.faults().hostileLinkOrigin(otherOrigin());
      assertThatThrownBy(() -> c.listMessages(FolderRef.INBOX, ListOptions.defaults().pageSize(1)).byPage()
          .forEach(p -> { })).isInstanceOf(MailboxException.class)
          .hasMessageContaining(String.valueOf(other.getAddress().getPort()));
    }
    assertThat(otherTokens.get()).isZero();
    assertThat(otherRequests.get()).isZero();
  }

  @Test
  void sync_storedStateWithAForeignLink_startsANewRoundWithoutCallingThere() {
    Mailbox m = mailboxWith(3);
    try (GraphMailboxConnector c = connector(m)) {
      SyncBatch first = c.sync(FolderRef.INBOX, SyncState.BEGINNING, 100);
      assertThat(first.messages()).hasSize(3);
      String text = decoded(first.next());
      String graphOrigin = "https://" + m365.hostName() + ":" + m365.graphPort();
      assertThat(text).contains(graphOrigin);
      SyncState tampered = new SyncState(Base64.getUrlEncoder().withoutPadding()
          .encodeToString(text.replace(graphOrigin, otherOrigin()).getBytes(StandardCharsets.UTF_8)));
      SyncBatch next = c.sync(FolderRef.INBOX, tampered, 100);
      assertThat(next.resynced()).isTrue();
      assertThat(next.messages()).as("what the state says was seen").isEmpty();
      assertThat(decoded(next.next())).contains(graphOrigin).doesNotContain(otherOrigin());
    }
    assertThat(otherRequests.get()).isZero();
  }

  @Test
  void sync_httpLinkOnTheSameHostAndPort_isRefused() {
    Mailbox m = mailboxWith(3);
    try (GraphMailboxConnector c = connector(m)) {
      m365.faults().hostileLinkOrigin("http://" + m365.hostName() + ":" + m365.graphPort());
      assertThatThrownBy(() -> c.sync(FolderRef.INBOX, SyncState.BEGINNING, 1)).isInstanceOf(MailboxException.class)
          .hasMessageContaining("http://" + m365.hostName() + ":" + m365.graphPort());
    }
  }

  @Test
  void tokenGuard_matchesSchemeHostAndPort_andAnAllowedHostWithoutPortMeans443() {
    URI base = URI.create(m365.graphBaseUrl());
    int port = base.getPort();
    GraphAuthentication auth = new GraphAuthentication(credential, base,
        Set.of("graph.example", "other.example:8443"), "Mail.Read", "Mail.Send");
    assertThat(auth.mayCarryToken(URI.create("https://" + base.getHost() + ":" + port + "/v1.0/me"))).isTrue();
    assertThat(auth.mayCarryToken(URI.create("https://" + base.getHost().toUpperCase() + ":" + port + "/x"))).isTrue();
    assertThat(auth.mayCarryToken(URI.create("https://" + base.getHost() + ":" + (port + 1) + "/v1.0/me"))).isFalse();
    assertThat(auth.mayCarryToken(URI.create("http://" + base.getHost() + ":" + port + "/v1.0/me"))).isFalse();
    assertThat(auth.mayCarryToken(URI.create("https://" + base.getHost() + "/v1.0/me"))).isFalse();
    assertThat(auth.mayCarryToken(URI.create("https://graph.example/v1.0"))).isTrue();
    assertThat(auth.mayCarryToken(URI.create("https://graph.example:443/v1.0"))).isTrue();
    assertThat(auth.mayCarryToken(URI.create("https://graph.example:8443/v1.0"))).isFalse();
    assertThat(auth.mayCarryToken(URI.create("http://graph.example/v1.0"))).isFalse();
    assertThat(auth.mayCarryToken(URI.create("https://other.example:8443/v1.0"))).isTrue();
    assertThat(auth.mayCarryToken(URI.create("https://other.example/v1.0"))).isFalse();
    assertThatThrownBy(() -> auth.bearer(URI.create("https://" + base.getHost() + ":" + (port + 1) + "/v1.0"),
        org.o365mail.graph.internal.GraphCall.Access.READ)).isInstanceOf(MailboxException.class)
        .hasMessageContaining("https://" + base.getHost() + ":" + (port + 1));
    assertThatThrownBy(() -> new GraphAuthentication(credential, base, Set.of("http://plain.example"), "Mail.Read",
        "Mail.Send")).isInstanceOf(IllegalArgumentException.class);
  }

  static String decoded(SyncState state) {
    return new String(Base64.getUrlDecoder().decode(state.value()), StandardCharsets.UTF_8);
  }
}
