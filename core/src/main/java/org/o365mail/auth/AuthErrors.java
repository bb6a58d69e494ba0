package org.o365mail.auth;

import com.microsoft.aad.msal4j.MsalClientException;
import com.microsoft.aad.msal4j.MsalServiceException;
import com.microsoft.aad.msal4j.MsalThrottlingException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import org.o365mail.Diagnosis;
import org.o365mail.MailboxAuthenticationException;
import org.o365mail.MailboxException;
import org.o365mail.ServiceText;
import org.o365mail.SetupStep;
import org.o365mail.ThrottledException;
import org.o365mail.TlsFailures;
import org.o365mail.internal.Retry;
import org.o365mail.internal.SignInHttp;

/** Translates failures of MSAL and of the SDK's own OAuth calls, once, into the SDK's exceptions. */
final class AuthErrors {
  private static final Pattern AADSTS = Pattern.compile("AADSTS(\\d+)");
  private static final Pattern TRACE = Pattern.compile("Trace ID: ([0-9a-fA-F-]{36})");
  private static final Pattern CORRELATION = Pattern.compile("Correlation ID: ([0-9a-fA-F-]{36})");

  private AuthErrors() {}

  /** The SDK exception for {@code failure} in {@code context}; already-translated exceptions pass through. */
  public static MailboxException translate(Throwable failure, AuthContext context) {
    Throwable t = unwrap(failure);
    if (t instanceof MailboxException m) {
      return m;
    }
    // MSAL wraps what our own code threw inside its callbacks (the token store's cache bridge): that diagnosis wins
    for (Throwable c = t.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
      if (c instanceof MailboxException m) {
        return m;
      }
    }
    if (t instanceof OAuthError e) {
      return fromService(e.error(), e.description(), e.status(), e.correlationId(), e.retryAfter(), context, e);
    }
    if (t instanceof MsalThrottlingException e) {
      Duration wait = Duration.ofMillis(Math.max(0, e.retryInMs()));
      Diagnosis d = Diagnosis.builder(SetupStep.SERVICE, "throttled")
          .summary("Entra ID asked this client to slow down")
          .fix("Wait " + wait.toSeconds() + " s before asking for a token again; cache tokens")
          .retryable(true)
          .build();
      return new ThrottledException(d.describe(), wait, d, e);
    }
    if (t instanceof MsalServiceException e) {
      return fromService(e.errorCode(), e.getMessage(), e.statusCode() == null ? 0 : e.statusCode(),
          e.correlationId(), retryAfter(e.headers()), context, EscapedCause.of(e));
    }
    if (t instanceof MsalClientException e) {
      Optional<MailboxException> io = fromIo(e.getCause(), context, e);
      if (io.isPresent()) {
        return io.get();
      }
      String code = e.errorCode() == null ? "msal_client" : e.errorCode();
      if (code.equals("code_expired")) {
        return authentication(catalogued(70019, code, context), e, null);
      }
      if (code.equals("cache_miss")) {
        Diagnosis d = Diagnosis.builder(SetupStep.SIGN_IN_AGAIN, code)
            .summary("There is no stored sign-in for this user")
            .fix("Run the device-code or interactive sign-in once; its refresh token is then kept in the token store")
            .build();
        return authentication(d, e, null);
      }
      Optional<MailboxException> nested = fromIo(rootCause(e), context, e);
      if (nested.isPresent()) {
        return nested.get();
      }
      Diagnosis d = Diagnosis.builder(SetupStep.UNKNOWN, code)
          .summary("MSAL failed before reaching Entra ID (" + safeMessage(e) + ")")
          .fix("Check the authority URL and client configuration")
          .build();
      return new MailboxException(d.describe(), d, EscapedCause.of(e));
    }
    if (t instanceof TimeoutException) {
      Diagnosis d = Diagnosis.builder(SetupStep.SERVICE, "timeout")
          .summary("Entra ID did not answer in time")
          .fix("Retry; check the network path to " + context.app().authorityHost())
          .retryable(true)
          .build();
      return new MailboxException(d.describe(), d, t);
    }
    Optional<MailboxException> io = fromIo(t, context, t);
    if (io.isPresent()) {
      return io.get();
    }
    Diagnosis d = Diagnosis.builder(SetupStep.UNKNOWN, t.getClass().getSimpleName())
        .summary("Token acquisition failed: " + t.getClass().getSimpleName())
        .fix("See the cause")
        .build();
    return new MailboxException(d.describe(), d, t);
  }

  /**
   * Diagnosis for an OAuth error answer with its description. Entra ID's description is several lines separated by
   * CRLF: {@code AADSTSnnnn: text}, then {@code Trace ID: <guid>}, {@code Correlation ID: <guid>} and {@code
   * Timestamp: ...} (older answers put them on one line); the code is taken from the first line, the ids from theirs,
   * and the correlation id of the answer's own field or header wins over the one in the text.
   */
  public static Diagnosis diagnose(String error, String description, String correlationId, AuthContext context) {
    String oauth = error == null ? "" : error;
    String text = description == null ? "" : description;
    Matcher m = AADSTS.matcher(ServiceText.firstLine(text));
    int code = m.find() ? Integer.parseInt(m.group(1)) : -1;
    Matcher trace = TRACE.matcher(text);
    String traceId = trace.find() ? trace.group(1) : null;
    if (correlationId == null || correlationId.isBlank()) {
      Matcher correlation = CORRELATION.matcher(text);
      correlationId = correlation.find() ? correlation.group(1) : null;
    }
    Diagnosis base;
    if (code > 0 && AadstsCatalog.lookup(code).isPresent()) {
      base = catalogued(code, "AADSTS" + code, context);
    } else {
      base = byOAuthError(oauth, code, context);
    }
    return base.toBuilder().correlationId(correlationId).traceId(traceId).build();
  }

  private static MailboxException fromService(String error, String description, int status, String correlationId,
      Duration retryAfter, AuthContext context, Throwable cause) {
    Diagnosis d = diagnose(error, description, correlationId, context);
    if (status == 429 || (d.retryable() && retryAfter != null)) {
      return new ThrottledException(message(d, description), retryAfter, d, cause);
    }
    if (d.setupStep() == SetupStep.SERVICE || d.setupStep() == SetupStep.TRUST) {
      return new MailboxException(message(d, description), d, cause);
    }
    return new MailboxAuthenticationException(message(d, description), d, cause);
  }

  private static MailboxAuthenticationException authentication(Diagnosis d, Throwable cause, String serviceText) {
    return new MailboxAuthenticationException(message(d, serviceText), d, cause);
  }

  /** The diagnosis, then the first line of what Entra ID said, its control characters escaped. */
  private static String message(Diagnosis d, String serviceText) {
    String said = ServiceText.firstLine(serviceText);
    if (said.isEmpty()) {
      return d.describe();
    }
    return d.describe() + " Entra ID said: " + said;
  }

  static Diagnosis catalogued(int code, String serviceCode, AuthContext context) {
    AadstsCatalog.Entry entry = AadstsCatalog.lookup(code).orElseThrow();
    SetupStep step = entry.step();
    String summary = entry.summary();
    String fix = entry.fix();
    String clientId = context.app().clientId();
    switch (code) {
      case 7000215 -> {
        if (context.secret() != null && context.secret().looksLikeSecretId()) {
          summary = "The configured client secret is a Secret ID (a GUID), not the secret's Value";
        } else {
          // a value that is not a GUID cannot be a Secret ID: do not send the admin looking for one
          summary = "The configured value is not a current secret of app " + clientId
              + " (mistyped, copied incompletely, another app's, or a deleted secret's)";
          fix = "Copy the Value of a current client secret of this app (Certificates & secrets; shown only when it"
              + " was created), or create a new client secret and configure its Value";
        }
      }
      case 7000222 -> summary = "The client secret of app " + clientId + " has expired";
      case 7000218 -> {
        if (context.flow() == AuthFlow.INTERACTIVE) {
          step = SetupStep.REDIRECT_URI;
          summary = "Entra ID treats this app as confidential: its redirect URI is registered under Web";
          fix = "Register http://localhost under Authentication > Mobile and desktop applications (not Web)";
        } else if (context.flow() == AuthFlow.CLIENT_SECRET || context.flow() == AuthFlow.CLIENT_CERTIFICATE) {
          step = SetupStep.CLIENT_SECRET;
          summary = "No client secret or certificate was sent";
          fix = "Configure the app's client secret or certificate";
        } else {
          summary = "Entra ID expected a client secret: public client flows are off for app " + clientId;
          fix = "Set Authentication > Advanced settings > Allow public client flows = Yes (device code and"
              + " username/password need it), or configure the app's client secret";
        }
      }
      case 65001 -> {
        String scopes = String.join(" ", context.scopes());
        summary = "Nobody has consented to the permissions app " + clientId + " asks for (" + scopes + ")";
        if (context.flow() == AuthFlow.INTERACTIVE || context.flow() == AuthFlow.DEVICE_CODE) {
          fix = "Accept the consent prompt when signing in, or have an admin Grant admin consent under API permissions";
        }
      }
      case 700016 -> {
        summary = "No application with client id " + clientId + " exists in tenant " + context.app().authorityTenant();
        // Entra answers the same for a mistyped client id and for an app registered in another tenant that this
        // tenant has no service principal of: a single-tenant app of a vendor cannot get one at all, a multitenant
        // one gets it from an admin's consent
        // (https://learn.microsoft.com/en-us/entra/identity-platform/howto-convert-app-to-be-multi-tenant)
        fix = "Check the Application (client) ID and the tenant. If the app was registered in another tenant (a"
            + " vendor's app): either the vendor changes its Supported account types to multitenant and an admin of"
            + " tenant " + context.app().authorityTenant() + " grants it admin consent, or this tenant registers its"
            + " own app and configures that app's client id";
      }
      case 50126 -> {
        if (context.username() != null) {
          summary = "The password of " + context.username() + " was rejected";
        }
      }
      default -> {
        // the catalogue's words fit
      }
    }
    Diagnosis.Builder d = Diagnosis.builder(step, serviceCode).summary(summary).fix(fix).retryable(entry.retryable());
    if (code == 700016) {
      // the same answer for a mistyped client id, a tenant id of another tenant than the app's, and a single-tenant
      // app of a vendor used in a customer's tenant: nothing in it tells them apart, so all three are named
      String tenant = context.app().authorityTenant();
      d.alternative(Diagnosis.builder(SetupStep.TENANT, serviceCode)
          .summary("The configured tenant " + tenant + " is not the tenant app " + clientId + " is registered in")
          .fix("Use the Directory (tenant) ID shown on the app registration's Overview page")
          .command("Connect-MgGraph -TenantId " + tenant + "; Get-MgServicePrincipal -Filter \"appId eq '" + clientId
              + "'\"")
          .build());
      d.alternative(Diagnosis.builder(SetupStep.SUPPORTED_ACCOUNT_TYPES, serviceCode)
          .summary("App " + clientId + " is registered as single-tenant in another organization (a vendor's app)")
          .fix("The vendor sets Supported account types to multitenant and an admin of " + tenant + " grants admin"
              + " consent, or " + tenant + " registers its own app and configures its client id")
          .build());
    }
    return d.build();
  }

  private static Diagnosis byOAuthError(String oauth, int code, AuthContext context) {
    String serviceCode = code > 0 ? "AADSTS" + code : oauth.isEmpty() ? "unknown" : oauth;
    return switch (oauth) {
      case "temporarily_unavailable" -> Diagnosis.builder(SetupStep.SERVICE, serviceCode)
          .summary("Entra ID is temporarily unavailable").fix("Retry with back-off").retryable(true).build();
      case "authorization_pending" -> Diagnosis.builder(SetupStep.SIGN_IN_AGAIN, oauth)
          .summary("The user has not finished signing in").fix("Keep polling").retryable(true).build();
      case "slow_down" -> Diagnosis.builder(SetupStep.SERVICE, oauth)
          .summary("Polled too fast").fix("Wait 5 s longer between polls").retryable(true).build();
      // the device-code poll's answers (https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-device-code
      // #expected-errors): the AADSTS code in error_description is kept when there is one
      case "authorization_declined", "access_denied" -> Diagnosis.builder(SetupStep.SIGN_IN_AGAIN, serviceCode)
          .summary("The user declined the sign-in").fix("Start a new sign-in and approve it").build();
      case "expired_token", "code_expired" -> Diagnosis.builder(SetupStep.SIGN_IN_AGAIN, serviceCode)
          .summary("The code expired before the user signed in").fix("Start a new sign-in").build();
      case "bad_verification_code" -> Diagnosis.builder(SetupStep.SIGN_IN_AGAIN, serviceCode)
          .summary("Entra ID does not recognise the device code being polled")
          .fix("Start a new device-code sign-in; poll with the device_code of that sign-in").build();
      case "invalid_client" -> Diagnosis.builder(SetupStep.CLIENT_SECRET, serviceCode)
          .summary("Entra ID rejected the client's credentials").fix("Check the client secret or certificate").build();
      case "unauthorized_client" -> Diagnosis.builder(SetupStep.REGISTER_APP, serviceCode)
          .summary("The client is not allowed to use this grant").fix("Check the app registration").build();
      case "invalid_scope" -> Diagnosis.builder(SetupStep.SCOPES, serviceCode)
          .summary("The scopes are not valid").fix("Ask for one resource's existing permissions").build();
      case "invalid_resource" -> Diagnosis.builder(SetupStep.SCOPES, serviceCode)
          .summary("The resource is not known in the tenant").fix("Check the resource URI of the scopes").build();
      case "interaction_required", "invalid_grant" -> Diagnosis.builder(SetupStep.SIGN_IN_AGAIN, serviceCode)
          .summary("Entra ID wants the user to sign in again").fix("Sign in again (device code or interactive)").build();
      default -> Diagnosis.builder(SetupStep.UNKNOWN, serviceCode)
          .summary("Entra ID refused the token request (" + (oauth.isEmpty() ? "no error code" : oauth) + ")")
          .fix("See Entra ID's message").build();
    };
  }

  private static Optional<MailboxException> fromIo(Throwable t, AuthContext context, Throwable cause) {
    if (t == null) {
      return Optional.empty();
    }
    String host = context.app().authorityHost().toString();
    String target = context.app().authorityHost().getHost() + ":" + port(context.app().authorityHost());
    Optional<Diagnosis> proxyRefusal = org.o365mail.ProxyFailures.diagnose(t, context.app().proxy(), target)
        .or(() -> org.o365mail.ProxyFailures.diagnose(cause, context.app().proxy(), target));
    if (proxyRefusal.isPresent()) {
      return Optional.of(new MailboxException(proxyRefusal.get().describe(), proxyRefusal.get(), cause));
    }
    if (t instanceof SignInHttp.AnswerTooLargeException) {
      Diagnosis d = Diagnosis.builder(SetupStep.SERVICE, "answer_too_large")
          .summary("The sign-in endpoint " + ServiceText.printable(t.getMessage()))
          .fix("Check that the authority " + host + " is Entra ID (or a proxy that passes its answers unchanged)")
          .build();
      return Optional.of(new MailboxException(d.describe(), d, cause));
    }
    if (t instanceof SignInHttp.DeadlineException) {
      Diagnosis d = Diagnosis.builder(SetupStep.SERVICE, "timeout")
          .summary("The sign-in endpoint " + ServiceText.printable(t.getMessage()))
          .fix("Retry; check the network path to " + host + " and the timeout() of the credential")
          .retryable(true)
          .build();
      return Optional.of(new MailboxException(d.describe(), d, cause));
    }
    Optional<TlsFailures.Refusal> refusal = TlsFailures.refusal(t);
    if (refusal.isPresent()) {
      // reached, and its certificate refused: say so, and which certificate, rather than "cannot reach"
      Diagnosis d = TlsFailures.signInRefused(context.app().authorityHost(), refusal.get());
      return Optional.of(new MailboxException(d.describe(), d, cause));
    }
    if (t instanceof SSLHandshakeException || t instanceof SSLException) {
      Diagnosis d = Diagnosis.builder(SetupStep.TRUST, "tls")
          .summary("The TLS connection to " + host + " failed: its certificate is not trusted or TLS failed ("
              + t.getClass().getSimpleName() + ")")
          .fix("Trust the server's CA: AppRegistration.trust(...) for a private CA or the testkit; check TLS"
              + " inspection proxies")
          .build();
      return Optional.of(new MailboxException(d.describe(), d, cause));
    }
    if (t instanceof UnknownHostException || t instanceof ConnectException || t instanceof SocketTimeoutException
        || t instanceof HttpTimeoutException) {
      Diagnosis d = Diagnosis.builder(SetupStep.TRUST, "network")
          .summary("Cannot reach " + host + " (" + t.getClass().getSimpleName() + ")")
          .fix("Check DNS, proxy and firewall for " + host + "; retry")
          .retryable(true)
          .build();
      return Optional.of(new MailboxException(d.describe(), d, cause));
    }
    if (t instanceof IOException) {
      Diagnosis d = Diagnosis.builder(SetupStep.TRUST, "io")
          .summary("The connection to " + host + " failed (" + t.getClass().getSimpleName() + ")")
          .fix("Retry; check the network path")
          .retryable(true)
          .build();
      return Optional.of(new MailboxException(d.describe(), d, cause));
    }
    return Optional.empty();
  }

  private static int port(java.net.URI uri) {
    return uri.getPort() >= 0 ? uri.getPort() : 443;
  }

  private static Throwable unwrap(Throwable t) {
    Throwable current = t;
    while ((current instanceof ExecutionException || current instanceof CompletionException)
        && current.getCause() != null) {
      current = current.getCause();
    }
    return current;
  }

  private static Throwable rootCause(Throwable t) {
    Throwable current = t;
    while (current.getCause() != null && current.getCause() != current) {
      current = current.getCause();
    }
    return current;
  }

  private static String safeMessage(Throwable t) {
    String m = t.getMessage();
    if (m == null) {
      return t.getClass().getSimpleName();
    }
    return ServiceText.printable(m.length() > 200 ? m.substring(0, 200) + "..." : m);
  }

  static Duration retryAfter(Map<String, List<String>> headers) {
    if (headers == null) {
      return null;
    }
    for (Map.Entry<String, List<String>> h : headers.entrySet()) {
      if (h.getKey() != null && h.getKey().toLowerCase(Locale.ROOT).equals("retry-after") && !h.getValue().isEmpty()) {
        try {
          return Duration.ofSeconds(Long.parseLong(h.getValue().get(0).trim()));
        } catch (NumberFormatException e) {
          return null;
        }
      }
    }
    return null;
  }
}
