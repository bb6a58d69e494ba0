package org.o365mail.graph;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
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
import org.o365mail.testsupport.Secrets;

/**
 * An outlook.com user of an app for organizational and personal accounts (the ImageManager guide) reads and sends
 * through Graph with the access token Microsoft issues to personal accounts, which is not a JWT.
 */
@Timeout(60)
class GraphPersonalAccountTest {
  static final String PASSWORD = Secrets.secret("Outl00k-Graph-Pw!");

  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static LocalTenant m365;
  static Application imageManager;
  static User someone;
  static Mailbox friend;

  @BeforeAll
  static void model() {
    m365 = M365.tenant();
    Tenant contoso = m365.createTenant("contoso.com");
    imageManager = contoso.registerApp("ImageManager").accountTypes(SupportedAccountTypes.MULTI_TENANT_AND_PERSONAL)
        .allowPublicClientFlows(true);
    imageManager.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read", "Mail.ReadWrite", "Mail.Send");
    someone = m365.consumers().addUser("someone@outlook.com", PASSWORD);
    friend = m365.consumers().addUser("friend@hotmail.com", Secrets.secret("Hotm4il-Pw!")).mailbox();
  }

  @Test
  void deviceCodeThroughConsumers_thenReadAndSendWithTheOpaqueToken() {
    AppRegistration app = AppRegistration.builder().clientId(imageManager.clientId())
        .accountTypes(AccountTypes.MULTI_TENANT_AND_PERSONAL).consumers()
        .authorityHost(m365.authorityHost()).trust(m365.sslContext()).build();
    someone.mailbox().deliver("From: friend@hotmail.com\r\nTo: someone@outlook.com\r\nSubject: holiday photos\r\n"
        + "Message-ID: <p1@hotmail.com>\r\n\r\nsee attached\r\n");
    try (DeviceCodeCredential login = CredentialStrategy.deviceCode(app)
        .signInRequest(TokenRequest.graph("Mail.ReadWrite", "Mail.Send")).build()) {
      m365.deviceCodes().approve(login.start().userCode(), someone.userPrincipalName(), PASSWORD);
      AccessToken token = login.await(Duration.ofSeconds(20));
      Secrets.secret(token.value());
      assertThat(token.value()).doesNotContain(".");
      try (GraphMailboxConnector connector = GraphApps.connector(m365, login, someone.userPrincipalName()).build()) {
        List<String> subjects = new ArrayList<>();
        for (MessageSummary m : connector.listMessages(FolderRef.INBOX)) {
          subjects.add(m.subject());
        }
        assertThat(subjects).containsExactly("holiday photos");
        connector.send(OutgoingMessage.builder().to(friend.address()).subject("thanks").text("got them").build());
        ConnectionCheck sending = connector.checkSending();
        assertThat(sending.ok()).as(sending.detail()).isTrue();
        assertThat(connector.checkConnection().ok()).isTrue();
      }
    }
    assertThat(friend.messages("Inbox")).extracting(StoredMail::subject).containsExactly("thanks");
  }
}
