package org.o365mail.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.ConnectionCheck;
import org.o365mail.Diagnosis;
import org.o365mail.SetupStep;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testsupport.Secrets;
import org.o365mail.testsupport.Tenants;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.StoredMail;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.User;

/**
 * The send path checked on its own, for a connection that only sends (the ImageManager guide: delegated Mail.Send and
 * nothing else): a correct send-only setup passes without the mailbox being read, and a missing Mail.Send names the
 * permission step, never Mail.ReadWrite.
 */
@Timeout(60)
@ExtendWith(LeakCheck.class)
class GraphSendCheckTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static LocalTenant m365;
  static Tenant contoso;
  static int users;

  @BeforeAll
  static void model() {
    m365 = M365.tenant();
    contoso = m365.createTenant("contoso.com");
  }

  record Setup(User user, CredentialStrategy credential) {}

  /** A scanner's user and a public-client app with {@code permissions} (Graph, delegated), consented or not. */
  static Setup scanner(boolean consent, String... permissions) {
    String password = "Scanner-Pw-" + ++users + "!";
    Secrets.secret(password);
    User user = contoso.addUser("scanner" + users + "@contoso.com", password);
    Application app = contoso.registerApp("ImageManager " + users).allowPublicClientFlows(true);
    if (permissions.length > 0) {
      app.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, permissions);
    }
    if (consent) {
      app.grantAdminConsent();
    }
    return new Setup(user, CredentialStrategy.usernamePassword(Tenants.app(m365, contoso, app),
        user.userPrincipalName(), password.toCharArray()).build());
  }

  static GraphMailboxConnector connector(CredentialStrategy c, User user) {
    return GraphApps.connector(m365, c, user.userPrincipalName()).build();
  }

  @Test
  void sendOnlySetup_passes_withoutReadingTheMailbox_whereTheMailboxCheckWouldFail() {
    Setup s = scanner(true, "Mail.Send", "User.Read");
    try (CredentialStrategy c = s.credential(); GraphMailboxConnector connector = connector(c, s.user())) {
      m365.clearRequests();
      Supplier<ConnectionCheck> sendPath = connector::checkSending;
      ConnectionCheck check = sendPath.get();
      assertThat(check.ok()).as(check.detail()).isTrue();
      assertThat(check.detail()).contains("Mail.Send").contains("no test message sent");
      assertThat(m365.requests("graph")).isEmpty();
      // the mailbox check asks for Mail.ReadWrite, which this setup never grants
      assertThat(connector.checkConnection().ok()).isFalse();
    }
  }

  @Test
  void sendOnlySetup_withTestRecipient_sendsOneMessageThatArrives() {
    Setup s = scanner(true, "Mail.Send");
    Mailbox recipient = contoso.addUser("archive" + ++users + "@contoso.com", "Archive-Pw-1!").mailbox();
    try (CredentialStrategy c = s.credential(); GraphMailboxConnector connector = connector(c, s.user())) {
      ConnectionCheck check = connector.checkSending(recipient.address());
      assertThat(check.ok()).as(check.detail()).isTrue();
      assertThat(check.detail()).contains("a test message went to " + recipient.address());
    }
    assertThat(recipient.messages("Inbox")).extracting(StoredMail::subject).containsExactly(
        "o365mail connection check");
  }

  @Test
  void mailSendNotAdded_namesThePermissionSteps_neverMailReadWrite() {
    Setup s = scanner(true, "User.Read");
    try (CredentialStrategy c = s.credential(); GraphMailboxConnector connector = connector(c, s.user())) {
      ConnectionCheck check = connector.checkSending();
      assertThat(check.ok()).isFalse();
      Diagnosis d = check.diagnosis().orElseThrow();
      assertThat(d.setupStep()).isIn(SetupStep.ADMIN_CONSENT, SetupStep.DELEGATED_PERMISSION);
      assertThat(java.util.stream.Stream.concat(java.util.stream.Stream.of(d), d.alternatives().stream())
          .map(Diagnosis::setupStep)).contains(SetupStep.DELEGATED_PERMISSION);
      assertThat(d.describe()).doesNotContain("Mail.ReadWrite");
    }
  }

  @Test
  void mailSendAddedNotConsented_namesAdminConsent() {
    Setup s = scanner(false, "Mail.Send");
    try (CredentialStrategy c = s.credential(); GraphMailboxConnector connector = connector(c, s.user())) {
      ConnectionCheck check = connector.checkSending();
      assertThat(check.ok()).isFalse();
      assertThat(check.diagnosis().orElseThrow().setupStep())
          .isIn(SetupStep.ADMIN_CONSENT, SetupStep.DELEGATED_PERMISSION);
      assertThat(check.diagnosis().orElseThrow().describe()).doesNotContain("Mail.ReadWrite");
    }
  }

  @Test
  void appOnly_withMailSendRole_passes_andWithoutIt_isTheApplicationPermission() {
    try (CredentialStrategy sender = GraphApps.clientCredentials(m365, contoso,
            GraphApps.daemon(contoso, "Notifier " + ++users, "Mail.Send"));
        GraphMailboxConnector ok = GraphApps.connector(m365, sender, "noreply@contoso.com").build()) {
      assertThat(ok.checkSending().ok()).isTrue();
    }
    try (CredentialStrategy reader = GraphApps.clientCredentials(m365, contoso,
            GraphApps.daemon(contoso, "Reader " + ++users, "Mail.Read"));
        GraphMailboxConnector denied = GraphApps.connector(m365, reader, "noreply@contoso.com").build()) {
      ConnectionCheck check = denied.checkSending();
      assertThat(check.ok()).isFalse();
      assertThat(check.diagnosis().orElseThrow().setupStep())
          .isIn(SetupStep.APPLICATION_PERMISSION, SetupStep.ADMIN_CONSENT);
      assertThat(check.diagnosis().orElseThrow().describe()).contains("Mail.Send");
    }
  }

  @Test
  void testRecipient_mustBeAnAddress() {
    Setup s = scanner(true, "Mail.Send");
    try (CredentialStrategy c = s.credential(); GraphMailboxConnector connector = connector(c, s.user())) {
      assertThatThrownBy(() -> connector.checkSending(" ")).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> connector.checkSending((String) null)).isInstanceOf(NullPointerException.class);
    }
  }
}
