package org.o365mail.graph;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.ConnectionCheck;
import org.o365mail.Diagnosis;
import org.o365mail.MailboxException;
import org.o365mail.SetupStep;
import org.o365mail.auth.AccessToken;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.TokenRequest;
import org.o365mail.auth.TokenPreflight;
import org.o365mail.doctor.ConnectionDoctor;
import org.o365mail.doctor.DoctorCheck;
import org.o365mail.doctor.DoctorProbe;
import org.o365mail.doctor.DoctorReport;
import org.o365mail.doctor.DoctorProbe.Finding;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testsupport.Secrets;
import org.o365mail.testsupport.Tenants;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.ServicePrincipal;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.User;
import org.o365mail.testkit.internal.Pki;

/**
 * The Graph probe against the local tenant: each pair of steps Microsoft answers alike, built in the testkit, and
 * the step the probe names; "cannot tell" when the app may not read; and the token only to the configured origin.
 */
@Timeout(90)
@ExtendWith(LeakCheck.class)
class GraphDoctorProbeTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static LocalTenant m365;
  static Tenant contoso;
  static int apps;

  @BeforeAll
  static void model() {
    m365 = M365.tenant();
    contoso = m365.createTenant("contoso.com");
  }

  static GraphDoctorProbe probe() {
    return GraphDoctorProbe.builder().baseUrl(m365.graphBaseUrl()).trust(m365.sslContext()).build();
  }

  /** What the doctor hands a probe after {@code check} failed with {@code failure}. */
  static Optional<Finding> explain(Diagnosis failure, CredentialStrategy c, TokenRequest request, String mailbox) {
    Optional<AccessToken> token;
    try {
      token = Optional.of(c.token(request));
    } catch (MailboxException e) {
      token = Optional.empty();
    }
    return probe().explain(failure, new DoctorProbe.Context("mailbox opened", c, c.registration(), request, token,
        Optional.of(mailbox)));
  }

  /** The diagnosis an IMAP app-only login failure gives today: every AUTHENTICATE failed is the principal. */
  static Diagnosis authenticateFailed() {
    return Diagnosis.builder(SetupStep.EXCHANGE_SERVICE_PRINCIPAL, "IMAP NO AUTHENTICATE failed.")
        .summary("IMAP refused the token").fix("New-ServicePrincipal").build();
  }

  static Diagnosis noRoles() {
    return Diagnosis.builder(SetupStep.ADMIN_CONSENT, "roles").summary("The token carries no roles")
        .fix("Grant admin consent").build();
  }

  static Application app(String... graphRoles) {
    return GraphApps.daemon(contoso, "Probe app " + ++apps, graphRoles);
  }

  // ----- app-only: which permission, under which API, consented or not -----

  @Test
  void appOnly_imapRoleAddedUnderGraph_isTheApplicationPermissionOnTheWrongApi() {
    Application app = app("Mail.Read", "Application.Read.All");
    try (CredentialStrategy c = GraphApps.clientCredentials(m365, contoso, app)) {
      Finding f = explain(noRoles(), c, TokenRequest.imap(), "box@contoso.com").orElseThrow();
      assertThat(f.diagnosis().setupStep()).isEqualTo(SetupStep.APPLICATION_PERMISSION);
      assertThat(f.diagnosis().summary()).contains("Mail.Read is added under Microsoft Graph")
          .contains("Office 365 Exchange Online");
      assertThat(f.diagnosis().fix()).contains("Office 365 Exchange Online (under APIs my organization uses) >"
          + " Application permissions > IMAP.AccessAsApp");
      assertThat(f.evidence()).contains("GET /applications?$filter=appId eq '" + app.clientId() + "': 200");
    }
  }

  @Test
  void appOnly_imapRoleAddedNotConsented_isAdminConsent() {
    Application app = app("Application.Read.All");
    app.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp"); // added after the consent
    try (CredentialStrategy c = GraphApps.clientCredentials(m365, contoso, app)) {
      Finding f = explain(noRoles(), c, TokenRequest.imap(), "box@contoso.com").orElseThrow();
      assertThat(f.diagnosis().setupStep()).isEqualTo(SetupStep.ADMIN_CONSENT);
      assertThat(f.diagnosis().summary()).contains("Office 365 Exchange Online > Application permissions >"
          + " IMAP.AccessAsApp is added to the app registration but not consented");
    }
  }

  @Test
  void appOnly_imapRoleNotAdded_isTheApplicationPermission() {
    Application app = app("Application.Read.All");
    try (CredentialStrategy c = GraphApps.clientCredentials(m365, contoso, app)) {
      Finding f = explain(noRoles(), c, TokenRequest.imap(), "box@contoso.com").orElseThrow();
      assertThat(f.diagnosis().setupStep()).isEqualTo(SetupStep.APPLICATION_PERMISSION);
      assertThat(f.diagnosis().summary()).isEqualTo(
          "Office 365 Exchange Online > Application permissions > IMAP.AccessAsApp is not added to the app registration");
    }
  }

  @Test
  void appOnly_everythingConsented_authenticateFailed_namesThePrincipalWithTheEnterpriseObjectId() {
    Mailbox box = contoso.addSharedMailbox("esp" + ++apps + "@contoso.com");
    Application app = contoso.registerApp("Consented IMAP app");
    app.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp")
        .addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "Application.Read.All", "User.Read.All")
        .grantAdminConsent();
    ServicePrincipal sp = contoso.servicePrincipal(app).orElseThrow();
    try (CredentialStrategy c = GraphApps.clientCredentials(m365, contoso, app)) {
      Finding f = explain(authenticateFailed(), c, TokenRequest.imap(), box.address()).orElseThrow();
      assertThat(f.diagnosis().setupStep()).isEqualTo(SetupStep.EXCHANGE_SERVICE_PRINCIPAL);
      assertThat(f.diagnosis().command()).contains("Get-ServicePrincipal -Identity " + app.clientId()
          + "; New-ServicePrincipal -AppId " + app.clientId() + " -ObjectId " + sp.objectId());
      assertThat(sp.objectId()).isNotEqualTo(app.objectId());
      assertThat(f.diagnosis().alternatives()).singleElement().satisfies(a -> {
        assertThat(a.setupStep()).isEqualTo(SetupStep.MAILBOX_PERMISSION);
        assertThat(a.command().orElseThrow()).contains("Get-MailboxPermission -Identity " + box.address());
      });
    }
  }

  @Test
  void appOnly_everythingConsented_mistypedMailbox_isTheMailboxAddress() {
    Application app = contoso.registerApp("Consented IMAP app, mistyped mailbox");
    app.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp")
        .addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "Application.Read.All", "User.Read.All")
        .grantAdminConsent();
    try (CredentialStrategy c = GraphApps.clientCredentials(m365, contoso, app)) {
      Finding f = explain(authenticateFailed(), c, TokenRequest.imap(), "invoces@contoso.com").orElseThrow();
      assertThat(f.diagnosis().setupStep()).isEqualTo(SetupStep.MAILBOX);
      assertThat(f.diagnosis().command()).contains("Get-Recipient -Identity invoces@contoso.com");
      assertThat(f.evidence()).contains("GET /users/invoces@contoso.com: 404 Request_ResourceNotFound")
          .contains("GET /users?$filter=mail eq 'invoces@contoso.com' or proxyAddresses/any: 200");
    }
  }

  @Test
  void appOnly_userWithoutLicence_isTheMailboxItself_withTheLicenceAsFix() {
    User u = contoso.addUserWithoutMailbox("nolicence@contoso.com", "No-Licence-Pw-1!");
    Application app = app("Mail.Read", "User.Read.All");
    try (CredentialStrategy c = GraphApps.clientCredentials(m365, contoso, app);
        GraphMailboxConnector connector = GraphApps.connector(m365, c, u.userPrincipalName()).build()) {
      // the connector's own mapping: Graph's MailboxNotEnabledForRESTAPI is the mailbox itself, fixed by a licence
      Diagnosis checked = connector.checkConnection().diagnosis().orElseThrow();
      assertThat(checked.setupStep()).isEqualTo(SetupStep.MAILBOX);
      assertThat(checked.serviceCode()).isEqualTo("MailboxNotEnabledForRESTAPI");
      assertThat(checked.fix()).startsWith("Assign the user a licence that includes Exchange Online");
      // the probe after an IMAP failure, which says nothing of licences (IMAP blames the protocol switch)
      Diagnosis imap = Diagnosis.builder(SetupStep.MAILBOX_PROTOCOL, "IMAP NO AUTHENTICATE failed.")
          .summary("refused").fix("enable IMAP").build();
      Finding f = explain(imap, c, TokenRequest.imap(), u.userPrincipalName()).orElseThrow();
      assertThat(f.diagnosis().setupStep()).isEqualTo(SetupStep.MAILBOX);
      assertThat(f.diagnosis().summary()).contains("no Exchange Online licence");
    }
  }

  /**
   * A delegated IMAP login of a user without a licence fails as if IMAP were off; the user may read their own
   * profile with User.Read, whose assignedPlans and mail show there is no mailbox.
   */
  @Test
  void delegatedImap_userWithoutLicence_readsTheirOwnProfileWithUserRead_andNamesTheMailbox() {
    User u = contoso.addUserWithoutMailbox("nolicence" + ++apps + "@contoso.com", "No-Licence-Pw-1!");
    Application app = contoso.registerApp("IMAP reader " + apps).allowPublicClientFlows(true);
    app.addDelegatedPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsUser.All");
    app.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read");
    contoso.grantAdminConsent(app);
    Diagnosis imap = Diagnosis.builder(SetupStep.MAILBOX_PROTOCOL, "IMAP NO AUTHENTICATE failed.")
        .summary("refused").fix("enable IMAP").build();
    try (CredentialStrategy c = ropc(app, u, "No-Licence-Pw-1!")) {
      Finding f = explain(imap, c, TokenRequest.imap(), u.userPrincipalName()).orElseThrow();
      assertThat(f.diagnosis().setupStep()).isEqualTo(SetupStep.MAILBOX);
      assertThat(f.diagnosis().summary()).contains("no Exchange Online licence");
      assertThat(f.evidence()).contains("GET /users/" + u.userPrincipalName() + ": 200");
    }
    // another user's profile is not read with User.Read: the probe cannot tell, and says nothing
    User other = contoso.addUserWithoutMailbox("nolicence" + ++apps + "@contoso.com", "No-Licence-Pw-1!");
    User reader = contoso.addUser("reader" + apps + "@contoso.com", "Reader-Pw-1!");
    try (CredentialStrategy c = ropc(app, reader, "Reader-Pw-1!")) {
      assertThat(explain(imap, c, TokenRequest.imap(), other.userPrincipalName())).isEmpty();
    }
  }

  @Test
  void appOnly_withoutPermissionToRead_cannotTell() {
    Application app = app("Mail.Read");
    try (CredentialStrategy c = GraphApps.clientCredentials(m365, contoso, app)) {
      assertThat(explain(noRoles(), c, TokenRequest.imap(), "box@contoso.com")).isEmpty();
      assertThat(explain(authenticateFailed(), c, TokenRequest.imap(), "box@contoso.com")).isEmpty();
    }
  }

  @Test
  void unrelatedStep_isNotProbed() {
    Application app = app("Mail.Read", "Application.Read.All", "User.Read.All");
    m365.clearRequests();
    try (CredentialStrategy c = GraphApps.clientCredentials(m365, contoso, app)) {
      Diagnosis secret = Diagnosis.builder(SetupStep.CLIENT_SECRET, "AADSTS7000215").summary("bad secret")
          .fix("paste the value").build();
      assertThat(probe().explain(secret, new DoctorProbe.Context("token acquired", c, c.registration(),
          TokenRequest.imap(), Optional.empty(), Optional.of("nobody@contoso.com")))).isEmpty();
    }
    assertThat(m365.requests("graph")).isEmpty();
  }

  // ----- delegated: the mailbox address against the permission -----

  static CredentialStrategy ropc(Application app, User user, String password) {
    Secrets.secret(password);
    return CredentialStrategy.usernamePassword(Tenants.app(m365, contoso, app), user.userPrincipalName(),
        password.toCharArray()).build();
  }

  @Test
  void delegated_mistypedMailbox_isTheAddress_notAdminConsentForShared() {
    User alice = contoso.addUser("alice" + ++apps + "@contoso.com", "Alice-Pw-1!");
    Application app = contoso.registerApp("Scanner " + apps).allowPublicClientFlows(true);
    app.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite", "Mail.Send").grantAdminConsent();
    String typo = "a1ice" + apps + "@contoso.com";
    try (CredentialStrategy c = ropc(app, alice, "Alice-Pw-1!");
        GraphMailboxConnector connector = GraphApps.connector(m365, c, typo).build()) {
      // another user's address makes the connector ask for Mail.ReadWrite.Shared, which is not consented
      ConnectionCheck check = connector.checkConnection();
      assertThat(check.ok()).isFalse();
      assertThat(check.diagnosis().orElseThrow().setupStep())
          .isNotEqualTo(SetupStep.MAILBOX); // Entra ID's answer names consent
      Finding f = explain(check.diagnosis().orElseThrow(), c, TokenRequest.graph("Mail.ReadWrite.Shared"), typo)
          .orElseThrow();
      assertThat(f.diagnosis().setupStep()).isEqualTo(SetupStep.MAILBOX);
      assertThat(f.diagnosis().fix()).contains(alice.userPrincipalName()).doesNotContain("Mail.ReadWrite.Shared");
      assertThat(f.evidence()).contains("with the user's own Mail.ReadWrite: 404 ErrorItemNotFound");
    }
  }

  @Test
  void doctorWithTheProbe_namesTheMistypedMailbox_whereEntraIdNamesConsent() {
    User erin = contoso.addUser("erin" + ++apps + "@contoso.com", "Erin-Pw-1!");
    Application app = contoso.registerApp("Scanner doctor " + apps).allowPublicClientFlows(true);
    app.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite", "Mail.Send").grantAdminConsent();
    String typo = "eirn" + apps + "@contoso.com";
    try (CredentialStrategy c = ropc(app, erin, "Erin-Pw-1!")) {
      DoctorReport report = ConnectionDoctor.builder().credential(c)
          .connector(() -> GraphApps.connector(m365, c, typo).build())
          .token(TokenRequest.graph("Mail.ReadWrite.Shared"), TokenPreflight.Requirement.graphReadWrite())
          .mailbox(typo).probe(probe()).build().examine();
      DoctorCheck failed = report.firstFailure().orElseThrow();
      assertThat(failed.name()).isEqualTo("token acquired");
      assertThat(failed.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.MAILBOX);
      assertThat(failed.detail()).contains("(probe: ").contains("404 ErrorItemNotFound");
    }
  }

  @Test
  void delegated_mistypedMailbox_withOwnPermissions_isMappedToTheAddressWithFullAccessAsAlternative() {
    User bob = contoso.addUser("bob" + ++apps + "@contoso.com", "Bob-Pw-1!");
    Application app = contoso.registerApp("Desk " + apps).allowPublicClientFlows(true);
    app.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite", "Mail.Send").grantAdminConsent();
    try (CredentialStrategy c = ropc(app, bob, "Bob-Pw-1!");
        GraphMailboxConnector connector = GraphApps.connector(m365, c, "b0b" + apps + "@contoso.com")
            .delegatedPermissions("Mail.ReadWrite", "Mail.Send").build()) {
      Diagnosis d = connector.checkConnection().diagnosis().orElseThrow();
      assertThat(d.setupStep()).isEqualTo(SetupStep.MAILBOX);
      assertThat(d.serviceCode()).isEqualTo("ErrorItemNotFound");
      assertThat(d.describe()).doesNotContain(".Shared");
      assertThat(d.alternatives()).singleElement().satisfies(a -> {
        assertThat(a.setupStep()).isEqualTo(SetupStep.MAILBOX_PERMISSION);
        assertThat(a.command().orElseThrow()).isEqualTo("Get-MailboxPermission -Identity b0b" + apps
            + "@contoso.com -User " + bob.userPrincipalName());
      });
    }
  }

  @Test
  void delegated_anotherUsersMailboxWithoutShared_isThePermission_withTheAddressAsAlternative() {
    User frank = contoso.addUser("frank" + ++apps + "@contoso.com", "Frank-Pw-1!");
    User grace = contoso.addUser("grace" + apps + "@contoso.com", "Grace-Pw-1!");
    Application app = contoso.registerApp("Own desk " + apps).allowPublicClientFlows(true);
    app.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite", "Mail.Send").grantAdminConsent();
    try (CredentialStrategy c = ropc(app, frank, "Frank-Pw-1!");
        GraphMailboxConnector connector = GraphApps.connector(m365, c, grace.userPrincipalName())
            .delegatedPermissions("Mail.ReadWrite", "Mail.Send").build()) {
      Diagnosis d = connector.checkConnection().diagnosis().orElseThrow();
      assertThat(d.setupStep()).isEqualTo(SetupStep.DELEGATED_PERMISSION);
      assertThat(d.serviceCode()).isEqualTo("ErrorAccessDenied");
      assertThat(d.alternatives()).singleElement().satisfies(a -> {
        assertThat(a.setupStep()).isEqualTo(SetupStep.MAILBOX);
        assertThat(a.summary()).isEqualTo("The mailbox " + grace.userPrincipalName() + " is not "
            + frank.userPrincipalName() + "'s own");
      });
    }
  }

  @Test
  void delegated_sharedMailboxWithoutFullAccess_isTheMailboxRight() {
    Mailbox shared = contoso.addSharedMailbox("orders" + ++apps + "@contoso.com");
    User carol = contoso.addUser("carol" + apps + "@contoso.com", "Carol-Pw-1!");
    Application app = contoso.registerApp("Orders desk " + apps).allowPublicClientFlows(true);
    app.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite.Shared", "User.Read.All")
        .grantAdminConsent();
    try (CredentialStrategy c = ropc(app, carol, "Carol-Pw-1!")) {
      // what an IMAP failure or a store not-found gives: the address, which the probe finds is right
      Diagnosis notFound = Diagnosis.builder(SetupStep.MAILBOX, "ErrorItemNotFound").summary("not found")
          .fix("check the address").build();
      Finding f = explain(notFound, c, TokenRequest.graph("Mail.ReadWrite.Shared"), shared.address()).orElseThrow();
      assertThat(f.diagnosis().setupStep()).isEqualTo(SetupStep.MAILBOX_PERMISSION);
      assertThat(f.diagnosis().summary()).startsWith("the shared mailbox " + shared.address() + " exists");
      assertThat(f.diagnosis().command()).contains("Add-MailboxPermission -Identity " + shared.address() + " -User "
          + carol.userPrincipalName() + " -AccessRights FullAccess");
    }
  }

  @Test
  void delegated_sendPermissionNotConsented_andNotAdded_areToldApart() {
    User dave = contoso.addUser("dave" + ++apps + "@contoso.com", "Dave-Pw-1!");
    Application app = contoso.registerApp("Reader " + apps).allowPublicClientFlows(true);
    app.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "Mail.Read", "Application.Read.All",
        "DelegatedPermissionGrant.Read.All").grantAdminConsent();
    Diagnosis consent = Diagnosis.builder(SetupStep.ADMIN_CONSENT, "AADSTS65001").summary("not consented")
        .fix("Grant admin consent").build();
    try (CredentialStrategy c = ropc(app, dave, "Dave-Pw-1!")) {
      Finding notAdded = explain(consent, c, TokenRequest.graph("Mail.Send"), dave.userPrincipalName()).orElseThrow();
      assertThat(notAdded.diagnosis().setupStep()).isEqualTo(SetupStep.DELEGATED_PERMISSION);
      assertThat(notAdded.diagnosis().summary()).isEqualTo(
          "Microsoft Graph > Delegated permissions > Mail.Send is not added to the app registration");

      app.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "Mail.Send"); // added, not consented
      Finding added = explain(consent, c, TokenRequest.graph("Mail.Send"), dave.userPrincipalName()).orElseThrow();
      assertThat(added.diagnosis().setupStep()).isEqualTo(SetupStep.ADMIN_CONSENT);
      assertThat(added.evidence()).contains("GET /oauth2PermissionGrants?$filter=clientId eq '");
    }
  }

  @Test
  void probe_againstASilentGraph_returnsEmptyWithinItsTimeouts() throws Exception {
    Application app = app("Mail.Read", "Application.Read.All", "User.Read.All");
    try (CredentialStrategy c = GraphApps.clientCredentials(m365, contoso, app);
        java.net.ServerSocket silent = new java.net.ServerSocket(0, 16, InetAddress.getLoopbackAddress())) {
      Thread acceptor = new Thread(() -> {
        java.util.List<java.net.Socket> held = new java.util.ArrayList<>();
        try {
          while (true) {
            held.add(silent.accept()); // accepted, never answered
          }
        } catch (java.io.IOException closed) {
          held.forEach(socket -> {
            try {
              socket.close();
            } catch (java.io.IOException ignored) {
              // closing anyway
            }
          });
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
      GraphDoctorProbe slow = GraphDoctorProbe.builder()
          .baseUrl("https://" + m365.hostName() + ":" + silent.getLocalPort() + "/v1.0").trust(m365.sslContext())
          .timeout(Duration.ofSeconds(1)).build();
      Optional<Finding> f = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(45),
          () -> slow.explain(authenticateFailed(), new DoctorProbe.Context("mailbox opened", c, c.registration(),
              TokenRequest.imap(), Optional.empty(), Optional.of("box@contoso.com"))));
      assertThat(f).isEmpty();
    }
  }

  // ----- the token stays at the configured origin -----

  @Test
  void probe_sendsItsTokenOnlyToTheConfiguredOrigin_andFollowsNoRedirect() throws Exception {
    KeyPair keys = Pki.rsaKeyPair();
    X509Certificate cert = Pki.serverCertificate(keys, Instant.now().minus(Duration.ofDays(1)),
        Instant.now().plus(Duration.ofDays(1)));
    KeyStore both = KeyStore.getInstance("PKCS12");
    both.load(null, null);
    both.setCertificateEntry("tenant", m365.certificate());
    both.setCertificateEntry("other", cert);
    SSLContext trustBoth = Pki.clientContext(both);
    AtomicInteger configured = new AtomicInteger();
    HttpsServer graph = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    graph.setHttpsConfigurator(new HttpsConfigurator(Pki.serverContext(keys.getPrivate(), cert)));
    String tenantGraph = m365.graphBaseUrl();
    graph.createContext("/", exchange -> {
      configured.incrementAndGet();
      // every answer sends the caller on to the local tenant's Graph, another origin
      exchange.getResponseHeaders().add("Location", tenantGraph + exchange.getRequestURI().getPath()
          .replaceFirst("^/v1.0", ""));
      exchange.sendResponseHeaders(307, -1);
      exchange.close();
    });
    graph.start();
    Application app = app("Mail.Read", "Application.Read.All", "User.Read.All");
    try (CredentialStrategy c = GraphApps.clientCredentials(m365, contoso, app)) {
      m365.clearRequests();
      GraphDoctorProbe elsewhere = GraphDoctorProbe.builder()
          .baseUrl("https://" + m365.hostName() + ":" + graph.getAddress().getPort() + "/v1.0").trust(trustBoth)
          .build();
      Optional<Finding> f = elsewhere.explain(authenticateFailed(), new DoctorProbe.Context("mailbox opened", c,
          c.registration(), TokenRequest.imap(), Optional.empty(), Optional.of("box@contoso.com")));
      assertThat(f).isEmpty();
      assertThat(configured.get()).isPositive();
      assertThat(m365.requests("graph")).isEmpty();
    } finally {
      graph.stop(0);
    }
  }
}
