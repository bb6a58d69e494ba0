package org.o365mail.bench;

import com.microsoft.graph.core.authentication.AzureIdentityAuthenticationProvider;
import com.microsoft.graph.core.requests.BaseGraphRequestAdapter;
import com.microsoft.graph.core.requests.GraphClientFactory;
import com.microsoft.graph.models.Message;
import com.microsoft.graph.models.MessageCollectionResponse;
import com.microsoft.graph.serviceclient.GraphServiceClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import okhttp3.OkHttpClient;
import org.o365mail.FolderRef;
import org.o365mail.ListOptions;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.TokenRequest;
import org.o365mail.azure.AzureCredentials;
import org.o365mail.graph.GraphMailboxConnector;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;

/**
 * Imports 2,000 messages of about 20 KB from the local tenant's Graph with 50 ms latency per request and
 * Exchange's four-concurrent cap, once through {@link GraphMailboxConnector} ({@code forEachMime} over the folder's
 * listing: pages of 1000 summaries, the next listed while the MIME of one is read; MIME in {@code $batch}es of twenty,
 * up to four in flight) and once the naive way with the plain Graph SDK (list pages, then one
 * {@code $value} GET per message, one after the other). Prints, for both: HTTP requests counted at the testkit,
 * wall time, messages per second, and the lower bound {@code ceil(requests / 4) x 50 ms}.
 *
 * <pre>mvn -q package -DskipTests && java -cp examples/target/o365mail.jar org.o365mail.bench.GraphImportBenchmark</pre>
 *
 * Arguments (optional): message count, message size in bytes, latency in ms.
 */
public final class GraphImportBenchmark {
  private GraphImportBenchmark() {}

  private static final int WINDOW_LIFTED = 100_000_000;

  /** @param batches the {@code $batch} requests among {@code requests} */
  record Run(String name, long requests, long batches, Duration wall, int messages, long checksum) {}

  public static void main(String[] args) throws Exception {
    int count = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
    int size = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
    Duration latency = Duration.ofMillis(args.length > 2 ? Long.parseLong(args[2]) : 50);
    // The JDK's HTTP server behind the testkit writes headers and body separately without TCP_NODELAY, so Nagle
    // and the client's delayed ACK add about 40 ms to each response: an artefact of the stand-in, not of Graph.
    // Turn it off (for both runs alike) unless told otherwise.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
    // five imports of 2,000 messages in a few minutes are more requests than Exchange's window lets an app send to one
    // mailbox (10,000 per 10 minutes, each $batch item one); this measures transport and batching, so the window is
    // lifted on both sides (GraphWindowBenchmark measures the pacing under it)
    try (LocalTenant m365 = LocalTenant.builder().graphRequestWindow(WINDOW_LIFTED, Duration.ofMinutes(10)).start()) {
      Tenant contoso = m365.createTenant("contoso.com");
      Application app = contoso.registerApp("Import benchmark");
      app.addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite").grantAdminConsent();
      PasswordCredential secret = app.addClientSecret("bench", Duration.ofDays(30));
      Mailbox mailbox = contoso.addSharedMailbox("import@contoso.com");
      for (int i = 0; i < count; i++) {
        mailbox.deliver(TestMessages.ofSize("sender" + i % 50 + "@fabrikam.com", mailbox.address(), "Document " + i,
            size));
      }
      AppRegistration registration = AppRegistration.builder().clientId(app.clientId()).tenant(contoso.id())
          .authorityHost(m365.authorityHost()).trust(m365.sslContext()).build();
      try (CredentialStrategy credential = CredentialStrategy.clientCredentials(registration)
          .secret(ClientSecret.of(secret.value())).build()) {
        credential.token(TokenRequest.graph("Mail.ReadWrite"));
        m365.faults().graphLatency(latency).mailboxConcurrencyLimit(4);

        // two unmeasured imports, so that the connector's code is compiled by the JIT before it is timed (the naive
        // run, which comes second and lasts a minute or more, gets the same for free); then three, the median kept
        for (int i = 0; i < 2; i++) {
          viaConnector(m365, credential, mailbox.address());
        }
        List<Run> runs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
          runs.add(viaConnector(m365, credential, mailbox.address()));
        }
        runs.sort(Comparator.comparing(Run::wall));
        Run connector = runs.get(1);
        System.out.printf(Locale.ROOT, "connector runs: %s s, the median kept%n", runs.stream()
            .map(r -> String.format(Locale.ROOT, "%.2f", r.wall().toMillis() / 1000.0)).toList());
        Run naive = naive(m365, credential, mailbox.address());
        System.out.printf(Locale.ROOT, "%nImport of %d messages of about %d KB, %d ms latency per request, at most 4"
            + " concurrent requests per mailbox (testkit)%n%n", count, size / 1000, latency.toMillis());
        System.out.printf(Locale.ROOT, "%-34s %9s %10s %9s %16s %9s%n", "", "requests", "wall (s)", "msg/s",
            "lower bound (s)", "x bound");
        for (Run r : List.of(connector, naive)) {
          double bound = Math.ceil(r.requests() / 4.0) * latency.toMillis() / 1000.0;
          double wall = r.wall().toMillis() / 1000.0;
          System.out.printf(Locale.ROOT, "%-34s %9d %10.2f %9.1f %16.2f %9.2f%n", r.name(), r.requests(), wall,
              r.messages() / wall, bound, wall / bound);
        }
        double rounds = Math.ceil(connector.requests() / 4.0);
        System.out.printf(Locale.ROOT, "%nthe connector's %d $batch requests each hold one of the mailbox's 4 slots"
            + " (their items run one after another); over the bound's %.0f rounds of %d ms, each round took %.1f ms"
            + " (latency plus the time the testkit and the client, sharing this machine's %d cores, spend on a"
            + " batch of twenty)%n", connector.batches(), rounds, latency.toMillis(),
            connector.wall().toMillis() / rounds, Runtime.getRuntime().availableProcessors());
        System.out.printf(Locale.ROOT, "%nspeed-up of the connector over the naive import: %.1fx%n",
            naive.wall().toMillis() / (double) connector.wall().toMillis());
        System.out.printf(Locale.ROOT, "same messages imported: %s (%d / %d, checksums %s)%n",
            connector.messages() == naive.messages() && connector.checksum() == naive.checksum(), connector.messages(),
            naive.messages(), connector.checksum() == naive.checksum() ? "equal" : "differ");
        System.out.printf(Locale.ROOT, "peak concurrency at the testkit: %d, 429 answers: %d%n",
            m365.graphPeakConcurrency(mailbox.address()), m365.graphConcurrencyRejections());
      }
    }
  }

  static Run viaConnector(LocalTenant m365, CredentialStrategy credential, String mailbox) {
    m365.clearRequests();
    long start = System.nanoTime();
    AtomicLong sum = new AtomicLong();
    int[] n = {0};
    try (GraphMailboxConnector c = GraphMailboxConnector.builder().mailbox(mailbox).credential(credential)
        .baseUrl(m365.graphBaseUrl()).trust(m365.sslContext()).requestWindow(WINDOW_LIFTED, Duration.ofMinutes(10))
        .build()) {
      // one pass over the folder's listing: the next page is listed while the MIME of this one is read
      long[] firstMessage = {0};
      c.forEachMime(c.listMessages(FolderRef.INBOX, ListOptions.defaults().pageSize(1000).readAhead(true)), (m, in) -> {
        firstMessage[0] = firstMessage[0] == 0 ? System.nanoTime() : firstMessage[0];
        sum.addAndGet(crc(in));
        n[0]++;
      });
      System.out.printf(Locale.ROOT, "connector: first message after %.2f s, the rest in %.2f s%n",
          (firstMessage[0] - start) / 1e9, (System.nanoTime() - firstMessage[0]) / 1e9);
    }
    Duration wall = Duration.ofNanos(System.nanoTime() - start);
    return new Run("GraphMailboxConnector", httpRequests(m365), batchRequests(m365), wall, n[0], sum.get());
  }

  static Run naive(LocalTenant m365, CredentialStrategy credential, String mailbox) throws Exception {
    m365.clearRequests();
    long start = System.nanoTime();
    OkHttpClient http = GraphClientFactory.create()
        .sslSocketFactory(m365.sslContext().getSocketFactory(), trustManager(m365.trustStore())).build();
    AzureIdentityAuthenticationProvider auth = new AzureIdentityAuthenticationProvider(
        AzureCredentials.asTokenCredential(credential), new String[] {"localhost"}, "https://graph.microsoft.com/.default");
    GraphServiceClient graph = new GraphServiceClient(new BaseGraphRequestAdapter(auth, m365.graphBaseUrl(), http));
    List<String> ids = new ArrayList<>();
    MessageCollectionResponse page = graph.users().byUserId(mailbox).mailFolders().byMailFolderId("inbox").messages()
        .get();
    while (page != null) {
      for (Message m : page.getValue()) {
        ids.add(m.getId());
      }
      page = page.getOdataNextLink() == null ? null
          : graph.users().byUserId(mailbox).mailFolders().byMailFolderId("inbox").messages()
              .withUrl(page.getOdataNextLink()).get();
    }
    long sum = 0;
    for (String id : ids) {
      try (InputStream in = graph.users().byUserId(mailbox).messages().byMessageId(id).content().get()) {
        sum += crc(in);
      }
    }
    Duration wall = Duration.ofNanos(System.nanoTime() - start);
    http.dispatcher().executorService().shutdown();
    http.connectionPool().evictAll();
    return new Run("naive Graph SDK (sequential)", httpRequests(m365), batchRequests(m365), wall, ids.size(), sum);
  }

  /** HTTP requests the testkit answered: a {@code $batch} counts once, its items not at all. */
  static long httpRequests(LocalTenant m365) {
    return m365.requests("graph").stream().filter(r -> !r.attribute("batchItem").equals("true")).count();
  }

  static long batchRequests(LocalTenant m365) {
    return m365.requests("graph").stream().filter(r -> r.path().endsWith("/$batch")).count();
  }

  static long crc(InputStream in) {
    CRC32 crc = new CRC32();
    byte[] buffer = new byte[16384];
    try {
      int n;
      while ((n = in.read(buffer)) > 0) {
        crc.update(buffer, 0, n);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return crc.getValue();
  }

  static X509TrustManager trustManager(KeyStore store) throws NoSuchAlgorithmException, KeyStoreException {
    TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    f.init(store);
    return (X509TrustManager) f.getTrustManagers()[0];
  }
}
