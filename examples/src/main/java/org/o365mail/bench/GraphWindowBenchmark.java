package org.o365mail.bench;

import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.TokenRequest;
import org.o365mail.graph.GraphMailboxConnector;
import org.o365mail.importer.CheckpointStore;
import org.o365mail.importer.ImportResult;
import org.o365mail.importer.MailImporter;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.RecordedRequest;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;

/**
 * A Graph import paced under Exchange's request window, scaled down so that it runs in about a minute: the testkit
 * keeps {@code N} requests per {@code T} per app and mailbox (every {@code $batch} item a request) and the connector
 * is told the same window. Prints the import's wall time against the window's bound measured in the same run,
 * {@code R x T / N} for the {@code R} requests the testkit counted (the time the window's rate needs for them; target:
 * within 1.1x), the number of 429 answers (target 0), and the most requests the testkit saw in any period {@code T}.
 * For comparison it also prints the bound of a client that spends the whole window at once and then stalls, {@code
 * (ceil(R / N) - 1) x T}, which the connector does not aim for: it paces.
 *
 * <pre>mvn -q package -DskipTests && java -cp examples/target/o365mail.jar org.o365mail.bench.GraphWindowBenchmark</pre>
 *
 * Arguments (optional): messages (540), window requests (300), window seconds (30), latency in ms (20), and {@code
 * unpaced} to tell the connector a window far larger than the testkit's (a governor that does not pace), for
 * comparison.
 */
public final class GraphWindowBenchmark {
  private GraphWindowBenchmark() {}

  public static void main(String[] args) throws Exception {
    int count = args.length > 0 ? Integer.parseInt(args[0]) : 540;
    int limit = args.length > 1 ? Integer.parseInt(args[1]) : 300;
    Duration window = Duration.ofSeconds(args.length > 2 ? Long.parseLong(args[2]) : 30);
    Duration latency = Duration.ofMillis(args.length > 3 ? Long.parseLong(args[3]) : 20);
    boolean unpaced = args.length > 4 && args[4].equals("unpaced");
    int told = unpaced ? 100_000_000 : limit;
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true"); // as GraphImportBenchmark: no Nagle artefact
    }
    try (LocalTenant m365 = LocalTenant.builder().graphRequestWindow(limit, window).start()) {
      Tenant contoso = m365.createTenant("contoso.com");
      Application app = contoso.registerApp("Window benchmark");
      app.addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite").grantAdminConsent();
      PasswordCredential secret = app.addClientSecret("bench", Duration.ofDays(30));
      Mailbox mailbox = contoso.addSharedMailbox("paced@contoso.com");
      for (int i = 0; i < count; i++) {
        mailbox.deliver(TestMessages.ofSize("sender" + i % 50 + "@fabrikam.com", mailbox.address(), "Document " + i,
            8_000));
      }
      AppRegistration registration = AppRegistration.builder().clientId(app.clientId()).tenant(contoso.id())
          .authorityHost(m365.authorityHost()).trust(m365.sslContext()).build();
      try (CredentialStrategy credential = CredentialStrategy.clientCredentials(registration)
          .secret(ClientSecret.of(secret.value())).build()) {
        credential.token(TokenRequest.graph("Mail.ReadWrite"));
        m365.faults().graphLatency(latency);
        m365.clearRequests();
        Set<String> keys = ConcurrentHashMap.newKeySet();
        AtomicInteger duplicates = new AtomicInteger();
        long start = System.nanoTime();
        ImportResult result;
        try (GraphMailboxConnector connector = GraphMailboxConnector.builder().mailbox(mailbox.address())
                .credential(credential).baseUrl(m365.graphBaseUrl()).trust(m365.sslContext())
                .requestWindow(told, window).build();
            MailImporter importer = MailImporter.builder().connector(connector)
                .checkpointStore(CheckpointStore.inMemory()).handler(m -> {
                  try (InputStream in = m.openMime()) {
                    in.transferTo(java.io.OutputStream.nullOutputStream());
                  }
                  if (!keys.add(m.idempotencyKey())) {
                    duplicates.incrementAndGet();
                  }
                }).build()) {
          result = importer.runOnce();
        }
        Duration wall = Duration.ofNanos(System.nanoTime() - start);
        List<RecordedRequest> counted = m365.requests("graph").stream()
            .filter(r -> r.attribute("mailbox").equals(mailbox.address())).toList();
        long requests = counted.size();
        long refused = m365.requests("graph").stream().filter(r -> r.status() == 429).count();
        double bound = requests * window.toMillis() / (double) limit / 1000.0;
        double stall = (Math.ceil(requests / (double) limit) - 1) * window.toSeconds();
        double seconds = wall.toMillis() / 1000.0;
        System.out.printf(Locale.ROOT, "Graph import of %d messages of about 8 KB under a request window of %d"
            + " requests per %d s per app and mailbox (%s), %d ms latency%n%n", count, limit,
            window.toSeconds(), unpaced ? "testkit only: the connector is told 100,000,000" : "testkit and connector",
            latency.toMillis());
        System.out.printf(Locale.ROOT, "imported: %d (completed: %s), handed out twice: %d%n", keys.size(),
            result.completed(), duplicates.get());
        System.out.printf(Locale.ROOT, "requests counted by the testkit's window (each $batch item one): %d%n",
            requests);
        System.out.printf(Locale.ROOT, "wall time: %.2f s%n", seconds);
        System.out.printf(Locale.ROOT, "the window's bound, requests x %d s / %d: %.2f s -> %.3fx the bound"
            + " (target 1.1x)%n", window.toSeconds(), limit, bound, seconds / bound);
        System.out.printf(Locale.ROOT, "(a burst-then-stall client's bound, (ceil(requests / %d) - 1) x %d s: %.0f s)%n",
            limit, window.toSeconds(), stall);
        System.out.printf(Locale.ROOT, "429 answers: %d (window refusals %d, concurrency refusals %d; target 0)%n",
            refused, m365.graphWindowRejections(), m365.graphConcurrencyRejections());
        System.out.printf(Locale.ROOT, "most requests in any %d s: %d of %d%n", window.toSeconds(),
            busiest(counted, window), limit);
      }
    }
  }

  /** The most requests recorded in any period of {@code window}. */
  static int busiest(List<RecordedRequest> requests, Duration window) {
    List<Instant> at = requests.stream().map(RecordedRequest::at).sorted().toList();
    int most = 0;
    int from = 0;
    for (int to = 0; to < at.size(); to++) {
      while (!at.get(from).isAfter(at.get(to).minus(window))) {
        from++;
      }
      most = Math.max(most, to - from + 1);
    }
    return most;
  }
}
