package org.o365mail.imap;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.ConnectionCheck;
import org.o365mail.FolderRef;
import org.o365mail.MessageSummary;
import org.o365mail.OutgoingMessage;
import org.o365mail.auth.AccessToken;
import org.o365mail.auth.AccountTypes;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.DeviceCodeCredential;
import org.o365mail.auth.Resource;
import org.o365mail.auth.TokenRequest;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.StoredMail;
import org.o365mail.testkit.SupportedAccountTypes;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.User;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testsupport.Secrets;

/**
 * An outlook.com user reads over IMAP and sends over SMTP AUTH with XOAUTH2, signed in through {@code /common} with
 * the delegated scopes Microsoft documents for Outlook.com users ({@code
 * https://outlook.office.com/IMAP.AccessAsUser.All} and {@code SMTP.Send}); the access token is not a JWT.
 */
@Timeout(60)
@ExtendWith({FreshLogs.class, LeakCheck.class})
class ImapPersonalAccountTest {
  static final String PASSWORD = Secrets.secret("Outl00k-Imap-Pw!");

  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static LocalTenant m365;
  static Application mailApp;
  static User someone;
  static Mailbox friend;

  @BeforeAll
  static void model() {
    m365 = M365.tenant();
    Tenant contoso = m365.createTenant("contoso.com");
    mailApp = contoso.registerApp("Desktop mail").accountTypes(SupportedAccountTypes.MULTI_TENANT_AND_PERSONAL)
        .allowPublicClientFlows(true);
    mailApp.addDelegatedPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsUser.All", "SMTP.Send");
    someone = m365.consumers().addUser("someone@outlook.com", PASSWORD);
    friend = m365.consumers().addUser("friend@live.com", Secrets.secret("L1ve-Pw!")).mailbox();
  }

  @Test
  void deviceCodeThroughCommon_thenImapReadAndSmtpSendWithTheOpaqueToken() {
    AppRegistration app = AppRegistration.builder().clientId(mailApp.clientId())
        .accountTypes(AccountTypes.MULTI_TENANT_AND_PERSONAL)
        .authorityHost(m365.authorityHost()).trust(m365.sslContext()).build();
    someone.mailbox().deliver("From: friend@live.com\r\nTo: someone@outlook.com\r\nSubject: dinner\r\n"
        + "Message-ID: <d1@live.com>\r\n\r\nat eight\r\n");
    try (DeviceCodeCredential login = CredentialStrategy.deviceCode(app)
        .signInRequest(TokenRequest.of(Resource.EXCHANGE_ONLINE, "IMAP.AccessAsUser.All", "SMTP.Send")).build()) {
      m365.deviceCodes().approve(login.start().userCode(), someone.userPrincipalName(), PASSWORD);
      AccessToken token = login.await(Duration.ofSeconds(20));
      Secrets.secret(token.value());
      assertThat(token.value()).doesNotContain(".");
      try (ImapMailboxConnector connector = ImapMailboxConnector.builder().mailbox(someone.userPrincipalName())
          .credential(login).host(m365.hostName()).port(m365.imapPort()).smtpHost(m365.hostName())
          .smtpPort(m365.smtpPort()).build()) {
        ConnectionCheck check = connector.checkConnection();
        assertThat(check.ok()).as(check.detail()).isTrue();
        List<String> subjects = new ArrayList<>();
        for (MessageSummary m : connector.listMessages(FolderRef.INBOX)) {
          subjects.add(m.subject());
        }
        assertThat(subjects).containsExactly("dinner");
        connector.send(OutgoingMessage.builder().to(friend.address()).subject("see you").text("at eight").build());
      }
    }
    assertThat(friend.messages("Inbox")).extracting(StoredMail::subject).containsExactly("see you");
    assertThat(m365.imapCommands()).anyMatch(c -> c.user().equalsIgnoreCase(someone.userPrincipalName()));
    assertThat(m365.smtpCommands()).anyMatch(c -> c.user().equalsIgnoreCase(someone.userPrincipalName()));
  }
}
