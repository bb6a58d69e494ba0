package org.o365mail.imap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.ConnectionCheck;
import org.o365mail.FolderRef;
import org.o365mail.MailboxException;
import org.o365mail.MessageSummary;
import org.o365mail.SetupStep;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testsupport.Secrets;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.RecordedRequest;

/**
 * Logging in: app-only and delegated, to the identity's own and to shared mailboxes, with implicit TLS and
 * STARTTLS; XOAUTH2 and nothing else, so no token ever goes through PLAIN or LOGIN (the testkit records every
 * basic-authentication attempt); servers that cannot be logged in to safely are refused before the token leaves.
 */
@Timeout(60)
@ExtendWith({FreshLogs.class, LeakCheck.class})
class ImapLoginTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static Exchange contoso;

  @BeforeAll
  static void tenant() {
    contoso = new Exchange(M365.tenant(), "contoso.com");
  }

  /** The IMAP logins of every test so far: the extension clears the recorded requests before each test. */
  private static final List<RecordedRequest> LOGINS = new java.util.concurrent.CopyOnWriteArrayList<>();

  @AfterEach
  void keepTheLogins() {
    LOGINS.addAll(M365.tenant().requests("imap"));
  }

  @AfterAll
  static void noBasicAuthentication_wasEverAttempted() {
    assertThat(LOGINS).isNotEmpty();
    assertThat(LOGINS).extracting(RecordedRequest::method).containsOnly("AUTHENTICATE XOAUTH2");
    contoso.close();
  }

  private static List<RecordedRequest> loginsTo(Mailbox mailbox) {
    return M365.tenant().requests("imap").stream().filter(r -> r.path().equalsIgnoreCase(mailbox.address())).toList();
  }

  @Test
  void appOnly_logsInWithXoauth2AsTheMailbox() {
    Mailbox mailbox = contoso.mailbox("app");
    Exchange.fill(mailbox, 3, "App-only");
    try (ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly()).build()) {
      assertThat(c.listMessages(FolderRef.INBOX).stream().map(MessageSummary::subject))
          .containsExactly("App-only 2", "App-only 1", "App-only 0");
      ConnectionCheck check = c.checkConnection();
      assertThat(check.ok()).as("%s", check).isTrue();
      assertThat(check.detail()).contains(mailbox.address(), "3 messages", "app-only");
      Secrets.assertClean("toString", c.toString());
    }
    assertThat(loginsTo(mailbox)).isNotEmpty().allSatisfy(r -> {
      assertThat(r.method()).isEqualTo("AUTHENTICATE XOAUTH2");
      assertThat(r.attribute("outcome")).isEqualTo("OK");
      assertThat(r.attribute("appid")).isEqualTo(contoso.daemon.clientId());
    });
  }

  @Test
  void delegated_logsInAsTheSignedInUser() {
    Mailbox own = contoso.user("alice");
    Exchange.fill(own, 2, "Delegated");
    CredentialStrategy alice = contoso.delegated(own.address());
    try (ImapMailboxConnector c = contoso.connector(own, alice).build()) {
      assertThat(c.listMessages(FolderRef.INBOX).stream().count()).isEqualTo(2);
      assertThat(c.checkConnection().detail()).contains("delegated");
    }
    assertThat(loginsTo(own)).isNotEmpty().allSatisfy(r -> {
      assertThat(r.attribute("outcome")).isEqualTo("OK");
      assertThat(r.attribute("appid")).isEqualTo(contoso.desktop.clientId());
    });
  }

  @Test
  void sharedMailbox_isOpenedWithUserSetToIt_appOnly() {
    Mailbox shared = contoso.tenant.addSharedMailbox("support-app@contoso.com");
    contoso.tenant.addMailboxPermission(shared.address(), contoso.principal.objectId(), "FullAccess");
    Exchange.fill(shared, 2, "Ticket");
    try (ImapMailboxConnector c = contoso.connector(shared, contoso.appOnly()).build()) {
      assertThat(c.sync(FolderRef.INBOX, org.o365mail.SyncState.BEGINNING, 10).messages()).hasSize(2);
    }
    assertThat(loginsTo(shared)).isNotEmpty().allSatisfy(r -> assertThat(r.attribute("outcome")).isEqualTo("OK"));
  }

  @Test
  void sharedMailbox_isOpenedWithUserSetToIt_delegated() {
    Mailbox bob = contoso.user("bob");
    Mailbox shared = contoso.tenant.addSharedMailbox("support-bob@contoso.com");
    contoso.tenant.addMailboxPermission(shared.address(), bob.address(), "FullAccess");
    Exchange.fill(shared, 4, "Shared");
    try (ImapMailboxConnector c = contoso.connector(shared, contoso.delegated(bob.address())).build()) {
      assertThat(c.listMessages(FolderRef.INBOX).stream().count()).isEqualTo(4);
      assertThat(c.mailbox()).isEqualTo(shared.address());
    }
    assertThat(loginsTo(shared)).isNotEmpty()
        .allSatisfy(r -> assertThat(r.attribute("appid")).isEqualTo(contoso.desktop.clientId()));
  }

  @Test
  void startTls_upgradesThePlainPortBeforeLoggingIn() {
    Mailbox mailbox = contoso.mailbox("starttls");
    Exchange.fill(mailbox, 1, "Upgraded");
    try (ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly())
        .port(M365.tenant().imapStartTlsPort()).startTls().build()) {
      assertThat(c.message(c.listMessages(FolderRef.INBOX).stream().findFirst().orElseThrow().id()).subject())
          .isEqualTo("Upgraded 0");
    }
  }

  @Test
  void untrustedServerCertificate_isATrustDiagnosis_notARetryLoop() throws Exception {
    Mailbox mailbox = contoso.mailbox("trust");
    try (ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly()).trust(SSLContext.getDefault())
        .build()) {
      assertThatThrownBy(() -> c.listFolders())
          .isInstanceOf(MailboxException.class)
          .satisfies(e -> {
            MailboxException m = (MailboxException) e;
            assertThat(m.diagnosis()).get().extracting(d -> d.setupStep()).isEqualTo(SetupStep.TRUST);
            assertThat(m.serviceErrorCode()).contains("tls");
            assertThat(m.retryable()).isFalse();
            Secrets.assertClean(m);
          });
      ConnectionCheck check = c.checkConnection();
      assertThat(check.ok()).isFalse();
      assertThat(check.diagnosis()).get().extracting(d -> d.setupStep()).isEqualTo(SetupStep.TRUST);
    }
    assertThat(loginsTo(mailbox)).isEmpty();
  }

  @Test
  void serverWithoutXoauth2_isRefused_andNeitherLoginNorPlainIsTried() throws Exception {
    try (ScriptedImapServer server = new ScriptedImapServer("IMAP4rev1 AUTH=PLAIN AUTH=LOGIN", Map.of())) {
      Mailbox mailbox = contoso.mailbox("noxoauth2");
      try (ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly()).host("127.0.0.1")
          .port(server.port()).insecurePlaintextForTestsOnly().build()) {
        assertThatThrownBy(c::listFolders)
            .isInstanceOf(MailboxException.class)
            .hasMessageContaining("does not offer AUTH=XOAUTH2")
            .satisfies(e -> assertThat(((MailboxException) e).diagnosis()).get()
                .extracting(d -> d.setupStep()).isEqualTo(SetupStep.TRUST));
      }
      assertThat(server.received()).isNotEmpty()
          .noneMatch(l -> l.toUpperCase().contains("LOGIN") || l.toUpperCase().contains("AUTHENTICATE"));
    }
  }

  @Test
  void startTlsRequired_butNotOffered_isRefusedBeforeAnyLogin() throws Exception {
    try (ScriptedImapServer server = new ScriptedImapServer("IMAP4rev1 AUTH=XOAUTH2", Map.of())) {
      Mailbox mailbox = contoso.mailbox("nostarttls");
      try (ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly()).host("127.0.0.1")
          .port(server.port()).startTls().build()) {
        assertThatThrownBy(c::listFolders).isInstanceOf(MailboxException.class)
            .hasMessageContaining("does not offer STARTTLS");
      }
      assertThat(server.received()).noneMatch(l -> l.toUpperCase().contains("AUTHENTICATE"));
    }
  }

  @Test
  void angusProtocolTrace_staysOff_evenWithJavaUtilLoggingAtFinest() throws Exception {
    Mailbox mailbox = contoso.mailbox("jul");
    Exchange.fill(mailbox, 1, "Traced?");
    java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
    java.util.logging.Level level = root.getLevel();
    List<java.util.logging.LogRecord> records = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.logging.Handler handler = new java.util.logging.Handler() {
      @Override
      public void publish(java.util.logging.LogRecord r) {
        records.add(r);
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    handler.setLevel(java.util.logging.Level.ALL);
    root.addHandler(handler);
    root.setLevel(java.util.logging.Level.FINEST);
    try (ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly()).build()) {
      MessageSummary m = c.listMessages(FolderRef.INBOX).stream().findFirst().orElseThrow();
      try (var in = c.openMime(m.id())) {
        assertThat(in.readAllBytes()).isNotEmpty();
      }
    } finally {
      root.removeHandler(handler);
      root.setLevel(level);
    }
    assertThat(records).noneMatch(r -> r.getLoggerName() != null && r.getLoggerName().startsWith("org.o365mail"));
    assertThat(records).noneMatch(r -> String.valueOf(r.getMessage()).contains("Traced?"));
  }

  @Test
  void builder_namesWhatIsMissing_andRefusesContradictions() {
    assertThatThrownBy(() -> ImapMailboxConnector.builder().build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("mailbox()").hasMessageContaining("credential()");
    assertThatThrownBy(() -> ImapMailboxConnector.builder().mailbox("x@contoso.com").credential(contoso.appOnly())
        .startTls().insecurePlaintextForTestsOnly().build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("contradict");
    assertThatThrownBy(() -> ImapMailboxConnector.builder().mailbox("not an address"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ImapMailboxConnector.builder().port(0)).isInstanceOf(IllegalArgumentException.class);
  }
}
