package org.o365mail.graph;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import org.o365mail.Diagnosis;
import org.o365mail.MailboxException;
import org.o365mail.auth.AccessToken;
import org.o365mail.auth.CredentialKind;
import org.o365mail.auth.TokenClaims;
import org.o365mail.auth.TokenRequest;
import org.o365mail.doctor.DoctorProbe.Context;
import org.o365mail.graph.internal.Governor;
import org.o365mail.graph.internal.GraphAuthentication;
import org.o365mail.graph.internal.GraphErrors;
import org.o365mail.graph.internal.GraphTransport;

/**
 * The reads of one {@link GraphDoctorProbe} look: the transports it opened (one per token it asked for, closed at
 * the end), each read's answer or refusal, and what was seen, kept as the finding's evidence. One per look, used by
 * one thread.
 */
final class DirectoryReads implements AutoCloseable {
  private final Context context;
  private final boolean appOnly;
  private final URI base;
  private final SSLContext trust;
  private final Set<String> allowedHosts;
  private final Duration timeout;
  private final Map<TokenRequest, GraphTransport> transports = new HashMap<>();
  private final List<String> evidence = new ArrayList<>();

  /** A read's result: the value, or the HTTP status and Graph code of the refusal (0 and the token's code). */
  record Answer<T>(T value, int status, String code) {}

  /**
   * @param baseUrl the Graph base URL, or null for the credential's cloud's
   * @param trust the TLS trust, or null for the registration's (else the JVM's)
   */
  DirectoryReads(Context context, URI baseUrl, SSLContext trust, Set<String> allowedHosts, Duration timeout) {
    this.context = context;
    this.appOnly = context.credential().kind() == CredentialKind.APP_ONLY;
    this.base = baseUrl != null ? baseUrl
        : URI.create(context.registration().cloud().graphEndpoint() + "/v1.0");
    this.trust = trust;
    this.allowedHosts = allowedHosts;
    this.timeout = timeout;
  }

  Context context() {
    return context;
  }

  boolean appOnly() {
    return appOnly;
  }

  /** A transport whose directory token is {@code request} (app-only: {@code .default} for any). */
  private GraphTransport transport(TokenRequest request) {
    TokenRequest key = appOnly ? TokenRequest.graph() : request;
    return transports.computeIfAbsent(key, r -> {
      GraphAuthentication auth = new GraphAuthentication(context.credential(), base, allowedHosts, "Mail.Read",
          "Mail.Send", r);
      SSLContext tls = trust != null ? trust : context.registration().trust().orElse(null);
      // each read is bounded: two attempts, 10 s of waiting between them, and the timeout for silence and for
      // the whole answer alike
      return new GraphTransport(base, auth, new Governor(2, 2, Duration.ofSeconds(10), auth), tls, timeout,
          timeout);
    });
  }

  /** Runs a read; empty when Graph or Entra ID says no, with what was seen kept as evidence. */
  <T> Answer<T> read(String what, TokenRequest token, Function<GraphTransport, T> call) {
    try {
      T value = call.apply(transport(token));
      evidence.add(what + ": 200");
      return new Answer<>(value, 200, "");
    } catch (RuntimeException e) {
      Optional<GraphErrors.Failure> f = GraphErrors.failureOf(e);
      if (f.isEmpty()) {
        // no Graph answer: the credential refused a token for the read (not consented, say), the token guard
        // refused the origin, or the network failed: cannot tell
        Optional<String> code = causes(e).filter(MailboxException.class::isInstance)
            .map(m -> ((MailboxException) m).diagnosis().map(Diagnosis::serviceCode).orElse("refused")).findFirst();
        evidence.add(what + ": " + code.map(c -> "not sent (" + c + ")").orElse(e.getClass().getSimpleName()));
        return new Answer<>(null, 0, code.orElse(""));
      }
      String code = GraphDoctorProbe.reportedCode(f.get().code());
      evidence.add(what + ": " + f.get().status() + " " + code);
      return new Answer<>(null, f.get().status(), code);
    }
  }

  private static Stream<Throwable> causes(Throwable e) {
    List<Throwable> chain = new ArrayList<>();
    for (Throwable t = e; t != null && chain.size() < 16; t = t.getCause()) {
      chain.add(t);
    }
    return chain.stream();
  }

  /** What the reads so far saw, for the finding. */
  String evidence() {
    return String.join("; ", evidence);
  }

  /** The signed-in user, from the token's claims or the credential. */
  Optional<String> signedInUser() {
    Optional<String> upn = context.token().map(AccessToken::claims).flatMap(TokenClaims::userPrincipalName);
    return upn.isPresent() ? upn : context.credential().username();
  }

  @Override
  public void close() {
    transports.values().forEach(GraphTransport::close);
  }
}
