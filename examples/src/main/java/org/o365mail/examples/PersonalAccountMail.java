package org.o365mail.examples;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import org.o365mail.FolderRef;
import org.o365mail.MessageSummary;
import org.o365mail.OutgoingMessage;
import org.o365mail.auth.AccountTypes;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.DeviceCodeCredential;
import org.o365mail.auth.FileTokenStore;
import org.o365mail.auth.Resource;
import org.o365mail.auth.TokenRequest;
import org.o365mail.graph.GraphMailboxConnector;
import org.o365mail.imap.ImapMailboxConnector;

/**
 * A personal Microsoft account (outlook.com, hotmail.com, live.com) signs in once with a device code through {@code
 * /consumers}; the program then sends through Microsoft Graph ({@code graph}) or reads the inbox over IMAP and sends
 * over SMTP AUTH ({@code imap}). The access tokens Microsoft issues to personal accounts are not JWTs: the SDK's
 * pre-flight lets them pass and the services judge them.
 *
 * <pre>
 * O365_TOKEN_KEY=$(openssl rand -base64 32) java -cp ... org.o365mail.examples.PersonalAccountMail \
 *     &lt;client id&gt; someone@outlook.com friend@example.org "Scan finished" graph|imap ./tokens
 * </pre>
 *
 * Setup (the ImageManager guide): Supported account types "Accounts in any organizational directory and personal
 * Microsoft accounts", tenant left blank; Allow public client flows = Yes; delegated Microsoft Graph {@code Mail.Send}
 * and {@code Mail.ReadWrite}, or Office 365 Exchange Online {@code IMAP.AccessAsUser.All} and {@code SMTP.Send}
 * (requested as {@code https://outlook.office.com/...}, the scopes Microsoft's "Authenticate an IMAP, POP or SMTP
 * connection using OAuth" gives for Microsoft 365 and Outlook.com users). The user consents at the sign-in; there is
 * no admin. For IMAP, Outlook.com's settings page ("POP, IMAP, and SMTP settings for Outlook.com") names IMAP {@code
 * outlook.office365.com:993} (SSL/TLS) and SMTP {@code smtp-mail.outlook.com:587} (STARTTLS), both OAuth2, and IMAP
 * must first be enabled by the user (Settings &gt; Mail &gt; Forwarding and IMAP).
 */
public final class PersonalAccountMail {
  private PersonalAccountMail() {}

  public static void main(String[] args) {
    AppRegistration app = AppRegistration.builder()
        .clientId(args[0])
        .accountTypes(AccountTypes.MULTI_TENANT_AND_PERSONAL)
        .consumers()                         // https://login.microsoftonline.com/consumers/
        .build();
    boolean imap = args[4].equals("imap");
    TokenRequest signIn = imap
        ? TokenRequest.of(Resource.EXCHANGE_ONLINE, "IMAP.AccessAsUser.All", "SMTP.Send")
        : TokenRequest.graph("Mail.ReadWrite", "Mail.Send");
    FileTokenStore tokens = FileTokenStore.builder(Path.of(args[5]))
        .encryptionKey(Base64.getDecoder().decode(System.getenv("O365_TOKEN_KEY")))
        .build();
    OutgoingMessage message = OutgoingMessage.builder().to(args[2]).subject(args[3])
        .text("Sent from " + args[1] + " at " + java.time.Instant.now()).build();
    try (DeviceCodeCredential user = CredentialStrategy.deviceCode(app).signInRequest(signIn).tokenStore(tokens)
        .build()) {
      if (!user.isSignedIn()) {
        System.out.println(user.start().message());
        user.await(Duration.ofMinutes(15));
      }
      if (imap) {
        try (ImapMailboxConnector mailbox = ImapMailboxConnector.builder().mailbox(args[1]).credential(user)
            .host("outlook.office365.com").smtpHost("smtp-mail.outlook.com").build()) {
          for (MessageSummary m : mailbox.listMessages(FolderRef.INBOX)) {
            System.out.println(m.receivedAt() + "  " + m.subject());
          }
          mailbox.send(message);
        }
      } else {
        try (GraphMailboxConnector mailbox =
            GraphMailboxConnector.builder().mailbox(args[1]).credential(user).build()) {
          mailbox.send(message);
        }
      }
      System.out.println("sent to " + args[2]);
    }
  }
}
