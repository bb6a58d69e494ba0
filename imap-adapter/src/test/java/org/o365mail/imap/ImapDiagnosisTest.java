package org.o365mail.imap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.o365mail.testsupport.Secrets.secret;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.ConnectionCheck;
import org.o365mail.Diagnosis;
import org.o365mail.FolderRef;
import org.o365mail.MailboxAuthenticationException;
import org.o365mail.MailboxException;
import org.o365mail.SetupStep;
import org.o365mail.ThrottledException;
import org.o365mail.auth.AccessToken;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.CredentialKind;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.TokenRequest;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testsupport.Secrets;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.RecordedRequest;

/**
 * Each way the testkit's Exchange refuses an IMAP login, mapped to its setup step, with the PowerShell that fixes
 * it, which the tests then run (against the testkit) to show it is the right one.
 */
@Timeout(60)
@ExtendWith({FreshLogs.class, LeakCheck.class})
class ImapDiagnosisTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static LocalTenant m365;
  static Exchange contoso;

  @BeforeAll
  static void tenant() {
    m365 = M365.tenant();
    contoso = new Exchange(m365, "contoso.com");
  }

  @AfterAll
  static void close() {
    contoso.close();
  }

  /** A new app with IMAP.AccessAsApp and admin consent, not (yet) registered in Exchange. */
  private static Application unregisteredApp(String name) {
    return contoso.tenant.registerApp(name)
        .addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp").grantAdminConsent();
  }

  private static CredentialStrategy credentialOf(Application app) {
    PasswordCredential s = app.addClientSecret("prod", Duration.ofDays(30));
    secret(s.value());
    return contoso.appOnly(app, s);
  }

  private static Diagnosis refusal(ImapMailboxConnector c) {
    MailboxAuthenticationException e = (MailboxAuthenticationException) org.assertj.core.api.Assertions.catchThrowable(
        c::listFolders);
    assertThat(e).as("the login should have been refused").isNotNull();
    Secrets.assertClean(e);
    return e.diagnosis().orElseThrow();
  }

  private static List<RecordedRequest> logins(Mailbox mailbox) {
    return m365.requests("imap").stream().filter(r -> r.path().equalsIgnoreCase(mailbox.address())).toList();
  }

  @Test
  void missingServicePrincipal_isDiagnosedWithBothCommands_andRunningThemFixesIt() {
    Application app = unregisteredApp("Never registered in Exchange");
    CredentialStrategy credential = credentialOf(app);
    Mailbox mailbox = contoso.user("nosp");
    String enterpriseObjectId = contoso.tenant.servicePrincipal(app).orElseThrow().objectId();
    try (ImapMailboxConnector c = contoso.connector(mailbox, credential).build()) {
      Diagnosis d = refusal(c);
      assertThat(d.setupStep()).isEqualTo(SetupStep.EXCHANGE_SERVICE_PRINCIPAL);
      assertThat(d.serviceCode()).isEqualTo("IMAP NO AUTHENTICATE failed.");
      assertThat(d.command()).contains("New-ServicePrincipal -AppId " + app.clientId() + " -ObjectId "
          + enterpriseObjectId + "; Add-MailboxPermission -Identity " + mailbox.address() + " -User "
          + enterpriseObjectId + " -AccessRights FullAccess");
      assertThat(d.fix()).contains("enterprise application", "not the app registration's object id")
          .startsWith("Check with Get-ServicePrincipal -Identity " + app.clientId() + ":");
      assertThat(d.retryable()).isFalse();
      // Exchange answers alike for the other steps: named after it, each with the command that checks it
      assertThat(d.alternatives()).extracting(Diagnosis::setupStep).containsExactly(SetupStep.MAILBOX_PERMISSION,
          SetupStep.MAILBOX, SetupStep.MAILBOX_PROTOCOL);
      assertThat(d.alternatives()).extracting(a -> a.command().orElseThrow()).containsExactly(
          "Get-MailboxPermission -Identity " + mailbox.address() + " -User " + enterpriseObjectId,
          "Get-Mailbox -Identity " + mailbox.address(),
          "Get-CASMailbox -Identity " + mailbox.address());
      assertThat(d.alternatives().get(0).fix()).contains("Add-MailboxPermission -Identity " + mailbox.address()
          + " -User " + enterpriseObjectId + " -AccessRights FullAccess");
      ConnectionCheck check = c.checkConnection();
      assertThat(check.ok()).isFalse();
      assertThat(check.diagnosis()).get().extracting(Diagnosis::setupStep).isEqualTo(SetupStep.EXCHANGE_SERVICE_PRINCIPAL);

      PowerShell.run(contoso.tenant, d.command().orElseThrow());
      assertThat(c.checkConnection().ok()).isTrue();
      assertThat(c.listFolders()).isNotEmpty();
    }
  }

  @Test
  void servicePrincipalRegisteredWithTheAppRegistrationsObjectId_isDiagnosedWithTheEnterpriseOne() {
    Application app = unregisteredApp("Registered with the wrong object id");
    CredentialStrategy credential = credentialOf(app);
    Mailbox mailbox = contoso.user("wrongoid");
    // the classic mistake: the object id from the app registration's Overview page
    contoso.tenant.newExchangeServicePrincipal(app.clientId(), app.objectId());
    contoso.tenant.addMailboxPermission(mailbox.address(), app.objectId(), "FullAccess");
    String enterpriseObjectId = contoso.tenant.servicePrincipal(app).orElseThrow().objectId();
    assertThat(enterpriseObjectId).isNotEqualTo(app.objectId());
    try (ImapMailboxConnector c = contoso.connector(mailbox, credential).build()) {
      Diagnosis d = refusal(c);
      assertThat(d.setupStep()).isEqualTo(SetupStep.EXCHANGE_SERVICE_PRINCIPAL);
      assertThat(d.command()).get().asString().contains("-ObjectId " + enterpriseObjectId)
          .doesNotContain(app.objectId());
      assertThat(d.fix()).contains("Get-ServicePrincipal -Identity " + app.clientId(), "ObjectId is not "
          + enterpriseObjectId, "wrong object id: Remove-ServicePrincipal -Identity <that ObjectId>, then "
          + "New-ServicePrincipal -AppId " + app.clientId() + " -ObjectId " + enterpriseObjectId);
      assertThat(d.alternatives()).extracting(Diagnosis::setupStep).containsExactly(SetupStep.MAILBOX_PERMISSION,
          SetupStep.MAILBOX, SetupStep.MAILBOX_PROTOCOL);
      // what the admin does on reading it: the wrong principal goes, the right one comes
      contoso.tenant.removeExchangeServicePrincipal(app.objectId());
      PowerShell.run(contoso.tenant, d.command().orElseThrow());
      assertThat(c.listFolders()).isNotEmpty();
    }
  }

  @Test
  void noFullAccess_forAnAppThatLogsInElsewhere_isTheMailboxPermission() {
    Mailbox allowed = contoso.mailbox("allowed");
    Mailbox forbidden = contoso.user("forbidden");
    CredentialStrategy daemon = contoso.appOnly();
    try (ImapMailboxConnector c = contoso.connector(allowed, daemon).build()) {
      assertThat(c.listFolders()).isNotEmpty();
    }
    try (ImapMailboxConnector c = contoso.connector(forbidden, daemon).build()) {
      Diagnosis d = refusal(c);
      assertThat(d.setupStep()).isEqualTo(SetupStep.MAILBOX_PERMISSION);
      assertThat(d.command()).contains("Add-MailboxPermission -Identity " + forbidden.address() + " -User "
          + contoso.principal.objectId() + " -AccessRights FullAccess");
      assertThat(d.summary()).contains("works for other mailboxes");
      assertThat(d.command()).get().asString().doesNotContain("New-ServicePrincipal");
      assertThat(d.fix()).startsWith("Check with Get-MailboxPermission -Identity " + forbidden.address() + " -User "
          + contoso.principal.objectId() + ":").doesNotContain("New-ServicePrincipal");
      assertThat(d.alternatives()).extracting(Diagnosis::setupStep).containsExactly(SetupStep.MAILBOX,
          SetupStep.MAILBOX_PROTOCOL);
      assertThat(d.alternatives().get(0).command()).contains("Get-Mailbox -Identity " + forbidden.address());
      PowerShell.run(contoso.tenant, d.command().orElseThrow());
      assertThat(c.listFolders()).isNotEmpty();
    }
  }

  @Test
  void loginsTeachOnlyConnectorsSharingTheirExchangeSessions() {
    Mailbox allowed = contoso.mailbox("taught");
    Mailbox forbidden = contoso.user("untaught");
    CredentialStrategy daemon = contoso.appOnly();
    ExchangeSessions shared = ExchangeSessions.builder().build();
    try (ImapMailboxConnector c = contoso.connector(allowed, daemon).sessions(shared).build()) {
      assertThat(c.listFolders()).isNotEmpty();
    }
    try (ImapMailboxConnector apart = contoso.connector(forbidden, daemon)
        .sessions(ExchangeSessions.builder().build()).build()) {
      Diagnosis d = refusal(apart);
      assertThat(d.setupStep()).as("nothing tells a connector with its own state that the app works elsewhere")
          .isEqualTo(SetupStep.EXCHANGE_SERVICE_PRINCIPAL);
      assertThat(d.summary()).doesNotContain("works for other mailboxes");
    }
    try (ImapMailboxConnector sharing = contoso.connector(forbidden, daemon).sessions(shared).build()) {
      Diagnosis d = refusal(sharing);
      assertThat(d.setupStep()).as("the shared state saw the app log in to another mailbox")
          .isEqualTo(SetupStep.MAILBOX_PERMISSION);
      assertThat(d.summary()).contains("works for other mailboxes");
    }
  }

  @Test
  void servicePrincipalReplacedUnderAWorkingImport_isNotBlamedOnTheMailboxPermission() {
    Application app = unregisteredApp("Re-registered with the wrong object id");
    CredentialStrategy credential = credentialOf(app);
    Mailbox mailbox = contoso.mailbox("was-working");
    String enterpriseObjectId = contoso.tenant.registerExchangeServicePrincipal(app).objectId();
    contoso.tenant.addMailboxPermission(mailbox.address(), enterpriseObjectId, "FullAccess");
    try (ImapMailboxConnector c = contoso.connector(mailbox, credential).build()) {
      assertThat(c.listFolders()).isNotEmpty();
    }
    // an admin "fixes" the registration with the app registration's object id: the mailbox the app opened a
    // moment ago refuses it, and that says nothing about which of the two PowerShell steps broke
    contoso.tenant.removeExchangeServicePrincipal(enterpriseObjectId);
    contoso.tenant.newExchangeServicePrincipal(app.clientId(), app.objectId());
    try (ImapMailboxConnector c = contoso.connector(mailbox, credential).build()) {
      Diagnosis d = refusal(c);
      assertThat(d.setupStep()).isEqualTo(SetupStep.EXCHANGE_SERVICE_PRINCIPAL);
      assertThat(d.command()).get().asString().contains("New-ServicePrincipal -AppId " + app.clientId()
          + " -ObjectId " + enterpriseObjectId);
      // the address opened a moment ago, so it is not among the alternatives
      assertThat(d.alternatives()).extracting(Diagnosis::setupStep).containsExactly(SetupStep.MAILBOX_PERMISSION,
          SetupStep.MAILBOX_PROTOCOL);
    }
  }

  /**
   * A mistyped address, for an app whose principal has opened another mailbox: Exchange answers as for missing
   * FullAccess, so both are named, FullAccess first (IMAP cannot tell whether a mailbox exists), the address with
   * the command that checks it; and neither fix starts with New-ServicePrincipal.
   */
  @Test
  void mistypedMailbox_forAnAppThatLogsInElsewhere_namesFullAccessAndTheAddress() {
    Mailbox real = contoso.mailbox("billing");
    CredentialStrategy daemon = contoso.appOnly();
    try (ImapMailboxConnector c = contoso.connector(real, daemon).build()) {
      assertThat(c.listFolders()).isNotEmpty();
    }
    String typo = real.address().replace("billing", "biling");
    // built apart, sharing what the tenant's connectors learnt as an application's connectors would
    try (ImapMailboxConnector c = ImapMailboxConnector.builder().mailbox(typo).credential(daemon)
        .host(m365.hostName()).port(m365.imapPort()).sessions(contoso.sessions).build()) {
      Diagnosis d = refusal(c);
      assertThat(d.setupStep()).isEqualTo(SetupStep.MAILBOX_PERMISSION);
      assertThat(d.summary()).contains("or the address is wrong");
      assertThat(d.alternatives()).extracting(Diagnosis::setupStep).containsExactly(SetupStep.MAILBOX,
          SetupStep.MAILBOX_PROTOCOL);
      Diagnosis address = d.alternatives().get(0);
      assertThat(address.command()).contains("Get-Mailbox -Identity " + typo);
      assertThat(address.summary()).contains(typo, "may not exist");
      assertThat(d.command()).get().asString().startsWith("Add-MailboxPermission");
      assertThat(d.describe()).doesNotContain("New-ServicePrincipal");
    }
    assertThat(m365.requests("imap")).filteredOn(r -> r.path().equalsIgnoreCase(typo))
        .extracting(r -> r.attribute("reason")).allSatisfy(r -> assertThat(r).contains("no mailbox"));
  }

  /**
   * An application access policy that leaves the mailbox out restricts Graph (and EWS, Outlook REST) only, not IMAP
   * (https://learn.microsoft.com/en-us/powershell/module/exchange/new-applicationaccesspolicy: "an application that
   * uses APIs (Outlook REST, Microsoft Graph, or Exchange Web Services (EWS))"): IMAP logs in, so IMAP never blames
   * the policy and the Graph side has to name it.
   */
  @Test
  void applicationAccessPolicyExcludingTheMailbox_doesNotStopImap() {
    Mailbox outside = contoso.mailbox("outside-policy");
    Mailbox inside = contoso.mailbox("inside-policy");
    contoso.tenant.newApplicationAccessPolicy(contoso.daemon.clientId(), java.util.Set.of(inside.address()));
    try (ImapMailboxConnector c = contoso.connector(outside, contoso.appOnly()).build()) {
      assertThat(c.checkConnection().ok()).isTrue();
      assertThat(c.listFolders()).isNotEmpty();
    } finally {
      contoso.tenant.removeApplicationAccessPolicy(contoso.daemon.clientId());
    }
  }

  @Test
  void imapDisabledForTheMailbox_delegated_isTheMailboxProtocol() {
    Mailbox own = contoso.user("noimap");
    own.imapEnabled(false);
    try (ImapMailboxConnector c = contoso.connector(own, contoso.delegated(own.address())).build()) {
      Diagnosis d = refusal(c);
      assertThat(d.setupStep()).isEqualTo(SetupStep.MAILBOX_PROTOCOL);
      assertThat(d.command()).contains("Set-CASMailbox -Identity " + own.address() + " -ImapEnabled $true");
      PowerShell.run(contoso.tenant, d.command().orElseThrow());
      assertThat(c.listFolders()).isNotEmpty();
    }
  }

  /**
   * A user without an Exchange Online licence gets an Exchange token from Entra ID and the same {@code AUTHENTICATE
   * failed} as a user whose IMAP is turned off: the mailbox itself is named as the other step, with its check.
   */
  @Test
  void userWithoutMailbox_delegated_namesTheMailboxAmongTheCauses() {
    String address = "nolicence-" + System.nanoTime() + "@contoso.com";
    contoso.tenant.addUserWithoutMailbox(address, Exchange.PASSWORD);
    try (ImapMailboxConnector c = ImapMailboxConnector.builder().mailbox(address)
        .credential(contoso.delegated(address)).host(m365.hostName()).port(m365.imapPort()).build()) {
      Diagnosis d = refusal(c);
      assertThat(d.setupStep()).isEqualTo(SetupStep.MAILBOX_PROTOCOL);
      assertThat(d.alternatives()).singleElement().satisfies(a -> {
        assertThat(a.setupStep()).isEqualTo(SetupStep.MAILBOX);
        assertThat(a.command()).contains("Get-Mailbox -Identity " + address);
      });
    }
  }

  @Test
  void imapDisabledForTheMailbox_appOnly_isNamedAmongTheCauses() {
    Mailbox mailbox = contoso.mailbox("noimap-app");
    mailbox.imapEnabled(false);
    try (ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly()).build()) {
      Diagnosis d = refusal(c);
      assertThat(d.setupStep()).isIn(SetupStep.EXCHANGE_SERVICE_PRINCIPAL, SetupStep.MAILBOX_PERMISSION);
      Diagnosis imapOff = d.alternatives().get(d.alternatives().size() - 1);
      assertThat(imapOff.setupStep()).isEqualTo(SetupStep.MAILBOX_PROTOCOL);
      assertThat(imapOff.fix()).contains("Set-CASMailbox -Identity " + mailbox.address() + " -ImapEnabled $true");
    }
  }

  @Test
  void authenticatedButNotConnected_isNoRightsOnThatMailbox() {
    Mailbox bob = contoso.user("bob");
    Mailbox shared = contoso.tenant.addSharedMailbox("finance@contoso.com");
    try (ImapMailboxConnector c = contoso.connector(shared, contoso.delegated(bob.address())).build()) {
      Diagnosis d = refusal(c);
      assertThat(d.setupStep()).isEqualTo(SetupStep.MAILBOX_PERMISSION);
      assertThat(d.serviceCode()).isEqualTo("IMAP BAD User is authenticated but not connected.");
      assertThat(d.summary()).contains("no rights on that mailbox, or it is the wrong mailbox");
      assertThat(d.command()).contains("Add-MailboxPermission -Identity " + shared.address() + " -User "
          + bob.address() + " -AccessRights FullAccess");
      assertThat(d.alternatives()).extracting(Diagnosis::setupStep).containsExactly(SetupStep.MAILBOX);
      assertThat(d.alternatives().get(0).command()).contains("Get-Mailbox -Identity " + shared.address());
      assertThat(logins(shared)).extracting(r -> r.attribute("outcome")).contains("NOT_CONNECTED");
      PowerShell.run(contoso.tenant, d.command().orElseThrow());
      assertThat(c.listFolders()).isNotEmpty();
    }
  }

  @Test
  void throttledLogin_waitsTheSuggestedBackoff_forThatMailbox() {
    Mailbox mailbox = contoso.mailbox("throttled");
    m365.faults().imapThrottle(mailbox.address(), Duration.ofMillis(300), 2);
    RecordingSleeper sleeper = new RecordingSleeper();
    try (ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly()).sleeper(sleeper)
        .sessions(ExchangeSessions.builder().sleeper(sleeper).build()).build()) {
      assertThat(c.listFolders()).isNotEmpty();
    }
    assertThat(sleeper.waits()).as("the backoff Exchange suggested, before each new login")
        .containsExactly(Duration.ofMillis(300), Duration.ofMillis(300));
    assertThat(logins(mailbox)).extracting(r -> r.attribute("outcome")).containsExactly("THROTTLED", "THROTTLED", "OK");
  }

  @Test
  void throttledBeyondTheBudget_isAThrottledExceptionWithTheWait_andOtherMailboxesCarryOn() {
    Mailbox busy = contoso.mailbox("busy");
    Mailbox quiet = contoso.mailbox("quiet");
    m365.faults().imapThrottle(busy.address(), Duration.ofSeconds(30));
    RecordingSleeper sleeper = new RecordingSleeper();
    ExchangeSessions exchange = ExchangeSessions.builder().sleeper(sleeper).build();
    try (ImapMailboxConnector c = contoso.connector(busy, contoso.appOnly()).throttleBudget(Duration.ofSeconds(1))
        .sleeper(sleeper).sessions(exchange).build();
        ImapMailboxConnector other = contoso.connector(quiet, contoso.appOnly()).sleeper(sleeper).sessions(exchange)
            .build()) {
      assertThatThrownBy(c::listFolders)
          .isInstanceOfSatisfying(ThrottledException.class, e -> {
            assertThat(e.retryAfter()).get().satisfies(wait ->
                assertThat(wait).isBetween(Duration.ofSeconds(25), Duration.ofSeconds(30)));
            assertThat(e.retryable()).isTrue();
            assertThat(e.serviceErrorCode()).get().asString().contains("Request is throttled");
          });
      assertThat(sleeper.waits()).as("a wait past the budget is not waited").isEmpty();
      // the governor keeps callers off the busy mailbox without asking the server again
      long before = logins(busy).size();
      assertThatThrownBy(c::listFolders).isInstanceOf(ThrottledException.class);
      assertThat(logins(busy)).hasSize((int) before);
      assertThat(other.listFolders()).isNotEmpty();
      assertThat(sleeper.waits()).as("the other mailbox sharing the governor is not held up").isEmpty();
    } finally {
      m365.faults().clearImapThrottle(busy.address());
    }
  }

  @Test
  void graphToken_isCaughtByThePreflight_andNeverReachesImap() {
    Application app = contoso.tenant.registerApp("Graph only")
        .addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "Mail.Read").grantAdminConsent();
    CredentialStrategy real = credentialOf(app);
    CredentialStrategy graphForEverything = new CredentialStrategy() {
      @Override
      public AccessToken token(TokenRequest request) {
        AccessToken t = real.token(TokenRequest.graph("Mail.Read"));
        secret(t.value());
        return t;
      }

      @Override
      public CredentialKind kind() {
        return real.kind();
      }

      @Override
      public AppRegistration registration() {
        return real.registration();
      }

      @Override
      public void invalidate(TokenRequest request) {
        real.invalidate(request);
      }

      @Override
      public void close() {
        // closed with the tenant
      }
    };
    Mailbox mailbox = contoso.mailbox("graphtoken");
    try (ImapMailboxConnector c = contoso.connector(mailbox, graphForEverything).build()) {
      Diagnosis d = refusal(c);
      assertThat(d.setupStep()).isEqualTo(SetupStep.SCOPES);
      assertThat(d.serviceCode()).isEqualTo("preflight:aud");
      assertThat(d.summary()).contains("Microsoft Graph", "IMAP");
      assertThat(d.fix()).contains("https://outlook.office365.com/.default");
    }
    assertThat(logins(mailbox)).isEmpty();
  }

  @Test
  void tokenWithoutTheImapRole_isCaughtByThePreflight() {
    Application app = contoso.tenant.registerApp("SMTP only")
        .addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "SMTP.SendAsApp").grantAdminConsent();
    Mailbox mailbox = contoso.mailbox("norole");
    try (ImapMailboxConnector c = contoso.connector(mailbox, credentialOf(app)).build()) {
      Diagnosis d = refusal(c);
      assertThat(d.setupStep()).isEqualTo(SetupStep.APPLICATION_PERMISSION);
      assertThat(d.fix()).contains("IMAP.AccessAsApp");
    }
    assertThat(logins(mailbox)).isEmpty();
  }

  @Test
  void failures_carryNoSecret_andAreUncheckedSdkExceptions() {
    Application app = unregisteredApp("Leak check");
    Mailbox mailbox = contoso.user("leak");
    try (ImapMailboxConnector c = contoso.connector(mailbox, credentialOf(app)).build()) {
      Optional<Throwable> failure = Optional.ofNullable(org.assertj.core.api.Assertions.catchThrowable(
          () -> c.sync(FolderRef.INBOX, org.o365mail.SyncState.BEGINNING, 10)));
      assertThat(failure).get().isInstanceOf(MailboxException.class);
      Secrets.assertClean(failure.get());
      assertThat(failure.get().getMessage()).contains("Run: New-ServicePrincipal");
    }
  }
}
