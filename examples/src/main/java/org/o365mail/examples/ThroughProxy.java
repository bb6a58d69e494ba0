package org.o365mail.examples;

import java.util.List;
import org.o365mail.ConnectionCheck;
import org.o365mail.FolderRef;
import org.o365mail.MessageSummary;
import org.o365mail.ProxySettings;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.imap.ImapMailboxConnector;

/**
 * A service behind a corporate proxy: the sign-in to Entra ID and IMAP both go through an HTTP proxy's {@code
 * CONNECT} tunnels, with the proxy's Basic credentials from the environment (sent to the proxy only, once it asks);
 * hosts of the intranet connect directly. The proxy is set once, on the app registration: every connector built on
 * the credential takes it, unless given its own {@code proxy(...)}.
 *
 * <pre>O365_CLIENT_SECRET=... PROXY_PASSWORD=... java -Djdk.http.auth.tunneling.disabledSchemes= -cp ...
 *     org.o365mail.examples.ThroughProxy &lt;tenant id&gt; &lt;client id&gt; invoices@contoso.com
 *     http://proxy.corp.example:3128 svc-mail</pre>
 *
 * The {@code -D} option lets the JDK's HTTP client of the sign-in answer the proxy's 407 with Basic (the JDK
 * disables Basic for tunnels by default); Graph, IMAP and SMTP do not need it. Setup: the app-only IMAP setup of
 * {@code ImportFolder}.
 */
public final class ThroughProxy {
  private ThroughProxy() {}

  public static void main(String[] args) {
    ProxySettings proxy = ProxySettings.parse(args[3])
        .withCredentials(args[4], () -> System.getenv("PROXY_PASSWORD").toCharArray())
        .withNoProxy(List.of("*.corp.example"));
    AppRegistration app = AppRegistration.builder().clientId(args[1]).tenant(args[0]).proxy(proxy).build();
    try (CredentialStrategy credential = CredentialStrategy.clientCredentials(app)
            .secret(ClientSecret.fromEnvironment("O365_CLIENT_SECRET"))
            .build();
        ImapMailboxConnector mailbox = ImapMailboxConnector.builder()
            .mailbox(args[2])
            .credential(credential)
            .build()) {
      ConnectionCheck check = mailbox.checkConnection();
      System.out.println(check);
      for (MessageSummary m : mailbox.listMessages(FolderRef.INBOX)) {
        System.out.println(m.receivedAt() + "  " + m.subject());
      }
    }
  }
}
