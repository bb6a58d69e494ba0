package org.o365mail;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * TLS failures worded as what they are: the server was reached and its certificate refused (not trusted, expired,
 * or not naming the host), with the certificate's subject and issuer. Callers give the side (the sign-in endpoint,
 * or the mail servers) and the setting that trusts it. The adapters and the doctor word their TLS refusals with it;
 * use it to word your own. Stateless and thread-safe.
 */
public final class TlsFailures {
  /** The service code of a refused certificate of the sign-in endpoint. */
  public static final String SIGN_IN_CODE = "tls-sign-in";

  /** The service code of a refused certificate of a mail server (Graph, IMAP, SMTP). */
  public static final String MAIL_CODE = "tls";

  private TlsFailures() {}

  /** Why a certificate was refused. */
  public enum Refusal {
    /** No path from the certificate to a trusted CA: the CA is not in the trust store. */
    UNTRUSTED("is not trusted: no CA it chains to is in the trust store"),
    /** Outside its validity period. */
    EXPIRED("is expired or not yet valid"),
    /** Trusted, but it names another host. */
    WRONG_HOST("does not name the host connected to");

    private final String words;

    Refusal(String words) {
      this.words = words;
    }

    /** What is wrong with the certificate, after "its certificate". */
    public String words() {
      return words;
    }
  }

  /**
   * Why the TLS handshake of {@code failure} (or one of its causes) refused the server's certificate; empty for
   * other failures (no TLS, a protocol mismatch, a connection reset). Reads the JDK's exception types, and for a
   * host name mismatch the messages of the JDK's {@code HostnameChecker} ("No subject alternative DNS name matching
   * ...", "No name matching ...") and of Angus Mail's server identity check ("server identity").
   */
  public static Optional<Refusal> refusal(Throwable failure) {
    boolean tls = false;
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof javax.net.ssl.SSLException) {
        tls = true;
      }
      if (t instanceof CertificateExpiredException || t instanceof CertificateNotYetValidException) {
        return Optional.of(Refusal.EXPIRED);
      }
      if (t instanceof CertPathValidatorException v
          && v.getReason() == CertPathValidatorException.BasicReason.EXPIRED) {
        return Optional.of(Refusal.EXPIRED);
      }
      String message = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
      // the JDK's host name check: "No subject alternative DNS name matching x found", "No name matching x found"
      // https://github.com/openjdk/jdk/blob/master/src/java.base/share/classes/sun/security/util/HostnameChecker.java
      // Angus Mail's: "Unable to check server identity for: x" (SocketFetcher.checkServerIdentity)
      // https://github.com/eclipse-ee4j/angus-mail/blob/master/core/src/main/java/org/eclipse/angus/mail/util/SocketFetcher.java
      if ((t instanceof CertificateException && (message.contains("no subject alternative")
          || message.contains("no name matching"))) || message.contains("server identity")) {
        return Optional.of(Refusal.WRONG_HOST);
      }
      if (t instanceof CertPathBuilderException || t instanceof CertPathValidatorException
          || (tls && message.contains("pkix path"))) {
        return Optional.of(Refusal.UNTRUSTED);
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return Optional.empty();
  }

  /**
   * The certificate {@code host:port} presents, read by a TLS handshake of its own that is broken off as soon as the
   * certificate arrives: nothing is sent over it, so no token can reach an untrusted server. Empty when the server
   * cannot be reached again, speaks no TLS on that port, or takes longer than {@code timeout}.
   */
  public static Optional<X509Certificate> presented(String host, int port, Duration timeout) {
    return presented(host, port, timeout, StartTls.NONE);
  }

  /** How a connection reaches its TLS handshake. */
  public enum StartTls {
    /** TLS from the first byte (HTTPS, IMAP 993). */
    NONE,
    /** IMAP STARTTLS (https://www.rfc-editor.org/rfc/rfc9051#section-6.2.1): greeting, STARTTLS, OK. */
    IMAP,
    /** SMTP STARTTLS (https://www.rfc-editor.org/rfc/rfc3207#section-4): greeting, EHLO, STARTTLS, 220. */
    SMTP
  }

  /**
   * {@link #presented(String, int, Duration)} for a server that upgrades a plain connection with STARTTLS first: only
   * the greeting, EHLO and STARTTLS are exchanged in clear text, as every client does.
   */
  public static Optional<X509Certificate> presented(String host, int port, Duration timeout, StartTls startTls) {
    AtomicReference<X509Certificate> seen = new AtomicReference<>();
    X509TrustManager recorder = new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("not a server");
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        if (chain != null && chain.length > 0) {
          seen.set(chain[0]);
        }
        throw new CertificateException("certificate read; the handshake ends here");
      }

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    };
    int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {recorder}, null);
      try (java.net.Socket tcp = new java.net.Socket()) {
        tcp.connect(new InetSocketAddress(host, port), millis);
        tcp.setSoTimeout(millis);
        // the timeout bounds the whole look, not each read: a server trickling bytes is hung up on when it is up
        java.net.Socket socket = tcp;
        java.util.concurrent.CompletableFuture<Void> hangUp = java.util.concurrent.CompletableFuture.runAsync(() -> {
          try {
            socket.close();
          } catch (IOException e) {
            // closing to give up: nothing more to do
          }
        }, java.util.concurrent.CompletableFuture.delayedExecutor(millis, java.util.concurrent.TimeUnit.MILLISECONDS));
        try {
          upgrade(tcp, startTls);
          try (SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(tcp, host, port, true)) {
            tls.startHandshake();
          }
        } finally {
          hangUp.cancel(false);
        }
      }
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      // the recorder ends every handshake; what it saw, if anything, is the answer
    }
    return Optional.ofNullable(seen.get());
  }

  /** The clear-text exchange before the handshake; returns when the server said to start TLS. */
  private static void upgrade(java.net.Socket tcp, StartTls startTls) throws IOException {
    if (startTls == StartTls.NONE) {
      return;
    }
    java.io.InputStream in = tcp.getInputStream();
    java.io.OutputStream out = tcp.getOutputStream();
    if (startTls == StartTls.IMAP) {
      untilLineStarts(in, "* ");
      out.write("a STARTTLS\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      out.flush();
      untilLineStarts(in, "a OK");
    } else {
      untilLineStarts(in, "220 ");
      out.write("EHLO localhost\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      out.flush();
      untilLineStarts(in, "250 ");
      out.write("STARTTLS\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      out.flush();
      untilLineStarts(in, "220 ");
    }
  }

  /** Reads lines (at most 100 of at most 4 KiB) until one starts with {@code prefix}; else an IOException. */
  private static void untilLineStarts(java.io.InputStream in, String prefix) throws IOException {
    for (int lines = 0; lines < 100; lines++) {
      StringBuilder line = new StringBuilder();
      int c;
      while ((c = in.read()) != -1 && c != '\n') {
        if (line.length() >= 4096) {
          throw new IOException("the server sent a line of more than 4096 bytes before STARTTLS");
        }
        line.append((char) c);
      }
      if (line.toString().regionMatches(true, 0, prefix, 0, prefix.length())) {
        return;
      }
      if (c == -1) {
        break;
      }
    }
    throw new IOException("the server did not answer " + prefix.trim() + " before STARTTLS");
  }

  /** {@code subject CN=..., issued by CN=...}: the names only, no key, serial or extension. */
  public static String describe(X509Certificate certificate) {
    return "subject " + ServiceText.printable(certificate.getSubjectX500Principal().getName()) + ", issued by "
        + ServiceText.printable(certificate.getIssuerX500Principal().getName());
  }

  /**
   * The sign-in endpoint of {@code authorityHost} was reached and its certificate refused: which certificate it
   * showed (looked at again, at most 5 s) and that {@code AppRegistration.trust(...)} decides.
   */
  public static Diagnosis signInRefused(java.net.URI authorityHost, Refusal refusal) {
    int port = authorityHost.getPort() == -1 ? 443 : authorityHost.getPort();
    return diagnosis(SIGN_IN_CODE, "the sign-in endpoint", authorityHost.getHost(), port, refusal,
        presented(authorityHost.getHost(), port, java.time.Duration.ofSeconds(5)), "AppRegistration.trust(...)");
  }

  /**
   * The diagnosis of a refused certificate: the server at {@code host:port} was reached, its certificate (named when
   * {@code certificate} is present) is not trusted, expired or names another host; TRUST step; {@code setting} is
   * what the fix tells to set (such as {@code AppRegistration.trust(...)}).
   *
   * @param server what the server is, such as {@code "the sign-in endpoint"} or {@code "the IMAP server"}
   */
  public static Diagnosis diagnosis(String code, String server, String host, int port, Refusal refusal,
      Optional<X509Certificate> certificate, String setting) {
    String where = host + ":" + port;
    String which = certificate.map(c -> " (" + describe(c) + ")").orElse("");
    String fix = switch (refusal) {
      case UNTRUSTED -> "Add the CA that issued " + where + "'s certificate to the trust of " + server + " ("
          + setting + "), or, if this machine should not see that CA, look for a TLS-inspecting proxy in between";
      case EXPIRED -> "The certificate of " + where + " must be renewed by its owner; check this machine's clock";
      case WRONG_HOST -> "Connect by a host name the certificate names, or have it reissued for " + host
          + "; a TLS-inspecting proxy in between can also cause this";
    };
    return Diagnosis.builder(SetupStep.TRUST, code)
        .summary("Reached " + server + " at " + where + ", but its certificate" + which + " " + refusal.words())
        .fix(fix)
        .retryable(false)
        .build();
  }
}
