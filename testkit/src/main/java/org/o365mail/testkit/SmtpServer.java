package org.o365mail.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exchange Online SMTP submission ({@code smtp.office365.com:587}) on 127.0.0.1: a plain port that offers
 * STARTTLS with the tenant's certificate, then {@code AUTH XOAUTH2}, and delivers what the authenticated mailbox
 * submits through {@link Delivery} (recipients' Inboxes, the sender's Sent Items, the outbound list). See
 * {@link SmtpSession} for the dialogue. One thread per connection.
 */
final class SmtpServer implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(SmtpServer.class);

  /** Exchange Online's fixed maximum message size, as advertised with {@code SIZE}. */
  static final long MAX_MESSAGE_SIZE = 157_286_400L;

  private final LocalTenant tenant;
  private final ServerSocket listener;
  private final ExecutorService threads;
  private final Set<SmtpSession> sessions = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  SmtpServer(LocalTenant tenant, int port) {
    this.tenant = tenant;
    try {
      listener = new ServerSocket();
      listener.setReuseAddress(true);
      listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the SMTP port " + port, e);
    }
    AtomicInteger count = new AtomicInteger();
    threads =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "testkit-smtp-" + count.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    Thread acceptor = new Thread(this::accept, "testkit-smtp-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  private void accept() {
    while (!closed) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        if (closed || listener.isClosed()) {
          return;
        }
        logger.debug("smtp: accept failed", e);
        continue;
      }
      SmtpSession session = new SmtpSession(this, client);
      sessions.add(session);
      try {
        threads.execute(session);
      } catch (RejectedExecutionException e) {
        session.close();
      }
    }
  }

  int port() {
    return listener.getLocalPort();
  }

  LocalTenant tenant() {
    return tenant;
  }

  void sessionClosed(SmtpSession session) {
    sessions.remove(session);
  }

  @Override
  public void close() {
    closed = true;
    try {
      listener.close();
    } catch (IOException e) {
      // closing a listener is best effort
    }
    for (SmtpSession session : sessions) {
      session.close();
    }
    threads.shutdownNow();
  }
}
