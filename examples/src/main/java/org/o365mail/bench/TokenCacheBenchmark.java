package org.o365mail.bench;

import com.azure.core.credential.TokenRequestContext;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.identity.ClientSecretCredential;
import com.azure.identity.ClientSecretCredentialBuilder;
import com.microsoft.aad.msal4j.ClientCredentialFactory;
import com.microsoft.aad.msal4j.ClientCredentialParameters;
import com.microsoft.aad.msal4j.ConfidentialClientApplication;
import com.microsoft.aad.msal4j.SilentParameters;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.TokenRequest;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.Tenant;

/**
 * Cached-token cost: 64 threads each asking 100,000 times for a token on a warm cache, through this SDK's
 * strategy, MSAL4J's {@code acquireTokenSilently} and azure-identity's {@code getTokenSync}, all in one run
 * against the local tenant. Prints calls per second for each and the token requests the tenant saw.
 *
 * <p>MSAL4J's cache misses when the authority has a port (msal4j issue 529: instance metadata is keyed without
 * the port, cached tokens with it), and azure-identity sits on MSAL; so when the local tenant runs on an
 * ephemeral port, both go to the token endpoint on every call. The benchmark therefore puts the identity endpoint
 * on port 443 when this user may bind it, giving them the port-less authority they need; otherwise it says so and
 * measures them on fewer calls. {@code -Dport=N} forces a port.
 *
 * <pre>mvn -q package -DskipTests && java -cp examples/target/o365mail.jar org.o365mail.bench.TokenCacheBenchmark [threads] [calls each]</pre>
 */
public final class TokenCacheBenchmark {
  private static final String GRAPH = "https://graph.microsoft.com/.default";

  private TokenCacheBenchmark() {}

  interface Call {
    void run() throws Exception;
  }

  public static void main(String[] args) throws Exception {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : 64;
    int calls = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
    Integer askedPort = Integer.getInteger("port");
    try (LocalTenant m365 = start(askedPort)) {
      int port = m365.authorityHost().getPort();
      Tenant contoso = m365.createTenant("contoso.com");
      Application app = contoso.registerApp("cache benchmark");
      PasswordCredential secret = app.addClientSecret("bench", Duration.ofDays(30));
      app.addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "Mail.Read").grantAdminConsent();
      // an explicit ":443" is kept by java.net.URL and defeats MSAL's cache exactly as another port would
      String authority = m365.authority(contoso).replace(":443/", "/");
      String authorityHost = m365.authorityHost().toString().replace(":443", "");
      System.out.printf(Locale.ROOT, "%d threads x %d cached token calls each, authority %s%n%n", threads, calls, authority);
      System.out.printf(Locale.ROOT, "%-44s %14s %14s %10s%n", "", "calls/s", "token requests", "wall (s)");

      AppRegistration registration = AppRegistration.builder().clientId(app.clientId()).tenant(contoso.id())
          .authorityHost(m365.authorityHost()).trust(m365.sslContext()).build();
      List<double[]> results = new ArrayList<>();
      try (CredentialStrategy ours = CredentialStrategy.clientCredentials(registration)
          .secret(ClientSecret.of(secret.value())).build()) {
        ours.token(TokenRequest.graph()); // warm, as the other two are
        results.add(measure("o365mail CredentialStrategy.token", m365, threads, calls,
            () -> ours.token(TokenRequest.graph())));
      }

      ExecutorService msalPool = Executors.newFixedThreadPool(8);
      ConfidentialClientApplication msal = ConfidentialClientApplication.builder(app.clientId(),
              ClientCredentialFactory.createFromSecret(secret.value()))
          .authority(authority).instanceDiscovery(false).validateAuthority(false)
          .sslSocketFactory(m365.sslContext().getSocketFactory()).executorService(msalPool).build();
      msal.acquireToken(ClientCredentialParameters.builder(Set.of(GRAPH)).build()).get();
      SilentParameters silent = SilentParameters.builder(Set.of(GRAPH)).build();
      int msalCalls = Math.max(1, port != 443 ? Math.min(calls, 50) : calls);
      results.add(measure("MSAL4J acquireTokenSilently" + (msalCalls < calls ? " (" + msalCalls + " calls/thread)" : ""),
          m365, threads, msalCalls, () -> {
            try {
              msal.acquireTokenSilently(silent).get();
            } catch (java.util.concurrent.ExecutionException e) {
              // a cache miss: what acquireTokenSilently reports when its cache cannot answer
              msal.acquireToken(ClientCredentialParameters.builder(Set.of(GRAPH)).build()).get();
            }
          }));
      msalPool.shutdown();

      ClientSecretCredential azure = new ClientSecretCredentialBuilder().authorityHost(authorityHost)
          .tenantId(contoso.id()).clientId(app.clientId()).clientSecret(secret.value()).disableInstanceDiscovery()
          .httpClient(new JdkHttpClientBuilder(java.net.http.HttpClient.newBuilder().sslContext(m365.sslContext())).build())
          .build();
      TokenRequestContext context = new TokenRequestContext().addScopes(GRAPH);
      azure.getTokenSync(context);
      int azureCalls = Math.max(1, port != 443 ? Math.min(calls, 50) : calls);
      results.add(measure("azure-identity getTokenSync" + (azureCalls < calls ? " (" + azureCalls + " calls/thread)" : ""),
          m365, threads, azureCalls, () -> azure.getTokenSync(context)));

      double ourRate = results.get(0)[0];
      double best = Math.max(results.get(1)[0], results.get(2)[0]);
      System.out.printf(Locale.ROOT, "%nours / faster of the two: %.1fx (target >= 1.0x); token requests by ours on a"
          + " warm cache: %d (target 0: one request per token lifetime)%n", ourRate / best, (long) results.get(0)[1]);
    }
  }

  /** Port 443 when asked or when this user may bind it, since MSAL's cache only works on a port-less authority. */
  private static LocalTenant start(Integer askedPort) {
    if (askedPort != null) {
      return LocalTenant.builder().identityPort(askedPort).start();
    }
    try {
      return LocalTenant.builder().identityPort(443).start();
    } catch (RuntimeException cannotBind) {
      System.out.println("port 443 is not available to this user: MSAL4J and azure-identity will miss their caches"
          + " (msal4j issue 529), so they are measured on 50 calls per thread");
      return LocalTenant.builder().start();
    }
  }

  static double[] measure(String name, LocalTenant m365, int threads, int calls, Call call) throws Exception {
    long before = m365.tokenRequestCount();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      futures.add(pool.submit(() -> {
        go.await();
        for (int i = 0; i < calls; i++) {
          call.run();
        }
        return null;
      }));
    }
    long start = System.nanoTime();
    go.countDown();
    try {
      for (Future<?> f : futures) {
        f.get(30, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    long requests = m365.tokenRequestCount() - before;
    double rate = threads * (double) calls / seconds;
    System.out.printf(Locale.ROOT, "%-44s %,14.0f %14d %10.2f%n", name, rate, requests, seconds);
    return new double[] {rate, requests};
  }
}
