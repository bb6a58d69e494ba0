package org.o365mail.graph.internal;

import static java.util.Objects.requireNonNull;

import com.microsoft.graph.core.requests.BaseGraphRequestAdapter;
import com.microsoft.graph.core.requests.middleware.GraphTelemetryHandler;
import com.microsoft.graph.core.requests.options.GraphClientOption;
import com.microsoft.graph.serviceclient.GraphServiceClient;
import com.microsoft.kiota.http.KiotaClientFactory;
import com.microsoft.kiota.http.middleware.HeadersInspectionHandler;
import com.microsoft.kiota.http.middleware.ParametersNameDecodingHandler;
import com.microsoft.kiota.http.middleware.UserAgentHandler;
import com.microsoft.kiota.serialization.ParseNodeFactoryRegistry;
import com.microsoft.kiota.serialization.SerializationWriterFactoryRegistry;
import java.net.URI;
import java.security.KeyStore;
import java.security.NoSuchAlgorithmException;
import java.security.KeyStoreException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import okhttp3.Dispatcher;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import org.o365mail.ProxySettings;

/**
 * The HTTP side of the Graph adapter: one OkHttp client with the Graph SDK's middleware minus its retry and
 * redirect handlers (the {@link Governor} retries, and nothing follows a redirect with a token), the configured
 * TLS trust, and a {@link GraphServiceClient} on it whose authentication is {@link GraphAuthentication}. Closing
 * it frees the connection pool and threads. Thread-safe.
 *
 * <p>The configured timeout is about inactivity: it bounds connecting, each wait for the next bytes of an answer (its
 * headers included) and each wait to send the next bytes of a request. There is no total call timeout (Kiota sets
 * one of 100 s): a MIME message or attachment {@code $value} of up to 150 MB, or an upload-session chunk on a slow
 * link, may take longer than any fixed total while its bytes keep flowing, and cutting it would only make the import
 * read it again from the start. Answers held in memory (pages, {@code $batch}, errors) are bounded in size and in
 * total time per attempt by {@link BoundedAnswers}. Waiting for an answer is bounded by the {@link Governor}'s budget
 * of attempts and waiting, and each attempt by these timeouts.
 */
public final class GraphTransport implements AutoCloseable {
  private final OkHttpClient http;
  private final BaseGraphRequestAdapter adapter;
  private final GraphServiceClient client;
  private final Governor governor;
  private final GraphAuthentication auth;
  private final URI baseUrl;
  private final Duration timeout;
  /** Set once another transport uses this one's connection pool: then closing one must not empty it. */
  private final AtomicBoolean poolShared;
  /** Set by {@link #close()}: every request after it fails at once, naming the closed connector. */
  private volatile boolean closed;

  public GraphTransport(URI baseUrl, GraphAuthentication auth, Governor governor, SSLContext trust, Duration timeout) {
    this(baseUrl, auth, governor, trust, ProxySettings.system(), timeout, BoundedAnswers.DEFAULT_TIMEOUT, null);
  }

  /**
   * @param answerTimeout the total time of one attempt at an answer held in memory ({@link BoundedAnswers})
   */
  public GraphTransport(URI baseUrl, GraphAuthentication auth, Governor governor, SSLContext trust, Duration timeout,
      Duration answerTimeout) {
    this(baseUrl, auth, governor, trust, ProxySettings.system(), timeout, answerTimeout, null);
  }

  /**
   * The same through {@code proxy}: HTTPS through its {@code CONNECT} tunnels (OkHttp never sends an {@code https}
   * request to a proxy in clear), its Basic credentials given only in answer to its 407 (see {@link
   * ProxyCredentials}).
   */
  public GraphTransport(URI baseUrl, GraphAuthentication auth, Governor governor, SSLContext trust,
      ProxySettings proxy, Duration timeout, Duration answerTimeout) {
    this(baseUrl, auth, governor, trust, requireNonNull(proxy, "proxy"), timeout, answerTimeout, null);
  }

  /**
   * A transport for another mailbox that shares {@code poolOf}'s connections (and so its TLS trust): one pool of
   * connections to Graph serves every mailbox, as OkHttp intends, instead of one pool and one set of idle
   * connections per mailbox.
   */
  public GraphTransport(URI baseUrl, GraphAuthentication auth, Governor governor, Duration timeout,
      GraphTransport poolOf) {
    this(baseUrl, auth, governor, timeout, BoundedAnswers.DEFAULT_TIMEOUT, poolOf);
  }

  /** The same, with {@code answerTimeout} as the total time of one attempt at an answer held in memory. */
  public GraphTransport(URI baseUrl, GraphAuthentication auth, Governor governor, Duration timeout,
      Duration answerTimeout, GraphTransport poolOf) {
    this(baseUrl, auth, governor, null, null, timeout, answerTimeout, requireNonNull(poolOf, "poolOf"));
  }

  private GraphTransport(URI baseUrl, GraphAuthentication auth, Governor governor, SSLContext trust,
      ProxySettings proxy, Duration timeout, Duration answerTimeout, GraphTransport poolOf) {
    this.baseUrl = baseUrl;
    this.timeout = requireNonNull(timeout, "timeout");
    this.auth = auth;
    this.governor = governor;
    Interceptor[] interceptors = {
      chain -> {
        if (closed) {
          throw new Closed();
        }
        return chain.proceed(chain.request());
      },
      new GraphTelemetryHandler(new GraphClientOption()),
      new ParametersNameDecodingHandler(),
      new UserAgentHandler(),
      new HeadersInspectionHandler(),
      governor,
      new BoundedAnswers(requireNonNull(answerTimeout, "answerTimeout")) // inside the governor: once per attempt
    };
    OkHttpClient.Builder builder;
    if (poolOf == null) {
      builder = KiotaClientFactory.create(interceptors);
      this.poolShared = new AtomicBoolean();
    } else {
      // the same settings KiotaClientFactory gives, on the other transport's pool and socket factory
      builder = poolOf.http.newBuilder().dispatcher(new Dispatcher());
      builder.interceptors().clear();
      builder.networkInterceptors().clear();
      for (Interceptor i : interceptors) {
        builder.addInterceptor(i);
      }
      poolOf.poolShared.set(true);
      this.poolShared = poolOf.poolShared;
    }
    builder
        .followRedirects(false)
        .followSslRedirects(false)
        .retryOnConnectionFailure(false)
        .callTimeout(0, TimeUnit.MILLISECONDS) // none: see the class comment
        .connectTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .readTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .writeTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (trust != null && poolOf == null) {
      builder.sslSocketFactory(trust.getSocketFactory(), trustManager(trust));
    }
    if (poolOf == null) {
      // the shared pool's transports take the proxy with the rest of poolOf's settings
      builder.proxySelector(proxy.selector());
      if (proxy.hasCredentials()) {
        builder.proxyAuthenticator(new ProxyCredentials(proxy));
      }
    }
    this.http = builder.build();
    this.adapter = new BaseGraphRequestAdapter(auth, ParseNodeFactoryRegistry.defaultInstance,
        SerializationWriterFactoryRegistry.defaultInstance, http, new GraphClientOption(), baseUrl.toString());
    this.client = new GraphServiceClient(adapter);
  }

  public GraphServiceClient client() {
    return client;
  }

  public BaseGraphRequestAdapter adapter() {
    return adapter;
  }

  /** The raw client (for upload URLs, which take no token), with the governor in it. */
  public OkHttpClient http() {
    return http;
  }

  public Governor governor() {
    return governor;
  }

  public GraphAuthentication auth() {
    return auth;
  }

  public URI baseUrl() {
    return baseUrl;
  }

  /** The inactivity timeout of connecting, reading and writing. */
  public Duration timeout() {
    return timeout;
  }

  /**
   * OkHttp wants a trust manager beside the socket factory, but uses it only to clean certificate chains for
   * certificate pinning, which this client does not use: the handshake itself is checked by the configured
   * context's socket factory. An {@link SSLContext} does not hand out its trust manager, so the JVM's default one
   * is given for that purpose.
   */
  private static X509TrustManager trustManager(SSLContext context) {
    try {
      TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      f.init((KeyStore) null);
      for (TrustManager tm : f.getTrustManagers()) {
        if (tm instanceof X509TrustManager x) {
          return x;
        }
      }
      throw new IllegalStateException("no X509TrustManager in this JVM");
    } catch (NoSuchAlgorithmException | KeyStoreException e) {
      throw new IllegalStateException("cannot set up TLS trust", e);
    }
  }

  /** A request on a closed transport. */
  public static final class Closed extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    Closed() {
      super("this Graph connector is closed");
    }
  }

  @Override
  public void close() {
    closed = true;
    http.dispatcher().executorService().shutdown();
    if (!poolShared.get()) {
      http.connectionPool().evictAll(); // shared, the pool's idle connections end with their keep-alive
    }
  }
}
