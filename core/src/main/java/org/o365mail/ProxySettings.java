package org.o365mail;

import static java.util.Objects.requireNonNull;

import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * How the SDK reaches Entra ID, Graph, IMAP and SMTP: directly, through an HTTP proxy (HTTPS tunnelled with {@code
 * CONNECT}), through a SOCKS5 proxy, or as the JVM is configured ({@link #system()}, the default of every builder).
 * Immutable and thread-safe.
 *
 * <p>What each path supports:
 *
 * <ul>
 *   <li>HTTP proxy: every path. HTTPS (sign-in, Graph) and IMAP/SMTP always go through a {@code CONNECT} tunnel, so
 *       the proxy sees the target host and port and never a token, a password or a message: TLS runs end to end
 *       inside the tunnel. Nothing is ever sent to a proxy as a plain HTTP request.
 *   <li>Proxy credentials ({@link #withCredentials}): HTTP Basic, sent only to the proxy in {@code
 *       Proxy-Authorization}, and only after the proxy asked for it with a 407. The JDK's HTTP client (the sign-in
 *       path) refuses Basic for tunnels unless the JVM runs with {@code -Djdk.http.auth.tunneling.disabledSchemes=}
 *       (empty); Graph, IMAP and SMTP do not need it.
 *   <li>SOCKS5: IMAP and SMTP (no SOCKS authentication), and Graph; the sign-in path's JDK client has no SOCKS
 *       support and connects directly when given a SOCKS5 proxy: give it an HTTP proxy, or allow the sign-in host.
 *   <li>{@link #system()}: the JVM's {@link ProxySelector#getDefault()}, which honours {@code https.proxyHost},
 *       {@code https.proxyPort}, {@code http.nonProxyHosts}, {@code socksProxyHost} and {@code
 *       java.net.useSystemProxies}. IMAP and SMTP use a {@code socksProxyHost} if set, else the {@code https} proxy
 *       through {@code CONNECT}.
 * </ul>
 *
 * <p>The no-proxy list ({@link #withNoProxy}) holds host names ({@code mail.contoso.com}), suffixes ({@code
 * *.contoso.com} or {@code .contoso.com}, matching every host below), exact IP addresses, or {@code *} for all;
 * it applies on top of the JVM's {@code http.nonProxyHosts} for {@link #system()}.
 *
 * <pre>{@code
 * ProxySettings proxy = ProxySettings.http("proxy.corp.example", 3128)
 *     .withCredentials("svc-mail", () -> System.getenv("PROXY_PASSWORD").toCharArray())
 *     .withNoProxy(List.of("*.corp.example"));
 * }</pre>
 */
public final class ProxySettings {
  /** The kind of route. */
  public enum Type {
    /** No proxy. */
    DIRECT,
    /** The JVM's proxy settings and default {@link ProxySelector}. */
    SYSTEM,
    /** An HTTP proxy; every connection goes through a {@code CONNECT} tunnel. */
    HTTP,
    /** A SOCKS5 proxy. */
    SOCKS5
  }

  private static final ProxySettings NONE = new ProxySettings(Type.DIRECT, null, 0, null, null, List.of());
  private static final ProxySettings SYSTEM = new ProxySettings(Type.SYSTEM, null, 0, null, null, List.of());

  private final Type type;
  private final String host;
  private final int port;
  private final String username;
  private final Supplier<char[]> password;
  private final List<String> noProxy;

  private ProxySettings(Type type, String host, int port, String username, Supplier<char[]> password,
      List<String> noProxy) {
    this.type = type;
    this.host = host;
    this.port = port;
    this.username = username;
    this.password = password;
    this.noProxy = List.copyOf(noProxy);
  }

  /** Direct connections, whatever the JVM's proxy settings. */
  public static ProxySettings none() {
    return NONE;
  }

  /** The JVM's own proxy settings and {@link ProxySelector#getDefault()}: the default of every builder. */
  public static ProxySettings system() {
    return SYSTEM;
  }

  /** An HTTP proxy at {@code host:port}, through which every connection is a {@code CONNECT} tunnel. */
  public static ProxySettings http(String host, int port) {
    return new ProxySettings(Type.HTTP, checkHost(host), checkPort(port), null, null, List.of());
  }

  /** A SOCKS5 proxy at {@code host:port} (no SOCKS authentication). */
  public static ProxySettings socks5(String host, int port) {
    return new ProxySettings(Type.SOCKS5, checkHost(host), checkPort(port), null, null, List.of());
  }

  /**
   * Parses {@code http://host:port} or {@code socks5://host:port} (as in the CLI's {@code proxy} key); {@code
   * none}, {@code direct} and {@code system} name the other two routes. A URI with user info is refused: give
   * credentials with {@link #withCredentials}, never inside a URI that ends up in logs.
   */
  public static ProxySettings parse(String value) {
    requireNonNull(value, "value");
    String v = value.strip();
    switch (v.toLowerCase(Locale.ROOT)) {
      case "none", "direct" -> {
        return NONE;
      }
      case "system" -> {
        return SYSTEM;
      }
      default -> {
        // parsed below
      }
    }
    URI uri;
    try {
      uri = new URI(v);
    } catch (java.net.URISyntaxException e) {
      throw new IllegalArgumentException("proxy must be http://host:port or socks5://host:port, was not a URI");
    }
    if (uri.getRawUserInfo() != null) {
      throw new IllegalArgumentException("proxy must not hold credentials in its URI: give the user and the"
          + " password separately (proxy.user, proxy.password)");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (uri.getHost() == null || uri.getPort() < 0 || (uri.getRawPath() != null && !uri.getRawPath().isEmpty()
        && !uri.getRawPath().equals("/"))) {
      throw new IllegalArgumentException("proxy must be http://host:port or socks5://host:port, with a port: "
          + scheme + "://" + (uri.getHost() == null ? "?" : uri.getHost()));
    }
    String h = uri.getHost().startsWith("[") ? uri.getHost().substring(1, uri.getHost().length() - 1) : uri.getHost();
    return switch (scheme) {
      case "http" -> http(h, uri.getPort());
      case "socks5", "socks" -> socks5(h, uri.getPort());
      case "https" -> throw new IllegalArgumentException("proxy https:// (TLS to the proxy) is not supported: use"
          + " http://host:port, whose CONNECT tunnels carry TLS end to end");
      default -> throw new IllegalArgumentException("proxy scheme must be http or socks5, was " + scheme);
    };
  }

  /**
   * A copy that answers an HTTP proxy's 407 with Basic credentials. The password is asked of {@code password} each
   * time it is needed, and never kept, logged or shown.
   *
   * @throws IllegalStateException for a route other than {@link Type#HTTP}
   */
  public ProxySettings withCredentials(String user, Supplier<char[]> password) {
    requireNonNull(user, "user");
    requireNonNull(password, "password");
    if (type != Type.HTTP) {
      throw new IllegalStateException("proxy credentials need an HTTP proxy (http://host:port); this route is " + type);
    }
    if (user.isBlank() || user.indexOf(':') >= 0 || user.chars().anyMatch(Character::isISOControl)) {
      throw new IllegalArgumentException("proxy user must be non-blank, without ':' or control characters");
    }
    return new ProxySettings(type, host, port, user, password, noProxy);
  }

  /** A copy that connects directly to the hosts matched by {@code patterns} (see the class comment). */
  public ProxySettings withNoProxy(List<String> patterns) {
    List<String> clean = new ArrayList<>();
    for (String p : requireNonNull(patterns, "patterns")) {
      String s = requireNonNull(p, "pattern").strip().toLowerCase(Locale.ROOT);
      if (s.startsWith("[") && s.endsWith("]")) {
        s = s.substring(1, s.length() - 1);
      }
      if (s.isEmpty() || s.chars().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))) {
        throw new IllegalArgumentException("proxy.noProxy entries must be host names, *.suffix or IP addresses");
      }
      clean.add(s);
    }
    if (type == Type.DIRECT) {
      return this;
    }
    return new ProxySettings(type, host, port, username, password, clean);
  }

  public Type type() {
    return type;
  }

  /** The proxy's host, for {@link Type#HTTP} and {@link Type#SOCKS5}. */
  public Optional<String> host() {
    return Optional.ofNullable(host);
  }

  /** The proxy's port, or 0 for {@link Type#DIRECT} and {@link Type#SYSTEM}. */
  public int port() {
    return port;
  }

  /** The proxy user, when credentials were given. */
  public Optional<String> username() {
    return Optional.ofNullable(username);
  }

  /** Whether credentials were given. */
  public boolean hasCredentials() {
    return username != null;
  }

  /**
   * A fresh copy of the proxy password, for a 407 answer; the caller clears it after use. Never log or show it.
   *
   * @throws IllegalStateException without credentials, or when the supplier gave nothing
   */
  public char[] password() {
    if (password == null) {
      throw new IllegalStateException("no proxy credentials were given");
    }
    char[] p = password.get();
    if (p == null || p.length == 0) {
      throw new IllegalStateException("the proxy password for user " + username + " is empty or missing");
    }
    return p.clone();
  }

  /** The no-proxy list, normalised to lower case. */
  public List<String> noProxy() {
    return noProxy;
  }

  /** Whether {@code targetHost} is in the no-proxy list (the JVM's own list is checked by {@link #route}). */
  public boolean bypasses(String targetHost) {
    String h = requireNonNull(targetHost, "targetHost").toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    for (String p : noProxy) {
      if (p.equals("*") || p.equals(h)) {
        return true;
      }
      String suffix = p.startsWith("*.") ? p.substring(1) : p.startsWith(".") ? p : null;
      if (suffix != null && (h.endsWith(suffix) || h.equals(suffix.substring(1)))) {
        return true;
      }
    }
    return false;
  }

  /**
   * The proxy for one connection to {@code targetHost:targetPort}: {@link Proxy#NO_PROXY}, an HTTP proxy (always
   * used with {@code CONNECT}) or a SOCKS proxy. {@code https} is true for the HTTPS paths (sign-in, Graph), false
   * for IMAP and SMTP. The address is unresolved, as the proxy resolves it.
   */
  public Proxy route(String targetHost, int targetPort, boolean https) {
    requireNonNull(targetHost, "targetHost");
    if (type == Type.DIRECT || bypasses(targetHost)) {
      return Proxy.NO_PROXY;
    }
    if (type == Type.HTTP) {
      return new Proxy(Proxy.Type.HTTP, InetSocketAddress.createUnresolved(host, port));
    }
    if (type == Type.SOCKS5) {
      return new Proxy(Proxy.Type.SOCKS, InetSocketAddress.createUnresolved(host, port));
    }
    ProxySelector jvm = ProxySelector.getDefault();
    if (jvm == null) {
      return Proxy.NO_PROXY;
    }
    String h = targetHost.indexOf(':') >= 0 && !targetHost.startsWith("[") ? "[" + targetHost + "]" : targetHost;
    if (!https) {
      Proxy socks = first(jvm, URI.create("socket://" + h + ":" + targetPort), Proxy.Type.SOCKS);
      if (socks != null) {
        return socks;
      }
    }
    Proxy p = first(jvm, URI.create("https://" + h + ":" + targetPort), null);
    return p == null ? Proxy.NO_PROXY : p;
  }

  private static Proxy first(ProxySelector selector, URI uri, Proxy.Type wanted) {
    List<Proxy> list;
    try {
      list = selector.select(uri);
    } catch (RuntimeException e) {
      return null;
    }
    for (Proxy p : list == null ? List.<Proxy>of() : list) {
      if (p.type() == Proxy.Type.DIRECT) {
        return wanted == null ? Proxy.NO_PROXY : null;
      }
      if (wanted == null || p.type() == wanted) {
        return p;
      }
    }
    return null;
  }

  /**
   * This route as a {@link ProxySelector} for the HTTPS paths (the JDK client, OkHttp): each URI's host is routed by
   * {@link #route}.
   */
  public ProxySelector selector() {
    ProxySettings self = this;
    return new ProxySelector() {
      @Override
      public List<Proxy> select(URI uri) {
        requireNonNull(uri, "uri");
        String h = uri.getHost() == null ? "" : uri.getHost();
        int p = uri.getPort() >= 0 ? uri.getPort() : "http".equalsIgnoreCase(uri.getScheme()) ? 80 : 443;
        return List.of(self.route(h, p, true));
      }

      @Override
      public void connectFailed(URI uri, java.net.SocketAddress sa, java.io.IOException ioe) {
        // nothing to learn: there is one route
      }

      @Override
      public String toString() {
        return "ProxySelector of " + self;
      }
    };
  }

  /** Names the proxy for messages: {@code "HTTP proxy proxy.corp:3128"}, {@code "the JVM's proxy settings"}. */
  public String describe() {
    return switch (type) {
      case DIRECT -> "no proxy";
      case SYSTEM -> "the JVM's proxy settings";
      case HTTP -> "HTTP proxy " + hostPort(host, port);
      case SOCKS5 -> "SOCKS5 proxy " + hostPort(host, port);
    };
  }

  static String hostPort(String host, int port) {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  @Override
  public String toString() {
    return "ProxySettings[" + describe() + (username == null ? "" : ", user=" + username + ", password=****")
        + (noProxy.isEmpty() ? "" : ", noProxy=" + noProxy) + "]";
  }

  private static String checkHost(String host) {
    requireNonNull(host, "host");
    String h = host.strip();
    if (h.isEmpty() || h.chars().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c) || c == '/'
        || c == '@')) {
      throw new IllegalArgumentException("proxy host must be a host name or IP address");
    }
    return h;
  }

  private static int checkPort(int port) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("proxy port must be 1 to 65535, was " + port);
    }
    return port;
  }
}
