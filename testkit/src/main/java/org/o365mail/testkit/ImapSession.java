package org.o365mail.testkit;

import static org.o365mail.testkit.ImapConnection.LITERAL_CONTINUATION;
import static org.o365mail.testkit.ImapConnection.MAX_PRE_AUTH_COMMAND;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.RejectedExecutionException;
import org.o365mail.testkit.ImapCommandReader.Command;
import org.o365mail.testkit.ImapConnection.Phase;
import org.o365mail.testkit.ImapConnection.State;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection to the IMAP front. Before login it speaks for Exchange Online itself: greeting,
 * CAPABILITY, ID, NOOP, LOGOUT, STARTTLS (plain port only), AUTHENTICATE XOAUTH2 with or without SASL-IR, and
 * the refusal of basic authentication (LOGIN, AUTHENTICATE PLAIN). After a successful XOAUTH2 login it is
 * logged in to GreenMail as the mailbox and relays both directions as raw bytes, reading only command and
 * response lines and the literal lengths they announce, so that it can:
 *
 * <ul>
 *   <li>show folders with Exchange's hierarchy delimiter {@code /} (GreenMail's is {@code .}), with the
 *       {@code \HasChildren}/{@code \HasNoChildren} attributes CHILDREN promises ({@link ImapMailboxNames});
 *   <li>answer CAPABILITY, ID and NAMESPACE itself and emulate UNSELECT, which GreenMail lacks;
 *   <li>run IDLE itself, polling GreenMail with NOOP, so that mail arriving just after the continuation is
 *       pushed too;
 *   <li>refuse MOVE and UID EXPUNGE when {@link Faults#imapAdvertiseMove(boolean)} or {@link
 *       Faults#imapAdvertiseUidPlus(boolean)} hide them;
 *   <li>end the session with {@code * BYE Session invalidated - AccessTokenExpired} once the tenant clock
 *       passes the token's {@code exp} (on the next command, or within about a second in IDLE);
 *   <li>throttle any command as Exchange Online does ({@link Faults#imapThrottleCommands}, {@link
 *       Faults#imapThrottleCommand}): {@code NO} or {@code BAD Request is throttled. Suggested Backoff Time: N
 *       milliseconds}, the command not carried out, sometimes followed by {@code * BYE Connection closed. 14};
 *   <li>add latency and drop the connection as the faults ask.
 * </ul>
 *
 * <p>After login CAPABILITY answers what Exchange Online advertises then: its AUTH= mechanisms again, MOVE, and
 * CLIENTACCESSRULES, CLIENTNETWORKPRESENCELOCATION and BACKENDAUTHENTICATE (jstedfast/MailKit#290, #849).
 *
 * <p>A login whose token is valid but may not open the mailbox ({@link ExchangeAccess.Outcome#NOT_CONNECTED})
 * gets {@code OK AUTHENTICATE completed.}; its first command other than CAPABILITY, NOOP, ID or LOGOUT then
 * gets {@code BAD User is authenticated but not connected.} and the connection is closed.
 *
 * <p>This class is the per-connection state machine (greeting, before login, logged in, authenticated but not
 * connected, closing); its parts share an {@link ImapConnection}: {@link ImapLogin} logs in, {@link ImapRelay}
 * relays to GreenMail, and {@link ImapFaultInjection} applies the faults.
 *
 * <p>Threads: the connection's own thread reads the client; after login a second thread relays the backend's
 * responses. Writes to the client are serialised by a lock held for whole responses (literals included).
 */
final class ImapSession implements Runnable {
  private static final Logger logger = LoggerFactory.getLogger(ImapSession.class);

  static final String BYE_LOGOUT = "* BYE Microsoft Exchange Server IMAP4 server signing off.";
  static final String BYE_TOKEN_EXPIRED = "* BYE Session invalidated - AccessTokenExpired";

  private final ImapCommandReader commands;
  private final ImapFront front;
  private final boolean implicitTls;
  private final ImapConnection connection;
  private final ImapFaultInjection faultInjection;
  private final ImapRelay relay;
  private final ImapLogin login;

  ImapSession(ImapFront front, Socket raw, boolean implicitTls) {
    this.front = front;
    this.connection = new ImapConnection(front, raw, this::close);
    this.commands = new ImapCommandReader(front.tenant().clock(), MAX_PRE_AUTH_COMMAND);
    this.implicitTls = implicitTls;
    this.faultInjection = new ImapFaultInjection(connection);
    this.relay = new ImapRelay(connection, faultInjection);
    this.login = new ImapLogin(connection, relay);
  }

  @Override
  public void run() {
    try {
      connection.raw.setTcpNoDelay(true);
      if (implicitTls) {
        connection.startTls();
      } else {
        connection.bind(connection.raw);
      }
      connection.sendLocal("* OK The Microsoft Exchange IMAP4 service is ready. [" + serverNameToken() + "]");
      beforeLogin();
      if (connection.closed.get()) {
        return;
      }
      if (connection.state == State.CONNECTED) {
        try {
          front.execute(relay::relayBackendToClient);
        } catch (RejectedExecutionException e) {
          return; // the front is closing
        }
        relay.relayClientToBackend();
      } else if (connection.state == State.NOT_CONNECTED) {
        notConnected();
      }
    } catch (IOException e) {
      logger.debug("imap#{}: connection ended: {}", connection.id, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      logger.warn("imap#{}: session failed", connection.id, e);
    } finally {
      close();
    }
  }

  // ----------------------------------------------------------------------------------------------
  // before login

  private void beforeLogin() throws IOException, InterruptedException {
    while (connection.state == State.NOT_AUTHENTICATED && !connection.closed.get()) {
      Command c = readCommand();
      if (c == null) {
        return;
      }
      faultInjection.pause();
      boolean drop = faultInjection.rollDrop();
      switch (c.name()) {
        case "CAPABILITY" -> connection.sendLocal(
            "* CAPABILITY "
                + connection.capabilities(connection.tls ? Phase.BEFORE_LOGIN : Phase.PLAIN_BEFORE_STARTTLS),
            c.tag() + " OK CAPABILITY completed.");
        case "NOOP" -> connection.sendLocal(c.tag() + " OK NOOP completed.");
        case "ID" -> connection.sendLocal("* ID NIL", c.tag() + " OK ID completed.");
        case "LOGOUT" -> {
          logout(c.tag());
          return;
        }
        case "STARTTLS" -> {
          if (connection.tls) {
            connection.sendLocal(c.tag() + " BAD Command received in Invalid state.");
          } else {
            connection.sendLocal(c.tag() + " OK Begin TLS negotiation now.");
            connection.startTls();
          }
        }
        case "LOGIN" -> login.login(c);
        case "AUTHENTICATE" -> login.authenticate(c);
        default -> connection.sendLocal(c.tag() + " BAD Command received in Invalid state.");
      }
      if (drop) {
        connection.drop();
        return;
      }
    }
  }

  // ----------------------------------------------------------------------------------------------
  // authenticated but not connected

  private void notConnected() throws IOException, InterruptedException {
    while (!connection.closed.get()) {
      Command c = readCommand();
      if (c == null) {
        return;
      }
      if (connection.tokenExpired()) {
        connection.expire();
        return;
      }
      faultInjection.pause();
      boolean drop = faultInjection.rollDrop();
      switch (c.name()) {
        case "CAPABILITY" -> connection.sendLocal(
            "* CAPABILITY " + connection.capabilities(Phase.LOGGED_IN), c.tag() + " OK CAPABILITY completed.");
        case "NOOP" -> connection.sendLocal(c.tag() + " OK NOOP completed.");
        case "ID" -> connection.sendLocal("* ID NIL", c.tag() + " OK ID completed.");
        case "LOGOUT" -> {
          logout(c.tag());
          return;
        }
        default -> {
          connection.sendLocal(c.tag() + " BAD User is authenticated but not connected.");
          connection.closeGracefully();
          return;
        }
      }
      if (drop) {
        connection.drop();
        return;
      }
    }
  }

  private void logout(String tag) throws IOException {
    connection.sendLocal(BYE_LOGOUT, tag + " OK LOGOUT completed.");
    connection.closeGracefully();
  }

  /**
   * Reads one command with its literals (sending continuations for synchronizing ones) and records it, or null at
   * EOF; a line holding only a tag is answered {@code BAD} here.
   */
  private Command readCommand() throws IOException {
    while (true) {
      Command c = commands.read(connection.in, () -> connection.sendRaw(LITERAL_CONTINUATION));
      if (c == null) {
        return null;
      }
      connection.recordCommand(c.receivedAt(), c.tag(), c.name(), c.shown(), c.literalBytes());
      if (c.name().isEmpty()) {
        connection.sendLocal(c.tag() + " BAD Command Error. 10");
        continue;
      }
      return c;
    }
  }

  /** For the front's checker: in IDLE with a token past its expiry, and not being ended already. */
  boolean idleWithExpiredToken() {
    return relay.idling() && connection.state == State.CONNECTED && !connection.expiring.get()
        && !connection.closed.get() && connection.tokenExpired();
  }

  /** Closes both connections; idempotent. */
  void close() {
    if (!connection.closed.compareAndSet(false, true)) {
      return;
    }
    connection.endMailboxAccess();
    front.sessionClosed(this);
    connection.releaseConnection();
    relay.abandonLiteral();
    try {
      connection.raw.close();
    } catch (IOException e) {
      // closing is best effort
    }
    relay.closeBackend();
  }

  /** For the front's scheduler: asks GreenMail for news while the client idles. */
  void pollIdle() {
    relay.pollIdle();
  }

  boolean idling() {
    return relay.idling();
  }

  /** Ends the session as Exchange does when the access token expires. */
  void expire() {
    connection.expire();
  }

  /** The bracketed token of Exchange's greeting: base64 of the front-end server's name in UTF-16LE. */
  private static String serverNameToken() {
    return Base64.getEncoder().encodeToString(ExchangeHosts.serverName().getBytes(StandardCharsets.UTF_16LE));
  }

  @Override
  public String toString() {
    return "ImapSession#" + connection.id + "[" + connection.state + ", " + connection.mailbox + "]";
  }
}
