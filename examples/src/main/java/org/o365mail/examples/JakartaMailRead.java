package org.o365mail.examples;

import jakarta.mail.Address;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Store;
import java.util.Arrays;
import java.util.Optional;
import org.o365mail.Diagnosis;
import org.o365mail.MailboxException;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.jakarta.JakartaMailDiagnostics;
import org.o365mail.jakarta.JakartaMailSessions;

/**
 * Mail code already written on Jakarta Mail, given OAuth: the newest messages of a mailbox's Inbox listed with a plain
 * {@code Store} and {@code Folder}, app-only XOAUTH2 tokens from the SDK's client-credentials strategy. A refused
 * login is printed with the setup step that was missed and the PowerShell that fixes it.
 *
 * <pre>
 * O365_CLIENT_SECRET=... java -cp ... org.o365mail.examples.JakartaMailRead \
 *     &lt;tenant id&gt; &lt;client id&gt; invoices@contoso.com [count]
 * </pre>
 *
 * Setup: application permission {@code IMAP.AccessAsApp} (Office 365 Exchange Online) with admin consent, then in
 * Exchange Online PowerShell {@code New-ServicePrincipal} and {@code Add-MailboxPermission ... FullAccess}.
 */
public final class JakartaMailRead {
  private JakartaMailRead() {}

  public static void main(String[] args) {
    AppRegistration app = AppRegistration.builder().tenant(args[0]).clientId(args[1]).build();
    String mailbox = args[2];
    int count = args.length > 3 ? Integer.parseInt(args[3]) : 10;
    int status = 0;
    try (CredentialStrategy credential = CredentialStrategy.clientCredentials(app)
        .secret(ClientSecret.fromEnvironment("O365_CLIENT_SECRET")).build()) {
      Session session = JakartaMailSessions.imap(credential, mailbox).build();
      try (Store store = session.getStore()) {
        store.connect();
        Folder inbox = store.getFolder("INBOX");
        inbox.open(Folder.READ_ONLY);
        int total = inbox.getMessageCount();
        for (Message m : inbox.getMessages(Math.max(1, total - count + 1), total)) {
          Address[] from = m.getFrom();
          System.out.println(m.getSentDate() + "  " + (from == null ? "" : Arrays.toString(from)) + "  "
              + m.getSubject());
        }
        inbox.close(false);
      } catch (MessagingException | MailboxException e) {
        Optional<Diagnosis> d = JakartaMailDiagnostics.diagnose(e, credential, mailbox);
        System.err.println(d.map(Diagnosis::describe).orElse("IMAP failed: " + e.getMessage()));
        status = 1;
      }
    }
    if (status != 0) {
      System.exit(status);
    }
  }
}
