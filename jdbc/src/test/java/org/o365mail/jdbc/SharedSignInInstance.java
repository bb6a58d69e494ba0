package org.o365mail.jdbc;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.o365mail.MailboxException;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.CredentialListener;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.DeviceCodeCredential;
import org.o365mail.auth.FileTokenStore;
import org.o365mail.auth.TokenRequest;
import org.o365mail.auth.TokenStore;

/**
 * One service instance of {@link PostgresTokenStoreSharedSignInTest}, run as a child JVM: a delegated sign-in
 * established by the test, read from the token store given, and many token requests from several threads at once,
 * each round after dropping the cached access token (as after a 401), so that every round refreshes. Prints one
 * {@code RESULT} line: requests answered, requests failed, refreshes made, and the failures' AADSTS codes.
 *
 * <p>Arguments: store ({@code jdbc} or {@code file:<directory>}), authority host, tenant id, client id, trust store
 * (PKCS12, the tenant's certificate), rounds, threads per round, a directory where it says it is ready and waits
 * for the word to go, its name, and the Graph permission it asks for. Environment: {@code O365MAIL_TEST_TOKEN_KEY} (the store key, hex) and for {@code jdbc}
 * {@code O365MAIL_TEST_JDBC_URL}. Neither secret is printed.
 */
public final class SharedSignInInstance {
  static final char[] TRUST_STORE_PASSWORD = "trust-only".toCharArray();
  static final TokenRequest REQUEST = TokenRequest.graph("Mail.ReadWrite");

  private SharedSignInInstance() {}

  public static void main(String[] args) throws Exception {
    String storeSpec = args[0];
    AppRegistration app = AppRegistration.builder()
        .clientId(args[3])
        .tenant(args[2])
        .authorityHost(URI.create(args[1]))
        .trust(trust(Path.of(args[4])))
        .build();
    int rounds = Integer.parseInt(args[5]);
    int threads = Integer.parseInt(args[6]);
    Path rendezvous = Path.of(args[7]);
    String name = args[8];
    // each instance asks for its own Graph permission, so that the tenant's record tells their refreshes apart
    TokenRequest request = TokenRequest.graph(args[9]);
    byte[] key = HexFormat.of().parseHex(System.getenv("O365MAIL_TEST_TOKEN_KEY"));

    AtomicInteger refreshes = new AtomicInteger();
    CredentialListener counting = new CredentialListener() {
      @Override
      public void tokenAcquired(TokenRequest request, Instant expiresAt, String credential) {
        refreshes.incrementAndGet();
      }
    };
    AtomicInteger answered = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    Map<String, Integer> codes = new ConcurrentHashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try (DeviceCodeCredential instance = CredentialStrategy.deviceCode(app).signInRequest(REQUEST)
        .tokenStore(store(storeSpec, key)).listener(counting).maxAttempts(1).timeout(Duration.ofSeconds(30))
        .build()) {
      if (!instance.isSignedIn()) {
        System.out.println("RESULT " + name + " notSignedIn");
        return;
      }
      Files.createFile(rendezvous.resolve(name + ".ready"));
      Path go = rendezvous.resolve("go");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!Files.exists(go) && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      for (int round = 0; round < rounds; round++) {
        instance.invalidate(request);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> asks = new java.util.ArrayList<>();
        for (int t = 0; t < threads; t++) {
          asks.add(pool.submit(() -> {
            start.await();
            try {
              instance.token(request);
              answered.incrementAndGet();
            } catch (MailboxException e) {
              failed.incrementAndGet();
              codes.merge(e.serviceErrorCode().orElse(e.getClass().getSimpleName()), 1, Integer::sum);
            }
            return null;
          }));
        }
        start.countDown();
        for (Future<?> ask : asks) {
          ask.get(60, TimeUnit.SECONDS);
        }
      }
    } finally {
      pool.shutdownNow();
    }
    System.out.println("RESULT " + name + " answered=" + answered + " failed=" + failed + " refreshes=" + refreshes
        + " codes=" + new TreeMap<>(codes));
  }

  static TokenStore store(String spec, byte[] key) {
    if (spec.equals("jdbc")) {
      return PostgresTokenStore.builder(new UrlDataSource(System.getenv("O365MAIL_TEST_JDBC_URL")))
          .encryptionKey(key).build();
    }
    if (spec.startsWith("file:")) {
      return FileTokenStore.builder(Path.of(spec.substring("file:".length()))).encryptionKey(key).build();
    }
    throw new IllegalArgumentException("store must be jdbc or file:<directory>, was " + spec);
  }

  private static SSLContext trust(Path trustStore) throws Exception {
    KeyStore keys = KeyStore.getInstance(trustStore.toFile(), TRUST_STORE_PASSWORD);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(keys);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }

  /** A connection per call from the driver for {@code url}: what a pool would hand out, without the pool. */
  private record UrlDataSource(String url) implements javax.sql.DataSource {
    @Override
    public java.sql.Connection getConnection() throws java.sql.SQLException {
      return java.sql.DriverManager.getConnection(url);
    }

    @Override
    public java.sql.Connection getConnection(String user, String password) throws java.sql.SQLException {
      return java.sql.DriverManager.getConnection(url, user, password);
    }

    @Override
    public java.io.PrintWriter getLogWriter() {
      return null;
    }

    @Override
    public void setLogWriter(java.io.PrintWriter out) {}

    @Override
    public void setLoginTimeout(int seconds) {}

    @Override
    public int getLoginTimeout() {
      return 0;
    }

    @Override
    public java.util.logging.Logger getParentLogger() throws java.sql.SQLFeatureNotSupportedException {
      throw new java.sql.SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws java.sql.SQLException {
      throw new java.sql.SQLException("not a wrapper");
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
      return false;
    }
  }
}
