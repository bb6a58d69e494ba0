package org.o365mail.graph;

import static java.util.Objects.requireNonNull;

import com.microsoft.graph.models.AppRole;
import com.microsoft.graph.models.AppRoleAssignment;
import com.microsoft.graph.models.Application;
import com.microsoft.graph.models.AssignedPlan;
import com.microsoft.graph.models.MailboxSettings;
import com.microsoft.graph.models.OAuth2PermissionGrant;
import com.microsoft.graph.models.PermissionScope;
import com.microsoft.graph.models.RequiredResourceAccess;
import com.microsoft.graph.models.ResourceAccess;
import com.microsoft.graph.models.ServicePrincipal;
import com.microsoft.graph.models.User;
import com.microsoft.graph.models.UserPurpose;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import org.o365mail.Diagnosis;
import org.o365mail.MailboxException;
import org.o365mail.SetupStep;
import org.o365mail.auth.AccessToken;
import org.o365mail.auth.CredentialKind;
import org.o365mail.auth.Resource;
import org.o365mail.auth.TokenClaims;
import org.o365mail.auth.TokenRequest;
import org.o365mail.doctor.DoctorProbe;
import org.o365mail.graph.internal.Governor;
import org.o365mail.graph.internal.GraphAuthentication;
import org.o365mail.graph.internal.GraphCall;
import org.o365mail.graph.internal.GraphErrors;
import org.o365mail.graph.internal.GraphTransport;
import org.o365mail.graph.internal.Paths;
import org.o365mail.ServiceText;

/**
 * The doctor's second look through Microsoft Graph after a failed check ({@link DoctorProbe}): it reads, where the
 * app may read them, the mailbox ({@code GET /users/{address}}: no such user, a user without an Exchange Online
 * mailbox, so no licence, a shared mailbox), the app's registration ({@code GET /applications?$filter=appId eq '..'}: which
 * permission is added under which API) and its enterprise application ({@code GET
 * /servicePrincipals?$filter=appId eq '..'}, its {@code appRoleAssignments} and {@code oauth2PermissionGrants}: which
 * are consented), and tells apart the steps Microsoft's answers do not: a permission not added, added under the wrong
 * API, or added and not consented; a mistyped mailbox address, a user without a licence, and missing FullAccess;
 * and it names the enterprise application's object id that {@code New-ServicePrincipal} wants.
 *
 * <p>It asks for tokens with the connection's own credential (app-only: {@code .default}, whatever roles the app
 * has; delegated: silently, the permission each read needs) and sends them only to the configured Graph base URL's
 * exact origin (scheme, host and port) and the origins added with {@link Builder#allowedHosts(String...)}, like
 * {@link GraphMailboxConnector}. A read the app may not do (403), a token Entra ID will not issue, or a network
 * failure means "cannot tell": the probe then returns empty and the check's own diagnosis stands. It never throws
 * for what it probes, and never changes anything in the tenant.
 *
 * <p>Instances are immutable and thread-safe; each {@link #explain} opens its own connections and closes them
 * before it returns.
 *
 * <pre>{@code
 * ConnectionDoctor doctor = ConnectionDoctor.builder()
 *     ...
 *     .mailbox("invoices@contoso.com")
 *     .probe(GraphDoctorProbe.builder().build())
 *     .build();
 * }</pre>
 */
public final class GraphDoctorProbe implements DoctorProbe {
  /** The steps whose answers look alike and that a look through Graph can tell apart. */
  private static final Set<SetupStep> PROBED = Set.of(SetupStep.MAILBOX, SetupStep.MAILBOX_PERMISSION,
      SetupStep.ADMIN_CONSENT, SetupStep.DELEGATED_PERMISSION, SetupStep.APPLICATION_PERMISSION,
      SetupStep.EXCHANGE_SERVICE_PRINCIPAL, SetupStep.USER_ACCOUNT, SetupStep.SCOPES, SetupStep.UNKNOWN,
      SetupStep.MAILBOX_PROTOCOL);
  private static final Set<SetupStep> PERMISSION_STEPS = Set.of(SetupStep.ADMIN_CONSENT,
      SetupStep.DELEGATED_PERMISSION, SetupStep.APPLICATION_PERMISSION, SetupStep.SCOPES,
      SetupStep.EXCHANGE_SERVICE_PRINCIPAL);
  /** The application ids of the two APIs, the same in every cloud. */
  static final String GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";
  static final String EXCHANGE_APP_ID = "00000002-0000-0ff1-ce00-000000000000";

  private final URI baseUrl;
  private final SSLContext trust;
  private final Set<String> allowedHosts;
  private final Duration timeout;

  private GraphDoctorProbe(Builder b) {
    this.baseUrl = b.baseUrl;
    this.trust = b.trust;
    this.allowedHosts = Set.copyOf(b.allowedHosts);
    this.timeout = b.timeout;
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public Optional<Finding> explain(Diagnosis failure, Context context) {
    requireNonNull(failure, "failure");
    requireNonNull(context, "context");
    if (!PROBED.contains(failure.setupStep())) {
      return Optional.empty();
    }
    try (Look look = new Look(context)) {
      boolean permissionStep = PERMISSION_STEPS.contains(failure.setupStep());
      if (look.appOnly && permissionStep) {
        // an app's token names its roles, so its permissions are looked at first; a user's failed token for a
        // .Shared permission may be a mistyped address, so for users the mailbox comes first
        Optional<Finding> finding = look.permissions(failure);
        finding = finding.isPresent() ? finding : context.mailbox().flatMap(m -> look.mailbox(failure, m));
        return finding.isPresent() ? finding : look.exchangePrincipal(failure);
      }
      Optional<Finding> finding = context.mailbox().flatMap(m -> look.mailbox(failure, m));
      if (finding.isPresent() || !permissionStep) {
        return finding;
      }
      finding = look.permissions(failure);
      return finding.isPresent() ? finding : look.exchangePrincipal(failure);
    } catch (RuntimeException e) {
      return Optional.empty(); // a probe that breaks tells nothing more
    }
  }

  @Override
  public String toString() {
    return "GraphDoctorProbe[" + (baseUrl == null ? "the credential's cloud" : baseUrl.getHost()) + "]";
  }

  /** One look: the transports it opened (one per token it asked for), closed at the end. */
  private final class Look implements AutoCloseable {
    private final Context context;
    private final boolean appOnly;
    private final URI base;
    private final Map<TokenRequest, GraphTransport> transports = new HashMap<>();
    private final List<String> evidence = new ArrayList<>();
    /** The enterprise application's object id, once its permissions were all found consented. */
    private String consentedPrincipal;
    /** Graph's code for the mailbox settings, once read ("" when read or not refused with a code). */
    private String settingsCode = "";

    Look(Context context) {
      this.context = context;
      this.appOnly = context.credential().kind() == CredentialKind.APP_ONLY;
      this.base = baseUrl != null ? baseUrl
          : URI.create(context.registration().cloud().graphEndpoint() + "/v1.0");
    }

    /** A transport whose directory token is {@code request} (app-only: {@code .default} for any). */
    private GraphTransport transport(TokenRequest request) {
      TokenRequest key = appOnly ? TokenRequest.graph() : request;
      return transports.computeIfAbsent(key, r -> {
        GraphAuthentication auth = new GraphAuthentication(context.credential(), base, allowedHosts, "Mail.Read",
            "Mail.Send", r);
        SSLContext tls = trust != null ? trust : context.registration().trust().orElse(null);
        // each read is bounded: two attempts, 10 s of waiting between them, and the timeout for silence and for
        // the whole answer alike
        return new GraphTransport(base, auth, new Governor(2, 2, Duration.ofSeconds(10), auth), tls, timeout,
            timeout);
      });
    }

    /** Runs a read; empty when Graph or Entra ID says no, with what was seen kept as evidence. */
    private <T> Answer<T> read(String what, TokenRequest token, Function<GraphTransport, T> call) {
      try {
        T value = call.apply(transport(token));
        evidence.add(what + ": 200");
        return new Answer<>(value, 200, "");
      } catch (RuntimeException e) {
        Optional<GraphErrors.Failure> f = GraphErrors.failureOf(e);
        if (f.isEmpty()) {
          // no Graph answer: the credential refused a token for the read (not consented, say), the token guard
          // refused the origin, or the network failed: cannot tell
          Optional<String> code = causes(e).filter(MailboxException.class::isInstance)
              .map(m -> ((MailboxException) m).diagnosis().map(Diagnosis::serviceCode).orElse("refused")).findFirst();
          evidence.add(what + ": " + code.map(c -> "not sent (" + c + ")").orElse(e.getClass().getSimpleName()));
          return new Answer<>(null, 0, code.orElse(""));
        }
        // Graph's code is the server's text: kept printable and short for the report
        String code = ServiceText.printable(f.get().code());
        code = code.length() > 80 ? code.substring(0, 80) : code;
        evidence.add(what + ": " + f.get().status() + " " + code);
        return new Answer<>(null, f.get().status(), code);
      }
    }

    private java.util.stream.Stream<Throwable> causes(Throwable e) {
      List<Throwable> chain = new ArrayList<>();
      for (Throwable t = e; t != null && chain.size() < 16; t = t.getCause()) {
        chain.add(t);
      }
      return chain.stream();
    }

    private String evidence() {
      return String.join("; ", evidence);
    }

    // ----- the mailbox -----

    Optional<Finding> mailbox(Diagnosis failure, String address) {
      // a user may read their own profile, assignedPlans included, with User.Read, which new registrations carry by
      // default (https://learn.microsoft.com/en-us/graph/permissions-reference#userread,
      // https://learn.microsoft.com/en-us/entra/identity-platform/quickstart-configure-app-access-web-apis); anyone
      // else's needs User.Read.All
      boolean ownAddress = !appOnly && signedInUser().map(address::equalsIgnoreCase).orElse(false);
      Answer<User> user = read("GET /users/" + address, TokenRequest.graph(ownAddress ? "User.Read" : "User.Read.All"),
          t -> t.client().users().byUserId(address).get(rc -> {
            rc.queryParameters.select = new String[] {"id", "userPrincipalName", "mail", "accountEnabled",
                "assignedPlans"};
            rc.options.add(GraphCall.DIRECTORY);
          }));
      User u = user.value();
      if (user.status() == 404) {
        // /users/{id} takes an object id or user principal name only
        // (https://learn.microsoft.com/en-us/graph/api/user-get); a mailbox's SMTP address or alias that is not
        // also a UPN is looked for among mail and proxyAddresses
        // (https://learn.microsoft.com/en-us/graph/aad-advanced-queries: both filter with eq by default)
        String quoted = address.replace("'", "''");
        Answer<List<User>> byAddress = read("GET /users?$filter=mail eq '" + address + "' or proxyAddresses/any",
            TokenRequest.graph("User.Read.All"), t -> t.client().users().get(rc -> {
              rc.queryParameters.filter = "mail eq '" + quoted + "' or proxyAddresses/any(p:p eq 'smtp:" + quoted
                  + "')";
              rc.queryParameters.select = new String[] {"id", "userPrincipalName", "mail", "accountEnabled",
                  "assignedPlans"};
              rc.options.add(GraphCall.DIRECTORY);
            }).getValue());
        if (byAddress.value() != null && !byAddress.value().isEmpty()) {
          u = byAddress.value().get(0);
        } else {
          return Optional.of(new Finding(evidence(), Diagnosis.builder(SetupStep.MAILBOX, user.code())
              .summary("No user or mailbox '" + address + "' exists in this tenant, so the failure is the address,"
                  + " not a permission")
              .fix("Correct the mailbox address: the user principal name or primary SMTP address of a mailbox of"
                  + " this tenant")
              .command("Get-Recipient -Identity " + address).build()));
        }
      }
      if (u == null) {
        return ownTokenLook(failure, address);
      }
      List<AssignedPlan> plans = u.getAssignedPlans();
      boolean exchangePlan = plans != null && plans.stream().anyMatch(p -> "exchange".equalsIgnoreCase(p.getService())
          && "Enabled".equalsIgnoreCase(p.getCapabilityStatus()));
      Optional<Boolean> shared = sharedMailbox(address, u);
      boolean noMailbox = u.getMail() == null && plans != null && !exchangePlan && !shared.orElse(false)
          || "MailboxNotEnabledForRESTAPI".equals(settingsCode);
      if (noMailbox) {
        // assignedPlans lists the services a user is licensed for; no enabled "exchange" plan and no mail address:
        // no Exchange Online mailbox (https://learn.microsoft.com/en-us/graph/api/resources/assignedplan); and
        // Exchange answers MailboxNotEnabledForRESTAPI for the mailbox settings of a user without one
        // (https://github.com/microsoftgraph/msgraph-sdk-javascript/issues/1756)
        return Optional.of(new Finding(evidence(), Diagnosis.builder(SetupStep.MAILBOX, "NoExchangeLicence")
            .summary("User " + address + " exists but has no Exchange Online licence, so no mailbox")
            .fix("Assign the user a licence that includes Exchange Online (Microsoft 365 admin center > Users >"
                + " Active users > Licenses and apps), then wait for the mailbox to be provisioned")
            .command("Get-Mailbox -Identity " + address).build()));
      }
      boolean mailboxStep = failure.setupStep() == SetupStep.MAILBOX
          || failure.setupStep() == SetupStep.MAILBOX_PERMISSION;
      if (!appOnly && mailboxStep) {
        String who = signedInUser().orElse("<user>");
        String kind = shared.orElse(false) ? "the shared mailbox " : "the mailbox ";
        return Optional.of(new Finding(evidence(), Diagnosis.builder(SetupStep.MAILBOX_PERMISSION,
                failure.serviceCode())
            .summary(kind + address + " exists; the signed-in user " + who + " has no access to it")
            .fix("Give " + who + " FullAccess to " + address + (shared.orElse(false) ? " (a shared mailbox is"
                + " opened through FullAccess)" : "") + "; permission changes can take up to an hour to apply")
            .command("Add-MailboxPermission -Identity " + address + " -User " + who + " -AccessRights FullAccess")
            .build()));
      }
      return Optional.empty();
    }

    /**
     * Whether the mailbox is a shared one: {@code mailboxSettings.userPurpose} says so
     * (https://learn.microsoft.com/en-us/graph/api/resources/mailboxsettings); without permission to read it, a
     * disabled account with a mail address is the shape Exchange gives a shared mailbox's user object
     * (https://learn.microsoft.com/en-us/microsoft-365/admin/email/about-shared-mailboxes).
     */
    private Optional<Boolean> sharedMailbox(String address, User u) {
      Answer<MailboxSettings> settings = read("GET /users/" + address + "/mailboxSettings",
          TokenRequest.graph("MailboxSettings.Read"), t -> t.client().users().byUserId(address).mailboxSettings()
              .get(rc -> {
                rc.queryParameters.select = new String[] {"userPurpose"};
                rc.options.add(GraphCall.DIRECTORY);
              }));
      settingsCode = settings.code();
      if (settings.value() != null && settings.value().getUserPurpose() != null) {
        return Optional.of(settings.value().getUserPurpose() == UserPurpose.Shared);
      }
      if (u.getAccountEnabled() != null && u.getMail() != null) {
        return Optional.of(!u.getAccountEnabled());
      }
      return Optional.empty();
    }

    /**
     * When the directory may not be read with a user's token: the mailbox asked for with the user's own mail
     * permission (no {@code .Shared}). Another user's existing mailbox then answers 403 {@code ErrorAccessDenied}
     * (https://github.com/microsoftgraph/microsoft-graph-explorer-v4/issues/3786,
     * https://github.com/microsoftgraph/microsoft-graph-docs/issues/9429) and an address no mailbox has the store's
     * 404 {@code ErrorItemNotFound} (https://github.com/O365/python-o365/issues/170): so a 404 here is the address,
     * and a failed {@code .Shared} token or a not-found with one was never the permission.
     */
    private Optional<Finding> ownTokenLook(Diagnosis failure, String address) {
      if (appOnly) {
        return Optional.empty();
      }
      Set<String> own = new LinkedHashSet<>();
      for (String p : context.tokenRequest().permissions()) {
        own.add(p.endsWith(".Shared") ? p.substring(0, p.length() - ".Shared".length()) : p);
      }
      boolean sharedAsked = !own.equals(context.tokenRequest().permissions());
      if (context.tokenRequest().resource() != Resource.MICROSOFT_GRAPH
          || !(sharedAsked || failure.setupStep() == SetupStep.MAILBOX)) {
        return Optional.empty();
      }
      if (own.isEmpty()) {
        own.add("Mail.Read");
      }
      Answer<com.microsoft.graph.models.MailFolder> inbox = read("GET /users/" + address
              + "/mailFolders/inbox with the user's own " + String.join(" ", own),
          TokenRequest.graph(own.toArray(String[]::new)), t -> t.client().users().byUserId(address).mailFolders()
              .byMailFolderId("inbox").get(rc -> {
                rc.queryParameters.select = new String[] {"id"};
                rc.options.add(GraphCall.DIRECTORY);
              }));
      if (inbox.status() == 404) {
        return Optional.of(new Finding(evidence(), Diagnosis.builder(SetupStep.MAILBOX, inbox.code())
            .summary("Graph finds no mailbox '" + address + "' for the signed-in user even with their own"
                + " permission (another user's mailbox answers 403 there): the address is wrong, not a permission")
            .fix("Correct the mailbox address (the signed-in user's own is " + signedInUser().orElse("unknown")
                + "); no .Shared permission is needed for one's own mailbox")
            .command("Get-Recipient -Identity " + address).build()));
      }
      if (inbox.status() == 403 && failure.setupStep() == SetupStep.MAILBOX) {
        String who = signedInUser().orElse("<user>");
        return Optional.of(new Finding(evidence(), Diagnosis.builder(SetupStep.MAILBOX_PERMISSION,
                failure.serviceCode())
            .summary("Mailbox " + address + " exists (it answers 403, not 404, to the user's own permission); the"
                + " signed-in user " + who + " may not open it")
            .fix("Give " + who + " FullAccess to " + address + "; permission changes can take up to an hour")
            .command("Add-MailboxPermission -Identity " + address + " -User " + who + " -AccessRights FullAccess")
            .build()));
      }
      return Optional.empty();
    }

    private Optional<String> signedInUser() {
      Optional<String> upn = context.token().map(AccessToken::claims).flatMap(TokenClaims::userPrincipalName);
      return upn.isPresent() ? upn : context.credential().username();
    }

    // ----- the registration and its consent -----

    Optional<Finding> permissions(Diagnosis failure) {
      String clientId = context.registration().clientId();
      Resource api = context.tokenRequest().resource();
      String apiId = api == Resource.MICROSOFT_GRAPH ? GRAPH_APP_ID : EXCHANGE_APP_ID;
      String otherId = api == Resource.MICROSOFT_GRAPH ? EXCHANGE_APP_ID : GRAPH_APP_ID;
      String apiName = apiName(apiId);
      String type = appOnly ? "Role" : "Scope";
      Map<String, Set<String>> needed = needed();
      if (needed.isEmpty()) {
        return Optional.empty();
      }
      Answer<List<Application>> registration = read("GET /applications?$filter=appId eq '" + clientId + "'",
          TokenRequest.graph("Application.Read.All"), t -> t.client().applications().get(rc -> {
            rc.queryParameters.filter = "appId eq '" + clientId.replace("'", "''") + "'";
            rc.queryParameters.select = new String[] {"id", "appId", "requiredResourceAccess"};
            rc.options.add(GraphCall.DIRECTORY);
          }).getValue());
      Answer<List<ServicePrincipal>> enterprise = read("GET /servicePrincipals?$filter=appId eq '" + clientId + "'",
          TokenRequest.graph("Application.Read.All"), t -> servicePrincipals(t, clientId));
      if (registration.value() == null && enterprise.value() == null) {
        return Optional.empty();
      }
      Map<String, Map<String, String>> names = new HashMap<>(); // api app id -> permission id -> name
      Map<String, String> apiObjectIds = new HashMap<>(); // api service principal object id -> api app id
      for (String id : List.of(apiId, otherId)) {
        Answer<List<ServicePrincipal>> sp = read("GET /servicePrincipals?$filter=appId eq '" + id + "'",
            TokenRequest.graph("Application.Read.All"), t -> servicePrincipals(t, id));
        if (sp.value() == null || sp.value().isEmpty()) {
          return Optional.empty(); // the permission ids cannot be named
        }
        ServicePrincipal resource = sp.value().get(0);
        Map<String, String> byId = new HashMap<>();
        if (resource.getAppRoles() != null) {
          for (AppRole r : resource.getAppRoles()) {
            if (r.getId() != null && r.getValue() != null) {
              byId.put("Role/" + r.getId(), r.getValue());
            }
          }
        }
        if (resource.getOauth2PermissionScopes() != null) {
          for (PermissionScope s : resource.getOauth2PermissionScopes()) {
            if (s.getId() != null && s.getValue() != null) {
              byId.put("Scope/" + s.getId(), s.getValue());
            }
          }
        }
        names.put(id, byId);
        if (resource.getId() != null) {
          apiObjectIds.put(resource.getId().toLowerCase(Locale.ROOT), id);
        }
      }
      // what is added, per API, of the kind this credential uses
      Map<String, Set<String>> added = new HashMap<>();
      boolean registrationKnown = registration.value() != null && !registration.value().isEmpty();
      if (registrationKnown) {
        List<RequiredResourceAccess> rra = registration.value().get(0).getRequiredResourceAccess();
        for (RequiredResourceAccess r : rra == null ? List.<RequiredResourceAccess>of() : rra) {
          String id = r.getResourceAppId() == null ? "" : r.getResourceAppId().toLowerCase(Locale.ROOT);
          for (ResourceAccess a : r.getResourceAccess() == null ? List.<ResourceAccess>of() : r.getResourceAccess()) {
            String name = names.getOrDefault(id, Map.of()).get(a.getType() + "/" + a.getId());
            if (name != null && type.equals(a.getType())) {
              added.computeIfAbsent(id, k -> new TreeSet<>()).add(name);
            }
          }
        }
      }
      // what is consented in this tenant
      Optional<String> spId = enterprise.value() == null || enterprise.value().isEmpty() ? Optional.empty()
          : Optional.ofNullable(enterprise.value().get(0).getId());
      Optional<Set<String>> granted = spId.flatMap(id -> granted(id, apiId, apiObjectIds, names));
      for (Map.Entry<String, Set<String>> need : needed.entrySet()) {
        Set<String> ok = need.getValue();
        if (granted.isPresent() && granted.get().stream().anyMatch(ok::contains)) {
          continue;
        }
        String p = need.getKey();
        boolean addedRight = added.getOrDefault(apiId, Set.of()).stream().anyMatch(ok::contains);
        // under the other API: the same permission, or for Exchange's app roles a Graph mail role in their stead
        // (IMAP.AccessAsApp and SMTP.SendAsApp exist only under Office 365 Exchange Online:
        // https://learn.microsoft.com/en-us/exchange/client-developer/legacy-protocols/how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth)
        Optional<String> addedWrong = added.getOrDefault(otherId, Set.of()).stream().filter(n -> n.equals(p)
            || ok.contains(n) || appOnly && apiId.equals(EXCHANGE_APP_ID) && n.startsWith("Mail.")).findFirst();
        SetupStep permissionStep = appOnly ? SetupStep.APPLICATION_PERMISSION : SetupStep.DELEGATED_PERMISSION;
        String kind = appOnly ? "Application permissions" : "Delegated permissions";
        if (registrationKnown && addedRight) {
          if (granted.isEmpty()) {
            return Optional.empty(); // added, but whether it is consented cannot be read
          }
          return Optional.of(new Finding(evidence(), Diagnosis.builder(SetupStep.ADMIN_CONSENT, failure.serviceCode())
              .summary(apiName + " > " + kind + " > " + p + " is added to the app registration but not consented in"
                  + " this tenant")
              .fix("Grant admin consent: App registration > API permissions > Grant admin consent for the tenant"
                  + (appOnly ? "" : " (or let the user consent at sign-in where the tenant allows it)"))
              .build()));
        }
        if (registrationKnown && addedWrong.isPresent()) {
          return Optional.of(new Finding(evidence(), Diagnosis.builder(permissionStep, failure.serviceCode())
              .summary(addedWrong.get() + " is added under " + apiName(otherId) + ", but the token is for " + apiName
                  + ", under which " + p + " must be added" + (appOnly ? " (the token then carries no roles)" : ""))
              .fix("App registration > API permissions: remove " + apiName(otherId) + " > " + p + ", add "
                  + apiName + (api == Resource.EXCHANGE_ONLINE ? " (under APIs my organization uses)" : "") + " > "
                  + kind + " > " + p + ", then Grant admin consent")
              .build()));
        }
        if (registrationKnown) {
          return Optional.of(new Finding(evidence(), Diagnosis.builder(permissionStep, failure.serviceCode())
              .summary(apiName + " > " + kind + " > " + p + " is not added to the app registration")
              .fix("App registration > API permissions > Add a permission > " + apiName
                  + (api == Resource.EXCHANGE_ONLINE ? " (under APIs my organization uses)" : "") + " > " + kind
                  + " > " + p + ", then Grant admin consent")
              .build()));
        }
        return Optional.empty();
      }
      consentedPrincipal = spId.orElse(null);
      return Optional.empty();
    }

    /**
     * After {@link #permissions} found every permission consented: an IMAP/SMTP {@code AUTHENTICATE failed} is then
     * Exchange's own registration of the app or the mailbox right, and the enterprise application's object id is
     * what both commands need.
     */
    Optional<Finding> exchangePrincipal(Diagnosis failure) {
      String clientId = context.registration().clientId();
      Optional<String> spId = Optional.ofNullable(consentedPrincipal);
      if (failure.setupStep() == SetupStep.EXCHANGE_SERVICE_PRINCIPAL && spId.isPresent() && appOnly) {
        // everything is consented: what is left is Exchange's own registration of the app, with the enterprise
        // application's object id (not the app registration's), and the mailbox right
        String mailbox = context.mailbox().orElse("<mailbox>");
        Diagnosis rights = Diagnosis.builder(SetupStep.MAILBOX_PERMISSION, failure.serviceCode())
            .summary("The app's service principal may lack FullAccess to " + mailbox)
            .fix("Give the service principal FullAccess to the mailbox")
            .command("Get-MailboxPermission -Identity " + mailbox + "; Add-MailboxPermission -Identity " + mailbox
                + " -User " + spId.get() + " -AccessRights FullAccess")
            .build();
        return Optional.of(new Finding(evidence(), Diagnosis.builder(SetupStep.EXCHANGE_SERVICE_PRINCIPAL,
                failure.serviceCode())
            .summary("The app's permissions are consented; Exchange must also know its enterprise application,"
                + " object id " + spId.get() + " (not the app registration's object id)")
            .fix("Check the Exchange service principal and register it with the enterprise application's object id;"
                + " remove one registered with another object id")
            .command("Get-ServicePrincipal -Identity " + clientId + "; New-ServicePrincipal -AppId " + clientId
                + " -ObjectId " + spId.get())
            .alternative(rights).build()));
      }
      return Optional.empty();
    }

    private List<ServicePrincipal> servicePrincipals(GraphTransport t, String appId) {
      return t.client().servicePrincipals().get(rc -> {
        rc.queryParameters.filter = "appId eq '" + appId.replace("'", "''") + "'";
        rc.queryParameters.select = new String[] {"id", "appId", "displayName", "appRoles", "oauth2PermissionScopes"};
        rc.options.add(GraphCall.DIRECTORY);
      }).getValue();
    }

    /** The permissions consented to the app for {@code apiId}: app roles (app-only) or delegated scopes. */
    private Optional<Set<String>> granted(String spId, String apiId, Map<String, String> apiObjectIds,
        Map<String, Map<String, String>> names) {
      Set<String> out = new TreeSet<>();
      if (appOnly) {
        Answer<List<AppRoleAssignment>> roles = read("GET /servicePrincipals/" + spId + "/appRoleAssignments",
            TokenRequest.graph("Application.Read.All"), t -> t.client().servicePrincipals().byServicePrincipalId(spId)
                .appRoleAssignments().get(rc -> rc.options.add(GraphCall.DIRECTORY)).getValue());
        if (roles.value() == null) {
          return Optional.empty();
        }
        for (AppRoleAssignment a : roles.value()) {
          String resource = a.getResourceId() == null ? "" : apiObjectIds.get(a.getResourceId().toString());
          if (apiId.equals(resource) && a.getAppRoleId() != null) {
            Optional.ofNullable(names.get(apiId).get("Role/" + a.getAppRoleId())).ifPresent(out::add);
          }
        }
        return Optional.of(out);
      }
      Answer<List<OAuth2PermissionGrant>> grants = read("GET /oauth2PermissionGrants?$filter=clientId eq '" + spId
              + "'", TokenRequest.graph("DelegatedPermissionGrant.Read.All"), t -> t.client().oauth2PermissionGrants()
          .get(rc -> {
            rc.queryParameters.filter = "clientId eq '" + spId + "'";
            rc.options.add(GraphCall.DIRECTORY);
          }).getValue());
      if (grants.value() == null) {
        return Optional.empty();
      }
      Optional<String> user = context.token().map(AccessToken::claims).map(TokenClaims::objectId);
      for (OAuth2PermissionGrant g : grants.value()) {
        String resource = g.getResourceId() == null ? "" : apiObjectIds.get(g.getResourceId().toLowerCase(Locale.ROOT));
        boolean forUser = "AllPrincipals".equalsIgnoreCase(g.getConsentType()) || user.isEmpty()
            || user.get().equalsIgnoreCase(g.getPrincipalId());
        if (apiId.equals(resource) && forUser && g.getScope() != null) {
          for (String s : g.getScope().trim().split("\\s+")) {
            if (!s.isEmpty()) {
              out.add(s);
            }
          }
        }
      }
      return Optional.of(out);
    }

    /**
     * The permissions the connection needs, each with the names that satisfy it: app-only tokens need app roles
     * ({@code IMAP.AccessAsApp}, {@code SMTP.SendAsApp} under Office 365 Exchange Online; {@code Mail.*} under
     * Graph), delegated ones the scopes asked for ({@code Mail.ReadWrite} also satisfies {@code Mail.Read}).
     */
    private Map<String, Set<String>> needed() {
      Map<String, Set<String>> out = new LinkedHashMap<>();
      Set<String> asked = context.tokenRequest().permissions();
      for (String p : asked) {
        if (Set.of("offline_access", "openid", "profile", "email").contains(p)) {
          continue;
        }
        String name = p;
        if (appOnly) {
          name = switch (p) {
            case "IMAP.AccessAsUser.All" -> "IMAP.AccessAsApp";
            case "POP.AccessAsUser.All" -> "POP.AccessAsApp";
            case "SMTP.Send" -> "SMTP.SendAsApp";
            default -> p.endsWith(".Shared") ? p.substring(0, p.length() - ".Shared".length()) : p;
          };
        }
        Set<String> ok = new LinkedHashSet<>();
        ok.add(name);
        if (name.equals("Mail.Read")) {
          ok.add("Mail.ReadWrite");
        } else if (name.equals("Mail.Read.Shared")) {
          ok.add("Mail.ReadWrite.Shared");
        }
        out.putIfAbsent(name, ok);
      }
      if (out.isEmpty() && appOnly && context.tokenRequest().resource() == Resource.MICROSOFT_GRAPH) {
        out.put("Mail.Read", Set.of("Mail.Read", "Mail.ReadWrite"));
      }
      return out;
    }

    private String apiName(String appId) {
      return appId.equals(GRAPH_APP_ID) ? "Microsoft Graph" : "Office 365 Exchange Online";
    }

    @Override
    public void close() {
      transports.values().forEach(GraphTransport::close);
    }
  }

  /** A read's result: the value, or the HTTP status and Graph code of the refusal (0 and the token's code). */
  private record Answer<T>(T value, int status, String code) {}

  /**
   * Builds a {@link GraphDoctorProbe}. Nothing is required. Defaults: the Graph endpoint of the credential's cloud
   * with {@code /v1.0}, the credential's registration's trust (else the JVM's), 30 s socket timeouts.
   */
  public static final class Builder {
    private URI baseUrl;
    private SSLContext trust;
    private final Set<String> allowedHosts = new LinkedHashSet<>();
    private Duration timeout = Duration.ofSeconds(30);

    private Builder() {}

    /** The Graph base URL, {@code https://host[:port]/v1.0} (national clouds, test tenants); HTTPS only. */
    public Builder baseUrl(String value) {
      this.baseUrl = Paths.httpsBase(requireNonNull(value, "baseUrl"));
      return this;
    }

    /** The TLS trust for the Graph host (default: the credential's registration's, else the JVM's). */
    public Builder trust(SSLContext value) {
      this.trust = requireNonNull(value, "trust");
      return this;
    }

    /**
     * More origins that may receive the token, besides the base URL's: {@code host} means HTTPS on port 443 only,
     * {@code host:port} or {@code https://host:port} another port. Only HTTPS origins are accepted.
     */
    public Builder allowedHosts(String... hosts) {
      for (String h : hosts) {
        allowedHosts.add(requireNonNull(h, "host").toLowerCase(Locale.ROOT));
      }
      return this;
    }

    /**
     * How long one read may take (default 30 s): the bound on Graph's silence and on the whole answer; each read is
     * tried at most twice.
     */
    public Builder timeout(Duration value) {
      requireNonNull(value, "timeout");
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException("timeout must be positive, was " + value);
      }
      this.timeout = value;
      return this;
    }

    public GraphDoctorProbe build() {
      return new GraphDoctorProbe(this);
    }
  }
}
