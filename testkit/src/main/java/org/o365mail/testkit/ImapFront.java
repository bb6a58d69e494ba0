package org.o365mail.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Exchange Online IMAP front: what IMAP clients talk to. It listens on 127.0.0.1 with implicit TLS (as
 * {@code outlook.office365.com:993}) and on a second, plain port that requires STARTTLS (as port 143), and
 * answers the greeting, CAPABILITY and authentication itself the way Exchange Online does. After an XOAUTH2
 * login it opens a connection to GreenMail's IMAP server for the mailbox and relays the session, injecting
 * Exchange's behaviour (capabilities, {@code AccessTokenExpired}, throttling, dropped connections). See
 * {@link ImapSession} for one connection.
 *
 * <p>Threads: one accept thread per port, one thread per connection, and one more per logged-in connection
 * for the backend-to-client direction; one shared scheduler ends IDLE sessions whose token expired and polls the store for the others.
 */
final class ImapFront implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(ImapFront.class);
  /** How often sessions in IDLE are checked for an expired token and polled for new mail. */
  private static final long EXPIRY_CHECK_MILLIS = 200;

  private final LocalTenant tenant;
  private final ServerSocket implicitTls;
  private final ServerSocket startTls;
  private final ExecutorService threads;
  private final ScheduledExecutorService expiryChecker;
  private final Set<ImapSession> sessions = ConcurrentHashMap.newKeySet();
  private final Map<String, Integer> openConnections = new ConcurrentHashMap<>();
  private volatile boolean closed;

  ImapFront(LocalTenant tenant, int port) {
    this.tenant = tenant;
    AtomicInteger count = new AtomicInteger();
    this.threads =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "testkit-imap-" + count.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.expiryChecker =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "testkit-imap-expiry");
              t.setDaemon(true);
              return t;
            });
    this.implicitTls = listen(port);
    try {
      this.startTls = listen(0);
    } catch (RuntimeException e) {
      closeQuietly(implicitTls);
      throw e;
    }
    startAcceptor(implicitTls, true);
    startAcceptor(startTls, false);
    expiryChecker.scheduleWithFixedDelay(
        this::checkIdleSessions, EXPIRY_CHECK_MILLIS, EXPIRY_CHECK_MILLIS, TimeUnit.MILLISECONDS);
  }

  private static ServerSocket listen(int port) {
    try {
      ServerSocket socket = new ServerSocket();
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
      return socket;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the IMAP port " + port, e);
    }
  }

  private void startAcceptor(ServerSocket listener, boolean tls) {
    Thread acceptor =
        new Thread(() -> accept(listener, tls), "testkit-imap-accept-" + (tls ? "tls" : "starttls"));
    acceptor.setDaemon(true);
    acceptor.start();
  }

  private void accept(ServerSocket listener, boolean tls) {
    while (!closed) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        if (closed || listener.isClosed()) {
          return;
        }
        logger.debug("imap: accept failed", e);
        continue;
      }
      ImapSession session = new ImapSession(this, client, tls);
      sessions.add(session);
      try {
        threads.execute(session);
      } catch (RejectedExecutionException e) {
        session.close();
      }
    }
  }

  /** Port with implicit TLS. */
  int port() {
    return implicitTls.getLocalPort();
  }

  /** Plain port that advertises STARTTLS and LOGINDISABLED until the client upgrades. */
  int startTlsPort() {
    return startTls.getLocalPort();
  }

  LocalTenant tenant() {
    return tenant;
  }

  /** Runs a relay task on the front's threads. */
  void execute(Runnable task) {
    threads.execute(task);
  }

  /**
   * Counts a new logged-in connection to the mailbox, unless it already has the most the faults allow.
   *
   * @return false when the limit is reached
   */
  boolean reserveConnection(String mailbox) {
    int max = tenant.faults().imapMaxConnectionsPerMailbox();
    boolean[] reserved = new boolean[1];
    openConnections.compute(
        MailStore.key(mailbox),
        (key, open) -> {
          int n = open == null ? 0 : open;
          if (n >= max) {
            return open;
          }
          reserved[0] = true;
          return n + 1;
        });
    return reserved[0];
  }

  void releaseConnection(String mailbox) {
    openConnections.computeIfPresent(MailStore.key(mailbox), (key, open) -> open <= 1 ? null : open - 1);
  }

  /** Logged-in connections open to a mailbox now. */
  int openConnections(String mailbox) {
    return openConnections.getOrDefault(MailStore.key(mailbox), 0);
  }

  void sessionClosed(ImapSession session) {
    sessions.remove(session);
  }

  private void checkIdleSessions() {
    try {
      for (ImapSession session : sessions) {
        if (session.idleWithExpiredToken()) {
          threads.execute(session::expire);
        } else if (session.idling()) {
          session.pollIdle();
        }
      }
    } catch (RuntimeException e) {
      // the checker must keep running; a rejected task means the front is closing
      logger.debug("imap: expiry check failed", e);
    }
  }

  @Override
  public void close() {
    closed = true;
    closeQuietly(implicitTls);
    closeQuietly(startTls);
    expiryChecker.shutdownNow();
    for (ImapSession session : sessions) {
      session.close();
    }
    threads.shutdownNow();
  }

  private static void closeQuietly(ServerSocket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // closing a listener is best effort
    }
  }
}
