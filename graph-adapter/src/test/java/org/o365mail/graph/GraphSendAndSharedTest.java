package org.o365mail.graph;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.AttachmentInfo;
import org.o365mail.ConnectionCheck;
import org.o365mail.FolderRef;
import org.o365mail.MessageSummary;
import org.o365mail.OutgoingAttachment;
import org.o365mail.OutgoingMessage;
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
import org.o365mail.testkit.TestMessages;
import org.o365mail.testkit.User;

/**
 * Sending a 10 MB attachment through a draft and an upload session; shared mailboxes app-only and delegated
 * (username/password as a public client with Mail.ReadWrite.Shared and FullAccess).
 */
@Timeout(90)
@ExtendWith(LeakCheck.class)
class GraphSendAndSharedTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static LocalTenant m365;
  static Tenant contoso;

  @BeforeAll
  static void model() {
    m365 = M365.tenant();
    contoso = m365.createTenant("contoso.com");
  }

  @Test
  void tenMegabyteAttachment_goesThroughAnUploadSession_andArrivesWhole() {
    Mailbox sender = contoso.addUser("sender@contoso.com", "Sender-Pw-1!").mailbox();
    Mailbox recipient = contoso.addUser("recipient@contoso.com", "Recipient-Pw-1!").mailbox();
    byte[] scan = new byte[10 * 1024 * 1024];
    new Random(11).nextBytes(scan);
    m365.clearRequests();
    try (CredentialStrategy c = GraphApps.clientCredentials(m365, contoso,
            GraphApps.daemon(contoso, "Sender", "Mail.ReadWrite", "Mail.Send"));
        GraphMailboxConnector connector = GraphApps.connector(m365, c, sender.address()).build()) {
      connector.send(OutgoingMessage.builder().to(recipient.address()).subject("Scan").text("The scan.")
          .attach(OutgoingAttachment.bytes("scan.bin", "application/octet-stream", scan)).build());
    }
    assertThat(m365.requests("graph")).filteredOn(r -> r.path().contains("/attachmentSessions/")).hasSize(4);
    assertThat(m365.requests("graph")).noneMatch(r -> r.path().endsWith("/sendMail"));
    StoredMail received = recipient.messages("Inbox").stream().filter(m -> m.subject().equals("Scan")).findFirst()
        .orElseThrow();
    assertThat(sender.messages("Sent Items")).extracting(StoredMail::subject).contains("Scan");
    assertThat(sender.messages("Drafts")).isEmpty();
    try (CredentialStrategy c = GraphApps.clientCredentials(m365, contoso, GraphApps.daemon(contoso, "Reader", "Mail.Read"));
        GraphMailboxConnector connector = GraphApps.connector(m365, c, recipient.address()).build()) {
      MessageSummary s = connector.message(connector.listMessages(FolderRef.INBOX).stream()
          .filter(m -> m.subject().equals("Scan")).findFirst().orElseThrow().id());
      assertThat(s.size()).hasValue(received.size());
      AttachmentInfo a = connector.listAttachments(s.id()).get(0);
      assertThat(a.name()).isEqualTo("scan.bin");
      assertThat(GraphThrottlingTest.read(connector.openAttachment(s.id(), a.id()))).isEqualTo(scan);
    }
  }

  @Test
  void sharedMailbox_appOnly() {
    Mailbox shared = contoso.addSharedMailbox("support@contoso.com");
    shared.deliver(TestMessages.text("customer@fabrikam.com", shared.address(), "Help", "Please help."));
    try (CredentialStrategy c = GraphApps.clientCredentials(m365, contoso, GraphApps.daemon(contoso, "Helpdesk", "Mail.Read"));
        GraphMailboxConnector connector = GraphApps.connector(m365, c, shared.address()).build()) {
      assertThat(connector.listMessages(FolderRef.INBOX).stream().map(MessageSummary::subject)).containsExactly("Help");
    }
  }

  @Test
  void sharedMailbox_delegated_withSharedPermissionAndFullAccess() {
    Mailbox shared = contoso.addSharedMailbox("invoices@contoso.com");
    shared.deliver(TestMessages.text("billing@fabrikam.com", shared.address(), "Invoice", "42"));
    User alice = contoso.addUser("alice@contoso.com", "Alice-Pw-1!");
    Secrets.secret("Alice-Pw-1!");
    Application app = contoso.registerApp("Desk app").allowPublicClientFlows(true);
    app.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite.Shared", "Mail.Send.Shared");
    app.grantAdminConsent();
    try (CredentialStrategy c = CredentialStrategy.usernamePassword(Tenants.app(m365, contoso, app), alice.userPrincipalName(),
            "Alice-Pw-1!".toCharArray()).build();
        GraphMailboxConnector connector = GraphApps.connector(m365, c, shared.address()).build()) {
      ConnectionCheck denied = connector.checkConnection();
      assertThat(denied.ok()).isFalse();
      assertThat(denied.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.MAILBOX_PERMISSION);
      assertThat(denied.diagnosis().orElseThrow().command()).contains("Add-MailboxPermission -Identity "
          + shared.address() + " -User alice@contoso.com -AccessRights FullAccess");

      contoso.addMailboxPermission(shared.address(), alice.userPrincipalName(), "FullAccess");
      assertThat(connector.checkConnection().ok()).isTrue();
      MessageSummary s = connector.listMessages(FolderRef.INBOX).stream().findFirst().orElseThrow();
      assertThat(s.subject()).isEqualTo("Invoice");
      connector.markRead(s.id(), true);
      assertThat(shared.messages("Inbox")).allMatch(StoredMail::seen);
      assertThat(new String(GraphThrottlingTest.read(connector.openMime(s.id())), StandardCharsets.UTF_8))
          .contains("Subject: Invoice");
    }
  }

}
