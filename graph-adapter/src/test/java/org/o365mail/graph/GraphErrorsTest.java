package org.o365mail.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.ConnectionCheck;
import org.o365mail.FolderNotFoundException;
import org.o365mail.FolderRef;
import org.o365mail.MailboxAuthenticationException;
import org.o365mail.MailboxException;
import org.o365mail.MessageId;
import org.o365mail.MessageNotFoundException;
import org.o365mail.SetupStep;
import org.o365mail.auth.AccessToken;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.CredentialKind;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.TokenRequest;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testsupport.Secrets;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;

/** Each Graph failure mapped once to the exception tree with the setup step that was missed. */
@Timeout(60)
@ExtendWith(LeakCheck.class)
class GraphErrorsTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static LocalTenant m365;
  static Tenant contoso;
  static Mailbox mailbox;
  static CredentialStrategy writer;

  @BeforeAll
  static void model() {
    m365 = M365.tenant();
    contoso = m365.createTenant("contoso.com");
    mailbox = contoso.addSharedMailbox("errors@contoso.com");
    mailbox.deliver(TestMessages.text("a@fabrikam.com", mailbox.address(), "Hello", "x"));
    writer = GraphApps.clientCredentials(m365, contoso, GraphApps.daemon(contoso, "Writer", "Mail.ReadWrite"));
  }

  @AfterAll
  static void close() {
    writer.close();
  }

  static SetupStep step(Throwable e) {
    Secrets.assertClean(e);
    return ((MailboxException) e).diagnosis().orElseThrow().setupStep();
  }

  @Test
  void noAdminConsent_isFoundBeforeTheCall_andCheckConnectionSaysSo() {
    Application app = contoso.registerApp("Unconsented");
    try (CredentialStrategy c = GraphApps.clientCredentials(m365, contoso, app);
        GraphMailboxConnector connector = GraphApps.connector(m365, c, mailbox.address()).build()) {
      assertThatThrownBy(connector::listFolders).isInstanceOf(MailboxAuthenticationException.class)
          .satisfies(e -> assertThat(step(e)).isEqualTo(SetupStep.ADMIN_CONSENT));
      ConnectionCheck check = connector.checkConnection();
      assertThat(check.ok()).isFalse();
      assertThat(check.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.ADMIN_CONSENT);
    }
  }

  @Test
  void readOnlyApp_thatMovesMail_lacksTheApplicationPermission() {
    try (CredentialStrategy c = GraphApps.clientCredentials(m365, contoso, GraphApps.daemon(contoso, "Reader", "Mail.Read"));
        GraphMailboxConnector connector = GraphApps.connector(m365, c, mailbox.address()).build()) {
      MessageId id = connector.listMessages(FolderRef.INBOX).stream().findFirst().orElseThrow().id();
      assertThatThrownBy(() -> connector.markRead(id, true)).isInstanceOf(MailboxAuthenticationException.class)
          .satisfies(e -> assertThat(step(e)).isEqualTo(SetupStep.APPLICATION_PERMISSION))
          .hasMessageContaining("Mail.ReadWrite");
    }
  }

  @Test
  void applicationAccessPolicy_isNamed_withTheCommandToCheckIt() {
    Application app = GraphApps.daemon(contoso, "Scoped", "Mail.ReadWrite");
    contoso.newApplicationAccessPolicy(app.clientId(), Set.of("someone-else@contoso.com"));
    try (CredentialStrategy c = GraphApps.clientCredentials(m365, contoso, app);
        GraphMailboxConnector connector = GraphApps.connector(m365, c, mailbox.address()).build()) {
      ConnectionCheck check = connector.checkConnection();
      assertThat(check.ok()).isFalse();
      assertThat(check.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.APPLICATION_ACCESS_POLICY);
      assertThat(check.diagnosis().orElseThrow().command()).contains("Test-ApplicationAccessPolicy -Identity "
          + mailbox.address() + " -AppId " + app.clientId());
    }
  }

  @Test
  void unknownMailbox_isTheMailboxStep() {
    try (GraphMailboxConnector connector = GraphApps.connector(m365, writer, "nobody@contoso.com").build()) {
      assertThatThrownBy(connector::listFolders).isInstanceOf(MailboxException.class)
          .satisfies(e -> assertThat(step(e)).isEqualTo(SetupStep.MAILBOX))
          .satisfies(e -> assertThat(((MailboxException) e).serviceErrorCode()).contains("ErrorInvalidUser"));
      assertThat(connector.checkConnection().diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.MAILBOX);
    }
  }

  @Test
  void missingMessageAndFolder_areTheirNotFoundExceptions() {
    try (GraphMailboxConnector connector = GraphApps.connector(m365, writer, mailbox.address()).build()) {
      assertThatThrownBy(() -> connector.message(new MessageId("AAMkAGnothere")))
          .isInstanceOf(MessageNotFoundException.class);
      assertThatThrownBy(() -> connector.folder(FolderRef.id("AAMkAGnofolder")))
          .isInstanceOf(FolderNotFoundException.class);
      assertThatThrownBy(() -> connector.folder(FolderRef.path("Inbox/Nope"))).isInstanceOf(FolderNotFoundException.class);
    }
  }

  @Test
  void anExchangeToken_isRefusedByThePreflight_asTheWrongAudience() {
    CredentialStrategy exchange = new CredentialStrategy() {
      @Override
      public AccessToken token(TokenRequest request) {
        AccessToken t = writer.token(TokenRequest.imap());
        Secrets.secret(t.value());
        return t;
      }

      @Override
      public CredentialKind kind() {
        return CredentialKind.APP_ONLY;
      }

      @Override
      public AppRegistration registration() {
        return writer.registration();
      }

      @Override
      public Optional<String> username() {
        return Optional.empty();
      }

      @Override
      public void invalidate(TokenRequest request) {}

      @Override
      public void close() {}
    };
    try (GraphMailboxConnector connector = GraphApps.connector(m365, exchange, mailbox.address()).build()) {
      assertThatThrownBy(connector::listFolders).isInstanceOf(MailboxAuthenticationException.class)
          .satisfies(e -> assertThat(step(e)).isEqualTo(SetupStep.SCOPES));
    }
  }

  @Test
  void aTokenGraphCallsExpired_isInvalidated_andTheCallRetriedOnce() {
    try (GraphMailboxConnector connector = GraphApps.connector(m365, writer, mailbox.address()).build()) {
      assertThat(connector.checkConnection().ok()).isTrue();
      long before = m365.tokenRequestCount();
      m365.clock().advance(Duration.ofHours(3));
      try {
        assertThat(connector.listFolders()).isNotEmpty();
      } finally {
        m365.clock().advance(Duration.ofHours(-3));
      }
      assertThat(m365.tokenRequestCount()).isGreaterThan(before);
      assertThat(m365.requests("graph")).anySatisfy(r -> assertThat(r.status()).isEqualTo(401));
    }
  }

  @Test
  void theTokenOnlyGoesOverHttps() {
    assertThatThrownBy(() -> GraphMailboxConnector.builder().baseUrl("http://localhost:1/v1.0"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("https");
  }
}
