package org.o365mail.examples;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.expiry.SecretExpiryTracker;
import org.o365mail.graph.GraphMailboxConnector;
import org.o365mail.importer.FileCheckpointStore;
import org.o365mail.importer.HealthState;
import org.o365mail.importer.ImportListener;
import org.o365mail.importer.ImportScheduler;
import org.o365mail.importer.MailImporter;

/**
 * A ticketing or contact-centre service: many queue mailboxes, one app-only credential, one scheduler with a
 * bounded number of threads, one checkpoint directory. Each mailbox has its own backoff and health; a change of
 * health (throttled, consent required, mailbox access denied, secret expiring...) is printed with its fix.
 *
 * <pre>
 * O365_CLIENT_SECRET=... java -cp ... org.o365mail.examples.PollManyMailboxes \
 *     &lt;tenant id&gt; &lt;client id&gt; ./checkpoints support@contoso.com sales@contoso.com ...
 * </pre>
 *
 * Setup: application permission {@code Mail.ReadWrite} (Microsoft Graph) with admin consent; an application access
 * policy (New-ApplicationAccessPolicy) limits the app to the queue mailboxes.
 */
public final class PollManyMailboxes {
  private PollManyMailboxes() {}

  public static void main(String[] args) throws InterruptedException {
    AppRegistration app = AppRegistration.builder().tenant(args[0]).clientId(args[1]).build();
    FileCheckpointStore checkpoints = new FileCheckpointStore(Path.of(args[2]));
    SecretExpiryTracker expiry = SecretExpiryTracker.builder().build();
    ImportListener health = new ImportListener() {
      @Override
      public void healthChanged(HealthState previous, HealthState current) {
        System.out.println(current.mailbox() + ": " + previous.health() + " -> " + current.health()
            + current.diagnosis().map(d -> " (" + d.setupStep().title() + ": " + d.fix() + ")").orElse(""));
      }
    };
    List<AutoCloseable> open = new ArrayList<>();
    try (CredentialStrategy credential = CredentialStrategy.clientCredentials(app)
            .secret(ClientSecret.fromEnvironment("O365_CLIENT_SECRET"))
            .listener(expiry.credentialListener())
            .build();
        ImportScheduler scheduler = ImportScheduler.create(8)) {
      expiry.track(credential).start(Duration.ofHours(6));
      for (int i = 3; i < args.length; i++) {
        GraphMailboxConnector mailbox = GraphMailboxConnector.builder().mailbox(args[i]).credential(credential).build();
        MailImporter importer = MailImporter.builder()
            .connector(mailbox)
            .checkpointStore(checkpoints)
            .scheduler(scheduler)
            .pollInterval(Duration.ofSeconds(60))
            .followChanges(true)
            .secretExpiry(expiry)
            .listener(health)
            .handler(message -> {
              try (InputStream mime = message.openMime()) {
                createTicket(message.idempotencyKey(), mime); // idempotent by key: a redelivery updates, not duplicates
              }
            })
            .build();
        open.add(0, mailbox);
        open.add(0, importer);
        importer.start();
      }
      Thread.currentThread().join(); // until the process is stopped
    } finally {
      for (AutoCloseable c : open) {
        try {
          c.close();
        } catch (Exception e) {
          System.err.println("closing " + c + ": " + e);
        }
      }
      expiry.close();
    }
  }

  static void createTicket(String key, InputStream mime) throws java.io.IOException {
    mime.transferTo(OutputStream.nullOutputStream());
  }
}
