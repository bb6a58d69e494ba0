package org.o365mail.examples;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.o365mail.MailboxConnector;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.expiry.SecretExpiryTracker;
import org.o365mail.graph.GraphMailboxConnector;
import org.o365mail.importer.FileCheckpointStore;
import org.o365mail.importer.ImportScheduler;
import org.o365mail.importer.MailImporter;
import org.o365mail.micrometer.MailboxTagging;
import org.o365mail.micrometer.O365MailMetrics;

/**
 * Many mailboxes imported with their meters on a Micrometer registry: messages, handler failures, parked messages,
 * health, throttling, token requests by setup step, Graph latency and the days left on the client secret. Here the
 * registry is a {@code SimpleMeterRegistry} printed every minute; in a service it is the one the service exports
 * (Prometheus, OTLP, ...), and with Spring Boot the one it injects.
 *
 * <pre>
 * O365_CLIENT_SECRET=... java -cp ... org.o365mail.examples.ImportWithMetrics \
 *     &lt;tenant id&gt; &lt;client id&gt; ./checkpoints support@contoso.com sales@contoso.com ...
 * </pre>
 */
public final class ImportWithMetrics {
  private ImportWithMetrics() {}

  public static void main(String[] args) throws InterruptedException {
    AppRegistration app = AppRegistration.builder().tenant(args[0]).clientId(args[1]).build();
    MeterRegistry registry = new SimpleMeterRegistry();
    // a hashed mailbox tag tells the mailboxes apart without putting their addresses in the monitoring system
    O365MailMetrics metrics = O365MailMetrics.builder().mailboxTag(MailboxTagging.HASHED)
        .tags(Tags.of("service", "tickets")).build();
    metrics.bindTo(registry);
    SecretExpiryTracker expiry = SecretExpiryTracker.builder().build();
    List<AutoCloseable> open = new ArrayList<>();
    try (CredentialStrategy credential = CredentialStrategy.clientCredentials(app)
            .secret(ClientSecret.fromEnvironment("O365_CLIENT_SECRET"))
            .listener(metrics.credentialListener(expiry.credentialListener())) // counted, then tracked
            .build();
        ImportScheduler scheduler = ImportScheduler.create(8)) {
      expiry.track(credential).start(Duration.ofHours(6));
      metrics.track(expiry);
      for (int i = 3; i < args.length; i++) {
        MailboxConnector mailbox = metrics.timed(
            GraphMailboxConnector.builder().mailbox(args[i]).credential(credential).build());
        MailImporter importer = MailImporter.builder()
            .connector(mailbox)
            .checkpointStore(new FileCheckpointStore(Path.of(args[2])))
            .scheduler(scheduler)
            .secretExpiry(expiry)
            .listener(metrics.importListener(args[i]))
            .handler(message -> {
              try (InputStream mime = message.openMime()) {
                mime.transferTo(OutputStream.nullOutputStream()); // the product's import, idempotent by key
              }
            })
            .build();
        open.add(0, mailbox);
        open.add(0, importer);
        importer.start();
      }
      while (!Thread.currentThread().isInterrupted()) {
        Thread.sleep(Duration.ofMinutes(1).toMillis());
        System.out.println(((SimpleMeterRegistry) registry).getMetersAsString());
      }
    } finally {
      for (AutoCloseable c : open) {
        try {
          c.close();
        } catch (Exception e) {
          System.err.println("closing " + c + ": " + e);
        }
      }
      expiry.close();
      metrics.close();
    }
  }
}
