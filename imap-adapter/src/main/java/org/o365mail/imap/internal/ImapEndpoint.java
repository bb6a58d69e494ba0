package org.o365mail.imap.internal;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.ScheduledExecutorService;
import javax.net.ssl.SSLSocketFactory;
import org.o365mail.ProxySettings;
import org.o365mail.net.GuardedSockets;

/**
 * Where and how to reach an IMAP or SMTP server: host, port, transport security, the TLS trust (null: the JVM's
 * default trust store) and timeouts. Host names are always verified when TLS is on.
 *
 * @param host server host name
 * @param port server port
 * @param security implicit TLS, STARTTLS, or (tests only) none
 * @param socketFactory TLS socket factory of the configured trust, or null for the JVM default
 * @param connectTimeout TCP connect timeout
 * @param readTimeout longest wait for the server's next bytes
 * @param watchdog where the deadlines of writes run ({@link DefaultThreads#watchdog()} unless the builder was
 *     given an executor)
 * @param proxy how the server is reached (see {@link ProxySettings}; an HTTP proxy through a {@code CONNECT} tunnel)
 */
public record ImapEndpoint(String host, int port, Security security, SSLSocketFactory socketFactory,
    Duration connectTimeout, Duration readTimeout, ScheduledExecutorService watchdog, ProxySettings proxy) {

  /** Transport security of a connection. */
  public enum Security {
    /** TLS from the first byte (IMAP 993). */
    IMPLICIT_TLS,
    /** Plain connection upgraded with STARTTLS before anything is authenticated (IMAP 143, SMTP 587). */
    STARTTLS,
    /** No TLS at all: tokens travel in clear text. Only for tests against local servers. */
    PLAINTEXT
  }

  public ImapEndpoint {
    requireNonNull(host, "host");
    requireNonNull(security, "security");
    requireNonNull(connectTimeout, "connectTimeout");
    requireNonNull(readTimeout, "readTimeout");
    requireNonNull(watchdog, "watchdog");
    requireNonNull(proxy, "proxy");
  }

  /** An endpoint reached as the JVM's proxy settings say ({@link ProxySettings#system()}). */
  public ImapEndpoint(String host, int port, Security security, SSLSocketFactory socketFactory,
      Duration connectTimeout, Duration readTimeout, ScheduledExecutorService watchdog) {
    this(host, port, security, socketFactory, connectTimeout, readTimeout, watchdog, ProxySettings.system());
  }

  /** The Angus protocol name whose {@code mail.<name>.*} properties configure the socket. */
  public String protocolName(String base) {
    return security == Security.IMPLICIT_TLS ? base + "s" : base;
  }

  /**
   * Angus socket properties for {@code protocol} ({@code imap}, {@code imaps}, {@code smtp}): timeouts, the host
   * name check, and socket factories whose sockets read through {@code budget}'s {@link ServerReadGuard} (with no
   * fallback to Angus's own unguarded sockets).
   */
  public Properties socketProperties(String protocol, ServerReadGuard.Budget budget) {
    Properties props = new Properties();
    String p = "mail." + protocol;
    props.put(p + ".connectiontimeout", Long.toString(connectTimeout.toMillis()));
    props.put(p + ".timeout", Long.toString(readTimeout.toMillis()));
    // Angus checks the host name with the JDK's endpoint identification; never turned off here
    props.put(p + ".ssl.checkserveridentity", "true");
    // Angus makes every socket through these factories (SocketFetcher.getSocket and startTLS, https://github.com/
    // eclipse-ee4j/angus-mail/blob/2.0.5/core/src/main/java/org/eclipse/angus/mail/util/SocketFetcher.java); with no
    // fallback, a failure never falls back to an unguarded socket of its own. Implicit TLS through a proxy takes
    // sockets already TLS, connected through the proxy (see GuardedSockets.implicitTls)
    GuardedSockets sockets = GuardedSockets.of(budget, socketFactory, proxy, host, port);
    props.put(p + ".ssl.socketFactory", security == Security.IMPLICIT_TLS ? sockets.implicitTls() : sockets.tls());
    props.put(p + ".socketFactory", sockets.plain());
    props.put(p + ".socketFactory.fallback", "false");
    props.put("mail.debug.auth", "false");
    return props;
  }

  /**
   * A budget of one connection's reads from this server, with the limits of its protocol ({@link
   * ServerReadGuard.Limits#imap}, {@link ServerReadGuard.Limits#smtp}) for this read timeout.
   */
  public ServerReadGuard.Budget budget(ServerReadGuard.Framing framing) {
    ServerReadGuard.Limits limits = framing == ServerReadGuard.Framing.IMAP ? ServerReadGuard.Limits.imap(readTimeout)
        : ServerReadGuard.Limits.smtp(readTimeout);
    return new ServerReadGuard.Budget(host + ":" + port, framing, limits, System::nanoTime, watchdog);
  }

  @Override
  public String toString() {
    return host + ":" + port + " (" + security + (proxy.type() == ProxySettings.Type.HTTP
        || proxy.type() == ProxySettings.Type.SOCKS5 ? ", " + proxy.describe() : "") + ")";
  }
}
