package org.o365mail.examples;

import java.nio.file.Path;
import org.o365mail.OutgoingMessage;
import org.o365mail.auth.AccountTypes;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.FileTokenStore;
import org.o365mail.auth.TokenRequest;
import org.o365mail.graph.GraphMailboxConnector;

/**
 * The ImageManager case: a desktop tool sends a notification from the signed-in user's mailbox with the delegated
 * {@code Mail.Send} permission. The first run opens the system browser (PKCE, redirect to {@code http://localhost}
 * on any port); the refresh token is kept, so later runs send without a sign-in.
 *
 * <pre>java -cp ... org.o365mail.examples.SendNotification &lt;client id&gt; me@contoso.com ops@contoso.com "Backup failed"</pre>
 *
 * Setup: a multitenant app registration, platform "Mobile and desktop applications" with redirect URI
 * {@code http://localhost}, delegated {@code Mail.Send} (Microsoft Graph).
 */
public final class SendNotification {
  private SendNotification() {}

  public static void main(String[] args) {
    AppRegistration app = AppRegistration.builder().clientId(args[0]).accountTypes(AccountTypes.MULTI_TENANT).build();
    FileTokenStore tokens = FileTokenStore.builder(Path.of(System.getProperty("user.home"), ".imagemanager", "tokens"))
        .build();
    try (CredentialStrategy user = CredentialStrategy.interactive(app)
            .signInRequest(TokenRequest.graph("Mail.Send"))
            .loginHint(args[1])
            .tokenStore(tokens)
            .build();
        GraphMailboxConnector mailbox = GraphMailboxConnector.builder()
            .mailbox(args[1])
            .credential(user)
            .build()) {
      mailbox.send(OutgoingMessage.builder()
          .to(args[2])
          .subject(args[3])
          .text("Sent by ImageManager at " + java.time.Instant.now())
          .build());
      System.out.println("sent to " + args[2]);
    }
  }
}
