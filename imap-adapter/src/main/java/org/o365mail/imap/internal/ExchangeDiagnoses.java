package org.o365mail.imap.internal;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Optional;
import org.o365mail.Diagnosis;
import org.o365mail.SetupStep;
import org.o365mail.auth.CredentialKind;
import org.o365mail.auth.TokenClaims;

/**
 * What Exchange Online's IMAP and SMTP answers mean for the setup, mapped once, at the connector's boundary: the
 * setup step, the words for people, and the exact PowerShell that fixes it. Every diagnosis here is made after
 * the token passed {@link org.o365mail.auth.TokenPreflight}, so the token itself (audience, roles, scopes,
 * tenant) is known to be right and what is left is Exchange's own configuration. Failures to reach the server at
 * all (network, timeouts, TLS) are diagnosed by the package-private {@code TransportDiagnoses}, for which the
 * methods at the end stand.
 *
 * <p>Stateless and thread-safe.
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

  public static String getServicePrincipal(Login login) {
    return "Get-ServicePrincipal -Identity " + login.clientId();
  }

  public static String getMailboxPermission(Login login) {
    return "Get-MailboxPermission -Identity " + login.mailbox() + " -User " + login.principal();
  }

  public static String getMailbox(Login login) {
    return "Get-Mailbox -Identity " + login.mailbox();
  }

  public static String enableImap(Login login) {
    return "Set-CASMailbox -Identity " + login.mailbox() + " -ImapEnabled $true";
  }

  // ----- IMAP -----

  /**
   * What the SDK knows about an app's earlier logins when Exchange refuses it: Exchange Online answers {@code NO
   * AUTHENTICATE failed.} (IMAP) and {@code 535 5.7.3} (SMTP) alike for a missing Exchange service principal, one
   * registered with the wrong object id, missing FullAccess and a mailbox that does not exist, so only what happened
   * elsewhere can order those steps.
   */
  public enum Evidence {
    /** Nothing: no other login of this app is known. */
    NONE,
    /**
     * The app, with the same enterprise-application object id ({@code oid}), has logged in to another mailbox: its
     * Exchange service principal exists and is registered right, so this mailbox's permission or address is wrong.
     */
    PRINCIPAL_WORKS_ELSEWHERE,
    /**
     * The app logged in to this very mailbox earlier: the address is right, and the principal or its permission has
     * changed since.
     */
    MAILBOX_OPENED_BEFORE,
    /**
     * Other mailboxes configured for this app refused it just now as well: what they share, the service principal,
     * is likelier than each of them lacking FullAccess.
     */
    REFUSED_ELSEWHERE_TOO
  }

  /**
   * {@code NO AUTHENTICATE failed.} (IMAP) or {@code 535 5.7.3} (SMTP) after a token that passed the pre-flight. For
   * app-only tokens Exchange gives that one answer for four missed steps (no Exchange service principal, one with the
   * wrong object id, no FullAccess, no such mailbox; and, for IMAP, IMAP disabled for the mailbox), so the diagnosis
   * names the likeliest by {@code evidence} and the others as {@link Diagnosis#alternatives()}, each with the
   * PowerShell that checks it. The service principal is the enterprise application's, whose object id is the app-only
   * token's {@code oid} (https://learn.microsoft.com/en-us/exchange/client-developer/legacy-protocols/
   * how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth, "Register service principals in Exchange": "use
   * the OBJECT_ID from the Overview page of the Enterprise Application node ... If you use the values from the App
   * Registrations node, you'll get an error").
   */
  public static Diagnosis authenticateFailed(Login login, String serviceCode, Evidence evidence) {
    String code = serviceCode;
    String mailbox = login.mailbox();
    boolean smtp = login.protocol().equals("SMTP");
    if (login.kind() == CredentialKind.APP_ONLY) {
      if (login.claims().isEmpty()) {
        // an opaque token: the pre-flight could not read its roles, so the role itself comes first
        String role = smtp ? "SMTP.SendAsApp" : "IMAP.AccessAsApp";
        Diagnosis.Builder b = Diagnosis.builder(SetupStep.APPLICATION_PERMISSION, code)
            .summary("Exchange Online refused app " + login.clientId() + " for mailbox " + mailbox + "; its token"
                + " cannot be read, so whether it carries the role " + role + " is unknown")
            .fix("Add the application permission " + role + " under Office 365 Exchange Online (APIs my"
                + " organization uses) and grant admin consent; then check the Exchange service principal and"
                + " FullAccess");
        return b.alternative(principalStep(login, code, smtp, false))
            .alternative(permissionStep(login, code, false))
            .alternative(addressStep(login, code)).build();
      }
      String passed = " although its token passed the pre-flight (audience Exchange Online, role "
          + (smtp ? "SMTP.SendAsApp" : "IMAP.AccessAsApp") + ", tenant " + login.tenant() + ")";
      String same = ". Exchange Online gives this answer for a missing service principal, one registered with the"
          + " wrong object id, missing FullAccess and a mailbox that does not exist";
      String cannotTell = "; " + login.protocol() + " alone cannot tell them apart (a Graph probe allowed to read"
          + " users can tell whether the mailbox exists)";
      Diagnosis.Builder b;
      switch (evidence) {
        case PRINCIPAL_WORKS_ELSEWHERE -> {
          b = permissionStep(login, code, true).toBuilder()
              .summary("Exchange Online refused app " + login.clientId() + " for mailbox " + mailbox + passed
                  + "; the app's Exchange service principal works for other mailboxes, so it lacks permission on"
                  + " this one, or the address is wrong (" + login.protocol() + " answers both alike; a Graph probe"
                  + " allowed to read users can tell whether the mailbox exists)");
          b.alternative(addressStep(login, code));
        }
        case MAILBOX_OPENED_BEFORE -> {
          b = principalStep(login, code, smtp, true).toBuilder()
              .summary("Exchange Online refused app " + login.clientId() + " for mailbox " + mailbox + passed
                  + ", and it opened this mailbox earlier: the Exchange service principal was removed or replaced"
                  + " (with the wrong object id), or its FullAccess was taken away");
          b.alternative(permissionStep(login, code, false));
        }
        case REFUSED_ELSEWHERE_TOO -> {
          b = principalStep(login, code, smtp, true).toBuilder()
              .summary("Exchange Online refused app " + login.clientId() + " for mailbox " + mailbox + passed
                  + ", and for the other mailboxes configured for it: what they share, the Exchange service"
                  + " principal, is missing or registered with the wrong object id");
          b.alternative(permissionStep(login, code, false)).alternative(addressStep(login, code));
        }
        default -> {
          b = principalStep(login, code, smtp, true).toBuilder()
              .summary("Exchange Online refused app " + login.clientId() + " for mailbox " + mailbox + passed
                  + same + cannotTell);
          b.alternative(permissionStep(login, code, false)).alternative(addressStep(login, code));
        }
      }
      if (!smtp) {
        b.alternative(imapDisabledStep(login, code));
      }
      return b.build();
    }
    if (smtp) {
      if (login.claims().isEmpty()) {
        return Diagnosis.builder(SetupStep.DELEGATED_PERMISSION, code)
            .summary("Exchange Online refused user " + login.user() + " for mailbox " + mailbox + "; the token"
                + " cannot be read, so whether it carries the scope SMTP.Send is unknown")
            .fix("Add the delegated permission SMTP.Send (Microsoft Graph or Office 365 Exchange Online) and"
                + " consent to it; then check that " + login.user() + " may send from " + mailbox)
            .alternative(permissionStep(login, code, false))
            .alternative(addressStep(login, code))
            .build();
      }
      return Diagnosis.builder(SetupStep.MAILBOX_PERMISSION, code)
          .summary("Exchange Online refused user " + login.user() + " for mailbox " + mailbox
              + " although the token passed the pre-flight (audience Exchange Online, scope SMTP.Send): the user may"
              + " not send from that mailbox")
          .fix("Check the mailbox address; if it is right, give " + login.user() + " FullAccess to " + mailbox)
          .command(addMailboxPermission(login))
          .alternative(addressStep(login, code))
          .build();
    }
    return Diagnosis.builder(SetupStep.MAILBOX_PROTOCOL, code)
        .summary("Exchange Online refused user " + login.user() + " for mailbox " + mailbox
            + " although the token passed the pre-flight (audience Exchange Online, scope IMAP.AccessAsUser.All):"
            + " IMAP is disabled for the mailbox, or the account may not sign in to it")
        .fix("Enable IMAP for " + mailbox + " (Microsoft 365 admin center > Users > Mail > Manage email apps, or "
            + "PowerShell) and check that " + login.user() + " may open it")
        .command(enableImap(login))
        // Entra ID issues a user without an Exchange Online licence an Exchange token all the same, and Exchange
        // refuses the login with the same AUTHENTICATE failed: the mailbox itself is the other step (a Graph probe
        // allowed to read the user can tell)
        .alternative(addressStep(login, code))
        .build();
  }

  /**
   * The Exchange service principal: missing, or registered with an object id other than the token's {@code oid}
   * (the app registration's, usually). As the likeliest step its command registers it and gives FullAccess (a new
   * principal has no permission yet); as an alternative its command is the check.
   */
  private static Diagnosis principalStep(Login login, String code, boolean smtp, boolean primary) {
    String oid = login.servicePrincipalObjectId();
    String check = getServicePrincipal(login);
    // New-ServicePrincipal / Remove-ServicePrincipal / Get-ServicePrincipal:
    // https://learn.microsoft.com/en-us/powershell/module/exchange/new-serviceprincipal
    // https://learn.microsoft.com/en-us/powershell/module/exchange/get-serviceprincipal
    String fix = "Check with " + check + ": if it lists no principal, register it with the enterprise application's"
        + " object id " + oid + " (Entra admin center > Enterprise applications > Object ID; it is the token's oid,"
        + " not the app registration's object id): " + newServicePrincipal(login) + ", then give it FullAccess: "
        + addMailboxPermission(login) + ". If it lists a principal whose ObjectId is not " + oid + ", that principal"
        + " was registered with the wrong object id: Remove-ServicePrincipal -Identity <that ObjectId>, then "
        + newServicePrincipal(login) + " and " + addMailboxPermission(login) + ". Changes can take up to an hour to"
        + " apply";
    Diagnosis.Builder b = Diagnosis.builder(SetupStep.EXCHANGE_SERVICE_PRINCIPAL, code)
        .summary("Exchange Online does not know app " + login.clientId() + "'s service principal with object id "
            + oid + " (none registered, or registered with another object id)")
        .fix(fix);
    return b.command(primary ? newServicePrincipal(login) + "; " + addMailboxPermission(login) : check).build();
  }

  /** FullAccess of the principal (app-only) or user (delegated) on the mailbox. */
  private static Diagnosis permissionStep(Login login, String code, boolean primary) {
    String check = getMailboxPermission(login);
    // https://learn.microsoft.com/en-us/powershell/module/exchange/get-mailboxpermission
    Diagnosis.Builder b = Diagnosis.builder(SetupStep.MAILBOX_PERMISSION, code)
        .summary((login.kind() == CredentialKind.APP_ONLY ? "The service principal " : "User ") + login.principal()
            + " has no FullAccess on mailbox " + login.mailbox())
        .fix("Check with " + check + ": if it lists no FullAccess, give it: " + addMailboxPermission(login)
            + ". Permission changes can take up to an hour to apply");
    return b.command(primary ? addMailboxPermission(login) : check).build();
  }

  /** A mailbox address that is mistyped or has no mailbox: Exchange answers as for a missing permission. */
  private static Diagnosis addressStep(Login login, String code) {
    return Diagnosis.builder(SetupStep.MAILBOX, code)
        .summary("Mailbox " + login.mailbox() + " may not exist (a mistyped address, or a user without an Exchange"
            + " Online licence)")
        .fix("Check the address " + login.mailbox() + " against Exchange admin center > Recipients > Mailboxes; "
            + getMailbox(login) + " must find it. Correct the mailbox setting if it does not")
        .command(getMailbox(login))
        .build();
  }

  /** IMAP turned off for the mailbox, which app-only logins hear as {@code AUTHENTICATE failed} as well. */
  private static Diagnosis imapDisabledStep(Login login, String code) {
    return Diagnosis.builder(SetupStep.MAILBOX_PROTOCOL, code)
        .summary("IMAP may be disabled for mailbox " + login.mailbox())
        .fix("Check with Get-CASMailbox -Identity " + login.mailbox() + " (ImapEnabled must be True); if it is"
            + " False: " + enableImap(login))
        .command("Get-CASMailbox -Identity " + login.mailbox())
        .build();
  }

  // ----- SMTP -----

  /**
   * {@code 535 5.7.139 ... SmtpClientAuthentication is disabled for the Tenant|Mailbox}. SMTP AUTH is switched off
   * for the organization with {@code Set-TransportConfig -SmtpClientAuthenticationDisabled} and per mailbox with
   * {@code Set-CASMailbox -SmtpClientAuthenticationDisabled}, and the mailbox's setting, when set, overrides the
   * organization's (https://learn.microsoft.com/en-us/exchange/clients-and-mobile-in-exchange-online/
   * authenticated-client-smtp-submission, "Enable or disable SMTP AUTH in your organization" and "... for specific
   * mailboxes"); so for a tenant-wide refusal the mailbox's own switch is offered too.
   */
  public static Diagnosis smtpAuthDisabled(Login login, String serverText) {
    String lower = serverText.toLowerCase(java.util.Locale.ROOT);
    if (lower.contains("security defaults")) {
      // "535 5.7.139 Authentication unsuccessful, user is locked by your organization's security defaults policy",
      // quoted in Patch My PC's "SMTP Authentication for Exchange Online" next to the SmtpClientAuthentication one
      return Diagnosis.builder(SetupStep.CONDITIONAL_ACCESS, "SMTP 535 5.7.139")
          .summary("Exchange Online refused the SMTP login to " + login.mailbox() + " under the tenant's security"
              + " defaults (" + org.o365mail.ServiceText.printable(firstLine(serverText)) + ")")
          .fix("Check Entra admin center > Overview > Properties > Manage security defaults, and the sign-in logs of"
              + " " + login.who() + "; security defaults block basic authentication, so make sure only XOAUTH2 reaches"
              + " the server")
          .build();
    }
    if (!lower.contains("smtpclientauthentication is disabled")) {
      // another 5.7.139 ("basic authentication is disabled" answers AUTH LOGIN, which this SDK never sends)
      return Diagnosis.builder(SetupStep.UNKNOWN, "SMTP 535 5.7.139")
          .summary("Exchange Online refused the SMTP login to " + login.mailbox() + ": "
              + org.o365mail.ServiceText.printable(firstLine(serverText)))
          .fix("See the server's answer; https://aka.ms/smtp_auth_disabled lists what 5.7.139 can mean")
          .build();
    }
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
        .alternative(addressStep(login, login.protocol() + " BAD " + serverText))
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
    return TransportDiagnoses.unsafeServer(endpoint, detail);
  }

  /** A failure to connect or to set up TLS, to an IMAP server. */
  public static Diagnosis transport(ImapEndpoint endpoint, Throwable failure) {
    return TransportDiagnoses.transport(endpoint, failure);
  }

  /**
   * A failure to connect or to set up TLS. A refused certificate is a TLS failure naming the certificate (read by a
   * second handshake broken off once it arrives; after STARTTLS for a STARTTLS endpoint).
   *
   * @param smtp whether the endpoint is SMTP submission (else IMAP)
   */
  public static Diagnosis transport(ImapEndpoint endpoint, Throwable failure, boolean smtp) {
    return TransportDiagnoses.transport(endpoint, failure, smtp);
  }

  /**
   * A server that stopped answering or answered past a limit: a read refused by {@link ServerReadGuard} (too long a
   * line, literal or response; too slow; an operation past its deadline), or a connect or read timeout. Such
   * failures are not retried on a new connection: the next one would wait as long again (retries multiplied the read
   * timeout before). Null for any other failure.
   */
  public static Diagnosis unanswered(ImapEndpoint endpoint, Throwable failure) {
    return TransportDiagnoses.unanswered(endpoint, failure);
  }

  /** The connection kept dropping and the attempts ran out. */
  public static Diagnosis connectionLost(ImapEndpoint endpoint, int attempts, Throwable last) {
    return TransportDiagnoses.connectionLost(endpoint, attempts, last);
  }
}
