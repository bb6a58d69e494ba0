package org.o365mail.graph.internal;

import static java.util.Objects.requireNonNull;

import com.microsoft.graph.models.odataerrors.MainError;
import com.microsoft.graph.models.odataerrors.ODataError;
import com.microsoft.kiota.ApiException;
import com.microsoft.kiota.ResponseHeaders;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import javax.net.ssl.SSLException;
import org.o365mail.Diagnosis;
import org.o365mail.FolderNotFoundException;
import org.o365mail.MailboxAuthenticationException;
import org.o365mail.MailboxException;
import org.o365mail.MessageNotFoundException;
import org.o365mail.SetupStep;
import org.o365mail.ThrottledException;
import org.o365mail.auth.AccessToken;
import org.o365mail.auth.CredentialKind;
import org.o365mail.auth.TokenClaims;
import org.o365mail.graph.internal.GraphCall.Access;
import org.o365mail.ProxyFailures;
import org.o365mail.ProxySettings;
import org.o365mail.TlsFailures;

/**
 * Turns Graph failures into the SDK's exception tree with a {@link Diagnosis}, once, at the connector's boundary:
 * 401 (after one retry with a fresh token), 403 {@code ErrorAccessDenied} (application permission, admin consent
 * or application access policy for app-only tokens; delegated permission or mailbox permission for users), the
 * 404s about the mailbox itself (a wrong address, a user without a licence, and for a user's token the store's
 * not-found, which Exchange gives a missing mailbox and one the user may not open alike: {@link
 * #missingMailbox}), 404 {@code ErrorItemNotFound} for items, 429/503, 5xx, network and TLS failures. Messages name
 * the mailbox and what to do, never a token. Thread-safe.
 */
public final class GraphErrors {
  /** What a failed request was about, which decides the not-found exception. */
  public enum Target {
    MESSAGE,
    FOLDER,
    MAILBOX,
    DIRECTORY
  }

  /**
   * A Graph error answer, from a plain response or a {@code $batch} item.
   *
   * @param status the HTTP status
   * @param code Graph's error code ({@code ErrorAccessDenied}), or the status when there is none
   * @param message Graph's message
   * @param requestId the {@code request-id}, or null
   * @param clientRequestId the {@code client-request-id}, or null
   * @param retryAfter the wait asked for, or null
   */
  public record Failure(int status, String code, String message, String requestId, String clientRequestId,
      Duration retryAfter) {}

  private final String mailbox;
  private final String clientId;
  private final GraphAuthentication auth;
  private final boolean ownMailbox;
  private final URI base;
  private final ProxySettings proxy;

  /** @param base the Graph base URL, whose host a refused certificate is named for */
  public GraphErrors(String mailbox, String clientId, GraphAuthentication auth, boolean ownMailbox, URI base) {
    this(mailbox, clientId, auth, ownMailbox, base, ProxySettings.system());
  }

  /** The same, knowing the proxy the calls go through (to name it when it refuses a tunnel). */
  public GraphErrors(String mailbox, String clientId, GraphAuthentication auth, boolean ownMailbox, URI base,
      ProxySettings proxy) {
    this.proxy = proxy;
    this.mailbox = mailbox;
    this.clientId = clientId;
    this.auth = auth;
    this.ownMailbox = ownMailbox;
    this.base = requireNonNull(base, "base");
  }

  /** The Graph answer behind {@code e}, when it is one. */
  public static Optional<Failure> failureOf(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ODataError odata) {
        MainError main = odata.getError();
        String code = main == null || main.getCode() == null ? Integer.toString(odata.getResponseStatusCode()) : main.getCode();
        String message = main == null || main.getMessage() == null ? "" : main.getMessage();
        String requestId = header(odata.getResponseHeaders(), "request-id");
        String clientRequestId = header(odata.getResponseHeaders(), "client-request-id");
        if (main != null && main.getInnerError() != null) {
          requestId = requestId != null ? requestId : main.getInnerError().getRequestId();
          clientRequestId = clientRequestId != null ? clientRequestId : main.getInnerError().getClientRequestId();
        }
        return Optional.of(new Failure(odata.getResponseStatusCode(), code, message, requestId, clientRequestId,
            Governor.retryAfter(header(odata.getResponseHeaders(), "Retry-After")).orElse(null)));
      }
      if (t instanceof ApiException api && api.getResponseStatusCode() > 0) {
        return Optional.of(new Failure(api.getResponseStatusCode(), Integer.toString(api.getResponseStatusCode()),
            "", header(api.getResponseHeaders(), "request-id"), header(api.getResponseHeaders(), "client-request-id"),
            Governor.retryAfter(header(api.getResponseHeaders(), "Retry-After")).orElse(null)));
      }
    }
    return Optional.empty();
  }

  private static String header(ResponseHeaders headers, String name) {
    if (headers == null) {
      return null;
    }
    for (var e : headers.entrySet()) {
      if (e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) {
        return e.getValue().iterator().next();
      }
    }
    return null;
  }

  /**
   * Maps any failure of a Graph call about {@code target} ({@code what} says which, for the message). A call on a
   * closed connector is the caller's mistake, not the mailbox's: its {@link GraphTransport.Closed} is thrown as it is.
   */
  public MailboxException map(RuntimeException e, Target target, String what, Access access) {
    if (e instanceof MailboxException m) {
      return m;
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof GraphTransport.Closed closed) {
        throw closed;
      }
    }
    Optional<Failure> failure = failureOf(e);
    if (failure.isPresent()) {
      return map(failure.get(), target, what, access, e);
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BoundedAnswers.Exceeded exceeded) {
        // wrapped in whatever read the body (Jackson, Kiota, an UncheckedIOException): the bound is the news
        return new MailboxException(what + " failed: " + exceeded.getMessage(), Diagnosis.builder(SetupStep.SERVICE,
            "AnswerOutOfBounds").summary(exceeded.getMessage())
            .fix("Graph, or something between it and this machine, answered out of bounds; check the Graph base URL"
                + " and any proxy in between, and retry later").retryable(true).build(), e);
      }
    }
    Optional<Diagnosis> proxyRefusal = ProxyFailures.diagnose(e, proxy,
        base.getHost() + ":" + (base.getPort() == -1 ? 443 : base.getPort()));
    if (proxyRefusal.isPresent()) {
      return new MailboxException(what + " failed: " + proxyRefusal.get().summary(), proxyRefusal.get(), e);
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof MailboxException m) {
        return m;
      }
      if (t instanceof Governor.Throttled throttled) {
        return throttled(what, throttled.retryAfter(), "ApplicationThrottled", false, null, null, e);
      }
      if (t instanceof InterruptedIOException && Thread.currentThread().isInterrupted()) {
        return new MailboxException(what + " was interrupted", e);
      }
      Optional<TlsFailures.Refusal> refusal = t instanceof SSLException ? TlsFailures.refusal(t) : Optional.empty();
      if (refusal.isPresent()) {
        // Graph was reached and its certificate refused: a TLS failure, with the certificate named
        int port = base.getPort() == -1 ? 443 : base.getPort();
        Diagnosis d = TlsFailures.diagnosis(TlsFailures.MAIL_CODE, "Graph", base.getHost(), port, refusal.get(),
            TlsFailures.presented(base.getHost(), port, Duration.ofSeconds(5)), "the connector's trust(...)");
        return new MailboxException(what + " failed: " + d.summary(), d, e);
      }
      if (t instanceof SSLException) {
        return new MailboxException(what + " failed: the TLS connection to Graph was refused", Diagnosis.builder(
            SetupStep.TRUST, "TLS").summary("The TLS handshake with the Graph host failed: " + t.getClass().getSimpleName())
            .fix("Check the Graph base URL and that this JVM or the configured trust() trusts its certificate").build(), e);
      }
      if (t instanceof IOException || t instanceof UncheckedIOException) {
        return new MailboxException(what + " failed: " + t.getClass().getSimpleName() + " talking to Graph",
            Diagnosis.builder(SetupStep.SERVICE, t.getClass().getSimpleName())
                .summary("The connection to Graph failed (" + t.getClass().getSimpleName() + ")")
                .fix("Check the network path to the Graph host; retrying later may help").retryable(true).build(), e);
      }
    }
    return new MailboxException(what + " failed: " + e.getClass().getSimpleName(), e);
  }

  /** Maps a Graph error answer. */
  public MailboxException map(Failure f, Target target, String what, Access access, Throwable cause) {
    Optional<MailboxException> refused = sendRefusal(f, what, Optional.empty(), cause);
    if (refused.isPresent()) {
      return refused.get();
    }
    String code = f.code();
    String lower = f.message().toLowerCase(Locale.ROOT);
    Diagnosis.Builder d;
    switch (f.status()) {
      case 401 -> {
        if (lower.contains("audience")) {
          d = Diagnosis.builder(SetupStep.SCOPES, code)
              .summary("Graph rejected the token's audience for " + what)
              .fix("Ask for a Microsoft Graph token (scopes " + auth.scopesOf(access) + "), not one for another resource");
        } else if (lower.contains("lifetime")) {
          d = Diagnosis.builder(SetupStep.TRUST, code)
              .summary("Graph says the token is expired or not yet valid (" + f.message() + "), even after a fresh one")
              .fix("Check this machine's clock; Graph allows five minutes of skew");
        } else {
          d = Diagnosis.builder(auth.kind() == CredentialKind.APP_ONLY ? SetupStep.TENANT : SetupStep.SIGN_IN_AGAIN, code)
              .summary("Graph did not accept the token for " + what + " (" + f.message() + "), even after a fresh one")
              .fix(auth.kind() == CredentialKind.APP_ONLY
                  ? "Check that the tenant configured is the one that holds the mailbox and that the app is enabled"
                  : "Sign in again; the user's session may have been revoked");
        }
        return new MailboxAuthenticationException(message(what, d, f), ids(d, f).build(), cause);
      }
      case 403 -> {
        d = forbidden(f, access);
        return new MailboxAuthenticationException(message(what, d, f), ids(d, f).build(), cause);
      }
      case 404 -> {
        Optional<Diagnosis.Builder> missing = missingMailbox(code, target);
        if (missing.isPresent()) {
          d = missing.get();
          return new MailboxException(message(what, d, f), ids(d, f).build(), cause);
        }
        if (code.equals("ErrorItemNotFound") || code.equals("ErrorInvalidIdMalformed") || code.equals("ResourceNotFound")) {
          d = Diagnosis.builder(SetupStep.UNKNOWN, code)
              .summary((target == Target.FOLDER ? "The folder" : "The message") + " is not in mailbox " + mailbox)
              .fix(target == Target.FOLDER ? "Check the folder path or id" : "It was moved or deleted; list again");
          if (target == Target.FOLDER) {
            return new FolderNotFoundException(what + ": folder not found in " + mailbox, ids(d, f).build(), cause);
          }
          return new MessageNotFoundException(what + ": message not found in " + mailbox, ids(d, f).build(), cause);
        }
      }
      case 400 -> {
        if (isForeignOrMalformedId(code) && (target == Target.MESSAGE || target == Target.FOLDER)) {
          // Exchange answers an id it cannot have issued for this mailbox with 400, not 404: to the caller the
          // message (or folder) is as absent as a deleted one
          d = Diagnosis.builder(SetupStep.UNKNOWN, code)
              .summary((target == Target.FOLDER ? "The folder id" : "The message id") + " is not one of mailbox "
                  + mailbox + " (" + code + ")")
              .fix("Use an id listed from this mailbox; ids of other mailboxes are not valid here");
          if (target == Target.FOLDER) {
            return new FolderNotFoundException(what + ": folder not found in " + mailbox, ids(d, f).build(), cause);
          }
          return new MessageNotFoundException(what + ": message not found in " + mailbox, ids(d, f).build(), cause);
        }
      }
      case 429, 503 -> {
        return throttled(what, f.retryAfter(), code, f.status() == 503, f.requestId(), f.clientRequestId(), cause);
      }
      default -> {
        // below
      }
    }
    boolean serverSide = f.status() >= 500;
    d = Diagnosis.builder(serverSide ? SetupStep.SERVICE : SetupStep.UNKNOWN, code)
        .summary("Graph answered " + f.status() + " " + code + (f.message().isEmpty() ? "" : ": " + f.message()))
        .fix(serverSide ? "Retry later; Graph reported a service failure" : "See the Graph error code")
        .retryable(serverSide);
    return new MailboxException(message(what, d, f), ids(d, f).build(), cause);
  }

  /**
   * The diagnosis of a 404 that is about the mailbox itself, not an item in it:
   *
   * <ul>
   *   <li>{@code ErrorInvalidUser} ("The requested user '..' is invalid."): app-only, no user or mailbox has the
   *       address (https://github.com/microsoftgraph/microsoft-graph-docs/issues/4097,
   *       https://github.com/InnoGE/laravel-msgraph-mail/issues/16): the mailbox address;
   *   <li>{@code MailboxNotEnabledForRESTAPI} ("The mailbox is either inactive, soft-deleted, or is hosted
   *       on-premise."): the user exists without an Exchange Online mailbox, most often for want of a licence
   *       (https://github.com/microsoftgraph/msgraph-sdk-javascript/issues/1756,
   *       https://github.com/MicrosoftDocs/azure-docs/issues/85666): the mailbox itself, with the licence as the fix;
   *   <li>{@code ResourceNotFound} ("Resource could not be discovered.") for the mailbox: no such mailbox, or one
   *       not in Exchange Online (https://github.com/microsoftgraph/microsoft-graph-docs/issues/5143, a Microsoft
   *       engineer's answer): the mailbox, the address or the licence;
   *   <li>{@code ErrorItemNotFound} ("The specified object was not found in the store.") for the Inbox, which every
   *       mailbox has, with a user's token: Exchange answers a mailbox that does not exist and one the user may not
   *       open alike (https://github.com/O365/python-o365/issues/170,
   *       https://github.com/microsoftgraph/msgraph-sdk-powershell/issues/622): the address first, the user's
   *       FullAccess to it as alternative. Never a {@code .Shared} permission: the token was good enough to ask.
   * </ul>
   */
  private Optional<Diagnosis.Builder> missingMailbox(String code, Target target) {
    Diagnosis address = Diagnosis.builder(SetupStep.MAILBOX, code)
        .summary("Graph knows no mailbox '" + mailbox + "' in this tenant")
        .fix("Check the mailbox address (a user principal name or primary SMTP address of this tenant, with an"
            + " Exchange Online licence for users)")
        .command("Get-Recipient -Identity " + mailbox).build();
    // the mailbox itself is the step (the "the mailbox itself", as the doctor matrix names it); the fix
    // says what gives a user one
    Diagnosis licence = Diagnosis.builder(SetupStep.MAILBOX, code)
        .summary("The user " + mailbox + " exists but has no Exchange Online mailbox (no licence, or the mailbox is"
            + " inactive, soft-deleted or on-premises)")
        .fix("Assign the user a licence that includes Exchange Online (Microsoft 365 admin center > Users > Active"
            + " users > Licenses and apps) and wait for the mailbox to be provisioned, or configure the address of"
            + " a mailbox")
        .command("Get-Mailbox -Identity " + mailbox).build();
    switch (code) {
      case "ErrorInvalidUser" -> {
        return Optional.of(address.toBuilder());
      }
      case "MailboxNotEnabledForRESTAPI" -> {
        return Optional.of(licence.toBuilder());
      }
      case "ResourceNotFound" -> {
        return target == Target.MAILBOX ? Optional.of(address.toBuilder().fix(address.fix() + "; a user without"
            + " an Exchange Online licence has no mailbox")) : Optional.empty();
      }
      case "ErrorItemNotFound" -> {
        if (target != Target.MAILBOX || auth.kind() == CredentialKind.APP_ONLY) {
          return Optional.empty();
        }
        String user = auth.currentToken(Access.READ).map(AccessToken::claims).flatMap(TokenClaims::userPrincipalName)
            .orElse("<user>");
        Diagnosis rights = Diagnosis.builder(SetupStep.MAILBOX_PERMISSION, code)
            .summary("The signed-in user " + user + " may not open mailbox " + mailbox + " (Exchange answers this"
                + " alike for a mailbox that does not exist)")
            .fix("If the address is right, give " + user + " FullAccess to the mailbox (a shared mailbox is opened"
                + " through FullAccess); permission changes can take up to an hour to apply")
            .command("Get-MailboxPermission -Identity " + mailbox + " -User " + user).build();
        return Optional.of(address.toBuilder().summary("Graph found no mailbox '" + mailbox + "' that the signed-in"
            + " user " + user + " may open").alternative(rights));
      }
      default -> {
        return Optional.empty();
      }
    }
  }

  /**
   * Whether a Graph error code says the id is not one this mailbox could have issued: {@code ErrorInvalidIdMalformed}
   * ("Id is malformed.") or {@code ErrorInvalidMailboxItemId} ("Item Id doesn't belong to the current mailbox.").
   */
  public static boolean isForeignOrMalformedId(String code) {
    return code.equals("ErrorInvalidIdMalformed") || code.equals("ErrorInvalidMailboxItemId");
  }

  private Diagnosis.Builder forbidden(Failure f, Access access) {
    String code = f.code();
    String needed = switch (access) {
      case SEND -> "Mail.Send";
      case WRITE -> "Mail.ReadWrite";
      case DIRECTORY -> "Application.Read.All";
      default -> "Mail.Read or Mail.ReadWrite";
    };
    if (code.equals("Authorization_RequestDenied") || access == Access.DIRECTORY) {
      return Diagnosis.builder(SetupStep.APPLICATION_PERMISSION, code)
          .summary("The app may not read the directory object: " + f.message())
          .fix("Grant Microsoft Graph > Application.Read.All (with admin consent), or make the app an owner of its"
              + " registration");
    }
    if (f.message().toLowerCase(Locale.ROOT).contains("access to odata is disabled")) {
      return Diagnosis.builder(SetupStep.APPLICATION_ACCESS_POLICY, code)
          .summary("An Exchange application access policy keeps app " + clientId + " out of mailbox " + mailbox)
          .fix("Add the mailbox to the mail-enabled security group of the app's access policy (or its RBAC for"
              + " Applications scope), or remove the policy")
          .command("Test-ApplicationAccessPolicy -Identity " + mailbox + " -AppId " + clientId);
    }
    Optional<TokenClaims> claims = auth.currentToken(access == Access.NONE ? Access.READ : access)
        .map(AccessToken::claims);
    if (auth.kind() == CredentialKind.APP_ONLY) {
      Set<String> roles = claims.map(TokenClaims::roles).orElse(Set.of());
      if (roles.isEmpty()) {
        return Diagnosis.builder(SetupStep.ADMIN_CONSENT, code)
            .summary("The app-only token carries no application permissions, so Graph denies mailbox " + mailbox)
            .fix("Grant admin consent for Microsoft Graph > Application permissions > " + needed);
      }
      return Diagnosis.builder(SetupStep.APPLICATION_PERMISSION, code)
          .summary("The app-only token has roles " + new TreeSet<>(roles) + ", not " + needed + ", for mailbox " + mailbox)
          .fix("Add Microsoft Graph > Application permissions > " + needed + ", then Grant admin consent");
    }
    Set<String> scopes = claims.map(TokenClaims::scopes).orElse(Set.of());
    if (ownMailbox) {
      return Diagnosis.builder(SetupStep.DELEGATED_PERMISSION, code)
          .summary("The user's token has scopes " + new TreeSet<>(scopes) + "; Graph denies " + needed)
          .fix("Add Microsoft Graph > Delegated permissions > " + needed + " and consent to it");
    }
    boolean shared = scopes.stream().anyMatch(s -> s.endsWith(".Shared"));
    if (!shared) {
      // another user's mailbox answers 403 to a token without .Shared
      // (https://github.com/microsoftgraph/microsoft-graph-explorer-v4/issues/3786); when the mailbox was meant to be
      // the user's own, the address is what to fix, not the permission
      String user = claims.flatMap(TokenClaims::userPrincipalName).orElse("the signed-in user");
      return Diagnosis.builder(SetupStep.DELEGATED_PERMISSION, code)
          .summary("Reading another user's mailbox (" + mailbox + ") needs a .Shared permission; the token has "
              + new TreeSet<>(scopes))
          .fix("Add Microsoft Graph > Delegated permissions > " + needed.replace(" or ", ".Shared or ") + ".Shared and"
              + " consent to it")
          .alternative(Diagnosis.builder(SetupStep.MAILBOX, code)
              .summary("The mailbox " + mailbox + " is not " + user + "'s own")
              .fix("If the connection is meant for " + user + "'s own mailbox, configure that address; no .Shared"
                  + " permission is needed for it")
              .build());
    }
    String user = claims.flatMap(TokenClaims::userPrincipalName).orElse("<user>");
    return Diagnosis.builder(SetupStep.MAILBOX_PERMISSION, code)
        .summary("The signed-in user " + user + " has no access to mailbox " + mailbox)
        .fix("Give the user FullAccess to the mailbox (or share its folders)")
        .command("Add-MailboxPermission -Identity " + mailbox + " -User " + user + " -AccessRights FullAccess");
  }

  /**
   * The refusals Exchange gives a message when it is submitted, which no retry changes; empty for any other answer:
   *
   * <ul>
   *   <li>{@code 403 ErrorSendAsDenied}: the message's From is an address the identity may not send as (Graph's
   *       "Send Outlook messages from another user" page, Example 2). Diagnosed as the Send As permission, for the
   *       signed-in user (delegated) or the mailbox sent through (app-only; an app with Mail.Send may instead send
   *       through the From address's own mailbox);
   *   <li>{@code ErrorMessageSizeExceeded} (400 in public transcripts): the message is larger than the mailbox's
   *       MaxSendSize, 35 MB by default. Diagnosed as the maximum send size, not as a permission.
   * </ul>
   *
   * @param from the message's From address, when it has one of its own
   */
  public Optional<MailboxException> sendRefusal(Failure f, String what, Optional<String> from, Throwable cause) {
    if (f.code().equals("ErrorSendAsDenied")) {
      String address = from.orElse("<From address>");
      boolean app = auth.kind() == CredentialKind.APP_ONLY;
      String trustee = app ? mailbox : auth.currentToken(Access.SEND).map(AccessToken::claims)
          .flatMap(TokenClaims::userPrincipalName).orElse("<user>");
      Diagnosis.Builder d = Diagnosis.builder(SetupStep.SEND_AS_PERMISSION, f.code())
          .summary((app ? "App " + clientId + ", sending through mailbox " + mailbox + "," : "User " + trustee
              + ", sending through mailbox " + mailbox + ",") + " may not send as " + address)
          .fix("Give " + trustee + " Send As on " + address + " (Exchange admin center > Recipients > Mailboxes > "
              + address + " > Delegation > Send as)" + (app ? ", or send through the mailbox of " + address
              + " itself (forMailbox), which an app with Mail.Send may" : "") + ". Permission changes can take up"
              + " to an hour to apply")
          .command("Add-RecipientPermission -Identity " + address + " -Trustee " + trustee + " -AccessRights SendAs");
      return Optional.of(new MailboxAuthenticationException(message(what, d, f), ids(d, f).build(), cause));
    }
    if (f.code().equals("ErrorMessageSizeExceeded")) {
      Diagnosis.Builder d = Diagnosis.builder(SetupStep.MAX_SEND_SIZE, f.code())
          .summary("Exchange Online refused the message from mailbox " + mailbox + " as larger than the mailbox may"
              + " send (MaxSendSize, 35 MB by default; attachments count about a third more once encoded)")
          .fix("Raise the MaxSendSize of " + mailbox + " (at most 150 MB; Exchange admin center > Recipients >"
              + " Mailboxes > Mail flow settings > Message size restrictions), or send less, such as a link instead"
              + " of the attachment")
          .command("Set-Mailbox -Identity " + mailbox + " -MaxSendSize 150MB");
      return Optional.of(new MailboxException(message(what, d, f), ids(d, f).build(), cause));
    }
    return Optional.empty();
  }

  private static ThrottledException throttled(String what, Duration retryAfter, String code, boolean unavailable,
      String requestId, String clientRequestId, Throwable cause) {
    Diagnosis d = Diagnosis.builder(SetupStep.SERVICE, code)
        .summary((unavailable ? "Graph was unavailable for " : "Graph throttled ") + what + " beyond the retry budget"
            + (retryAfter == null ? "" : "; it asked to wait " + retryAfter.toSeconds() + " s"))
        .fix(unavailable ? "Wait and try again: the service is unavailable for now, nothing to change on this side"
            : "Wait and try again; fewer concurrent requests per mailbox help (Exchange allows four)")
        .retryable(true).correlationId(clientRequestId).traceId(requestId).build();
    return new ThrottledException(what + (unavailable ? " met an unavailable Graph" : " was throttled by Graph")
        + (retryAfter == null ? "" : " (retry after "
        + retryAfter.toSeconds() + " s)"), retryAfter, d, cause);
  }

  private static Diagnosis.Builder ids(Diagnosis.Builder d, Failure f) {
    return d.correlationId(f.clientRequestId()).traceId(f.requestId());
  }

  private static String message(String what, Diagnosis.Builder d, Failure f) {
    return what + " failed: " + ids(d, f).build().describe();
  }
}
