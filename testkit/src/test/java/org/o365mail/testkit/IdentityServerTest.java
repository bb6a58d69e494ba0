package org.o365mail.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.o365mail.testkit.TestHttp.form;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.testkit.internal.Pki;

@Timeout(60)
class IdentityServerTest {
  static final String GRAPH_DEFAULT = "https://graph.microsoft.com/.default";
  static final String EXCHANGE_DEFAULT = "https://outlook.office365.com/.default";
  static final String PASSWORD = "Corr3ct-Horse!";

  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static LocalTenant m365;
  static TestHttp http;
  static Tenant contoso;
  static Application daemon;
  static PasswordCredential daemonSecret;
  static PasswordCredential expiredSecret;
  static KeyCredential daemonCertificate;
  static Application publicApp;
  static User alice;

  @BeforeAll
  static void model() {
    m365 = M365.tenant();
    http = new TestHttp(m365);
    contoso = m365.createTenant("contoso.com");
    daemon = contoso.registerApp("LogicalDOC");
    daemonSecret = daemon.addClientSecret("prod", Duration.ofDays(180));
    Instant now = m365.clock().instant();
    expiredSecret = daemon.addClientSecret("old", now.minus(Duration.ofDays(400)), now.minus(Duration.ofDays(1)));
    daemonCertificate = daemon.addCertificate("cert", Duration.ofDays(365));
    daemon
        .addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp")
        .addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite")
        .grantAdminConsent();
    publicApp = contoso.registerApp("Sinch Contact Pro").allowPublicClientFlows(true)
        .accountTypes(SupportedAccountTypes.MULTI_TENANT);
    publicApp
        .addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read", "Mail.ReadWrite")
        .addDelegatedPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsUser.All")
        .grantAdminConsent();
    alice = contoso.addUser("alice@contoso.com", PASSWORD);
  }

  static TestHttp.Response token(String tenant, Map<String, String> form) {
    return http.token(tenant, form);
  }

  static void assertAadError(TestHttp.Response r, int status, String error, int code) {
    assertThat(r.status()).as(r.text()).isEqualTo(status);
    JsonNode json = r.json();
    assertThat(json.get("error").asText()).isEqualTo(error);
    assertThat(json.get("error_description").asText()).startsWith("AADSTS" + code + ":");
    // Entra's layout: the text, then Trace ID, Correlation ID and Timestamp lines, separated by CRLF
    String[] lines = json.get("error_description").asText().split("\r\n", -1);
    assertThat(lines).hasSize(4);
    assertThat(lines[0]).doesNotContain("\r", "\n", "Trace ID");
    assertThat(lines[1]).isEqualTo("Trace ID: " + json.get("trace_id").asText());
    assertThat(lines[2]).isEqualTo("Correlation ID: " + json.get("correlation_id").asText());
    assertThat(lines[3]).isEqualTo("Timestamp: " + json.get("timestamp").asText()).matches(
        "Timestamp: \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}Z");
    assertThat(json.get("error_codes").get(0).asInt()).isEqualTo(code);
    assertThat(json.get("timestamp").asText()).isNotBlank();
    assertThat(json.get("trace_id").asText()).isNotBlank();
    assertThat(json.get("correlation_id").asText()).isNotBlank();
  }

  static VerifiedToken claims(TestHttp.Response r) {
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    return m365.tokens().verify(r.json().get("access_token").asText()).orElseThrow();
  }

  @Nested
  class ClientCredentials {
    @Test
    void secret_issuesAppOnlyTokenWithGrantedRoles() {
      TestHttp.Response r =
          token(contoso.id(), form("grant_type", "client_credentials", "client_id", daemon.clientId(),
              "client_secret", daemonSecret.value(), "scope", EXCHANGE_DEFAULT + " openid profile offline_access"));
      VerifiedToken t = claims(r);
      assertThat(t.audience()).isEqualTo("https://outlook.office365.com");
      assertThat(t.roles()).containsExactly("IMAP.AccessAsApp");
      assertThat(t.scopes()).isEmpty();
      assertThat(t.objectId()).isEqualTo(contoso.servicePrincipal(daemon).orElseThrow().objectId());
      assertThat(r.json().has("refresh_token")).isFalse();
      assertThat(r.json().get("token_type").asText()).isEqualTo("Bearer");
      assertThat(r.json().get("expires_in").asLong()).isBetween(3500L, 3600L);
    }

    /** Tests count token requests right after the answer: each must be recorded before it is sent. */
    @Test
    void eachRequest_isRecordedByTheTimeItsAnswerArrives() {
      for (int i = 0; i < 300; i++) {
        long before = m365.tokenRequestCount();
        Map<String, String> request = i % 2 == 0
            ? form("grant_type", "client_credentials", "client_id", daemon.clientId(), "client_secret",
                daemonSecret.value(), "scope", GRAPH_DEFAULT)
            : form("grant_type", "client_credentials", "client_id", daemon.clientId(), "client_secret",
                expiredSecret.value(), "scope", GRAPH_DEFAULT);
        TestHttp.Response r = token(contoso.id(), request);
        assertThat(r.status()).isEqualTo(i % 2 == 0 ? 200 : 401);
        assertThat(m365.tokenRequestCount() - before).as("recorded after request %d", i).isEqualTo(1);
      }
      assertThat(m365.requests("identity")).last().satisfies(q -> {
        assertThat(q.status()).isEqualTo(401);
        assertThat(q.errorCode()).isEqualTo("AADSTS7000222");
      });
    }

    @Test
    void tenantByDomainWorksLikeTenantId() {
      VerifiedToken t =
          claims(token("contoso.com", form("grant_type", "client_credentials", "client_id", daemon.clientId(),
              "client_secret", daemonSecret.value(), "scope", GRAPH_DEFAULT)));
      assertThat(t.tenantId()).isEqualTo(contoso.id());
      assertThat(t.roles()).containsExactly("Mail.ReadWrite");
    }

    @Test
    void withoutAdminConsent_tokenHasNoRoles() {
      Application app = contoso.registerApp("not consented");
      PasswordCredential s = app.addClientSecret("s", Duration.ofDays(1));
      app.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp");
      VerifiedToken t =
          claims(token(contoso.id(), form("grant_type", "client_credentials", "client_id", app.clientId(),
              "client_secret", s.value(), "scope", EXCHANGE_DEFAULT)));
      assertThat(t.roles()).isEmpty();
    }

    @Test
    void certificateAssertion_isVerifiedAgainstTheRegisteredCertificate() throws Exception {
      String assertion = assertion(daemon, daemonCertificate.privateKey().orElseThrow(), daemonCertificate, contoso.id());
      VerifiedToken t = claims(token(contoso.id(), form("grant_type", "client_credentials", "client_id",
          daemon.clientId(), "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
          "client_assertion", assertion, "scope", EXCHANGE_DEFAULT)));
      assertThat(t.roles()).containsExactly("IMAP.AccessAsApp");
    }

    @Test
    void certificateNotRegistered_700027() throws Exception {
      Application other = contoso.registerApp("other");
      KeyCredential foreign = other.addCertificate("foreign", Duration.ofDays(30));
      String assertion = assertion(daemon, foreign.privateKey().orElseThrow(), foreign, contoso.id());
      assertAadError(token(contoso.id(), form("grant_type", "client_credentials", "client_id", daemon.clientId(),
          "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
          "client_assertion", assertion, "scope", EXCHANGE_DEFAULT)), 401, "invalid_client", 700027);
    }

    @Test
    void assertionSignedWithAnotherKey_700027() throws Exception {
      PrivateKey wrongKey = Pki.rsaKeyPair().getPrivate();
      String assertion = assertion(daemon, wrongKey, daemonCertificate, contoso.id());
      TestHttp.Response r = token(contoso.id(), form("grant_type", "client_credentials", "client_id",
          daemon.clientId(), "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
          "client_assertion", assertion, "scope", EXCHANGE_DEFAULT));
      assertAadError(r, 401, "invalid_client", 700027);
      assertThat(r.json().get("error_description").asText()).contains("signature validation");
    }

    @Test
    void invalidSecret_7000215_mentionsSecretIdVersusValue() {
      TestHttp.Response r = token(contoso.id(), form("grant_type", "client_credentials", "client_id",
          daemon.clientId(), "client_secret", daemonSecret.keyId(), "scope", EXCHANGE_DEFAULT));
      assertAadError(r, 401, "invalid_client", 7000215);
      assertThat(r.json().get("error_description").asText())
          .contains("client secret value, not the client secret ID")
          .doesNotContain(daemonSecret.keyId());
    }

    @Test
    void expiredSecret_7000222() {
      assertAadError(token(contoso.id(), form("grant_type", "client_credentials", "client_id", daemon.clientId(),
          "client_secret", expiredSecret.value(), "scope", EXCHANGE_DEFAULT)), 401, "invalid_client", 7000222);
    }

    @Test
    void secretExpiresWhenTheTenantClockPassesItsEndDate() {
      Application app = contoso.registerApp("short-lived");
      PasswordCredential s = app.addClientSecret("s", Duration.ofDays(7));
      Map<String, String> f = form("grant_type", "client_credentials", "client_id", app.clientId(),
          "client_secret", s.value(), "scope", GRAPH_DEFAULT);
      assertThat(token(contoso.id(), f).status()).isEqualTo(200);
      m365.clock().advance(Duration.ofDays(8));
      try {
        assertAadError(token(contoso.id(), f), 401, "invalid_client", 7000222);
      } finally {
        m365.clock().advance(Duration.ofDays(-8));
      }
    }

    @Test
    void unknownApp_700016() {
      assertAadError(token(contoso.id(), form("grant_type", "client_credentials", "client_id",
          UUID.randomUUID().toString(), "client_secret", "x", "scope", GRAPH_DEFAULT)), 400, "unauthorized_client", 700016);
    }

    @Test
    void singleTenantAppInAnotherTenant_700016() {
      Tenant fabrikam = m365.createTenant("fabrikam.com");
      assertAadError(token(fabrikam.id(), form("grant_type", "client_credentials", "client_id", daemon.clientId(),
          "client_secret", daemonSecret.value(), "scope", GRAPH_DEFAULT)), 400, "unauthorized_client", 700016);
    }

    @Test
    void unknownTenant_90002() {
      assertAadError(token(UUID.randomUUID().toString(), form("grant_type", "client_credentials", "client_id",
          daemon.clientId(), "client_secret", daemonSecret.value(), "scope", GRAPH_DEFAULT)),
          400, "invalid_request", 90002);
      assertAadError(token("nosuch.example", form("grant_type", "client_credentials", "client_id",
          daemon.clientId(), "client_secret", daemonSecret.value(), "scope", GRAPH_DEFAULT)),
          400, "invalid_request", 90002);
    }

    @Test
    void scopeWithoutDotDefault_1002012() {
      assertAadError(token(contoso.id(), form("grant_type", "client_credentials", "client_id", daemon.clientId(),
          "client_secret", daemonSecret.value(), "scope", "https://outlook.office365.com/IMAP.AccessAsApp")),
          400, "invalid_scope", 1002012);
    }

    @Test
    void twoResources_700022or28000() {
      Map<String, String> f = form("grant_type", "client_credentials", "client_id", daemon.clientId(),
          "client_secret", daemonSecret.value(), "scope", GRAPH_DEFAULT + " " + EXCHANGE_DEFAULT);
      try {
        m365.faults().mixedResourceAnswer(Faults.MixedResourceAnswer.AADSTS700022);
        assertAadError(token(contoso.id(), f), 400, "invalid_scope", 700022);
        m365.faults().mixedResourceAnswer(Faults.MixedResourceAnswer.AADSTS28000);
        assertAadError(token(contoso.id(), f), 400, "invalid_scope", 28000);
      } finally {
        m365.faults().mixedResourceAnswer(Faults.MixedResourceAnswer.SEEDED);
      }
    }

    @Test
    void commonAndConsumers_9001023() {
      for (String alias : new String[] {"common", "consumers"}) {
        assertAadError(token(alias, form("grant_type", "client_credentials", "client_id", daemon.clientId(),
            "client_secret", daemonSecret.value(), "scope", GRAPH_DEFAULT)), 400, "invalid_request", 9001023);
      }
    }

    @Test
    void noSecret_7000218() {
      assertAadError(token(contoso.id(), form("grant_type", "client_credentials", "client_id", daemon.clientId(),
          "scope", GRAPH_DEFAULT)), 401, "invalid_client", 7000218);
    }

    @Test
    void transientFailure_503TemporarilyUnavailableWithRetryAfter() {
      m365.faults().tokenEndpointUnavailableRate(1.0);
      try {
        TestHttp.Response r = token(contoso.id(), form("grant_type", "client_credentials", "client_id",
            daemon.clientId(), "client_secret", daemonSecret.value(), "scope", GRAPH_DEFAULT));
        assertAadError(r, 503, "temporarily_unavailable", 90033);
        assertThat(r.header("Retry-After")).isEqualTo("1");
      } finally {
        m365.faults().tokenEndpointUnavailableRate(0);
      }
    }

    @Test
    void correlationIdEchoesClientRequestId() {
      String id = UUID.randomUUID().toString();
      TestHttp.Response r = http.send("POST", m365.tokenEndpoint(contoso.id()).toString(),
          ("grant_type=client_credentials&client_id=" + daemon.clientId() + "&client_secret=wrong&scope="
              + GRAPH_DEFAULT).getBytes(StandardCharsets.UTF_8),
          "Content-Type", "application/x-www-form-urlencoded", "client-request-id", id);
      assertThat(r.json().get("correlation_id").asText()).isEqualTo(id);
    }
  }

  @Nested
  class Password {
    Map<String, String> ropc(Application app, String user, String password, String scope) {
      return form("grant_type", "password", "client_id", app.clientId(), "username", user, "password", password,
          "scope", scope + " openid profile offline_access");
    }

    @Test
    void publicClient_issuesDelegatedTokenWithIdTokenClientInfoAndRefreshToken() throws Exception {
      TestHttp.Response r = token(contoso.id(), ropc(publicApp, "alice@contoso.com", PASSWORD, "Mail.ReadWrite"));
      VerifiedToken t = claims(r);
      assertThat(t.audience()).isEqualTo("https://graph.microsoft.com");
      assertThat(t.scopes()).contains("Mail.ReadWrite", "User.Read");
      assertThat(t.upn()).isEqualTo("alice@contoso.com");
      assertThat(t.objectId()).isEqualTo(alice.objectId());
      JsonNode json = r.json();
      assertThat(json.get("refresh_token").asText()).isNotBlank();
      SignedJWT id = SignedJWT.parse(json.get("id_token").asText());
      assertThat(id.getJWTClaimsSet().getAudience()).containsExactly(publicApp.clientId());
      assertThat(id.getJWTClaimsSet().getIssuer()).isEqualTo(m365.authorityHost() + "/" + contoso.id() + "/v2.0");
      String clientInfo = new String(Base64.getUrlDecoder().decode(json.get("client_info").asText()), StandardCharsets.UTF_8);
      assertThat(clientInfo).contains(alice.objectId()).contains(contoso.id());
    }

    @Test
    void exchangeScope_givesOutlookAudience() {
      VerifiedToken t = claims(token("organizations",
          ropc(publicApp, "alice@contoso.com", PASSWORD, "https://outlook.office.com/IMAP.AccessAsUser.All")));
      assertThat(t.audience()).isEqualTo("https://outlook.office.com");
      assertThat(t.scopes()).containsExactly("IMAP.AccessAsUser.All");
      assertThat(t.tenantId()).isEqualTo(contoso.id());
    }

    @Test
    void confidentialClientWithSecret_asInTheDocBitsGuide() {
      Application docbits = contoso.registerApp("DocBits").accountTypes(SupportedAccountTypes.MULTI_TENANT);
      PasswordCredential s = docbits.addClientSecret("s", Duration.ofDays(30));
      docbits.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read", "Mail.ReadWrite").grantAdminConsent();
      Map<String, String> f = ropc(docbits, "alice@contoso.com", PASSWORD, "Mail.ReadWrite");
      assertAadError(token(contoso.id(), f), 401, "invalid_client", 7000218);
      f.put("client_secret", s.value());
      assertThat(claims(token(contoso.id(), f)).scopes()).contains("Mail.ReadWrite");
    }

    @Test
    void badPassword_50126() {
      assertAadError(token(contoso.id(), ropc(publicApp, "alice@contoso.com", "wrong", "Mail.ReadWrite")),
          400, "invalid_grant", 50126);
    }

    @Test
    void unknownUser_50034() {
      assertAadError(token(contoso.id(), ropc(publicApp, "nobody@contoso.com", PASSWORD, "Mail.ReadWrite")),
          400, "invalid_grant", 50034);
    }

    @Test
    void mfaRequired_50076() {
      User bob = contoso.addUser("bob@contoso.com", PASSWORD).mfaRequired(true);
      TestHttp.Response r = token(contoso.id(), ropc(publicApp, bob.userPrincipalName(), PASSWORD, "Mail.ReadWrite"));
      assertAadError(r, 400, "invalid_grant", 50076);
      assertThat(r.json().get("suberror").asText()).isEqualTo("basic_action");
    }

    @Test
    void disabledUser_50057() {
      User carol = contoso.addUser("carol@contoso.com", PASSWORD).enabled(false);
      assertAadError(token(contoso.id(), ropc(publicApp, carol.userPrincipalName(), PASSWORD, "Mail.ReadWrite")),
          400, "invalid_grant", 50057);
    }

    @Test
    void passwordExpired_50055() {
      User dave = contoso.addUser("dave@contoso.com", PASSWORD).passwordExpired(true);
      TestHttp.Response r = token(contoso.id(), ropc(publicApp, dave.userPrincipalName(), PASSWORD, "Mail.ReadWrite"));
      assertAadError(r, 400, "invalid_grant", 50055);
      assertThat(r.json().get("suberror").asText()).isEqualTo("user_password_expired");
    }

    @Test
    void consentMissing_65001() {
      Application app = contoso.registerApp("no consent").allowPublicClientFlows(true);
      app.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite");
      TestHttp.Response r = token(contoso.id(), ropc(app, "alice@contoso.com", PASSWORD, "Mail.ReadWrite"));
      assertAadError(r, 400, "invalid_grant", 65001);
      assertThat(r.json().get("suberror").asText()).isEqualTo("consent_required");
    }

    @Test
    void publicClientFlowsOff_7000218() {
      Application app = contoso.registerApp("flows off");
      app.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite").grantAdminConsent();
      assertAadError(token(contoso.id(), ropc(app, "alice@contoso.com", PASSWORD, "Mail.ReadWrite")),
          401, "invalid_client", 7000218);
    }

    @Test
    void publicClientSendingASecret_700025() {
      Map<String, String> f = ropc(publicApp, "alice@contoso.com", PASSWORD, "Mail.ReadWrite");
      f.put("client_secret", "anything");
      assertAadError(token(contoso.id(), f), 401, "invalid_client", 700025);
    }

    @Test
    void onCommonOrConsumers_9001023() {
      assertAadError(token("common", ropc(publicApp, "alice@contoso.com", PASSWORD, "Mail.ReadWrite")),
          400, "invalid_request", 9001023);
    }

    @Test
    void invalidScope_70011() {
      assertAadError(token(contoso.id(), ropc(publicApp, "alice@contoso.com", PASSWORD, "Mail.Everything")),
          400, "invalid_scope", 70011);
    }

    @Test
    void graphAndOutlookScopesTogether_700022or28000() {
      Map<String, String> f = ropc(publicApp, "alice@contoso.com", PASSWORD,
          "Mail.ReadWrite https://outlook.office.com/IMAP.AccessAsUser.All");
      try {
        m365.faults().mixedResourceAnswer(Faults.MixedResourceAnswer.AADSTS700022);
        assertAadError(token(contoso.id(), f), 400, "invalid_scope", 700022);
        m365.faults().mixedResourceAnswer(Faults.MixedResourceAnswer.AADSTS28000);
        assertAadError(token(contoso.id(), f), 400, "invalid_scope", 28000);
        assertThat(token(contoso.id(), f).json().get("error_description").asText())
            .contains("more than one resource");
      } finally {
        m365.faults().mixedResourceAnswer(Faults.MixedResourceAnswer.SEEDED);
      }
    }

    /** By default the code is drawn from the seed: both show up, and the same seed replays the same codes. */
    @Test
    void graphAndOutlookScopesTogether_seededChoiceReplays() {
      java.util.List<Integer> first = mixedResourceCodes(42);
      assertThat(first).contains(700022, 28000);
      assertThat(mixedResourceCodes(42)).isEqualTo(first);
    }

    /** Seeded, delegated Graph tokens carry either audience; the same seed replays the same ones. */
    @Test
    void delegatedGraphAudience_seededChoiceDrawsBothAndReplays() {
      java.util.List<String> first = graphAudiences(7);
      assertThat(first).contains("https://graph.microsoft.com", "00000003-0000-0000-c000-000000000000");
      assertThat(graphAudiences(7)).isEqualTo(first);
    }

    private java.util.List<String> graphAudiences(long seed) {
      try (LocalTenant t = LocalTenant.builder().seed(seed).start()) {
        t.faults().delegatedGraphAudience(Faults.GraphAudience.SEEDED);
        Tenant fabrikam = t.createTenant("fabrikam.com");
        Application app = fabrikam.registerApp("Reader").allowPublicClientFlows(true);
        app.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "Mail.Read").grantAdminConsent();
        fabrikam.addUser("carol@fabrikam.com", PASSWORD);
        TestHttp local = new TestHttp(t);
        java.util.List<String> audiences = new java.util.ArrayList<>();
        for (int i = 0; i < 12; i++) {
          String token = local.passwordToken(fabrikam, app, "carol@fabrikam.com", PASSWORD, "Mail.Read");
          audiences.add(t.tokens().verify(token).orElseThrow().audience());
        }
        return audiences;
      }
    }

    private java.util.List<Integer> mixedResourceCodes(long seed) {
      try (LocalTenant t = LocalTenant.builder().seed(seed).start()) {
        Tenant fabrikam = t.createTenant("fabrikam.com");
        Application app = fabrikam.registerApp("Mixed").allowPublicClientFlows(true);
        app.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite")
            .addDelegatedPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsUser.All").grantAdminConsent();
        fabrikam.addUser("carol@fabrikam.com", PASSWORD);
        TestHttp local = new TestHttp(t);
        java.util.List<Integer> codes = new java.util.ArrayList<>();
        for (int i = 0; i < 12; i++) {
          codes.add(local.token(fabrikam.id(), ropc(app, "carol@fabrikam.com", PASSWORD,
              "Mail.ReadWrite https://outlook.office.com/IMAP.AccessAsUser.All")).json().get("error_codes").get(0).asInt());
        }
        return codes;
      }
    }

    @Test
    void singleTenantAppOnOrganizations_50194() {
      Application app = contoso.registerApp("single").allowPublicClientFlows(true);
      app.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite").grantAdminConsent();
      assertAadError(token("organizations", ropc(app, "alice@contoso.com", PASSWORD, "Mail.ReadWrite")),
          400, "unauthorized_client", 50194);
    }
  }

  @Nested
  class RefreshTokens {
    @Test
    void refreshToken_redeemsForAnotherResource_andExpiresAfterInactivity() {
      TestHttp.Response first = token(contoso.id(), form("grant_type", "password", "client_id", publicApp.clientId(),
          "username", "alice@contoso.com", "password", PASSWORD, "scope", "Mail.ReadWrite offline_access"));
      String refresh = first.json().get("refresh_token").asText();
      VerifiedToken exchange = claims(token(contoso.id(), form("grant_type", "refresh_token", "client_id",
          publicApp.clientId(), "refresh_token", refresh,
          "scope", "https://outlook.office.com/IMAP.AccessAsUser.All offline_access")));
      assertThat(exchange.audience()).isEqualTo("https://outlook.office.com");

      m365.clock().advance(Duration.ofDays(91));
      try {
        assertAadError(token(contoso.id(), form("grant_type", "refresh_token", "client_id", publicApp.clientId(),
            "refresh_token", refresh, "scope", "Mail.ReadWrite offline_access")), 400, "invalid_grant", 700082);
      } finally {
        m365.clock().advance(Duration.ofDays(-91));
      }
    }

    @Test
    void refreshTokenRotation_eachRefreshTokenRedeemsOnce_theRedeemedOneIsRefused70000() {
      m365.faults().refreshTokenRotation(true);
      try {
        String first = passwordRefreshToken();
        TestHttp.Response redeemed = refresh(first);
        String second = redeemed.json().get("refresh_token").asText();
        assertThat(claims(redeemed).audience()).isEqualTo("https://graph.microsoft.com");
        assertThat(second).isNotBlank().isNotEqualTo(first);

        assertAadError(refresh(first), 400, "invalid_grant", 70000);
        assertThat(refresh(first).json().get("error_description").asText())
            .startsWith("AADSTS70000: The provided value for the input parameter 'refresh_token' or 'assertion' is"
                + " not valid.");
        String third = refresh(second).json().get("refresh_token").asText();
        assertAadError(refresh(second), 400, "invalid_grant", 70000);

        m365.faults().refreshTokenRotation(false);
        assertThat(refresh(third).status()).isEqualTo(200);
        assertThat(refresh(third).status()).as("without rotation a refresh token stays usable").isEqualTo(200);
      } finally {
        m365.faults().refreshTokenRotation(false);
      }
    }

    @Test
    void refreshTokenRotation_requestsRacingWithOneToken_exactlyOneGetsTokens() throws Exception {
      m365.faults().refreshTokenRotation(true);
      int racers = 8;
      java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(racers);
      try {
        String token = passwordRefreshToken();
        java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
        List<java.util.concurrent.Future<TestHttp.Response>> answers = new java.util.ArrayList<>();
        for (int i = 0; i < racers; i++) {
          answers.add(pool.submit(() -> {
            start.await();
            return refresh(token);
          }));
        }
        start.countDown();
        List<TestHttp.Response> responses = new java.util.ArrayList<>();
        for (java.util.concurrent.Future<TestHttp.Response> answer : answers) {
          responses.add(answer.get(30, java.util.concurrent.TimeUnit.SECONDS));
        }
        assertThat(responses).filteredOn(r -> r.status() == 200).hasSize(1);
        assertThat(responses).filteredOn(r -> r.status() != 200).hasSize(racers - 1)
            .allSatisfy(r -> assertAadError(r, 400, "invalid_grant", 70000));
      } finally {
        pool.shutdownNow();
        m365.faults().refreshTokenRotation(false);
      }
    }

    private String passwordRefreshToken() {
      TestHttp.Response r = token(contoso.id(), form("grant_type", "password", "client_id", publicApp.clientId(),
          "username", "alice@contoso.com", "password", PASSWORD, "scope", "Mail.ReadWrite offline_access"));
      assertThat(r.status()).as(r.text()).isEqualTo(200);
      return r.json().get("refresh_token").asText();
    }

    private TestHttp.Response refresh(String refreshToken) {
      return token(contoso.id(), form("grant_type", "refresh_token", "client_id", publicApp.clientId(),
          "refresh_token", refreshToken, "scope", "Mail.ReadWrite offline_access"));
    }

    @Test
    void passwordChange_revokesRefreshTokens_50173() {
      User erin = contoso.addUser("erin@contoso.com", PASSWORD);
      String refresh = token(contoso.id(), form("grant_type", "password", "client_id", publicApp.clientId(),
          "username", erin.userPrincipalName(), "password", PASSWORD, "scope", "Mail.ReadWrite offline_access"))
          .json().get("refresh_token").asText();
      m365.clock().advance(Duration.ofSeconds(5));
      try {
        erin.password("N3w-password!");
        assertAadError(token(contoso.id(), form("grant_type", "refresh_token", "client_id", publicApp.clientId(),
            "refresh_token", refresh, "scope", "Mail.ReadWrite offline_access")), 400, "invalid_grant", 50173);
      } finally {
        m365.clock().advance(Duration.ofSeconds(-5));
      }
    }
  }

  @Nested
  class DeviceCode {
    TestHttp.Response start(Application app) {
      return http.postForm(m365.authorityHost() + "/organizations/oauth2/v2.0/devicecode",
          form("client_id", app.clientId(), "scope", "Mail.ReadWrite offline_access openid profile"));
    }

    Map<String, String> poll(Application app, String deviceCode) {
      return form("grant_type", "device_code", "client_id", app.clientId(), "device_code", deviceCode);
    }

    @Test
    void pendingThenSlowDownThenApproved() {
      m365.deviceCodes().interval(Duration.ofSeconds(30));
      JsonNode code;
      try {
        code = start(publicApp).json();
      } finally {
        m365.deviceCodes().interval(Duration.ofSeconds(1));
      }
      assertThat(code.get("interval").asInt()).isEqualTo(30);
      assertThat(code.get("user_code").asText()).hasSize(9);
      assertThat(code.get("verification_uri").asText()).isEqualTo(m365.authorityHost() + "/devicelogin");
      assertThat(code.get("expires_in").asInt()).isEqualTo(900);
      String deviceCode = code.get("device_code").asText();

      assertAadError(token("organizations", poll(publicApp, deviceCode)), 400, "authorization_pending", 70016);
      TestHttp.Response early = token("organizations", poll(publicApp, deviceCode));
      assertAadError(early, 400, "slow_down", 70016);

      m365.deviceCodes().approve(code.get("user_code").asText(), "alice@contoso.com", PASSWORD);
      VerifiedToken t = claims(token("organizations", poll(publicApp, deviceCode)));
      assertThat(t.upn()).isEqualTo("alice@contoso.com");
      assertAadError(token("organizations", poll(publicApp, deviceCode)), 400, "invalid_grant", 54005);
    }

    @Test
    void declined() {
      JsonNode code = start(publicApp).json();
      m365.deviceCodes().decline(code.get("user_code").asText());
      assertAadError(token("organizations", poll(publicApp, code.get("device_code").asText())),
          400, "authorization_declined", 70000);
    }

    @Test
    void expired() {
      JsonNode code = start(publicApp).json();
      m365.clock().advance(Duration.ofMinutes(16));
      try {
        assertAadError(token("organizations", poll(publicApp, code.get("device_code").asText())),
            400, "expired_token", 70019);
      } finally {
        m365.clock().advance(Duration.ofMinutes(-16));
      }
    }

    @Test
    void approvalOverTheDeviceLoginPage() {
      JsonNode code = start(publicApp).json();
      TestHttp.Response page = http.get(m365.authorityHost() + "/devicelogin");
      assertThat(page.text()).contains("name=\"user_code\"");
      TestHttp.Response wrong = http.postForm(m365.authorityHost() + "/devicelogin",
          form("user_code", code.get("user_code").asText(), "login", "alice@contoso.com", "passwd", "nope",
              "consent", "yes", "action", "approve"));
      assertThat(wrong.status()).isEqualTo(400);
      assertThat(wrong.text()).contains("AADSTS50126");
      TestHttp.Response ok = http.postForm(m365.authorityHost() + "/devicelogin",
          form("user_code", code.get("user_code").asText(), "login", "alice@contoso.com", "passwd", PASSWORD,
              "consent", "yes", "action", "approve"));
      assertThat(ok.status()).isEqualTo(200);
      assertThat(claims(token("organizations", poll(publicApp, code.get("device_code").asText()))).upn())
          .isEqualTo("alice@contoso.com");
    }

    @Test
    void publicClientFlowsOff_pollingGets7000218() {
      Application app = contoso.registerApp("device but flows off").accountTypes(SupportedAccountTypes.MULTI_TENANT);
      app.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite").grantAdminConsent();
      JsonNode code = start(app).json();
      assertAadError(token("organizations", poll(app, code.get("device_code").asText())),
          401, "invalid_client", 7000218);
    }

    @Test
    void approvingWithAWrongPasswordIsRefused() {
      JsonNode code = start(publicApp).json();
      assertThatThrownBy(() -> m365.deviceCodes().approve(code.get("user_code").asText(), "alice@contoso.com", "x"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("AADSTS50126");
    }
  }

  @Nested
  class AuthorizationCode {
    @Test
    void pkceLoopbackSignIn_anyPortMatchesHttpLocalhost() throws Exception {
      Application desktop = contoso.registerApp("ImageManager").accountTypes(SupportedAccountTypes.MULTI_TENANT)
          .addRedirectUri(Platform.MOBILE_AND_DESKTOP, "http://localhost");
      desktop.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "Mail.Send", "User.Read");
      String verifier = "verifier-" + UUID.randomUUID() + UUID.randomUUID();
      String challenge = Base64.getUrlEncoder().withoutPadding()
          .encodeToString(MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII)));
      String redirect = "http://localhost:51234";
      String authorize = m365.authorityHost() + "/organizations/oauth2/v2.0/authorize?client_id=" + desktop.clientId()
          + "&response_type=code&redirect_uri=" + enc(redirect) + "&scope=" + enc("Mail.Send openid profile offline_access")
          + "&state=xyz&code_challenge=" + challenge + "&code_challenge_method=S256";
      assertThat(http.get(authorize).text()).contains("name=\"passwd\"");
      TestHttp.Response signIn = http.postForm(authorize,
          form("login", "alice@contoso.com", "passwd", PASSWORD, "consent", "yes"));
      assertThat(signIn.status()).isEqualTo(302);
      URI location = URI.create(signIn.header("Location"));
      assertThat(location.getPort()).isEqualTo(51234);
      Map<String, String> q = org.o365mail.testkit.internal.HttpExchange.parseForm(location.getRawQuery());
      assertThat(q.get("state")).isEqualTo("xyz");

      Map<String, String> redeem = form("grant_type", "authorization_code", "client_id", desktop.clientId(),
          "code", q.get("code"), "redirect_uri", redirect, "code_verifier", "wrong-verifier",
          "scope", "Mail.Send openid profile offline_access");
      assertAadError(token("organizations", redeem), 400, "invalid_grant", 501481);

      TestHttp.Response again = http.postForm(authorize, form("login", "alice@contoso.com", "passwd", PASSWORD));
      Map<String, String> q2 = org.o365mail.testkit.internal.HttpExchange.parseForm(
          URI.create(again.header("Location")).getRawQuery());
      redeem.put("code", q2.get("code"));
      redeem.put("code_verifier", verifier);
      VerifiedToken t = claims(token("organizations", redeem));
      assertThat(t.scopes()).contains("Mail.Send");
    }

    @Test
    void unregisteredRedirect_50011() {
      Application web = contoso.registerApp("web only").addRedirectUri(Platform.WEB, "https://app.example/cb");
      TestHttp.Response r = http.get(m365.authorityHost() + "/" + contoso.id() + "/oauth2/v2.0/authorize?client_id="
          + web.clientId() + "&response_type=code&redirect_uri=" + enc("http://localhost") + "&scope=User.Read");
      assertThat(r.status()).isEqualTo(400);
      assertThat(r.text()).contains("AADSTS50011");
    }
  }

  @Nested
  class Metadata {
    @Test
    void openIdConfigurationJwksAndUserRealm() throws Exception {
      JsonNode oidc = http.get(m365.authorityHost() + "/" + contoso.id() + "/v2.0/.well-known/openid-configuration").json();
      assertThat(oidc.get("issuer").asText()).isEqualTo(m365.authorityHost() + "/" + contoso.id() + "/v2.0");
      assertThat(oidc.get("token_endpoint").asText()).isEqualTo(m365.tokenEndpoint(contoso.id()).toString());

      JWKSet keys = JWKSet.parse(http.get(oidc.get("jwks_uri").asText()).text());
      String access = http.clientCredentialsToken(contoso, daemon, daemonSecret, GRAPH_DEFAULT);
      SignedJWT jwt = SignedJWT.parse(access);
      RSAKey key = (RSAKey) keys.getKeyByKeyId(jwt.getHeader().getKeyID());
      assertThat(jwt.verify(new RSASSAVerifier(key))).isTrue();
      assertThat(jwt.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.RS256);

      JsonNode realm = http.get(m365.authorityHost() + "/common/userrealm/alice@contoso.com?api-version=1.0").json();
      assertThat(realm.get("account_type").asText()).isEqualTo("Managed");
      assertThat(realm.get("domain_name").asText()).isEqualTo("contoso.com");
    }

    @Test
    void requestsAreRecordedWithoutSecrets() {
      m365.clearRequests();
      http.clientCredentialsToken(contoso, daemon, daemonSecret, GRAPH_DEFAULT);
      RecordedRequest r = m365.requests("identity").get(0);
      assertThat(r.attribute("grant_type")).isEqualTo("client_credentials");
      assertThat(r.attribute("client_id")).isEqualTo(daemon.clientId());
      assertThat(r.toString()).doesNotContain(daemonSecret.value());
      assertThat(m365.tokenRequestCount()).isEqualTo(1);
    }
  }

  static String enc(String s) {
    return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** A client assertion as MSAL builds it: RS256, x5t#S256 of the certificate, aud = token endpoint. */
  static String assertion(Application app, PrivateKey key, KeyCredential certificate, String tenant) throws Exception {
    Instant now = Instant.now();
    JWTClaimsSet claims = new JWTClaimsSet.Builder()
        .issuer(app.clientId())
        .subject(app.clientId())
        .audience(m365.tokenEndpoint(tenant).toString())
        .jwtID(UUID.randomUUID().toString())
        .notBeforeTime(Date.from(now))
        .issueTime(Date.from(now))
        .expirationTime(Date.from(now.plusSeconds(600)))
        .build();
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).type(JOSEObjectType.JWT)
        .x509CertSHA256Thumbprint(Base64URL.encode(Pki.digest("SHA-256", certificate.certificate()))).build(), claims);
    jwt.sign(new RSASSASigner(key));
    return jwt.serialize();
  }
}
