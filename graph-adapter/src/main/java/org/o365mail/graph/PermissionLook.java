package org.o365mail.graph;

import com.microsoft.graph.models.AppRole;
import com.microsoft.graph.models.AppRoleAssignment;
import com.microsoft.graph.models.Application;
import com.microsoft.graph.models.OAuth2PermissionGrant;
import com.microsoft.graph.models.PermissionScope;
import com.microsoft.graph.models.RequiredResourceAccess;
import com.microsoft.graph.models.ResourceAccess;
import com.microsoft.graph.models.ServicePrincipal;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.o365mail.Diagnosis;
import org.o365mail.SetupStep;
import org.o365mail.auth.AccessToken;
import org.o365mail.auth.Resource;
import org.o365mail.auth.TokenClaims;
import org.o365mail.auth.TokenRequest;
import org.o365mail.graph.DirectoryReads.Answer;
import org.o365mail.doctor.DoctorProbe.Finding;
import org.o365mail.graph.internal.GraphCall;
import org.o365mail.graph.internal.GraphTransport;

/**
 * The {@link GraphDoctorProbe}'s look at the app: which permissions its registration adds under which API, which are
 * consented in the tenant (app roles or delegated grants), and, once all are, the enterprise application's object
 * id that Exchange's own registration of the app needs. One per look, used by one thread.
 */
final class PermissionLook {
  private final DirectoryReads reads;
  /** The enterprise application's object id, once its permissions were all found consented. */
  private String consentedPrincipal;

  PermissionLook(DirectoryReads reads) {
    this.reads = reads;
  }

  Optional<Finding> permissions(Diagnosis failure) {
    String clientId = reads.context().registration().clientId();
    Resource api = reads.context().tokenRequest().resource();
    String apiId = api == Resource.MICROSOFT_GRAPH ? GraphDoctorProbe.GRAPH_APP_ID : GraphDoctorProbe.EXCHANGE_APP_ID;
    String otherId = api == Resource.MICROSOFT_GRAPH ? GraphDoctorProbe.EXCHANGE_APP_ID : GraphDoctorProbe.GRAPH_APP_ID;
    String apiName = apiName(apiId);
    String type = reads.appOnly() ? "Role" : "Scope";
    Map<String, Set<String>> needed = needed();
    if (needed.isEmpty()) {
      return Optional.empty();
    }
    Answer<List<Application>> registration = reads.read(
        "GET /applications?$filter=appId eq '" + clientId + "'",
        TokenRequest.graph("Application.Read.All"), t -> t.client().applications().get(rc -> {
          rc.queryParameters.filter = "appId eq '" + clientId.replace("'", "''") + "'";
          rc.queryParameters.select = new String[] {"id", "appId", "requiredResourceAccess"};
          rc.options.add(GraphCall.DIRECTORY);
        }).getValue());
    Answer<List<ServicePrincipal>> enterprise = reads.read(
        "GET /servicePrincipals?$filter=appId eq '" + clientId + "'",
        TokenRequest.graph("Application.Read.All"), t -> servicePrincipals(t, clientId));
    if (registration.value() == null && enterprise.value() == null) {
      return Optional.empty();
    }
    Map<String, Map<String, String>> names = new HashMap<>(); // api app id -> permission id -> name
    Map<String, String> apiObjectIds = new HashMap<>(); // api service principal object id -> api app id
    for (String id : List.of(apiId, otherId)) {
      Answer<List<ServicePrincipal>> sp = reads.read(
          "GET /servicePrincipals?$filter=appId eq '" + id + "'",
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
          || ok.contains(n) || reads.appOnly() && apiId.equals(GraphDoctorProbe.EXCHANGE_APP_ID)
          && n.startsWith("Mail.")).findFirst();
      SetupStep permissionStep = reads.appOnly() ? SetupStep.APPLICATION_PERMISSION : SetupStep.DELEGATED_PERMISSION;
      String kind = reads.appOnly() ? "Application permissions" : "Delegated permissions";
      if (registrationKnown && addedRight) {
        if (granted.isEmpty()) {
          return Optional.empty(); // added, but whether it is consented cannot be read
        }
        return Optional.of(new Finding(reads.evidence(), Diagnosis.builder(SetupStep.ADMIN_CONSENT,
                failure.serviceCode())
            .summary(apiName + " > " + kind + " > " + p + " is added to the app registration but not consented in"
                + " this tenant")
            .fix("Grant admin consent: App registration > API permissions > Grant admin consent for the tenant"
                + (reads.appOnly() ? "" : " (or let the user consent at sign-in where the tenant allows it)"))
            .build()));
      }
      if (registrationKnown && addedWrong.isPresent()) {
        return Optional.of(new Finding(reads.evidence(), Diagnosis.builder(permissionStep, failure.serviceCode())
            .summary(addedWrong.get() + " is added under " + apiName(otherId) + ", but the token is for " + apiName
                + ", under which " + p + " must be added"
                + (reads.appOnly() ? " (the token then carries no roles)" : ""))
            .fix("App registration > API permissions: remove " + apiName(otherId) + " > " + p + ", add "
                + apiName + (api == Resource.EXCHANGE_ONLINE ? " (under APIs my organization uses)" : "") + " > "
                + kind + " > " + p + ", then Grant admin consent")
            .build()));
      }
      if (registrationKnown) {
        return Optional.of(new Finding(reads.evidence(), Diagnosis.builder(permissionStep, failure.serviceCode())
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
    String clientId = reads.context().registration().clientId();
    Optional<String> spId = Optional.ofNullable(consentedPrincipal);
    if (failure.setupStep() == SetupStep.EXCHANGE_SERVICE_PRINCIPAL && spId.isPresent() && reads.appOnly()) {
      // everything is consented: what is left is Exchange's own registration of the app, with the enterprise
      // application's object id (not the app registration's), and the mailbox right
      String mailbox = reads.context().mailbox().orElse("<mailbox>");
      Diagnosis rights = Diagnosis.builder(SetupStep.MAILBOX_PERMISSION, failure.serviceCode())
          .summary("The app's service principal may lack FullAccess to " + mailbox)
          .fix("Give the service principal FullAccess to the mailbox")
          .command("Get-MailboxPermission -Identity " + mailbox + "; Add-MailboxPermission -Identity " + mailbox
              + " -User " + spId.get() + " -AccessRights FullAccess")
          .build();
      return Optional.of(new Finding(reads.evidence(), Diagnosis.builder(SetupStep.EXCHANGE_SERVICE_PRINCIPAL,
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
    if (reads.appOnly()) {
      Answer<List<AppRoleAssignment>> roles = reads.read(
          "GET /servicePrincipals/" + spId + "/appRoleAssignments",
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
    Answer<List<OAuth2PermissionGrant>> grants = reads.read("GET /oauth2PermissionGrants?$filter=clientId eq '" + spId
            + "'", TokenRequest.graph("DelegatedPermissionGrant.Read.All"), t -> t.client().oauth2PermissionGrants()
        .get(rc -> {
          rc.queryParameters.filter = "clientId eq '" + spId + "'";
          rc.options.add(GraphCall.DIRECTORY);
        }).getValue());
    if (grants.value() == null) {
      return Optional.empty();
    }
    Optional<String> user = reads.context().token().map(AccessToken::claims).map(TokenClaims::objectId);
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
    Set<String> asked = reads.context().tokenRequest().permissions();
    for (String p : asked) {
      if (Set.of("offline_access", "openid", "profile", "email").contains(p)) {
        continue;
      }
      String name = p;
      if (reads.appOnly()) {
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
    if (out.isEmpty() && reads.appOnly() && reads.context().tokenRequest().resource() == Resource.MICROSOFT_GRAPH) {
      out.put("Mail.Read", Set.of("Mail.Read", "Mail.ReadWrite"));
    }
    return out;
  }

  private String apiName(String appId) {
    return appId.equals(GraphDoctorProbe.GRAPH_APP_ID) ? "Microsoft Graph" : "Office 365 Exchange Online";
  }
}
