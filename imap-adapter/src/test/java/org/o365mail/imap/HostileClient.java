package org.o365mail.imap;

import java.io.InputStream;
import java.time.Duration;
import org.o365mail.MailboxException;
import org.o365mail.MessageId;
import org.o365mail.OutgoingMessage;
import org.o365mail.ServiceText;

/**
 * The client side of a hostile-server case, run in a JVM of its own with a small heap: opens message 1 of the
 * INBOX over IMAP ({@code imap <port>}) or sends a message over SMTP ({@code smtp <port>}) with a 5 s timeout, prints
 * how that ended and exits 0 for the SDK's exception, 3 for running out of memory, 4 for anything else and 5 if
 * nothing failed.
 */
public final class HostileClient {
  static final int CLEAN = 0;
  static final int OUT_OF_MEMORY = 3;
  static final int OTHER = 4;
  static final int NO_FAILURE = 5;

  private HostileClient() {}

  public static void main(String[] args) {
    int port = Integer.parseInt(args[1]);
    OpaqueTokenCredential credential = new OpaqueTokenCredential();
    try {
      if (args[0].equals("imap")) {
        try (ImapMailboxConnector c = ImapMailboxConnector.builder().mailbox("hostile@contoso.com")
            .credential(credential).host("127.0.0.1").port(port).insecurePlaintextForTestsOnly()
            .timeout(Duration.ofSeconds(5)).build();
            InputStream in = c.openMime(new MessageId("imap:7:1:Inbox"))) {
          in.transferTo(java.io.OutputStream.nullOutputStream());
        }
      } else {
        SmtpSender.builder().mailbox("hostile@contoso.com").credential(credential).host("127.0.0.1").port(port)
            .timeout(Duration.ofSeconds(5)).build()
            .send(OutgoingMessage.builder().to("someone@fabrikam.com").subject("Hello").text("Hello.").build());
      }
      System.out.println("NO FAILURE");
      System.exit(NO_FAILURE);
    } catch (MailboxException e) {
      System.out.println("CLEAN " + e.getClass().getSimpleName() + ": " + ServiceText.printable(e.getMessage()));
      System.out.flush();
      System.exit(CLEAN);
    } catch (OutOfMemoryError e) {
      Runtime.getRuntime().halt(OUT_OF_MEMORY);
    } catch (Throwable t) {
      System.out.println("OTHER " + t);
      System.out.flush();
      System.exit(OTHER);
    }
  }
}
