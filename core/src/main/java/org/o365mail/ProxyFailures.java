package org.o365mail;

import java.io.IOException;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Recognises a proxy's refusal among transport failures (its 407 or 403 to a {@code CONNECT}, a SOCKS failure) and
 * diagnoses it as the network step ({@link SetupStep#TRUST}), naming the proxy, the status and the target, never a
 * credential. The adapters call {@link #diagnose} before their generic network diagnosis. Stateless and
 * thread-safe.
 */
public final class ProxyFailures {
  /** The JDK client's words for a refused tunnel ({@code Unable to tunnel through proxy. Proxy returns "..."}). */
  private static final Pattern JDK_TUNNEL = Pattern.compile("Unable to tunnel through proxy\\. Proxy returns \"HTTP/1\\.[01] (\\d{3})");
  /** OkHttp's words ({@code Unexpected response code for CONNECT: 403}, {@code Failed to authenticate with proxy}). */
  private static final Pattern OKHTTP_CONNECT = Pattern.compile("Unexpected response code for CONNECT: (\\d{3})");

  /** The JDK client's words for another refusal ({@code Tunnel failed, got: 403}). */
  private static final Pattern JDK_TUNNEL_FAILED = Pattern.compile("Tunnel failed, got: (\\d{3})");

  private ProxyFailures() {}

  /** A proxy that did not open the tunnel: its HTTP status, or for SOCKS5 its reply code. */
  public static final class RefusedException extends IOException {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final String proxy;
    private final boolean credentialsSent;
    private final String target;

    /**
     * @param proxy the proxy as {@link ProxySettings#describe()} names it
     * @param status the HTTP status of the answer to {@code CONNECT} (407, 403, ...), or 1000 + the SOCKS5 reply
     * @param credentialsSent whether Proxy-Authorization was sent (and refused)
     * @param target the host and port the tunnel was for
     */
    public RefusedException(String proxy, int status, boolean credentialsSent, String target) {
      super(proxy + " refused the tunnel to " + target + ": " + (status >= 1000 ? "SOCKS5 reply "
          + (status - 1000) : "HTTP " + status) + (credentialsSent ? " (with the configured proxy credentials)" : ""));
      this.status = status;
      this.proxy = proxy;
      this.credentialsSent = credentialsSent;
      this.target = target;
    }

    public int status() {
      return status;
    }

    public String proxy() {
      return proxy;
    }

    public boolean credentialsSent() {
      return credentialsSent;
    }

    /** The host and port the tunnel was for. */
    public String target() {
      return target;
    }
  }

  /**
   * The diagnosis of a refusal the SDK's own tunnel recorded ({@link RefusedException} in {@code failure} or its
   * causes), else empty: for callers that do not hold the {@link ProxySettings} the connection took.
   */
  public static Optional<Diagnosis> diagnose(Throwable failure) {
    int depth = 0;
    for (Throwable t = failure; t != null && depth < 20; t = t.getCause(), depth++) {
      if (t instanceof RefusedException r) {
        return Optional.of(of(r.status(), r.proxy(), r.credentialsSent(), r.target()));
      }
    }
    return Optional.empty();
  }

  /**
   * The diagnosis of {@code failure} when a proxy refused it, else empty.
   *
   * @param failure the failure, searched with its causes
   * @param proxy the route the connection took
   * @param target the host the connection was for
   */
  public static Optional<Diagnosis> diagnose(Throwable failure, ProxySettings proxy, String target) {
    if (proxy == null || proxy.type() == ProxySettings.Type.DIRECT) {
      return Optional.empty();
    }
    int depth = 0;
    for (Throwable t = failure; t != null && depth < 20; t = t.getCause(), depth++) {
      if (t.getMessage() != null && t.getMessage().contains("-Djdk.http.auth.tunneling.disabledSchemes=")) {
        return Optional.of(Diagnosis.builder(SetupStep.TRUST, "proxy_407")
            .summary("The " + proxy.describe() + " requires authentication (407) for the tunnel to " + target
                + ", and the JDK's HTTP client of the sign-in does not send Basic credentials for HTTPS tunnels by"
                + " default")
            .fix("Start the JVM with -Djdk.http.auth.tunneling.disabledSchemes= (empty) so that the sign-in sends"
                + " the configured proxy credentials")
            .build());
      }
      if (t instanceof RefusedException r) {
        return Optional.of(of(r.status(), r.proxy(), r.credentialsSent(), target));
      }
      String m = t.getMessage();
      if (m == null) {
        continue;
      }
      Matcher jdk = JDK_TUNNEL.matcher(m);
      if (jdk.find()) {
        return Optional.of(of(Integer.parseInt(jdk.group(1)), proxy.describe(), proxy.hasCredentials(), target));
      }
      Matcher failed = JDK_TUNNEL_FAILED.matcher(m);
      if (failed.find()) {
        return Optional.of(of(Integer.parseInt(failed.group(1)), proxy.describe(), proxy.hasCredentials(), target));
      }
      Matcher ok = OKHTTP_CONNECT.matcher(m);
      if (ok.find()) {
        return Optional.of(of(Integer.parseInt(ok.group(1)), proxy.describe(), proxy.hasCredentials(), target));
      }
      if (m.startsWith("Failed to authenticate with proxy")
          || (m.startsWith("too many authentication attempts") && proxy.hasCredentials())) {
        // OkHttp's and the JDK client's words after the proxy refused the credentials they were given
        return Optional.of(of(407, proxy.describe(), proxy.hasCredentials(), target));
      }
      if (m.startsWith("SOCKS") || m.contains("SOCKS server") || m.startsWith("Can't connect to SOCKS proxy")) {
        return Optional.of(Diagnosis.builder(SetupStep.TRUST, "proxy_socks")
            .summary(proxy.describe() + " did not connect " + target + " (" + ServiceText.printable(m) + ")")
            .fix("Check the SOCKS5 proxy's address and rules for " + target + ", or add the host to proxy.noProxy")
            .retryable(true)
            .build());
      }
    }
    return Optional.empty();
  }

  private static Diagnosis of(int status, String proxy, boolean credentialsSent, String target) {
    if (status == 407) {
      return Diagnosis.builder(SetupStep.TRUST, "proxy_407")
          .summary(credentialsSent
              ? "The " + proxy + " rejected the configured proxy credentials (407) for the tunnel to " + target
              : "The " + proxy + " requires authentication (407) for the tunnel to " + target)
          .fix(credentialsSent
              ? "Check proxy.user and proxy.password (ProxySettings.withCredentials) with the proxy's admin"
              : "Give the proxy's user and password: ProxySettings.withCredentials(user, password), or proxy.user"
                  + " and proxy.password in the CLI configuration")
          .build();
    }
    if (status >= 1000) {
      return Diagnosis.builder(SetupStep.TRUST, "proxy_socks_" + (status - 1000))
          .summary("The " + proxy + " refused the connection to " + target + " (SOCKS5 reply " + (status - 1000) + ")")
          .fix("Ask the proxy's admin to allow " + target + ", or add the host to proxy.noProxy")
          .build();
    }
    return Diagnosis.builder(SetupStep.TRUST, "proxy_" + status)
        .summary("The " + proxy + " refused the tunnel to " + target + " (HTTP " + status + ")")
        .fix("Ask the proxy's admin to allow CONNECT to " + target + ", or add the host to proxy.noProxy")
        .retryable(status == 502 || status == 503 || status == 504)
        .build();
  }
}
