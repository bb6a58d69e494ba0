package org.o365mail.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;
import org.o365mail.testkit.ImapCommandReader.Command;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logging in to one {@link ImapSession} as Exchange Online does: AUTHENTICATE XOAUTH2 with or without SASL-IR,
 * its token checked by {@link ExchangeAccess}, and the refusal of basic authentication (LOGIN, AUTHENTICATE
 * PLAIN), each attempt recorded. A successful login reserves one of the mailbox's connections, logs in to the
 * mailbox store through the {@link ImapRelay} and moves the session's state on.
 *
 * <p>Not thread-safe: only the session's client thread uses it, before login.
 */
final class ImapLogin {
  /** The session's log: tests count some of its lines under this name. */
  private static final Logger logger = LoggerFactory.getLogger(ImapSession.class);
  private static final Duration CONNECTION_LIMIT_BACKOFF = Duration.ofSeconds(30);

  private final ImapConnection connection;
  private final ImapRelay relay;
  private final LocalTenant tenant;
  private final Faults faults;

  ImapLogin(ImapConnection connection, ImapRelay relay) {
    this.connection = connection;
    this.relay = relay;
    this.tenant = connection.tenant;
    this.faults = connection.faults;
  }

  /** LOGIN: refused, as Exchange Online refuses basic authentication (before STARTTLS as LOGINDISABLED). */
  void login(Command c) throws IOException {
    String user = c.args().isEmpty() ? "" : c.args().get(0);
    if (!connection.tls) {
      connection.recordBasic("LOGIN", user, "LOGIN before STARTTLS (LOGINDISABLED)");
      connection.sendLocal(c.tag() + " BAD Command received in Invalid state.");
      return;
    }
    connection.recordBasic("LOGIN", user, "basic authentication is disabled in Exchange Online");
    connection.sendLocal(c.tag() + " NO LOGIN failed.");
  }

  /** AUTHENTICATE: XOAUTH2 logs in when the token and the mailbox allow it; PLAIN is refused. */
  void authenticate(Command c) throws IOException {
    String mechanism = c.args().isEmpty() ? "" : c.args().get(0).toUpperCase(Locale.ROOT);
    if (!connection.tls) {
      if (mechanism.equals("PLAIN")) {
        connection.recordBasic("AUTHENTICATE PLAIN", "", "AUTHENTICATE PLAIN before STARTTLS");
      }
      connection.sendLocal(c.tag() + " BAD Command received in Invalid state.");
      return;
    }
    if (mechanism.isEmpty()) {
      connection.sendLocal(c.tag() + " BAD Command Argument Error. 11");
      return;
    }
    if (!mechanism.equals("XOAUTH2") && !mechanism.equals("PLAIN")) {
      connection.sendLocal(c.tag() + " NO The specified authentication package is not supported.");
      return;
    }
    String response;
    if (c.args().size() > 1) {
      response = c.args().get(1).equals("=") ? "" : c.args().get(1);
    } else {
      connection.sendLocal("+ ");
      int n = connection.in.readLine(ImapConnection.MAX_PRE_AUTH_COMMAND);
      if (n < 0) {
        throw new IOException("client left during AUTHENTICATE");
      }
      response = connection.in.lineText().trim();
      if (response.equals("*")) {
        connection.sendLocal(c.tag() + " BAD AUTHENTICATE aborted.");
        return;
      }
    }
    if (mechanism.equals("PLAIN")) {
      connection.recordBasic("AUTHENTICATE PLAIN", plainUser(response), "basic authentication is disabled in Exchange Online");
      connection.sendLocal(c.tag() + " NO AUTHENTICATE failed.");
    } else {
      xoauth2(c.tag(), response);
    }
  }

  /** The authorization or authentication identity of a SASL PLAIN response, never the password. */
  private static String plainUser(String base64) {
    try {
      String[] parts = new String(Base64.getMimeDecoder().decode(base64), StandardCharsets.UTF_8).split("\u0000", -1);
      if (parts.length == 3) {
        return parts[0].isEmpty() ? parts[1] : parts[0];
      }
    } catch (IllegalArgumentException e) {
      // not base64: no user to report
    }
    return "";
  }

  private void xoauth2(String tag, String response) throws IOException {
    String method = "AUTHENTICATE XOAUTH2";
    Optional<Xoauth2> message = Xoauth2.decode(response);
    if (message.isEmpty()) {
      connection.record(method, "", "AUTHENTICATION_FAILED", "malformed XOAUTH2 message", "");
      connection.sendLocal(tag + " NO AUTHENTICATE failed.");
      return;
    }
    String user = message.get().user();
    ExchangeAccess.Decision decision =
        tenant.exchangeAccess().decide(user, message.get().token(), "IMAP.AccessAsApp", "IMAP.AccessAsUser.All");
    String appId = decision.token().map(VerifiedToken::appId).orElse("");
    switch (decision.outcome()) {
      case AUTHENTICATION_FAILED -> {
        connection.record(method, user, "AUTHENTICATION_FAILED", decision.reason(), appId);
        connection.sendLocal(tag + " NO AUTHENTICATE failed.");
      }
      case NOT_CONNECTED -> {
        connection.record(method, user, "NOT_CONNECTED", decision.reason(), appId);
        connection.mailbox = user;
        connection.tokenExpiresAt = decision.token().map(VerifiedToken::expiresAt).orElse(Instant.EPOCH);
        connection.state = ImapConnection.State.NOT_CONNECTED;
        connection.sendLocal(tag + " OK AUTHENTICATE completed.");
      }
      case OK -> connect(tag, decision, appId);
    }
  }

  private void connect(String tag, ExchangeAccess.Decision decision, String appId) throws IOException {
    String method = "AUTHENTICATE XOAUTH2";
    Mailbox target = decision.mailbox().orElseThrow();
    String address = target.address();
    if (!target.imapEnabled()) {
      connection.record(method, address, "AUTHENTICATION_FAILED", "IMAP is disabled for mailbox " + address, appId);
      connection.sendLocal(tag + " NO AUTHENTICATE failed.");
      return;
    }
    Optional<Duration> throttle = faults.takeImapThrottle(address);
    if (throttle.isPresent()) {
      connection.record(method, address, "THROTTLED", "login throttled by Faults.imapThrottle", appId);
      connection.sendLocal(ImapFaultInjection.throttled(tag, throttle.get()));
      return;
    }
    if (!connection.front.reserveConnection(address)) {
      connection.record(method, address, "THROTTLED",
          "more than " + faults.imapMaxConnectionsPerMailbox() + " connections to " + address, appId);
      connection.sendLocal(ImapFaultInjection.throttled(tag, CONNECTION_LIMIT_BACKOFF));
      return;
    }
    connection.connectionReserved = true;
    connection.mailbox = address;
    try {
      relay.openBackend(address);
    } catch (IOException e) {
      logger.warn("imap#{}: cannot log in to the mailbox store as {}: {}", connection.id, address, e.toString());
      connection.record(method, address, "AUTHENTICATION_FAILED", "mailbox store refused the login", appId);
      connection.sendLocal(tag + " NO AUTHENTICATE failed.");
      connection.releaseConnection();
      relay.closeBackend();
      return;
    }
    connection.record(method, address, "OK", "", appId);
    connection.mailboxAccess = tenant.beginMailboxAccess(address, appId);
    connection.tokenExpiresAt = decision.token().map(VerifiedToken::expiresAt).orElse(Instant.EPOCH);
    connection.state = ImapConnection.State.CONNECTED;
    connection.sendLocal(tag + " OK AUTHENTICATE completed.");
  }
}
