package org.o365mail.imap.internal;

import static java.util.Objects.requireNonNull;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Optional;
import javax.net.ssl.SSLException;
import org.o365mail.Diagnosis;
import org.o365mail.SetupStep;
import org.o365mail.auth.CredentialKind;
import org.o365mail.auth.TokenClaims;

/**
 * What Exchange Online's IMAP and SMTP answers mean for the setup, mapped once, at the connector's boundary: the
 * setup step, the words for people, and the exact PowerShell that fixes it. Every diagnosis here is made after
 * the token passed {@link org.o365mail.auth.TokenPreflight}, so the token itself (audience, roles, scopes,
 * tenant) is known to be right and what is left is Exchange's own configuration.
 */
public final class ExchangeDiagnoses {
  private ExchangeDiagnoses() {}

  /**
   * Who tried to reach which mailbox.
   *
   * @param protocol {@code IMAP} or {@code SMTP}
   * @param mailbox the mailbox named in XOAUTH2's {@code user=}
   * @param kind app-only or delegated
   * @param clientId the app's client id
   * @param claims the token's claims, when it is a JWT
   * @param username the signed-in user when the strategy knows it
   */
  public record Login(String protocol, String mailbox, CredentialKind kind, String clientId,
      Optional<TokenClaims> claims, Optional<String> username) {
    public Login {
      requireNonNull(protocol, "protocol");
      requireNonNull(mailbox, "mailbox");
      requireNonNull(kind, "kind");
      requireNonNull(clientId, "clientId");
      requireNonNull(claims, "claims");
      requireNonNull(username, "username");
    }

    /** The enterprise application's object id: for app-only tokens the {@code oid} claim is exactly that. */
    String servicePrincipalObjectId() {
      return claims.map(TokenClaims::objectId).filter(s -> !s.isBlank()).orElse("<enterprise application object id>");
    }

    String user() {
      return claims.flatMap(TokenClaims::userPrincipalName).or(() -> username).orElse("<user>");
    }

    String tenant() {
      return claims.map(TokenClaims::tenantId).filter(s -> !s.isBlank()).orElse("?");
    }

    /** The identity as Exchange knows it, for {@code Add-MailboxPermission -User}. */
    String principal() {
      return kind == CredentialKind.APP_ONLY ? servicePrincipalObjectId() : user();
    }

    String who() {
      return kind == CredentialKind.APP_ONLY ? "app " + clientId : "user " + user();
    }
  }

  // ----- PowerShell (Exchange Online module) -----

  public static String newServicePrincipal(Login login) {
    return "New-ServicePrincipal -AppId " + login.clientId() + " -ObjectId " + login.servicePrincipalObjectId();
  }

  public static String addMailboxPermission(Login login) {
    return "Add-MailboxPermission -Identity " + login.mailbox() + " -User " + login.principal()
        + " -AccessRights FullAccess";
  }

  // ----- IMAP -----

  /**
   * {@code NO AUTHENTICATE failed.} (IMAP) or {@code 535 5.7.3} (SMTP) after a token that passed the pre-flight.
   *
   * @param serviceCode the server's answer as the diagnosis shows it ({@code IMAP NO AUTHENTICATE failed.})
   * @param principalKnown whether this app's Exchange service principal has let it into another mailbox already
   *     (then the service principal exists and the mailbox permission is what is missing)
   */
  public static Diagnosis authenticateFailed(Login login, String serviceCode, boolean principalKnown) {
    String code = serviceCode;
    String mailbox = login.mailbox();
    String enableImap = "Set-CASMailbox -Identity " + mailbox + " -ImapEnabled $true";
    boolean smtp = login.protocol().equals("SMTP");
    if (login.kind() == CredentialKind.APP_ONLY) {
      String passed = " although its token passed the pre-flight (audience Exchange Online, role "
          + (smtp ? "SMTP.SendAsApp" : "IMAP.AccessAsApp") + ", tenant " + login.tenant() + ")";
      if (principalKnown) {
        return Diagnosis.builder(SetupStep.MAILBOX_PERMISSION, code)
            .summary("Exchange Online refused app " + login.clientId() + " for mailbox " + mailbox + passed
                + "; the app's Exchange service principal works for other mailboxes, so it lacks permission on"
                + " this one")
            .fix("Give the service principal " + login.servicePrincipalObjectId() + " FullAccess to " + mailbox
                + (smtp ? "" : "; if it has it, IMAP may be disabled for the mailbox (" + enableImap + ")")
                + ". Permission changes can take up to an hour to apply")
            .command(addMailboxPermission(login))
            .build();
      }
      return Diagnosis.builder(SetupStep.EXCHANGE_SERVICE_PRINCIPAL, code)
          .summary("Exchange Online refused app " + login.clientId() + " for mailbox " + mailbox + passed
              + ": Exchange does not know the app's service principal, knows it under the wrong object id, or"
              + " it has no FullAccess to the mailbox")
          .fix("In Exchange Online PowerShell register the service principal with the enterprise application's"
              + " object id " + login.servicePrincipalObjectId() + " (Entra admin center > Enterprise applications"
              + " > Object ID; it is the token's oid, not the app registration's object id), then give it"
              + " FullAccess to " + mailbox + (smtp ? "" : "; if both are done, check that IMAP is enabled for the"
              + " mailbox (" + enableImap + ")") + ". Changes can take up to an hour to apply")
          .command(newServicePrincipal(login) + "; " + addMailboxPermission(login))
          .build();
    }
    if (smtp) {
      return Diagnosis.builder(SetupStep.MAILBOX_PERMISSION, code)
          .summary("Exchange Online refused user " + login.user() + " for mailbox " + mailbox
              + " although the token passed the pre-flight (audience Exchange Online, scope SMTP.Send): the user may"
              + " not send from that mailbox")
          .fix("Check the mailbox address; if it is right, give " + login.user() + " FullAccess to " + mailbox)
          .command(addMailboxPermission(login))
          .build();
    }
    return Diagnosis.builder(SetupStep.MAILBOX_PROTOCOL, code)
        .summary("Exchange Online refused user " + login.user() + " for mailbox " + mailbox
            + " although the token passed the pre-flight (audience Exchange Online, scope IMAP.AccessAsUser.All):"
            + " IMAP is disabled for the mailbox, or the account may not sign in to it")
        .fix("Enable IMAP for " + mailbox + " (Microsoft 365 admin center > Users > Mail > Manage email apps, or "
            + "PowerShell) and check that " + login.user() + " may open it")
        .command(enableImap)
        .build();
  }

  // ----- SMTP -----

  /** {@code 535 5.7.139 ... SmtpClientAuthentication is disabled for the Tenant|Mailbox}. */
  public static Diagnosis smtpAuthDisabled(Login login, String serverText) {
    boolean tenant = serverText.toLowerCase(java.util.Locale.ROOT).contains("for the tenant");
    String mailboxCommand = "Set-CASMailbox -Identity " + login.mailbox() + " -SmtpClientAuthenticationDisabled $false";
    String tenantCommand = "Set-TransportConfig -SmtpClientAuthenticationDisabled $false";
    return Diagnosis.builder(SetupStep.MAILBOX_PROTOCOL, "SMTP 535 5.7.139")
        .summary("SMTP AUTH is disabled for " + (tenant ? "the whole tenant" : "mailbox " + login.mailbox())
            + ", so Exchange Online refuses the login even with a valid token")
        .fix(tenant ? "Turn SMTP AUTH on for the tenant, or only for " + login.mailbox() + " (" + mailboxCommand
            + "), which overrides the tenant's setting" : "Turn SMTP AUTH on for the mailbox (Microsoft 365 admin"
            + " center > Users > Mail > Manage email apps > Authenticated SMTP)")
        .command(tenant ? tenantCommand : mailboxCommand)
        .build();
  }

  /**
   * {@code 554 5.2.252 SendAsDenied; ...} or {@code 554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException...}:
   * the message's From address is neither the mailbox logged in nor one it may send as. The trustee to give Send As
   * is the signed-in user for delegated tokens, and the mailbox sent through for app-only ones (the identity the
   * submission runs as).
   */
  public static Diagnosis sendAsDenied(Login login, String from, String serverText) {
    String trustee = login.kind() == CredentialKind.APP_ONLY ? login.mailbox() : login.user();
    String code = serverText.contains("5.2.252") ? "554 5.2.252" : "554 5.2.0";
    return Diagnosis.builder(SetupStep.SEND_AS_PERMISSION, login.protocol() + " " + code + " SendAsDenied")
        .summary(login.who() + " sending through mailbox " + login.mailbox() + " may not send as " + from + " ("
            + firstLine(serverText) + ")")
        .fix("Give " + trustee + " Send As on " + from + " (Exchange admin center > Recipients > Mailboxes > " + from
            + " > Delegation > Send as), or send from " + login.mailbox() + "'s own address. Permission changes can"
            + " take up to an hour to apply")
        .command(addRecipientPermission(from, trustee))
        .build();
  }

  public static String addRecipientPermission(String from, String trustee) {
    return "Add-RecipientPermission -Identity " + from + " -Trustee " + trustee + " -AccessRights SendAs";
  }

  /** Whether an SMTP answer refuses a message as larger than the mailbox may send. */
  public static boolean isOverMaxSendSize(String serverText) {
    return serverText.contains("MaxSubmissionExceeded")
        || serverText.contains("5.3.4") && serverText.toLowerCase(java.util.Locale.ROOT).contains("message size");
  }

  /**
   * {@code 552 5.3.4 Message size exceeds fixed maximum message size} or {@code 554 5.2.0
   * STOREDRV.Submission.Exception:MessageSubmissionExceededException.MapiExceptionMaxSubmissionExceeded; ...}: the
   * message is larger than the sending mailbox's {@code MaxSendSize} (35 MB by default, at most 150 MB).
   */
  public static Diagnosis overMaxSendSize(Login login, String serverText) {
    String code = serverText.contains("MaxSubmissionExceeded") ? "554 5.2.0 MaxSubmissionExceeded" : "552 5.3.4";
    return Diagnosis.builder(SetupStep.MAX_SEND_SIZE, login.protocol() + " " + code)
        .summary("Exchange Online refused the message from mailbox " + login.mailbox() + " as larger than the"
            + " mailbox may send (MaxSendSize, 35 MB by default; attachments count about a third more once encoded)"
            + " (" + firstLine(serverText) + ")")
        .fix("Raise the MaxSendSize of " + login.mailbox() + " (at most 150 MB; Exchange admin center > Recipients >"
            + " Mailboxes > Mail flow settings > Message size restrictions), or send less, such as a link instead of"
            + " the attachment")
        .command(setMaxSendSize(login.mailbox()))
        .build();
  }

  public static String setMaxSendSize(String mailbox) {
    return "Set-Mailbox -Identity " + mailbox + " -MaxSendSize 150MB";
  }

  private static String firstLine(String text) {
    String t = text.strip();
    int semicolon = t.indexOf(';');
    return semicolon > 0 ? t.substring(0, semicolon) : t;
  }

  /** {@code BAD User is authenticated but not connected.}: signed in, but this mailbox will not open. */
  public static Diagnosis notConnected(Login login, String serverText) {
    return Diagnosis.builder(SetupStep.MAILBOX_PERMISSION, login.protocol() + " BAD " + serverText)
        .summary(login.who() + " signed in, but Exchange Online will not open mailbox " + login.mailbox()
            + ": the identity has no rights on that mailbox, or it is the wrong mailbox")
        .fix("Check the mailbox address " + login.mailbox() + "; if it is right, give " + login.principal()
            + " FullAccess to it")
        .command(addMailboxPermission(login))
        .build();
  }

  /**
   * {@code NO} or {@code BAD Request is throttled. Suggested Backoff Time: N milliseconds} once the retry budget is
   * spent.
   *
   * @param serverAnswer the answer with its kind, {@code BAD Request is throttled. ...}
   */
  public static Diagnosis throttled(Login login, String serverAnswer, Duration wait) {
    return Diagnosis.builder(SetupStep.SERVICE, login.protocol() + " " + serverAnswer)
        .summary("Exchange Online is throttling mailbox " + login.mailbox() + " and asked to wait "
            + wait.toMillis() + " ms, longer than the retry budget left")
        .fix("Try this mailbox again after " + wait.toMillis() + " ms; use fewer connections per mailbox")
        .retryable(true)
        .build();
  }

  /** The server cannot be logged in to safely (no STARTTLS, no XOAUTH2): nothing secret was sent. */
  public static Diagnosis unsafeServer(ImapEndpoint endpoint, String detail) {
    return Diagnosis.builder(SetupStep.TRUST, "unsafe-server")
        .summary("Refused to log in at " + endpoint.host() + ":" + endpoint.port() + ": " + detail)
        .fix("Point the connector at Exchange Online (" + "outlook.office365.com:993 or smtp.office365.com:587 in the"
            + " global cloud) or at a server offering XOAUTH2 over TLS; check for a proxy rewriting the connection")
        .build();
  }

  /** A failure to connect or to set up TLS. */
  public static Diagnosis transport(ImapEndpoint endpoint, Throwable failure) {
    String where = endpoint.host() + ":" + endpoint.port();
    Throwable tls = find(failure, SSLException.class);
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
  public static Diagnosis unanswered(ImapEndpoint endpoint, Throwable failure) {
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
  public static Diagnosis connectionLost(ImapEndpoint endpoint, int attempts, Throwable last) {
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
