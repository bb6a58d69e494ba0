package org.o365mail.examples;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.DeviceCodeChallenge;
import org.o365mail.auth.DeviceCodeCredential;
import org.o365mail.auth.FileTokenStore;
import org.o365mail.auth.TokenRequest;
import org.o365mail.imap.ImapMailboxConnector;

/**
 * A person signs in once with a device code (on a server, in an admin console); the refresh token is kept in an
 * encrypted, owner-only file, and every later start reads the mailbox with no sign-in at all.
 *
 * <pre>
 * O365_TOKEN_KEY=$(openssl rand -base64 32) java -cp ... org.o365mail.examples.DeviceCodeSignIn \
 *     &lt;tenant id&gt; &lt;client id&gt; helpdesk@contoso.com ./tokens
 * </pre>
 *
 * Setup: Allow public client flows = Yes; delegated {@code IMAP.AccessAsUser.All} (Office 365 Exchange Online) and
 * {@code offline_access}; the user has FullAccess to the mailbox if it is not their own.
 */
public final class DeviceCodeSignIn {
  private DeviceCodeSignIn() {}

  public static void main(String[] args) {
    AppRegistration app = AppRegistration.builder().tenant(args[0]).clientId(args[1]).build();
    FileTokenStore tokens = FileTokenStore.builder(Path.of(args[3]))
        .encryptionKey(Base64.getDecoder().decode(System.getenv("O365_TOKEN_KEY")))
        .build();
    try (DeviceCodeCredential user = CredentialStrategy.deviceCode(app)
        .signInRequest(TokenRequest.imap())
        .tokenStore(tokens)
        .build()) {
      if (!user.isSignedIn()) {
        DeviceCodeChallenge code = user.start();
        System.out.println(code.message()); // "To sign in, use a web browser to open the page ... and enter the code ..."
        user.await(Duration.ofMinutes(15));
      }
      try (ImapMailboxConnector mailbox = ImapMailboxConnector.builder().mailbox(args[2]).credential(user).build()) {
        System.out.println(mailbox.checkConnection());
      }
    }
  }
}
