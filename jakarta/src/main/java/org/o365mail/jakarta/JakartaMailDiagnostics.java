package org.o365mail.jakarta;

import static java.util.Objects.requireNonNull;

import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.MessagingException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.o365mail.Diagnosis;
import org.o365mail.EmailAddress;
import org.o365mail.MailboxException;
import org.o365mail.ProxyFailures;
import org.o365mail.ServiceText;
import org.o365mail.SetupStep;
import org.o365mail.TlsFailures;
import org.o365mail.auth.AccessToken;
import org.o365mail.auth.CredentialKind;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.TokenClaims;
import org.o365mail.auth.TokenPreflight;

/**
 * The SDK's {@link Diagnosis} of a failure of Jakarta Mail code that logs in with an {@link OAuth2Authenticator}:
 * which setup step was missed, what to do, and the Exchange Online PowerShell that fixes or checks it.
 *
 * <ul>
 *   <li>The SDK's own {@link MailboxException} (thrown by the authenticator when no token could be got or the token
 *       fails the pre-flight) anywhere in the chain: its diagnosis.
 *   <li>IMAP {@code AUTHENTICATE failed.} and SMTP {@code 535 5.7.3}: first the token's pre-flight (a role or scope
 *       missing, another audience or tenant); else, for app-only tokens, the Exchange service principal (missing, or
 *       registered with another object id than the enterprise application's, which is the token's {@code oid}),
 *       with FullAccess on the mailbox, the address and (IMAP) IMAP being disabled as alternatives, since Exchange
 *       answers all of them alike; for delegated tokens, IMAP disabled for the mailbox, or the user's permission to
 *       send from it.
 *   <li>SMTP {@code 535 5.7.139}: SMTP AUTH disabled for the mailbox or the tenant.
 *   <li>IMAP {@code User is authenticated but not connected}: the signed-in user may not open the mailbox.
 *   <li>A certificate refused in the TLS handshake (not trusted, expired, naming another host): the trust step.
 *   <li>A proxy that refused the tunnel (403, or 407: credentials wanted, or the ones given rejected): the network
 *       step ({@link SetupStep#TRUST}, as {@link ProxyFailures} names it), naming the proxy and the server.
 * </ul>
 *
 * <p>Other failures (network, a server answer not listed) have no diagnosis here: empty. The token's value is
 * never part of a diagnosis. Stateless and thread-safe.
 *
 * <pre>{@code
 * try {
 *   store.connect();
 * } catch (MessagingException | MailboxException e) {
 *   JakartaMailDiagnostics.diagnose(e, credential, "invoices@contoso.com")
 *       .ifPresent(d -> log.error("IMAP login failed: {}", d.describe()));
 * }
 * }</pre>
 */
public final class JakartaMailDiagnostics {
  private static final Pattern SMTP_CODE = Pattern.compile("^(\\d{3})[ -](?:(\\d\\.\\d{1,3}\\.\\d{1,3}) )?");

  private JakartaMailDiagnostics() {}

  /**
   * The diagnosis of {@code failure} of a connect or command as {@code mailbox} with tokens of {@code credentials},
   * or empty when it is not one this class knows. Asks {@code credentials} for its cached token to read the claims
   * (no sign-in when none is cached and none can be got).
   */
  public static Optional<Diagnosis> diagnose(Exception failure, CredentialStrategy credentials, String mailbox) {
    requireNonNull(failure, "failure");
    requireNonNull(credentials, "credentials");
    String address = EmailAddress.of(requireNonNull(mailbox, "mailbox")).address().toLowerCase(Locale.ROOT);
    for (Throwable t = failure; t != null; t = next(t)) {
      if (t instanceof MailboxException m && m.diagnosis().isPresent()) {
        return m.diagnosis();
      }
    }
    for (Throwable t = failure; t != null; t = next(t)) {
      Optional<Diagnosis> proxy = ProxyFailures.diagnose(t);
      if (proxy.isPresent()) {
        return proxy;
      }
    }
    Optional<TlsFailures.Refusal> tls = TlsFailures.refusal(failure);
    if (tls.isPresent()) {
      return Optional.of(untrusted(tls.get()));
    }
    String text = text(failure);
    if (failure instanceof AuthenticationFailedException || text.contains("AUTHENTICATE failed")) {
      Matcher smtp = SMTP_CODE.matcher(text);
      boolean isSmtp = smtp.find();
      OAuth2Authenticator.Protocol protocol = isSmtp ? OAuth2Authenticator.Protocol.SMTP
          : OAuth2Authenticator.Protocol.IMAP;
      String code = isSmtp ? "SMTP " + smtp.group(1) + (smtp.group(2) != null ? " " + smtp.group(2) : "")
          : "IMAP NO AUTHENTICATE failed.";
      Login login = Login.of(credentials, address, protocol);
      if (login.preflight.isPresent()) {
        return login.preflight;
      }
      if (isSmtp && "5.7.139".equals(smtp.group(2))) {
        return Optional.of(smtpAuthDisabled(login, code));
      }
      return Optional.of(refused(login, code));
    }
    if (text.contains("User is authenticated but not connected")) {
      Login login = Login.of(credentials, address, OAuth2Authenticator.Protocol.IMAP);
      return Optional.of(Diagnosis.builder(SetupStep.MAILBOX_PERMISSION, "IMAP BAD User is authenticated but not"
              + " connected.")
          .summary("Exchange Online accepted the token of " + login.who() + " but will not open mailbox " + address
              + ": the account has no permission on it, or there is no such mailbox")
          .fix("Give " + login.principal() + " FullAccess to " + address + ", or correct the mailbox address")
          .command(addMailboxPermission(login))
          .alternative(addressStep(login, "IMAP BAD User is authenticated but not connected."))
          .build());
    }
    return Optional.empty();
  }

  private static Throwable next(Throwable t) {
    if (t instanceof MessagingException m && m.getNextException() != null && m.getNextException() != t) {
      return m.getNextException();
    }
    return t.getCause() == t ? null : t.getCause();
  }

  private static String text(Throwable t) {
    String m = t.getMessage();
    return m == null ? "" : ServiceText.printable(m.strip());
  }

  /** Who logged in where, read from the strategy and its cached token. */
  private record Login(String mailbox, OAuth2Authenticator.Protocol protocol, CredentialKind kind, String clientId,
      Optional<TokenClaims> claims, Optional<String> username, Optional<Diagnosis> preflight) {

    static Login of(CredentialStrategy credentials, String mailbox, OAuth2Authenticator.Protocol protocol) {
      Optional<TokenClaims> claims = Optional.empty();
      Optional<Diagnosis> preflight = Optional.empty();
      try {
        AccessToken token = credentials.token(protocol.tokenRequest());
        preflight = TokenPreflight.check(token, protocol.requirement(), credentials.registration());
        claims = Optional.of(token.claims());
      } catch (RuntimeException e) {
        // no token now, or an opaque one: diagnosed without its claims
      }
      return new Login(mailbox, protocol, credentials.kind(), credentials.registration().clientId(), claims,
          credentials.username(), preflight);
    }

    boolean appOnly() {
      return kind == CredentialKind.APP_ONLY;
    }

    /** The enterprise application's object id: the {@code oid} of an app-only token. */
    String servicePrincipalObjectId() {
      return claims.map(TokenClaims::objectId).filter(s -> !s.isBlank()).orElse("<enterprise application object id>");
    }

    String user() {
      return claims.flatMap(TokenClaims::userPrincipalName).or(() -> username).orElse("<user>");
    }

    String principal() {
      return appOnly() ? servicePrincipalObjectId() : user();
    }

    String who() {
      return appOnly() ? "app " + clientId : "user " + user();
    }
  }

  private static String addMailboxPermission(Login login) {
    return "Add-MailboxPermission -Identity " + login.mailbox() + " -User " + login.principal()
        + " -AccessRights FullAccess";
  }

  private static String newServicePrincipal(Login login) {
    return "New-ServicePrincipal -AppId " + login.clientId() + " -ObjectId " + login.servicePrincipalObjectId();
  }

  private static Diagnosis refused(Login login, String code) {
    String mailbox = login.mailbox();
    boolean smtp = login.protocol() == OAuth2Authenticator.Protocol.SMTP;
    if (login.appOnly()) {
      String role = smtp ? "SMTP.SendAsApp" : "IMAP.AccessAsApp";
      String passed = login.claims().isPresent()
          ? " although its token passed the pre-flight (audience Exchange Online, role " + role + ")"
          : " (its token cannot be read, so whether it carries the role " + role + " is unknown)";
      Diagnosis.Builder b = Diagnosis.builder(SetupStep.EXCHANGE_SERVICE_PRINCIPAL, code)
          .summary("Exchange Online refused app " + login.clientId() + " for mailbox " + mailbox + passed
              + ". Exchange gives this answer for a missing Exchange service principal, one registered with another"
              + " object id, missing FullAccess and a mailbox that does not exist; the service principal is the"
              + " likeliest")
          .fix("Check with Get-ServicePrincipal -Identity " + login.clientId() + "; if it lists none, register the"
              + " enterprise application's object id " + login.servicePrincipalObjectId() + " (Entra admin center >"
              + " Enterprise applications > Object ID, not the app registration's): " + newServicePrincipal(login)
              + ", then " + addMailboxPermission(login) + ". Changes can take up to an hour to apply")
          .command(newServicePrincipal(login))
          .alternative(Diagnosis.builder(SetupStep.MAILBOX_PERMISSION, code)
              .summary("The service principal " + login.principal() + " may lack FullAccess on " + mailbox)
              .fix("Check with Get-MailboxPermission -Identity " + mailbox + " -User " + login.principal()
                  + " and give FullAccess")
              .command(addMailboxPermission(login))
              .build())
          .alternative(addressStep(login, code));
      if (!smtp) {
        b.alternative(imapDisabled(login, code));
      }
      return b.build();
    }
    if (smtp) {
      return Diagnosis.builder(SetupStep.MAILBOX_PERMISSION, code)
          .summary("Exchange Online refused user " + login.user() + " for mailbox " + mailbox + ": the user may not"
              + " send from that mailbox")
          .fix("Check the mailbox address; if it is right, give " + login.user() + " FullAccess to " + mailbox)
          .command(addMailboxPermission(login))
          .alternative(addressStep(login, code))
          .build();
    }
    return imapDisabled(login, code).toBuilder()
        .summary("Exchange Online refused user " + login.user() + " for mailbox " + mailbox + ": IMAP is disabled for"
            + " the mailbox, or the account has no mailbox to sign in to")
        .alternative(addressStep(login, code))
        .build();
  }

  private static Diagnosis imapDisabled(Login login, String code) {
    return Diagnosis.builder(SetupStep.MAILBOX_PROTOCOL, code)
        .summary("IMAP may be disabled for mailbox " + login.mailbox())
        .fix("Enable IMAP for " + login.mailbox() + " (Microsoft 365 admin center > Users > Mail > Manage email apps)")
        .command("Set-CASMailbox -Identity " + login.mailbox() + " -ImapEnabled $true")
        .build();
  }

  private static Diagnosis addressStep(Login login, String code) {
    return Diagnosis.builder(SetupStep.MAILBOX, code)
        .summary("There may be no mailbox " + login.mailbox())
        .fix("Check the address configured for the mailbox")
        .command("Get-Mailbox -Identity " + login.mailbox())
        .build();
  }

  private static Diagnosis untrusted(TlsFailures.Refusal refusal) {
    String fix = switch (refusal) {
      case UNTRUSTED -> "Add the CA that issued the server's certificate to the session's trust"
          + " (JakartaMailSessions builder trust(..), or the credential's AppRegistration trust(..)); if this machine"
          + " should not see that CA, look for a TLS-inspecting proxy in between";
      case EXPIRED -> "The server's certificate must be renewed by its owner; check this machine's clock";
      case WRONG_HOST -> "Connect by a host name the certificate names (host(..) of the session); a TLS-inspecting"
          + " proxy in between can also cause this";
    };
    return Diagnosis.builder(SetupStep.TRUST, TlsFailures.MAIL_CODE)
        .summary("Reached the mail server, but its certificate " + refusal.words())
        .fix(fix)
        .retryable(false)
        .build();
  }

  private static Diagnosis smtpAuthDisabled(Login login, String code) {
    String mailbox = login.mailbox();
    return Diagnosis.builder(SetupStep.MAILBOX_PROTOCOL, code)
        .summary("SMTP AUTH is disabled for mailbox " + mailbox + " or for the whole tenant")
        .fix("Enable SMTP AUTH for the mailbox (Microsoft 365 admin center > Users > Mail > Manage email apps >"
            + " Authenticated SMTP); if the tenant disables it, enable it there too")
        .command("Set-CASMailbox -Identity " + mailbox + " -SmtpClientAuthenticationDisabled $false")
        .alternative(Diagnosis.builder(SetupStep.MAILBOX_PROTOCOL, code)
            .summary("SMTP AUTH may be disabled for the whole tenant")
            .fix("Enable it for the organization")
            .command("Set-TransportConfig -SmtpClientAuthenticationDisabled $false")
            .build())
        .build();
  }
}
