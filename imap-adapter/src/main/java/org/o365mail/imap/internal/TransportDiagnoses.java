package org.o365mail.imap.internal;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Optional;
import javax.net.ssl.SSLException;
import org.o365mail.Diagnosis;
import org.o365mail.SetupStep;
import org.o365mail.TlsFailures;

/**
 * The network and TLS diagnoses behind {@link ExchangeDiagnoses}: connection refused, unknown host, no route,
 * connect and read timeouts, answers past a {@link ServerReadGuard} limit, connections that kept dropping, servers
 * that cannot be logged in to safely, and TLS refusals (the certificate named through {@link TlsFailures}). Unlike
 * the rest of {@link ExchangeDiagnoses} these say nothing about Exchange's configuration, only about reaching it.
 *
 * <p>Stateless and thread-safe.
 */
final class TransportDiagnoses {
  private TransportDiagnoses() {}

  /** The server cannot be logged in to safely (no STARTTLS, no XOAUTH2): nothing secret was sent. */
  static Diagnosis unsafeServer(ImapEndpoint endpoint, String detail) {
    return Diagnosis.builder(SetupStep.TRUST, "unsafe-server")
        .summary("Refused to log in at " + endpoint.host() + ":" + endpoint.port() + ": " + detail)
        .fix("Point the connector at Exchange Online (" + "outlook.office365.com:993 or smtp.office365.com:587 in the"
            + " global cloud) or at a server offering XOAUTH2 over TLS; check for a proxy rewriting the connection")
        .build();
  }

  /** A failure to connect or to set up TLS, to an IMAP server. */
  static Diagnosis transport(ImapEndpoint endpoint, Throwable failure) {
    return transport(endpoint, failure, false);
  }

  /**
   * A failure to connect or to set up TLS. A refused certificate is a TLS failure naming the certificate (read by a
   * second handshake broken off once it arrives; after STARTTLS for a STARTTLS endpoint).
   *
   * @param smtp whether the endpoint is SMTP submission (else IMAP)
   */
  static Diagnosis transport(ImapEndpoint endpoint, Throwable failure, boolean smtp) {
    String where = endpoint.host() + ":" + endpoint.port();
    Optional<Diagnosis> proxyRefusal = proxyRefusal(endpoint, failure);
    if (proxyRefusal.isPresent()) {
      return proxyRefusal.get();
    }
    Throwable tls = find(failure, SSLException.class);
    Optional<TlsFailures.Refusal> refusal = TlsFailures.refusal(failure);
    if (refusal.isPresent() && endpoint.security() != ImapEndpoint.Security.PLAINTEXT) {
      // the server was reached and its certificate refused: a TLS failure, with the certificate named
      TlsFailures.StartTls upgrade = endpoint.security() == ImapEndpoint.Security.IMPLICIT_TLS
          ? TlsFailures.StartTls.NONE : smtp ? TlsFailures.StartTls.SMTP : TlsFailures.StartTls.IMAP;
      return TlsFailures.diagnosis(TlsFailures.MAIL_CODE, smtp ? "the SMTP server" : "the IMAP server",
          endpoint.host(), endpoint.port(), refusal.get(), TlsFailures.presented(endpoint.host(), endpoint.port(),
              Duration.ofSeconds(5), upgrade), "the connector's or sender's trust(...)");
    }
    if (tls != null || messageMentions(failure, "server identity")) {
      return Diagnosis.builder(SetupStep.TRUST, "tls")
          .summary("The TLS connection to " + where + " failed: its certificate is not trusted or does not name"
              + " the host (" + (tls != null ? tls.getClass().getSimpleName() : "server identity") + ")")
          .fix("Trust the server's CA (AppRegistration.trust(...) or the builder's trust(...) for a private CA or"
              + " the testkit); check TLS-inspecting proxies")
          .build();
    }
    boolean network = find(failure, UnknownHostException.class) != null || find(failure, ConnectException.class) != null
        || find(failure, NoRouteToHostException.class) != null || find(failure, SocketTimeoutException.class) != null;
    return Diagnosis.builder(SetupStep.TRUST, network ? "network" : "io")
        .summary((network ? "Cannot reach " : "The connection to ") + where + (network ? "" : " failed") + " ("
            + rootName(failure) + ")")
        .fix("Check DNS, proxy and firewall for " + where + "; retry")
        .retryable(true)
        .build();
  }

  /**
   * A server that stopped answering or answered past a limit: a read refused by {@link ServerReadGuard} (too long a
   * line, literal or response; too slow; an operation past its deadline), or a connect or read timeout. Such
   * failures are not retried on a new connection: the next one would wait as long again (retries multiplied the read
   * timeout before). Null for any other failure.
   */
  static Diagnosis unanswered(ImapEndpoint endpoint, Throwable failure) {
    String where = endpoint.host() + ":" + endpoint.port();
    ServerReadGuard.LimitExceededException limit = findRead(failure, ServerReadGuard.LimitExceededException.class);
    if (limit != null && limit.kind().ofTime()) {
      return Diagnosis.builder(SetupStep.SERVICE, "too-slow")
          .summary(capitalized(limit.getMessage()))
          .fix("Retry later; if it keeps happening, check the network path to " + where)
          .retryable(true)
          .build();
    }
    if (limit != null) {
      return Diagnosis.builder(SetupStep.TRUST, "answer-too-large")
          .summary(capitalized(limit.getMessage()))
          .fix("Check that " + where + " is Exchange Online and that nothing on the way (a proxy, a TLS-inspecting"
              + " firewall) rewrites the connection")
          .build();
    }
    java.net.SocketTimeoutException timeout = findRead(failure, java.net.SocketTimeoutException.class);
    if (timeout == null) {
      return null;
    }
    boolean connecting = find(failure, org.eclipse.angus.mail.util.SocketConnectException.class) != null;
    long millis = (connecting ? endpoint.connectTimeout() : endpoint.readTimeout()).toMillis();
    return Diagnosis.builder(SetupStep.SERVICE, connecting ? "connect-timeout" : "timeout")
        .summary(connecting ? "Cannot reach " + where + " within " + millis + " ms (connect timeout)"
            : "The server at " + where + " did not answer within " + millis + " ms (read timeout)")
        .fix("Retry later; if it keeps happening, check DNS, proxy and firewall for " + where
            + " or raise the timeout")
        .retryable(true)
        .build();
  }

  private static String capitalized(String text) {
    return text.isEmpty() ? text : Character.toUpperCase(text.charAt(0)) + text.substring(1);
  }

  /** Like {@link #find}, also looking into the exception Angus turned into a synthetic {@code BYE}. */
  private static <T extends Throwable> T findRead(Throwable t, Class<T> type) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      T found = find(c, type);
      if (found != null) {
        return found;
      }
      if (c instanceof org.eclipse.angus.mail.iap.ProtocolException p && p.getResponse() != null
          && p.getResponse().getException() != null && p.getResponse().getException() != c) {
        return findRead(p.getResponse().getException(), type);
      }
    }
    return null;
  }

  /** The connection kept dropping and the attempts ran out. */
  static Diagnosis connectionLost(ImapEndpoint endpoint, int attempts, Throwable last) {
    return Diagnosis.builder(SetupStep.SERVICE, "connection-lost")
        .summary("The connection to " + endpoint.host() + ":" + endpoint.port() + " was lost " + attempts
            + " times in a row (" + rootName(last) + ")")
        .fix("Retry later; check the network path")
        .retryable(true)
        .build();
  }

  private static boolean messageMentions(Throwable t, String words) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c.getMessage() != null && c.getMessage().contains(words)) {
        return true;
      }
    }
    return false;
  }

  /** A proxy's refusal ({@link org.o365mail.ProxyFailures}), found also inside Angus's SocketConnectException. */
  static Optional<Diagnosis> proxyRefusal(ImapEndpoint endpoint, Throwable failure) {
    if (endpoint.proxy().type() == org.o365mail.ProxySettings.Type.DIRECT) {
      return Optional.empty();
    }
    String where = endpoint.host() + ":" + endpoint.port();
    org.o365mail.ProxyFailures.RefusedException refused = find(failure, org.o365mail.ProxyFailures.RefusedException.class);
    if (refused != null) {
      return org.o365mail.ProxyFailures.diagnose(refused, endpoint.proxy(), where);
    }
    java.net.SocketException socket = find(failure, java.net.SocketException.class);
    return org.o365mail.ProxyFailures.diagnose(socket != null ? socket : failure, endpoint.proxy(), where);
  }

  static <T extends Throwable> T find(Throwable t, Class<T> type) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (type.isInstance(c)) {
        return type.cast(c);
      }
      if (c instanceof org.eclipse.angus.mail.util.SocketConnectException s && type.isInstance(s.getException())) {
        return type.cast(s.getException());
      }
    }
    return null;
  }

  static String rootName(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return c.getClass().getSimpleName();
  }
}
