package org.o365mail.imap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.o365mail.testsupport.Secrets.secret;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.Diagnosis;
import org.o365mail.SetupStep;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.TokenPreflight;
import org.o365mail.auth.TokenRequest;
import org.o365mail.doctor.ConnectionDoctor;
import org.o365mail.doctor.DoctorCheck;
import org.o365mail.doctor.DoctorProbe;
import org.o365mail.doctor.DoctorReport;
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
 * The doctor with {@link ImapDoctorProbe} against the testkit: an app-only {@code AUTHENTICATE failed} is looked at
 * again by logging in to the other mailboxes configured for the app, which orders the steps Exchange answers alike
 * for; the probe never tries an address it was not given.
 */
@Timeout(60)
@ExtendWith({FreshLogs.class, LeakCheck.class})
class ImapDoctorProbeTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();
  private static final Duration BOUND = Duration.ofSeconds(30);

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

  /** A new app with IMAP.AccessAsApp and admin consent, not registered in Exchange, and its credential. */
  private static Application app(String name) {
    return contoso.tenant.registerApp(name)
        .addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp").grantAdminConsent();
  }

  private static CredentialStrategy credentialOf(Application app) {
    PasswordCredential s = app.addClientSecret("prod", Duration.ofDays(30));
    secret(s.value());
    return contoso.appOnly(app, s);
  }

  private static ImapMailboxConnector connector(String address, CredentialStrategy credential) {
    return ImapMailboxConnector.builder().mailbox(address).credential(credential).host(m365.hostName())
        .port(m365.imapPort()).timeout(Duration.ofSeconds(20)).build();
  }

  private static ImapDoctorProbe probe(CredentialStrategy credential, Mailbox... others) {
    return ImapDoctorProbe.builder()
        .connectors(address -> connector(address, credential))
        .otherMailboxes(Stream.of(others).map(Mailbox::address).toList())
        .build();
  }

  private static DoctorReport examine(CredentialStrategy credential, Mailbox mailbox, DoctorProbe... probes) {
    ConnectionDoctor.Builder b = ConnectionDoctor.builder()
        .credential(credential)
        .token(TokenRequest.imap(), TokenPreflight.Requirement.imap())
        .connector(() -> connector(mailbox.address(), credential))
        .mailbox(mailbox.address());
    for (DoctorProbe p : probes) {
      b.probe(p);
    }
    DoctorReport report = assertTimeoutPreemptively(BOUND, () -> b.build().examine());
    Secrets.assertClean(new AssertionError(report.toString() + report.checks().stream()
        .map(c -> c.diagnosis().map(Diagnosis::describe).orElse("")).collect(Collectors.joining())));
    return report;
  }

  private static DoctorCheck failure(DoctorReport report) {
    DoctorCheck failed = report.firstFailure().orElseThrow(() -> new AssertionError("no check failed: " + report));
    assertThat(failed.name()).isEqualTo("mailbox opened");
    return failed;
  }

  /** The mailboxes the app's IMAP logins named. */
  private static Set<String> loginsOf(Application app) {
    return m365.requests("imap").stream().filter(r -> app.clientId().equals(r.attribute("appid")))
        .map(RecordedRequest::path).map(String::toLowerCase).collect(Collectors.toSet());
  }

  @Test
  void fullAccessMissing_anotherConfiguredMailboxOpens_namesFullAccessFirst_andItsCommandFixesIt() {
    Application app = app("Probe: FullAccess missing");
    CredentialStrategy credential = credentialOf(app);
    String oid = contoso.tenant.registerExchangeServicePrincipal(app).objectId();
    Mailbox peer = contoso.user("peer");
    contoso.tenant.addMailboxPermission(peer.address(), oid, "FullAccess");
    Mailbox target = contoso.user("target");

    // the connector alone cannot tell: the principal comes first, FullAccess is its first alternative
    Diagnosis alone = failure(examine(credential, target)).diagnosis().orElseThrow();
    assertThat(alone.setupStep()).isEqualTo(SetupStep.EXCHANGE_SERVICE_PRINCIPAL);
    assertThat(alone.alternatives()).extracting(Diagnosis::setupStep).startsWith(SetupStep.MAILBOX_PERMISSION);

    DoctorCheck probed = failure(examine(credential, target, probe(credential, peer)));
    assertThat(probed.detail()).contains("(probe: IMAP login as the same app to " + peer.address() + ": OK)");
    Diagnosis d = probed.diagnosis().orElseThrow();
    assertThat(d.setupStep()).isEqualTo(SetupStep.MAILBOX_PERMISSION);
    assertThat(d.serviceCode()).isEqualTo("IMAP NO AUTHENTICATE failed.");
    assertThat(d.command()).contains("Add-MailboxPermission -Identity " + target.address() + " -User " + oid
        + " -AccessRights FullAccess");
    assertThat(d.fix()).startsWith("Check with Get-MailboxPermission -Identity " + target.address() + " -User "
        + oid + ":");
    assertThat(d.describe()).doesNotContain("New-ServicePrincipal");
    assertThat(d.alternatives()).extracting(Diagnosis::setupStep).containsExactly(SetupStep.MAILBOX,
        SetupStep.MAILBOX_PROTOCOL);
    assertThat(d.alternatives()).extracting(a -> a.command().orElseThrow()).containsExactly(
        "Get-Mailbox -Identity " + target.address(), "Get-CASMailbox -Identity " + target.address());
    assertThat(loginsOf(app)).containsExactlyInAnyOrder(target.address(), peer.address());

    PowerShell.run(contoso.tenant, d.command().orElseThrow());
    assertThat(examine(credential, target, probe(credential, peer)).firstFailure()).isEmpty();
  }

  @Test
  void principalMissing_configuredMailboxesRefuseToo_namesThePrincipal_andItsCommandFixesIt() {
    Application app = app("Probe: never registered");
    CredentialStrategy credential = credentialOf(app);
    String oid = contoso.tenant.servicePrincipal(app).orElseThrow().objectId();
    Mailbox target = contoso.user("target");
    Mailbox first = contoso.user("first");
    Mailbox second = contoso.user("second");

    DoctorCheck probed = failure(examine(credential, target, probe(credential, first, second)));
    assertThat(probed.detail()).contains("(probe: IMAP login as the same app to " + first.address() + ", "
        + second.address() + ": refused too)");
    Diagnosis d = probed.diagnosis().orElseThrow();
    assertThat(d.setupStep()).isEqualTo(SetupStep.EXCHANGE_SERVICE_PRINCIPAL);
    assertThat(d.summary()).contains("for the other mailboxes configured for it");
    assertThat(d.command()).contains("New-ServicePrincipal -AppId " + app.clientId() + " -ObjectId " + oid
        + "; Add-MailboxPermission -Identity " + target.address() + " -User " + oid + " -AccessRights FullAccess");
    assertThat(d.fix()).startsWith("Check with Get-ServicePrincipal -Identity " + app.clientId() + ":");
    assertThat(d.alternatives()).extracting(Diagnosis::setupStep).containsExactly(SetupStep.MAILBOX_PERMISSION,
        SetupStep.MAILBOX, SetupStep.MAILBOX_PROTOCOL);
    assertThat(d.alternatives()).extracting(a -> a.command().orElseThrow()).containsExactly(
        "Get-MailboxPermission -Identity " + target.address() + " -User " + oid,
        "Get-Mailbox -Identity " + target.address(),
        "Get-CASMailbox -Identity " + target.address());

    PowerShell.run(contoso.tenant, d.command().orElseThrow());
    assertThat(examine(credential, target).firstFailure()).isEmpty();
  }

  @Test
  void principalWithTheWrongObjectId_configuredMailboxesRefuseToo_saysToRemoveTheWrongOne() {
    Application app = app("Probe: wrong object id");
    CredentialStrategy credential = credentialOf(app);
    String oid = contoso.tenant.servicePrincipal(app).orElseThrow().objectId();
    // the app registration's object id, from its Overview page: the classic mistake
    contoso.tenant.newExchangeServicePrincipal(app.clientId(), app.objectId());
    Mailbox target = contoso.user("target");
    Mailbox peer = contoso.user("peer");
    contoso.tenant.addMailboxPermission(target.address(), app.objectId(), "FullAccess");
    contoso.tenant.addMailboxPermission(peer.address(), app.objectId(), "FullAccess");

    Diagnosis d = failure(examine(credential, target, probe(credential, peer))).diagnosis().orElseThrow();
    assertThat(d.setupStep()).isEqualTo(SetupStep.EXCHANGE_SERVICE_PRINCIPAL);
    assertThat(d.fix()).contains("If it lists a principal whose ObjectId is not " + oid + ", that principal was"
        + " registered with the wrong object id: Remove-ServicePrincipal -Identity <that ObjectId>, then"
        + " New-ServicePrincipal -AppId " + app.clientId() + " -ObjectId " + oid);
    assertThat(d.command()).get().asString().doesNotContain(app.objectId());

    contoso.tenant.removeExchangeServicePrincipal(app.objectId());
    PowerShell.run(contoso.tenant, d.command().orElseThrow());
    assertThat(examine(credential, target).firstFailure()).isEmpty();
  }

  /** The doctor's SMTP check refused with 535 5.7.3: the probe's IMAP logins order the same steps for SMTP. */
  @Test
  void smtpRefusal_probedOverImap_namesFullAccessFirst_withoutAnImapAlternative() {
    Application app = contoso.tenant.registerApp("Probe: SMTP FullAccess missing")
        .addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp", "SMTP.SendAsApp")
        .grantAdminConsent();
    CredentialStrategy credential = credentialOf(app);
    String oid = contoso.tenant.registerExchangeServicePrincipal(app).objectId();
    Mailbox peer = contoso.user("smtp-peer");
    contoso.tenant.addMailboxPermission(peer.address(), oid, "FullAccess");
    Mailbox target = contoso.user("smtp-target");
    SmtpSender sender = SmtpSender.builder().mailbox(target.address()).credential(credential).host(m365.hostName())
        .port(m365.smtpPort()).timeout(Duration.ofSeconds(20)).build();
    Diagnosis failure = assertTimeoutPreemptively(BOUND, sender::checkConnection).diagnosis().orElseThrow();
    assertThat(failure.serviceCode()).isEqualTo("SMTP 535 5.7.3");
    assertThat(failure.setupStep()).isEqualTo(SetupStep.EXCHANGE_SERVICE_PRINCIPAL);

    DoctorProbe.Context context = new DoctorProbe.Context("SMTP submission", credential, credential.registration(),
        TokenRequest.smtp(), Optional.of(credential.token(TokenRequest.smtp())), Optional.of(target.address()));
    DoctorProbe.Finding finding = assertTimeoutPreemptively(BOUND,
        () -> probe(credential, peer).explain(failure, context)).orElseThrow();
    assertThat(finding.evidence()).isEqualTo("IMAP login as the same app to " + peer.address() + ": OK");
    Diagnosis d = finding.diagnosis();
    assertThat(d.setupStep()).isEqualTo(SetupStep.MAILBOX_PERMISSION);
    assertThat(d.serviceCode()).isEqualTo("SMTP 535 5.7.3");
    assertThat(d.command()).contains("Add-MailboxPermission -Identity " + target.address() + " -User " + oid
        + " -AccessRights FullAccess");
    assertThat(d.alternatives()).extracting(Diagnosis::setupStep).containsExactly(SetupStep.MAILBOX);

    PowerShell.run(contoso.tenant, d.command().orElseThrow());
    assertThat(sender.checkConnection().ok()).isTrue();
  }

  @Test
  void noOtherMailboxConfigured_probeAddsNothing_andLogsInNowhereElse() {
    Application app = app("Probe: nothing to compare");
    CredentialStrategy credential = credentialOf(app);
    Mailbox target = contoso.user("alone");
    DoctorCheck failed = failure(examine(credential, target, probe(credential)));
    assertThat(failed.detail()).doesNotContain("probe:");
    assertThat(failed.diagnosis())
        .get().extracting(Diagnosis::setupStep).isEqualTo(SetupStep.EXCHANGE_SERVICE_PRINCIPAL);
    assertThat(loginsOf(app)).containsExactly(target.address());
  }

  @Test
  void delegatedRefusal_isNotProbed() {
    Mailbox own = contoso.user("delegated-noimap");
    own.imapEnabled(false);
    Mailbox other = contoso.mailbox("other");
    CredentialStrategy delegated = contoso.delegated(own.address());
    long before = m365.requests("imap").stream().filter(r -> r.path().equalsIgnoreCase(other.address())).count();
    DoctorCheck failed = failure(examine(delegated, own, probe(delegated, other)));
    assertThat(failed.diagnosis()).get().extracting(Diagnosis::setupStep).isEqualTo(SetupStep.MAILBOX_PROTOCOL);
    assertThat(failed.detail()).doesNotContain("probe:");
    assertThat(m365.requests("imap")).filteredOn(r -> r.path().equalsIgnoreCase(other.address())).hasSize(
        (int) before);
  }

  @Test
  void builder_namesWhatIsMissing_andRefusesABadLimit() {
    assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> ImapDoctorProbe.builder().build()))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("connectors()");
    assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> ImapDoctorProbe.builder().maxLogins(0)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> ImapDoctorProbe.builder()
        .otherMailboxes(List.of("not an address")))).isInstanceOf(IllegalArgumentException.class);
  }
}
