package org.o365mail.jakarta;

import static java.util.Objects.requireNonNull;

import jakarta.mail.Session;
import java.time.Duration;
import java.util.Properties;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import org.o365mail.ProxySettings;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.net.GuardedSockets;
import org.o365mail.net.StreamGuard;

/**
 * Jakarta Mail {@link Session}s for Exchange Online's IMAP and SMTP submission with XOAUTH2 and nothing else, their
 * tokens from a {@link CredentialStrategy} through an {@link OAuth2Authenticator}. Code already written on Jakarta
 * Mail keeps its {@code Store}, {@code Folder} and {@code Transport} calls: it connects without a password and the
 * authenticator hands the mailbox and a current token.
 *
 * <ul>
 *   <li>IMAP: protocol {@code imaps} (the session's {@code mail.store.protocol}), implicit TLS, by default the
 *       credential's cloud ({@code outlook.office365.com:993} in the global cloud); app-only tokens need {@code
 *       IMAP.AccessAsApp}, delegated {@code IMAP.AccessAsUser.All} of Exchange Online.
 *   <li>SMTP: protocol {@code smtp} (the session's {@code mail.transport.protocol}), STARTTLS required, by default
 *       {@code smtp.office365.com:587}; {@code SMTP.SendAsApp} or {@code SMTP.Send}.
 * </ul>
 *
 * <p>Every session: only {@code XOAUTH2} is offered (LOGIN, PLAIN, NTLM and SASL are off, and the IMAP {@code LOGIN}
 * command Angus falls back to when a server offers no XOAUTH2 is stopped before it is written, so the token is never
 * sent another way), the server's host name is checked against its certificate, the TLS trust is
 * {@link Builder#trust}, else the credential's {@code AppRegistration.trust()}, else the JVM's; connect, read and
 * write each wait at most {@link Builder#timeout} (60 s by default); and what the server sends is read through
 * bounds: an IMAP line at most 16 MiB, an IMAP literal at most {@link Builder#maxLiteralBytes} (64 MiB by default;
 * message bodies are fetched in parts of 1 MiB), an SMTP reply line 64 KiB and a reply 1 MiB. A server past a bound
 * fails the read with an {@code IOException} naming the bound, which Jakarta Mail reports as a lost connection; so
 * does a server whose answer, once started, comes slower than 1 KiB/s after the first {@code timeout}.
 *
 * <p>The server is reached through {@link Builder#proxy} (by default the credential's, whose default is the JVM's
 * settings): an HTTP proxy through a {@code CONNECT} tunnel, its answer bounded by the timeout, or SOCKS5.
 *
 * <p>On a refused login ({@code jakarta.mail.AuthenticationFailedException}: IMAP {@code AUTHENTICATE failed.},
 * SMTP {@code 535 5.7.3} or {@code 5.7.139}) {@link JakartaMailDiagnostics#diagnose} names the setup step.
 *
 * <p>Stateless; the builders are not thread-safe, the sessions they build are as thread-safe as Jakarta Mail's.
 *
 * <pre>{@code
 * Session session = JakartaMailSessions.imap(credential, "invoices@contoso.com").build();
 * try (Store store = session.getStore()) {
 *   store.connect();
 *   Folder inbox = store.getFolder("INBOX");
 *   inbox.open(Folder.READ_ONLY);
 *   ...
 * }
 * }</pre>
 */
public final class JakartaMailSessions {
  private JakartaMailSessions() {}

  /** A session reading {@code mailbox} over IMAP with tokens of {@code credentials}. */
  public static Builder imap(CredentialStrategy credentials, String mailbox) {
    return new Builder(OAuth2Authenticator.imap(credentials, mailbox));
  }

  /** A session sending as {@code mailbox} over SMTP submission with tokens of {@code credentials}. */
  public static Builder smtp(CredentialStrategy credentials, String mailbox) {
    return new Builder(OAuth2Authenticator.smtp(credentials, mailbox));
  }

  /** Builds one IMAP or SMTP session; every setting has a default. */
  public static final class Builder {
    private static final long MAX_TIMEOUT_MILLIS = Integer.MAX_VALUE;
    private final OAuth2Authenticator authenticator;
    private String host;
    private int port;
    private SSLContext trust;
    private Duration timeout = Duration.ofSeconds(60);
    private long maxLiteralBytes = 64L << 20;
    private ProxySettings proxy;

    private Builder(OAuth2Authenticator authenticator) {
      this.authenticator = authenticator;
      this.port = authenticator.protocol() == OAuth2Authenticator.Protocol.IMAP ? 993 : 587;
    }

    /**
     * The server (default: the credential's cloud, {@code outlook.office365.com} or {@code smtp.office365.com} in the
     * global cloud); for national clouds and test servers.
     */
    public Builder host(String value) {
      requireNonNull(value, "host");
      if (value.isBlank()) {
        throw new IllegalArgumentException("host must not be blank");
      }
      this.host = value.strip();
      return this;
    }

    /** The port (default 993 for IMAP with implicit TLS, 587 for SMTP with STARTTLS). */
    public Builder port(int value) {
      if (value < 1 || value > 65_535) {
        throw new IllegalArgumentException("port must be 1 to 65535, was " + value);
      }
      this.port = value;
      return this;
    }

    /**
     * TLS trust instead of the credential's {@code AppRegistration.trust()} or the JVM's; host names are still
     * checked.
     */
    public Builder trust(SSLContext value) {
      this.trust = requireNonNull(value, "trust");
      return this;
    }

    /**
     * How the server is reached, default the credential's {@code registration().proxy()} (whose default is the JVM's
     * settings, {@link ProxySettings#system()}): an HTTP proxy through a {@code CONNECT} tunnel opened by the SDK
     * (Basic credentials only after the proxy's 407; Angus's own {@code mail.*.proxy.*} properties are not used, they
     * send the credentials before being asked), or a SOCKS5 proxy through the JDK. The token goes only through the
     * tunnel, inside TLS. A proxy that refuses the tunnel is diagnosed by {@link JakartaMailDiagnostics#diagnose}.
     */
    public Builder proxy(ProxySettings value) {
      this.proxy = requireNonNull(value, "proxy");
      return this;
    }

    /** Longest wait to connect, for the server's next bytes, and for one write (default 60 s). */
    public Builder timeout(Duration value) {
      requireNonNull(value, "timeout");
      if (value.isNegative() || value.isZero() || value.toMillis() > MAX_TIMEOUT_MILLIS) {
        throw new IllegalArgumentException("timeout must be positive and at most " + MAX_TIMEOUT_MILLIS + " ms, was "
            + value);
      }
      this.timeout = value;
      return this;
    }

    /**
     * The most bytes one IMAP literal may announce (default 64 MiB): a message body fetched whole (with {@code
     * mail.imaps.partialfetch} turned off) or a header larger than this fails the read. 1 KiB to 1 GiB.
     */
    public Builder maxLiteralBytes(long value) {
      if (value < 1024 || value > (1L << 30)) {
        throw new IllegalArgumentException("maxLiteralBytes must be 1024 to 1073741824, was " + value);
      }
      this.maxLiteralBytes = value;
      return this;
    }

    /** The authenticator the session is built with. */
    public OAuth2Authenticator authenticator() {
      return authenticator;
    }

    /** The Jakarta Mail properties the session is built with (a new copy each time; no secret among them). */
    public Properties properties() {
      boolean imap = authenticator.protocol() == OAuth2Authenticator.Protocol.IMAP;
      String protocol = imap ? "imaps" : "smtp";
      String p = "mail." + protocol;
      SSLContext tls = trust != null ? trust : authenticator.credentials().registration().trust().orElse(null);
      SSLSocketFactory tlsSockets = tls != null ? tls.getSocketFactory()
          : (SSLSocketFactory) SSLSocketFactory.getDefault();
      BoundedReads.Limits limits = imap ? BoundedReads.Limits.imap(maxLiteralBytes, timeout)
          : BoundedReads.Limits.smtp(timeout);
      String server = host != null ? host
          : imap ? authenticator.credentials().registration().cloud().imapHost()
              : authenticator.credentials().registration().cloud().smtpHost();

      Properties props = new Properties();
      props.put(imap ? "mail.store.protocol" : "mail.transport.protocol", protocol);
      props.put(p + ".host", server);
      props.put(p + ".port", Integer.toString(port));
      ProxySettings route = proxy != null ? proxy : authenticator.credentials().registration().proxy();
      // IMAP through a proxy: TLS sockets that open the tunnel when connected (GuardedSockets.implicitTls). Angus
      // wraps each socket in its WriteTimeoutSocket, which is no SSLSocket, before it checks whether the socket is
      // TLS already, and would layer TLS a second time on one of those (SocketFetcher.createSocket,
      // https://github.com/eclipse-ee4j/angus-mail/blob/2.0.5/core/src/main/java/org/eclipse/angus/mail/util/
      // SocketFetcher.java); so there the writes get the SDK's deadline instead of Angus's writetimeout
      boolean tunnelledTls = imap && GuardedSockets.of(StreamGuard.none(), tlsSockets, route, server, port).proxied();
      GuardedSockets sockets = GuardedSockets.of(new BoundedReads.Guard(limits, server + ":" + port,
          tunnelledTls ? timeout : null), tlsSockets, route, server, port);
      String millis = Long.toString(timeout.toMillis());
      props.put(p + ".connectiontimeout", millis);
      props.put(p + ".timeout", millis);
      if (!tunnelledTls) {
        props.put(p + ".writetimeout", millis);
      }
      // TLS: the host name checked against the certificate, never turned off; reads through the bounds; every socket
      // made through these factories, with no fallback to an unbounded one of Angus's own
      props.put(p + ".ssl.checkserveridentity", "true");
      props.put(p + ".ssl.socketFactory", imap ? sockets.implicitTls() : sockets.tls());
      props.put(p + ".socketFactory", sockets.plain());
      props.put(p + ".socketFactory.fallback", "false");
      // XOAUTH2 and nothing else: no other mechanism could carry the token or a password
      props.put(p + ".auth.mechanisms", "XOAUTH2");
      props.put(p + ".auth.login.disable", "true");
      props.put(p + ".auth.plain.disable", "true");
      props.put(p + ".auth.ntlm.disable", "true");
      props.put(p + ".sasl.enable", "false");
      props.put("mail.debug.auth", "false");
      if (imap) {
        props.put(p + ".ssl.enable", "true");
        // bodies in parts of 1 MiB, each one literal well within the bound
        props.put(p + ".partialfetch", "true");
        props.put(p + ".fetchsize", Integer.toString(1 << 20));
      } else {
        props.put(p + ".auth", "true");
        props.put(p + ".auth.digest-md5.disable", "true");
        props.put(p + ".starttls.enable", "true");
        props.put(p + ".starttls.required", "true");
        // the EHLO name; set so that no local host name is looked up or shown
        props.put(p + ".localhost", "localhost");
      }
      return props;
    }

    /**
     * A new session with {@link #properties()} and {@link #authenticator()}. Deliberately not {@code
     * mail.imaps.user} or {@code mail.smtp.user}: with none, each {@code Store} and {@code Transport} taken from the
     * session asks the authenticator, rather than Jakarta Mail's table of passwords it connected with before.
     */
    public Session build() {
      return Session.getInstance(properties(), authenticator);
    }
  }
}
