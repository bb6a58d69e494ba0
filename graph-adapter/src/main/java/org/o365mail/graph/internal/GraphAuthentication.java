package org.o365mail.graph.internal;

import static java.util.Objects.requireNonNull;

import com.microsoft.kiota.RequestInformation;
import com.microsoft.kiota.RequestOption;
import com.microsoft.kiota.authentication.AccessTokenProvider;
import com.microsoft.kiota.authentication.AllowedHostsValidator;
import com.microsoft.kiota.authentication.AuthenticationProvider;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.o365mail.Diagnosis;
import org.o365mail.MailboxAuthenticationException;
import org.o365mail.MailboxException;
import org.o365mail.SetupStep;
import org.o365mail.auth.AccessToken;
import org.o365mail.auth.CredentialKind;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.TokenPreflight;
import org.o365mail.auth.TokenPreflight.Requirement;
import org.o365mail.auth.TokenRequest;
import org.o365mail.graph.internal.GraphCall.Access;

/**
 * Puts the bearer token on Graph requests, and only on those whose origin (scheme, host and port) is an allowed
 * one: the configured Graph base URL's, and any the configuration added. An added host without a port means HTTPS
 * on 443, not any port; {@code host:port} or {@code https://host:port} name another port. Only HTTPS origins
 * may be allowed. The token comes from the {@link CredentialStrategy}
 * for the request's {@link GraphCall.Access}: app-only strategies ask for {@code <graph>/.default}, delegated
 * ones for the configured mail or send permission. Each new token is pre-flighted against what the operation
 * needs ({@link TokenPreflight}) before it is first used. Thread-safe.
 */
public final class GraphAuthentication implements AuthenticationProvider, AccessTokenProvider {
  /** The key of the access class in Kiota's additional authentication context. */
  public static final String ACCESS = "org.o365mail.graph.access";

  private final CredentialStrategy credential;
  private final URI graphBase;
  private final AllowedHostsValidator hosts;
  /** The origins that may receive the token, each {@code https://host:port} with the port always written. */
  private final Set<String> origins = new java.util.LinkedHashSet<>();
  private final Map<Access, TokenRequest> requests = new EnumMap<>(Access.class);
  private final Map<Access, Requirement> requirements = new EnumMap<>(Access.class);
  private final Map<Access, String> preflighted = new ConcurrentHashMap<>();

  /**
   * @param graphBase the Graph base URL, {@code https://host[:port]/v1.0}
   * @param extraHosts more origins that may receive the token: {@code host} (HTTPS on 443), {@code host:port}
   *     or {@code https://host[:port]}
   * @param mailPermission the delegated permission for reading and changing mail
   * @param sendPermission the delegated permission for sending
   */
  public GraphAuthentication(CredentialStrategy credential, URI graphBase, Set<String> extraHosts,
      String mailPermission, String sendPermission) {
    this(credential, graphBase, extraHosts, mailPermission, sendPermission, TokenRequest.graph("Application.Read.All"));
  }

  /**
   * The same, with the token of {@link Access#DIRECTORY} requests given: a doctor's probe reads users, registrations
   * and grants, each with the delegated permission it needs (app-only tokens ask for {@code .default} whatever it
   * says).
   */
  public GraphAuthentication(CredentialStrategy credential, URI graphBase, Set<String> extraHosts,
      String mailPermission, String sendPermission, TokenRequest directory) {
    requireNonNull(directory, "directory");
    this.credential = requireNonNull(credential, "credential");
    this.graphBase = requireNonNull(graphBase, "graphBase");
    if (!"https".equalsIgnoreCase(graphBase.getScheme()) || graphBase.getHost() == null) {
      throw new IllegalArgumentException("the Graph base URL must be https://host/..., was " + graphBase);
    }
    this.hosts = new AllowedHostsValidator();
    java.util.Set<String> allowedHosts = new java.util.HashSet<>();
    origins.add(origin(graphBase));
    allowedHosts.add(graphBase.getHost().toLowerCase(Locale.ROOT));
    for (String h : extraHosts) {
      URI u = URI.create(h.contains("://") ? h : "https://" + h);
      if (!"https".equalsIgnoreCase(u.getScheme()) || u.getHost() == null) {
        throw new IllegalArgumentException("an allowed host must be host, host:port or https://host[:port], was " + h);
      }
      origins.add(origin(u));
      allowedHosts.add(u.getHost().toLowerCase(Locale.ROOT));
    }
    hosts.setAllowedHosts(allowedHosts);
    requests.put(Access.READ, TokenRequest.graph(mailPermission));
    requests.put(Access.WRITE, TokenRequest.graph(mailPermission));
    requests.put(Access.SEND, TokenRequest.graph(sendPermission));
    requests.put(Access.DIRECTORY, directory);
    requirements.put(Access.READ, Requirement.graphRead());
    requirements.put(Access.WRITE, Requirement.graphReadWrite());
    requirements.put(Access.SEND, Requirement.graphSend());
  }

  /** The access class a request was tagged with, READ when untagged. */
  public static Access accessOf(RequestInformation request) {
    for (RequestOption o : request.getRequestOptions()) {
      if (o instanceof GraphCall call) {
        return call.access();
      }
    }
    return Access.READ;
  }

  @Override
  public void authenticateRequest(RequestInformation request, Map<String, Object> context) {
    Access access = accessOf(request);
    request.headers.remove("Authorization");
    if (access == Access.NONE) {
      return;
    }
    URI uri;
    try {
      uri = request.getUri();
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("not a valid request URL", e);
    }
    request.headers.add("Authorization", "Bearer " + bearer(uri, access));
  }

  @Override
  public String getAuthorizationToken(URI uri, Map<String, Object> context) {
    if (!mayCarryToken(uri)) {
      return "";
    }
    Object access = context == null ? null : context.get(ACCESS);
    return bearer(uri, access instanceof Access a ? a : Access.READ);
  }

  @Override
  public AllowedHostsValidator getAllowedHostsValidator() {
    return hosts;
  }

  /**
   * The origin of {@code uri}, {@code scheme://host:port} in lower case with the port always written (443 for
   * https, 80 for http when the URL has none), or {@code null} when it has no scheme or host.
   */
  public static String origin(URI uri) {
    if (uri == null || uri.getScheme() == null || uri.getHost() == null) {
      return null;
    }
    return origin(uri.getScheme(), uri.getHost(), uri.getPort());
  }

  /** The origin of a URL given as scheme, host and port (-1: the scheme's default). */
  public static String origin(String scheme, String host, int port) {
    String s = scheme.toLowerCase(Locale.ROOT);
    int p = port >= 0 ? port : s.equals("https") ? 443 : s.equals("http") ? 80 : -1;
    return s + "://" + host.toLowerCase(Locale.ROOT) + ":" + p;
  }

  /** Whether a request to {@code uri} may carry the token: its scheme, host and port equal an allowed origin's. */
  public boolean mayCarryToken(URI uri) {
    String o = origin(uri);
    return o != null && o.startsWith("https://") && origins.contains(o);
  }

  /** The same check for a URL given as scheme, host and port. */
  public boolean mayCarryToken(String scheme, String host, int port) {
    return scheme != null && host != null && origins.contains(origin(scheme, host, port))
        && "https".equalsIgnoreCase(scheme);
  }

  /** The origins that may receive the token, for messages. */
  public Set<String> origins() {
    return java.util.Collections.unmodifiableSet(origins);
  }

  /** The clear refusal of a request to {@code origin}, which names the origin and never the token. */
  public MailboxException refusal(String origin) {
    return new MailboxException("refusing to send the Graph token to " + origin
        + ": only " + origins + " may carry it (scheme, host and port must match)",
        Diagnosis.builder(SetupStep.TRUST, "token-guard")
            .summary("A Graph request pointed at an origin that may not receive the token")
            .fix("Add the origin to allowedHosts() only if it is a Graph endpoint you trust")
            .build(),
        null);
  }

  /** The token value for {@code access}, refusing any URL that may not carry it. */
  public String bearer(URI uri, Access access) {
    if (!mayCarryToken(uri)) {
      throw refusal(uri == null ? "(no URL)" : String.valueOf(origin(uri)));
    }
    AccessToken token = credential.token(requests.get(access));
    preflight(token, access);
    return token.value();
  }

  /** Drops the cached token of {@code access} (after a 401), so the next request gets a fresh one. */
  public void invalidate(Access access) {
    TokenRequest request = requests.get(access);
    if (request != null) {
      credential.invalidate(request);
      preflighted.remove(access);
    }
  }

  public CredentialKind kind() {
    return credential.kind();
  }

  /** The scopes a token for {@code access} is asked with, for messages. */
  public String scopesOf(Access access) {
    TokenRequest request = requests.getOrDefault(access, requests.get(Access.READ));
    return String.join(" ", request.scopes(credential.kind(), credential.registration().cloud()));
  }

  /** The roles or scopes of the current token of {@code access}, when it can be had without a network call. */
  public Optional<AccessToken> currentToken(Access access) {
    try {
      return Optional.of(credential.token(requests.get(access)));
    } catch (MailboxException e) {
      return Optional.empty();
    }
  }

  private void preflight(AccessToken token, Access access) {
    Requirement requirement = requirements.get(access);
    if (requirement == null) {
      return;
    }
    String identity = token.expiresAt() + "/" + token.value().hashCode();
    if (identity.equals(preflighted.get(access))) {
      return;
    }
    Optional<Diagnosis> problem = TokenPreflight.check(token, requirement, credential.registration());
    if (problem.isPresent()) {
      throw new MailboxAuthenticationException(problem.get().describe(), problem.get(), null);
    }
    preflighted.put(access, identity);
  }
}
