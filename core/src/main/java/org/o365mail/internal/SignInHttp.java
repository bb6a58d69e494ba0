package org.o365mail.internal;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;
import org.o365mail.ProxyFailures;
import org.o365mail.ProxySettings;

/**
 * Every sign-in HTTP exchange the SDK makes, its own and MSAL's (token, device-code, discovery and metadata
 * endpoints): an answer is capped at {@link #MAX_BODY_BYTES} and the whole exchange, body included, at one deadline.
 * A read timeout alone lets a server that sends a byte a second hold a caller for ever, and MSAL's default client
 * reads a body whole into a String (a {@code Scanner} over the stream, see DefaultHttpClient in
 * https://github.com/AzureAD/microsoft-authentication-library-for-java), so a 2 GB answer took the JVM down.
 *
 * <p>The JDK client runs on the caller's executor and its own selector thread, both daemon threads: a caller who
 * gives up leaves nothing that keeps the JVM alive. Thread-safe.
 */
public final class SignInHttp {
  /**
   * 1 MiB: a token answer is a few KB (three JWTs of at most a few KB each, plus ids), metadata and discovery
   * documents are smaller still; anything beyond is not an answer from Entra ID.
   */
  public static final int MAX_BODY_BYTES = 1 << 20;

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  private final HttpClient client;
  private final ProxySettings proxy;
  private final Duration deadline;
  private final int maxBodyBytes;
  /** The proxy credentials' authenticator, to tell a refusal of them from other failures; null without any. */
  private final ProxyOnlyAuthenticator proxyAuthenticator;

  /** An answer read whole: status, headers and the body as text. */
  public record Answer(int status, Map<String, List<String>> headers, String body) {
    @Override
    public String toString() {
      return "Answer[status=" + status + ", bytes=" + body.length() + "]"; // the body may hold tokens
    }
  }

  /** An answer longer than the cap: refused before it was read. */
  public static final class AnswerTooLargeException extends IOException {
    private static final long serialVersionUID = 1L;

    AnswerTooLargeException(URI uri, long limit) {
      super(endpoint(uri) + " answered more than " + limit + " bytes; refused (a sign-in answer is a few KB)");
    }
  }

  /** An exchange that did not end before its deadline, including one whose body kept trickling in. */
  public static final class DeadlineException extends HttpTimeoutException {
    private static final long serialVersionUID = 1L;

    DeadlineException(URI uri, Duration deadline) {
      super(endpoint(uri) + " did not answer completely within " + deadline.toMillis() + " ms");
    }
  }

  /**
   * @param trust the TLS trust for the sign-in host, or null for the JVM's
   * @param executor where the client runs its work, or null for the JDK's default
   * @param deadline how long one exchange may take, body included
   */
  public SignInHttp(SSLContext trust, ExecutorService executor, Duration deadline) {
    this(trust, ProxySettings.none(), executor, deadline, MAX_BODY_BYTES);
  }

  /**
   * The same through {@code proxy}: HTTPS through its {@code CONNECT} tunnels, answering a 407 with its Basic
   * credentials (sent to the proxy only, after it asked; see {@link ProxySettings}).
   */
  public SignInHttp(SSLContext trust, ProxySettings proxy, ExecutorService executor, Duration deadline) {
    this(trust, proxy, executor, deadline, MAX_BODY_BYTES);
  }

  SignInHttp(SSLContext trust, ExecutorService executor, Duration deadline, int maxBodyBytes) {
    this(trust, ProxySettings.none(), executor, deadline, maxBodyBytes);
  }

  SignInHttp(SSLContext trust, ProxySettings proxy, ExecutorService executor, Duration deadline, int maxBodyBytes) {
    this.deadline = deadline;
    this.maxBodyBytes = maxBodyBytes;
    this.proxy = proxy;
    ProxyOnlyAuthenticator proxyAuthenticator = null;
    HttpClient.Builder b = HttpClient.newBuilder()
        .connectTimeout(CONNECT_TIMEOUT.compareTo(deadline) < 0 ? CONNECT_TIMEOUT : deadline)
        .followRedirects(HttpClient.Redirect.NEVER);
    if (executor != null) {
      b.executor(executor); // else the JDK's default pool, whose threads are daemon threads too
    }
    if (trust != null) {
      b.sslContext(trust);
    }
    if (proxy.type() != ProxySettings.Type.DIRECT) {
      b.proxy(proxy.selector());
      if (proxy.hasCredentials()) {
        proxyAuthenticator = new ProxyOnlyAuthenticator(proxy);
        b.authenticator(proxyAuthenticator);
      }
    }
    this.client = b.build();
    this.proxyAuthenticator = proxyAuthenticator;
  }

  public Duration deadline() {
    return deadline;
  }

  /**
   * Sends {@code request} and reads its answer, all within the deadline.
   *
   * @throws AnswerTooLargeException if the answer announces or sends more than the cap
   * @throws DeadlineException if the exchange did not end in time (the connection is then dropped)
   * @throws IOException for any other transport failure
   * @throws InterruptedException if the caller was interrupted (the exchange is then cancelled)
   */
  public Answer send(HttpRequest request) throws IOException, InterruptedException {
    URI uri = request.uri();
    int credentialsAskedBefore = proxyAuthenticator == null ? 0 : proxyAuthenticator.asked.get();
    CompletableFuture<HttpResponse<byte[]>> future =
        client.sendAsync(request, info -> capped(info, uri, maxBodyBytes));
    HttpResponse<byte[]> response;
    try {
      response = future.get(deadline.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      future.cancel(true); // the JDK client aborts the exchange and closes its connection (JDK 16+, JDK-8245462)
      throw new DeadlineException(uri, deadline);
    } catch (InterruptedException e) {
      future.cancel(true);
      throw e;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (proxyAuthenticator != null && proxyAuthenticator.asked.get() - credentialsAskedBefore >= 2) {
        // the proxy answered 407 again after the configured credentials were sent: they were refused, whatever
        // words the JDK's client fails with (JDK 17 says "too many authentication attempts"; JDK 25 has been seen
        // failing on an internal null instead)
        String target = uri.getHost() + ":" + (uri.getPort() >= 0 ? uri.getPort() : 443);
        throw new ProxyFailures.RefusedException(proxy.describe(), 407, true, target);
      }
      if (cause instanceof IOException io) {
        throw io;
      }
      throw new IOException(endpoint(uri) + " failed: " + cause.getClass().getSimpleName(), cause);
    }
    if (response.statusCode() == 407 && proxy.type() != ProxySettings.Type.DIRECT) {
      // the JDK client hands the proxy's 407 to its CONNECT back as the answer when it has no credentials to give
      String target = uri.getHost() + ":" + (uri.getPort() >= 0 ? uri.getPort() : 443);
      if (proxy.hasCredentials() && basicTunnelingDisabled()) {
        throw new IOException("The " + proxy.describe() + " requires authentication (407) for the tunnel to " + target
            + ", and this JVM's HTTP client does not send Basic credentials to a proxy for HTTPS tunnels (the JDK's"
            + " default): start the JVM with -Djdk.http.auth.tunneling.disabledSchemes= (empty) to let the sign-in"
            + " send the configured proxy credentials",
            new ProxyFailures.RefusedException(proxy.describe(), 407, false, target));
      }
      throw new ProxyFailures.RefusedException(proxy.describe(), 407, proxy.hasCredentials(), target);
    }
    return new Answer(response.statusCode(), response.headers().map(),
        new String(response.body(), StandardCharsets.UTF_8));
  }

  /**
   * Whether the JDK's client refuses Basic for tunnels: the JDK's {@code net.properties} disables it unless the
   * JVM is started with {@code jdk.http.auth.tunneling.disabledSchemes} not naming Basic.
   */
  static boolean basicTunnelingDisabled() {
    String disabled = System.getProperty("jdk.http.auth.tunneling.disabledSchemes");
    return disabled == null || disabled.toLowerCase(java.util.Locale.ROOT).contains("basic");
  }

  /** The endpoint without its query (a query may hold a code or state). */
  public static String endpoint(URI uri) {
    return uri.getScheme() + "://" + uri.getRawAuthority() + (uri.getRawPath() == null ? "" : uri.getRawPath());
  }

  private static HttpResponse.BodySubscriber<byte[]> capped(HttpResponse.ResponseInfo info, URI uri, int max) {
    long announced = info.headers().firstValueAsLong("Content-Length").orElse(-1);
    return new Capped(uri, max, announced > max);
  }

  /** Collects the body up to the cap; beyond it, cancels the subscription and fails. */
  private static final class Capped implements HttpResponse.BodySubscriber<byte[]> {
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private final URI uri;
    private final int max;
    private final boolean refuseAtOnce;
    private byte[] buffer = new byte[8192];
    private int size;
    private Flow.Subscription subscription;

    Capped(URI uri, int max, boolean refuseAtOnce) {
      this.uri = uri;
      this.max = max;
      this.refuseAtOnce = refuseAtOnce;
    }

    @Override
    public CompletionStage<byte[]> getBody() {
      return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      this.subscription = s;
      if (refuseAtOnce) {
        s.cancel();
        result.completeExceptionally(new AnswerTooLargeException(uri, max));
        return;
      }
      s.request(1);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
      if (result.isDone()) {
        return;
      }
      for (ByteBuffer item : items) {
        int n = item.remaining();
        if ((long) size + n > max) {
          subscription.cancel();
          buffer = new byte[0];
          result.completeExceptionally(new AnswerTooLargeException(uri, max));
          return;
        }
        if (size + n > buffer.length) {
          buffer = java.util.Arrays.copyOf(buffer, Math.min(max, Math.max(buffer.length * 2, size + n)));
        }
        item.get(buffer, size, n);
        size += n;
      }
      subscription.request(1);
    }

    @Override
    public void onError(Throwable t) {
      result.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
      result.complete(java.util.Arrays.copyOf(buffer, size));
    }
  }

  /** Answers a proxy's 407 (never a server's 401) with the proxy's own credentials. */
  private static final class ProxyOnlyAuthenticator extends java.net.Authenticator {
    private final ProxySettings proxy;
    /** How often a proxy's 407 asked for the credentials. */
    final java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();

    ProxyOnlyAuthenticator(ProxySettings proxy) {
      this.proxy = proxy;
    }

    @Override
    protected java.net.PasswordAuthentication getPasswordAuthentication() {
      if (getRequestorType() != RequestorType.PROXY) {
        return null;
      }
      asked.incrementAndGet();
      return new java.net.PasswordAuthentication(proxy.username().orElseThrow(), proxy.password());
    }
  }
}
