package org.o365mail.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.o365mail.testsupport.Secrets.secret;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.Diagnosis;
import org.o365mail.MailboxAuthenticationException;
import org.o365mail.MailboxException;
import org.o365mail.SetupStep;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.Faults;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.Tenant;
import org.o365mail.testsupport.CapturingLoggerProvider;
import org.o365mail.testsupport.Tenants;
import org.slf4j.LoggerFactory;

/**
 * The SDK against Entra ID's answers as Entra sends them (see the testkit's IdentityServer and Faults for the
 * sources): multi-line error descriptions, Graph tokens whose audience is Graph's app id, and AADSTS28000 for a token
 * asked for two resources.
 */
@Timeout(60)
class EntraAnswerShapesTest {
  static final String PASSWORD = "Corr3ct-Horse!";
  static final String GUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static LocalTenant m365;
  static Tenant contoso;
  static Application daemon;
  static PasswordCredential daemonSecret;
  static Application desktop;

  @BeforeAll
  static void model() {
    m365 = M365.tenant();
    contoso = m365.createTenant("contoso.com");
    daemon = contoso.registerApp("Importer");
    daemonSecret = daemon.addClientSecret("prod", Duration.ofDays(180));
    secret(daemonSecret.value());
    daemon.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp")
        .addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite")
        .grantAdminConsent();
    desktop = contoso.registerApp("Desktop").allowPublicClientFlows(true);
    desktop.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read", "Mail.ReadWrite")
        .addDelegatedPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsUser.All")
        .grantAdminConsent();
    contoso.addUser("queue@contoso.com", PASSWORD);
  }

  // ----- error_description in lines separated by CRLF -----

  @Test
  void multiLineDescription_codeFirstLineAndIdsParsed_messageIsOneLine() {
    String wrong = secret("Xyz8Q~" + UUID.randomUUID().toString().replace("-", ""));
    try (CredentialStrategy s = CredentialStrategy.clientCredentials(Tenants.app(m365, contoso, daemon))
        .secret(ClientSecret.of(wrong)).build()) {
      MailboxAuthenticationException e = catchThrowableOfType(MailboxAuthenticationException.class,
          () -> s.token(TokenRequest.imap()));
      Diagnosis d = e.diagnosis().orElseThrow();
      assertThat(d.serviceCode()).isEqualTo("AADSTS7000215");
      assertThat(d.setupStep()).isEqualTo(SetupStep.CLIENT_SECRET);
      assertThat(d.traceId()).hasValueSatisfying(id -> assertThat(id).matches(GUID));
      assertThat(d.correlationId()).hasValueSatisfying(id -> assertThat(id).isNotBlank());
      assertThat(e.getMessage())
          .doesNotContain("\r", "\n", "Trace ID", "Timestamp")
          .contains("Entra ID said: AADSTS7000215: Invalid client secret provided.");
      assertOneLineEach(e);
    }
  }

  /** An application that logs the exception with its causes gets no line break from Entra's text. */
  @Test
  void multiLineDescription_reachesNoLogUnescaped() {
    String wrong = secret("Xyz8Q~" + UUID.randomUUID().toString().replace("-", ""));
    try (CredentialStrategy s = CredentialStrategy.clientCredentials(Tenants.app(m365, contoso, daemon))
        .secret(ClientSecret.of(wrong)).build()) {
      MailboxException e = catchThrowableOfType(MailboxException.class, () -> s.token(TokenRequest.graph()));
      CapturingLoggerProvider.clear();
      LoggerFactory.getLogger("application").warn("mail import failed", e);
      assertThat(CapturingLoggerProvider.lines()).isNotEmpty()
          .filteredOn(l -> l.contains(" application - ") || l.contains(" org.o365mail."))
          .allSatisfy(l -> assertThat(l).doesNotContain("\r", "\n"));
      StringWriter trace = new StringWriter();
      e.printStackTrace(new PrintWriter(trace));
      assertThat(trace.toString()).doesNotContain("\r")
          .doesNotContainPattern("(?m)^(Trace ID|Correlation ID|Timestamp):");
    }
  }

  /** The SDK's own HTTP calls (device code, confidential ROPC) read the same shape. */
  @Test
  void multiLineDescription_fromTheSdksOwnOAuthCalls() {
    MailboxException e = oauthHttpFailure(Set.of("https://graph.microsoft.com/Mail.ReadWrite"), "not-the-password");
    assertThat(e.serviceErrorCode()).contains("AADSTS50126");
    assertThat(e.diagnosis().orElseThrow().traceId()).hasValueSatisfying(id -> assertThat(id).matches(GUID));
    assertOneLineEach(e);
  }

  // ----- one resource per token: AADSTS700022 or AADSTS28000 -----

  @Test
  void graphAndOutlookScopesInOneRequest_28000_isTheScopesStep() {
    m365.faults().mixedResourceAnswer(Faults.MixedResourceAnswer.AADSTS28000);
    MailboxException e = mixedResourceFailure();
    assertThat(e.serviceErrorCode()).contains("AADSTS28000");
    assertOneResourcePerToken(e);
  }

  @Test
  void graphAndOutlookScopesInOneRequest_700022_isTheScopesStep() {
    m365.faults().mixedResourceAnswer(Faults.MixedResourceAnswer.AADSTS700022);
    MailboxException e = mixedResourceFailure();
    assertThat(e.serviceErrorCode()).contains("AADSTS700022");
    assertOneResourcePerToken(e);
  }

  /** Without a knob the testkit draws either code from its seed; both are diagnosed alike. */
  @Test
  void graphAndOutlookScopesInOneRequest_seeded_isTheScopesStep() {
    for (int i = 0; i < 4; i++) {
      MailboxException e = mixedResourceFailure();
      assertThat(e.serviceErrorCode()).hasValueSatisfying(c -> assertThat(c).isIn("AADSTS28000", "AADSTS700022"));
      assertOneResourcePerToken(e);
    }
  }

  @Test
  void diagnose_28000_fromItsText() {
    Diagnosis d = AuthErrors.diagnose("invalid_scope", "AADSTS28000: Provided value for the input parameter scope is"
        + " not valid because it contains more than one resource. Scope a b is not valid.\r\nTrace ID: "
        + "01c174e2-664f-42e9-a0f3-8121f8aa0000\r\nCorrelation ID: e4b33f3a-d5c4-442a-bd0f-743b84656134\r\n"
        + "Timestamp: 2020-04-09 22:47:24Z", null,
        new AuthContext(Tenants.app(m365, contoso, desktop), AuthFlow.PASSWORD, Set.of("Mail.ReadWrite"), null, null));
    assertThat(d.setupStep()).isEqualTo(SetupStep.SCOPES);
    assertThat(d.serviceCode()).isEqualTo("AADSTS28000");
    assertThat(d.summary()).contains("one resource per token");
    assertThat(d.traceId()).contains("01c174e2-664f-42e9-a0f3-8121f8aa0000");
    assertThat(d.correlationId()).contains("e4b33f3a-d5c4-442a-bd0f-743b84656134");
  }

  // ----- Graph tokens whose audience is Graph's app id -----

  @Test
  void graphTokenWithAppIdAudience_passesPreflightForGraphOnly() {
    m365.faults().delegatedGraphAudience(Faults.GraphAudience.APP_ID);
    try (CredentialStrategy s = CredentialStrategy.usernamePassword(Tenants.app(m365, contoso, desktop),
        "queue@contoso.com", PASSWORD.toCharArray()).build()) {
      AccessToken graph = s.token(TokenRequest.graph("Mail.ReadWrite"));
      secret(graph.value());
      assertThat(graph.claims().audience()).isEqualTo("00000003-0000-0000-c000-000000000000");
      assertThat(TokenPreflight.check(graph, TokenPreflight.Requirement.graphRead(), s.registration())).isEmpty();
      assertThat(TokenPreflight.check(graph, TokenPreflight.Requirement.graphReadWrite(), s.registration())).isEmpty();
      assertThat(TokenPreflight.check(graph, TokenPreflight.Requirement.imap(), s.registration()))
          .hasValueSatisfying(d -> {
            assertThat(d.serviceCode()).isEqualTo("preflight:aud");
            assertThat(d.setupStep()).isEqualTo(SetupStep.SCOPES);
            assertThat(d.summary()).contains("Microsoft Graph");
          });
      AccessToken imap = s.token(TokenRequest.imap());
      secret(imap.value());
      assertThat(TokenPreflight.check(imap, TokenPreflight.Requirement.imap(), s.registration())).isEmpty();
      assertThat(TokenPreflight.check(imap, TokenPreflight.Requirement.graphRead(), s.registration()))
          .hasValueSatisfying(d -> assertThat(d.serviceCode()).isEqualTo("preflight:aud"));
    }
  }

  // ----- helpers -----

  private static MailboxException mixedResourceFailure() {
    return oauthHttpFailure(Set.of("https://graph.microsoft.com/Mail.ReadWrite",
        "https://outlook.office.com/IMAP.AccessAsUser.All"), PASSWORD);
  }

  /** A password grant through the SDK's own OAuth client (what a raw scope set reaches), translated as it is. */
  private static MailboxException oauthHttpFailure(Set<String> scopes, String password) {
    AppRegistration app = Tenants.app(m365, contoso, desktop);
    ExecutorService executor = Executors.newSingleThreadExecutor();
    try {
      OAuthHttp http = new OAuthHttp(app, executor, Duration.ofSeconds(20));
      RuntimeException raw = catchThrowableOfType(RuntimeException.class,
          () -> http.passwordGrant("queue@contoso.com", password.toCharArray(), scopes, null));
      return AuthErrors.translate(raw, new AuthContext(app, AuthFlow.PASSWORD, scopes, null, "queue@contoso.com"));
    } finally {
      executor.shutdownNow();
    }
  }

  private static void assertOneResourcePerToken(MailboxException e) {
    assertThat(e).isInstanceOf(MailboxAuthenticationException.class);
    Diagnosis d = e.diagnosis().orElseThrow();
    assertThat(d.setupStep()).isEqualTo(SetupStep.SCOPES);
    assertThat(d.summary()).contains("one resource per token");
    assertThat(d.retryable()).isFalse();
    assertOneLineEach(e);
  }

  /** No message in the cause chain carries a line break. */
  private static void assertOneLineEach(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      assertThat(String.valueOf(t.getMessage())).as(t.getClass().getName()).doesNotContain("\r", "\n");
    }
  }
}
