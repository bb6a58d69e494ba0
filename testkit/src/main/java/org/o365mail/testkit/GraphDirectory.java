package org.o365mail.testkit;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.o365mail.testkit.internal.Json;

/**
 * The directory side of the Graph stand-in: {@code GET /users/{id}} and {@code GET /applications(appId='..')}
 * / {@code /applications/{objectId}}, with Entra ID's permission checks and error codes ({@code
 * Authorization_RequestDenied}, {@code Request_ResourceNotFound}). Stateless; thread-safe.
 */
final class GraphDirectory {
  private static final Pattern BY_APP_ID = Pattern.compile("applications\\(appId='([^']*)'\\)");
  private static final Pattern FILTER_APP_ID = Pattern.compile("appId eq '([^']*)'");
  private static final Pattern FILTER_MAIL = Pattern.compile("mail eq '([^']*)'");
  private static final Pattern FILTER_CLIENT_ID = Pattern.compile("clientId eq '([^']*)'");
  private static final List<String> BASIC_USER_PROPERTIES = List.of("id", "displayName", "mail", "userPrincipalName");
  private static final List<String> USER_PROPERTIES =
      List.of("id", "displayName", "mail", "userPrincipalName", "accountEnabled", "assignedPlans");
  private static final Set<String> USER_FULL_READ = Set.of("User.Read.All", "User.ReadWrite.All", "Directory.Read.All");
  private static final List<String> APPLICATION_PROPERTIES = List.of("id", "appId", "displayName", "signInAudience",
      "passwordCredentials", "keyCredentials", "requiredResourceAccess");
  /** Listing delegated grants: https://learn.microsoft.com/en-us/graph/api/oauth2permissiongrant-list */
  private static final Set<String> GRANT_READ = Set.of("DelegatedPermissionGrant.Read.All", "Directory.Read.All");
  private static final Set<String> USER_READ_ROLES =
      Set.of("User.Read.All", "User.ReadBasic.All", "User.ReadWrite.All", "Directory.Read.All");
  private static final Set<String> APPLICATION_READ =
      Set.of("Application.Read.All", "Application.ReadWrite.All", "Directory.Read.All");
  static final String INSUFFICIENT_PRIVILEGES = "Insufficient privileges to complete the operation.";

  private final GraphServer server;

  GraphDirectory(GraphServer server) {
    this.server = server;
  }

  /**
   * {@code GET /users/{id or UPN}} (and {@code /me}): users with and without a mailbox, and shared mailboxes (whose
   * user account is disabled, as Exchange creates it: https://learn.microsoft.com/en-us/microsoft-365/admin/email/about-shared-mailboxes).
   * {@code accountEnabled} and {@code assignedPlans} are not basic properties: they come only with {@code
   * User.Read.All} or {@code Directory.Read.All}, or to the user about themselves.
   */
  GraphResponse user(GraphRequest req, GraphServer.Caller caller, String segment) throws GraphError {
    if (!req.method.equals("GET")) {
      throw GraphError.methodNotAllowed();
    }
    Optional<Mailbox> found = GraphServer.findMailbox(caller.tenant(), segment);
    Optional<User> account = found.isPresent() ? found.get().owner() : GraphServer.findUser(caller.tenant(), segment);
    boolean own =
        account.isPresent()
            && caller.user().isPresent()
            && account.get().objectId().equals(caller.user().get().objectId());
    boolean allowed;
    boolean full;
    if (caller.appOnly()) {
      allowed = caller.token().roles().stream().anyMatch(USER_READ_ROLES::contains);
      full = caller.token().roles().stream().anyMatch(USER_FULL_READ::contains);
    } else {
      Set<String> scopes = caller.token().scopes();
      allowed = scopes.stream().anyMatch(USER_READ_ROLES::contains) || (own && scopes.contains("User.Read"));
      full = own || scopes.stream().anyMatch(USER_FULL_READ::contains);
    }
    if (!allowed) {
      throw new GraphError(403, "Authorization_RequestDenied", INSUFFICIENT_PRIVILEGES);
    }
    if (found.isEmpty() && account.isEmpty()) {
      throw resourceNotFound(segment);
    }
    found.ifPresent(m -> req.mailbox = m.address());
    ObjectNode user = Json.object();
    user.put("@odata.context", req.origin + "/v1.0/$metadata#users/$entity");
    for (String p : select(req, USER_PROPERTIES, BASIC_USER_PROPERTIES, "microsoft.graph.user")) {
      switch (p) {
        case "id" -> user.put("id", account.map(User::objectId).orElseGet(() -> GraphServer.objectId(found.get())));
        case "displayName" ->
            user.put("displayName", account.map(User::displayName).orElseGet(() -> found.get().displayName()));
        case "mail" -> {
          if (found.isPresent()) {
            user.put("mail", found.get().address());
          } else {
            user.putNull("mail");
          }
        }
        case "userPrincipalName" ->
            user.put("userPrincipalName", account.map(User::userPrincipalName).orElseGet(() -> found.get().address()));
        case "accountEnabled" -> {
          if (full) {
            user.put("accountEnabled", account.map(User::enabled).orElse(false) && found.map(
                m -> m.type() != MailboxType.SHARED_MAILBOX).orElse(true));
          }
        }
        case "assignedPlans" -> {
          if (full) {
            ArrayNode plans = user.putArray("assignedPlans");
            if (found.isPresent() && found.get().type() == MailboxType.USER_MAILBOX) {
              // Exchange Online (Plan 2), EXCHANGE_S_ENTERPRISE, as a licensed user's assignedPlans list it
              // (https://learn.microsoft.com/en-us/graph/api/resources/assignedplan)
              ObjectNode plan = plans.addObject();
              plan.put("assignedDateTime", "2024-01-01T00:00:00Z");
              plan.put("capabilityStatus", "Enabled");
              plan.put("service", "exchange");
              plan.put("servicePlanId", "efb87545-963c-4e0d-99df-69c6916d9eb0");
            }
          }
        }
        default -> throw new IllegalStateException(p);
      }
    }
    return GraphResponse.json(200, user);
  }

  /**
   * {@code GET /users?$filter=mail eq '..'} (optionally {@code or proxyAddresses/any(p:p eq 'smtp:..')}): the users
   * and shared mailboxes with that address, as a collection; the testkit's mailboxes have one address each.
   */
  GraphResponse userList(GraphRequest req, GraphServer.Caller caller) throws GraphError {
    if (!req.method.equals("GET")) {
      throw GraphError.methodNotAllowed();
    }
    String address = filter(req, FILTER_MAIL);
    ObjectNode body = Json.object();
    body.put("@odata.context", req.origin + "/v1.0/$metadata#users");
    ArrayNode value = body.putArray("value");
    Optional<Mailbox> found = caller.tenant().findMailbox(address);
    if (found.isPresent()) {
      GraphResponse one = user(req, caller, found.get().address());
      ObjectNode item = (ObjectNode) one.json.deepCopy();
      item.remove("@odata.context");
      value.add(item);
    } else if (!caller.appOnly() ? !caller.token().scopes().stream().anyMatch(USER_READ_ROLES::contains)
        : !caller.token().roles().stream().anyMatch(USER_READ_ROLES::contains)) {
      throw new GraphError(403, "Authorization_RequestDenied", INSUFFICIENT_PRIVILEGES);
    }
    return GraphResponse.json(200, body);
  }

  /**
   * {@code GET /users/{id}/mailboxSettings}: its {@code userPurpose} says {@code user} or {@code shared}
   * (https://learn.microsoft.com/en-us/graph/api/resources/mailboxsettings). Needs {@code MailboxSettings.Read}
   * (application), or the delegated permission on the user's own mailbox; a user without a mailbox answers as
   * Exchange does for any mailbox request.
   */
  GraphResponse mailboxSettings(GraphRequest req, GraphServer.Caller caller, String segment) throws GraphError {
    if (!req.method.equals("GET")) {
      throw GraphError.methodNotAllowed();
    }
    Mailbox mailbox = server.resolveMailbox(caller, segment);
    req.mailbox = mailbox.address();
    Set<String> settings = Set.of("MailboxSettings.Read", "MailboxSettings.ReadWrite");
    boolean allowed;
    if (caller.appOnly()) {
      allowed = caller.token().roles().stream().anyMatch(settings::contains);
    } else {
      boolean own = mailbox.owner().isPresent() && caller.user().isPresent()
          && mailbox.owner().get().objectId().equals(caller.user().get().objectId());
      allowed = own && caller.token().scopes().stream().anyMatch(settings::contains);
    }
    if (!allowed) {
      throw GraphError.accessDenied();
    }
    ObjectNode body = Json.object();
    body.put("@odata.context", req.origin + "/v1.0/$metadata#users('" + mailbox.address() + "')/mailboxSettings");
    body.put("userPurpose", mailbox.type() == MailboxType.SHARED_MAILBOX ? "shared" : "user");
    return GraphResponse.json(200, body);
  }

  /** {@code GET /applications(appId='{clientId}')} or {@code GET /applications/{objectId}}. */
  GraphResponse application(GraphRequest req, GraphServer.Caller caller, List<String> rest) throws GraphError {
    String key;
    boolean byAppId;
    Matcher m = BY_APP_ID.matcher(rest.get(0));
    if (rest.size() == 1 && m.matches()) {
      key = m.group(1);
      byAppId = true;
    } else if (rest.size() == 2 && rest.get(0).equals("applications")) {
      key = rest.get(1);
      byAppId = false;
    } else if (rest.size() == 1 && rest.get(0).equals("applications") && req.option("$filter").isPresent()) {
      return applicationList(req, caller);
    } else {
      throw GraphError.badRequest(
          "The testkit's Graph stand-in serves one application at a time: applications(appId='{appId}') or"
              + " applications/{id}.");
    }
    if (!req.method.equals("GET")) {
      throw GraphError.methodNotAllowed();
    }
    Optional<Application> app =
        caller.tenant().applications().stream()
            .filter(a -> byAppId ? a.clientId().equalsIgnoreCase(key) : a.objectId().equalsIgnoreCase(key))
            .findFirst();
    if (!mayRead(caller, app)) {
      throw new GraphError(403, "Authorization_RequestDenied", INSUFFICIENT_PRIVILEGES);
    }
    Application a = app.orElseThrow(() -> resourceNotFound(key));
    ObjectNode body = applicationBody(req, a);
    body.put("@odata.context", req.origin + "/v1.0/$metadata#applications/$entity");
    return GraphResponse.json(200, body);
  }

  /**
   * {@code GET /applications?$filter=appId eq '{appId}'}: a collection of none or one, as Graph answers a filter
   * (https://learn.microsoft.com/en-us/graph/api/application-list). Without permission to read it, 403.
   */
  private GraphResponse applicationList(GraphRequest req, GraphServer.Caller caller) throws GraphError {
    String appId = filter(req, FILTER_APP_ID);
    Optional<Application> app =
        caller.tenant().applications().stream().filter(a -> a.clientId().equalsIgnoreCase(appId)).findFirst();
    if (!mayRead(caller, app)) {
      throw new GraphError(403, "Authorization_RequestDenied", INSUFFICIENT_PRIVILEGES);
    }
    ObjectNode body = Json.object();
    body.put("@odata.context", req.origin + "/v1.0/$metadata#applications");
    ArrayNode value = body.putArray("value");
    if (app.isPresent()) {
      value.add(applicationBody(req, app.get()));
    }
    return GraphResponse.json(200, body);
  }

  private static String filter(GraphRequest req, Pattern pattern) throws GraphError {
    String filter = req.option("$filter").orElse("");
    Matcher m = pattern.matcher(filter);
    if (!m.find()) {
      throw GraphError.badRequest("The testkit's Graph stand-in filters by " + pattern.pattern() + " only, not "
          + filter);
    }
    return m.group(1);
  }

  private static ObjectNode applicationBody(GraphRequest req, Application a) throws GraphError {
    ObjectNode body = Json.object();
    for (String p : select(req, APPLICATION_PROPERTIES, APPLICATION_PROPERTIES, "microsoft.graph.application")) {
      switch (p) {
        case "id" -> body.put("id", a.objectId());
        case "appId" -> body.put("appId", a.clientId());
        case "displayName" -> body.put("displayName", a.displayName());
        case "signInAudience" -> body.put("signInAudience", a.accountTypes().signInAudience());
        case "passwordCredentials" -> body.set("passwordCredentials", passwordCredentials(a));
        case "keyCredentials" -> body.set("keyCredentials", keyCredentials(a));
        case "requiredResourceAccess" -> body.set("requiredResourceAccess", requiredResourceAccess(a));
        default -> throw new IllegalStateException(p);
      }
    }
    return body;
  }

  /**
   * The API permissions of a registration as the manifest holds them: per API its app id, and each permission's id
   * with type {@code Role} (application) or {@code Scope} (delegated)
   * (https://learn.microsoft.com/en-us/graph/api/resources/requiredresourceaccess).
   */
  private static ArrayNode requiredResourceAccess(Application app) {
    ArrayNode list = Json.array();
    for (ApiResource r : ApiResource.values()) {
      Set<String> roles = app.applicationPermissions().getOrDefault(r, Set.of());
      Set<String> scopes = app.delegatedPermissions().getOrDefault(r, Set.of());
      if (roles.isEmpty() && scopes.isEmpty()) {
        continue;
      }
      ObjectNode entry = list.addObject();
      entry.put("resourceAppId", r.appId());
      ArrayNode access = entry.putArray("resourceAccess");
      for (String role : new java.util.TreeSet<>(roles)) {
        access.addObject().put("id", permissionId(r, "Role", role)).put("type", "Role");
      }
      for (String scope : new java.util.TreeSet<>(scopes)) {
        access.addObject().put("id", permissionId(r, "Scope", scope)).put("type", "Scope");
      }
    }
    return list;
  }

  /**
   * The id of a permission of {@code resource}: Microsoft publishes one GUID per app role and per delegated scope,
   * different for the two kinds of one name; the testkit derives stable ones of its own, which its service principals
   * list, so a client must look them up as it must in Entra ID.
   */
  static String permissionId(ApiResource resource, String type, String name) {
    return UUID.nameUUIDFromBytes((resource.appId() + "/" + type + "/" + name).getBytes(StandardCharsets.UTF_8))
        .toString();
  }

  /** The object id of an API's service principal in {@code tenant}. */
  static String resourceObjectId(Tenant tenant, ApiResource resource) {
    return UUID.nameUUIDFromBytes(("sp/" + tenant.id() + "/" + resource.appId()).getBytes(StandardCharsets.UTF_8))
        .toString();
  }

  /**
   * {@code GET /servicePrincipals?$filter=appId eq '..'} (the app's enterprise application, or an API's with its
   * {@code appRoles} and {@code oauth2PermissionScopes}), {@code GET /servicePrincipals/{id}/appRoleAssignments}
   * (the application permissions granted to it) and {@code GET /oauth2PermissionGrants?$filter=clientId eq '{id}'}
   * (the delegated ones: admin consent as {@code AllPrincipals}, a user's as {@code Principal}), as
   * https://learn.microsoft.com/en-us/graph/permissions-grant-via-msgraph reads them. Reading service principals
   * and their assignments needs Application.Read.All; grants need DelegatedPermissionGrant.Read.All or
   * Directory.Read.All.
   */
  GraphResponse servicePrincipals(GraphRequest req, GraphServer.Caller caller, List<String> rest) throws GraphError {
    if (!req.method.equals("GET")) {
      throw GraphError.methodNotAllowed();
    }
    Tenant tenant = caller.tenant();
    ObjectNode body = Json.object();
    ArrayNode value = body.putArray("value");
    if (rest.get(0).equals("oauth2PermissionGrants") && rest.size() == 1) {
      if (!has(caller, GRANT_READ)) {
        throw new GraphError(403, "Authorization_RequestDenied", INSUFFICIENT_PRIVILEGES);
      }
      String clientId = filter(req, FILTER_CLIENT_ID);
      body.put("@odata.context", req.origin + "/v1.0/$metadata#oauth2PermissionGrants");
      Optional<ServicePrincipal> sp = tenant.applications().stream().map(tenant::servicePrincipal)
          .flatMap(Optional::stream).filter(p -> p.objectId().equalsIgnoreCase(clientId)).findFirst();
      if (sp.isPresent()) {
        sp.get().adminConsentedScopes().forEach((r, scopes) -> grant(value, tenant, sp.get(), r, scopes, null));
        sp.get().userConsents().forEach((user, byResource) ->
            byResource.forEach((r, scopes) -> grant(value, tenant, sp.get(), r, scopes, user)));
      }
      return GraphResponse.json(200, body);
    }
    if (!has(caller, APPLICATION_READ)) {
      throw new GraphError(403, "Authorization_RequestDenied", INSUFFICIENT_PRIVILEGES);
    }
    if (rest.size() == 1) {
      String appId = filter(req, FILTER_APP_ID);
      body.put("@odata.context", req.origin + "/v1.0/$metadata#servicePrincipals");
      Optional<ApiResource> api = ApiResource.byIdentifier(appId);
      if (api.isPresent()) {
        ObjectNode sp = value.addObject();
        sp.put("id", resourceObjectId(tenant, api.get()));
        sp.put("appId", api.get().appId());
        sp.put("displayName", api.get().displayName());
        ArrayNode roles = sp.putArray("appRoles");
        for (String role : new java.util.TreeSet<>(api.get().applicationPermissions())) {
          ObjectNode r = roles.addObject();
          r.putArray("allowedMemberTypes").add("Application");
          r.put("id", permissionId(api.get(), "Role", role));
          r.put("isEnabled", true);
          r.put("value", role);
        }
        ArrayNode scopes = sp.putArray("oauth2PermissionScopes");
        for (String scope : new java.util.TreeSet<>(api.get().delegatedPermissions())) {
          ObjectNode o = scopes.addObject();
          o.put("id", permissionId(api.get(), "Scope", scope));
          o.put("isEnabled", true);
          o.put("type", "User");
          o.put("value", scope);
        }
        return GraphResponse.json(200, body);
      }
      tenant.applications().stream().filter(a -> a.clientId().equalsIgnoreCase(appId)).findFirst()
          .flatMap(tenant::servicePrincipal).ifPresent(sp -> {
            ObjectNode o = value.addObject();
            o.put("id", sp.objectId());
            o.put("appId", sp.application().clientId());
            o.put("displayName", sp.application().displayName());
          });
      return GraphResponse.json(200, body);
    }
    if (rest.size() == 3 && rest.get(2).equals("appRoleAssignments")) {
      ServicePrincipal sp = tenant.applications().stream().map(tenant::servicePrincipal).flatMap(Optional::stream)
          .filter(p -> p.objectId().equalsIgnoreCase(rest.get(1))).findFirst()
          .orElseThrow(() -> resourceNotFound(rest.get(1)));
      body.put("@odata.context", req.origin + "/v1.0/$metadata#servicePrincipals('" + sp.objectId()
          + "')/appRoleAssignments");
      sp.grantedAppRoles().forEach((r, roles) -> {
        for (String role : new java.util.TreeSet<>(roles)) {
          ObjectNode a = value.addObject();
          a.put("id", UUID.nameUUIDFromBytes((sp.objectId() + "/" + role).getBytes(StandardCharsets.UTF_8)).toString());
          a.put("appRoleId", permissionId(r, "Role", role));
          a.put("principalId", sp.objectId());
          a.put("principalType", "ServicePrincipal");
          a.put("resourceId", resourceObjectId(tenant, r));
          a.put("resourceDisplayName", r.displayName());
        }
      });
      return GraphResponse.json(200, body);
    }
    throw GraphError.badRequest("The testkit's Graph stand-in serves servicePrincipals?$filter=appId eq '..' and"
        + " servicePrincipals/{id}/appRoleAssignments only.");
  }

  private static void grant(ArrayNode value, Tenant tenant, ServicePrincipal sp, ApiResource resource,
      Set<String> scopes, String userObjectId) {
    if (scopes.isEmpty()) {
      return;
    }
    ObjectNode g = value.addObject();
    g.put("id", UUID.nameUUIDFromBytes((sp.objectId() + "/" + resource + "/" + userObjectId)
        .getBytes(StandardCharsets.UTF_8)).toString());
    g.put("clientId", sp.objectId());
    g.put("consentType", userObjectId == null ? "AllPrincipals" : "Principal");
    if (userObjectId == null) {
      g.putNull("principalId");
    } else {
      g.put("principalId", userObjectId);
    }
    g.put("resourceId", resourceObjectId(tenant, resource));
    g.put("scope", String.join(" ", new java.util.TreeSet<>(scopes)));
  }

  private static boolean has(GraphServer.Caller caller, Set<String> permissions) {
    Set<String> held = caller.appOnly() ? caller.token().roles() : caller.token().scopes();
    return held.stream().anyMatch(permissions::contains);
  }

  /**
   * Application.Read.All (or higher) as a role or scope reads any app of the tenant; Application.ReadWrite.OwnedBy
   * lets an app read itself; a signed-in owner reads the apps they own.
   */
  private static boolean mayRead(GraphServer.Caller caller, Optional<Application> app) {
    if (caller.appOnly()) {
      Set<String> roles = caller.token().roles();
      if (roles.stream().anyMatch(APPLICATION_READ::contains)) {
        return true;
      }
      return roles.contains("Application.ReadWrite.OwnedBy")
          && app.map(a -> a.clientId().equalsIgnoreCase(caller.appId())).orElse(false);
    }
    if (caller.token().scopes().stream().anyMatch(APPLICATION_READ::contains)) {
      return true;
    }
    return caller.user().isPresent() && app.map(a -> a.isOwner(caller.user().get().objectId())).orElse(false);
  }

  private static ArrayNode passwordCredentials(Application app) {
    ArrayNode list = Json.array();
    for (PasswordCredential s : app.clientSecrets()) {
      ObjectNode c = list.addObject();
      c.putNull("customKeyIdentifier");
      c.put("displayName", s.displayName());
      c.put("endDateTime", GraphServer.format(s.endDateTime()));
      c.put("hint", s.hint());
      c.put("keyId", s.keyId());
      c.putNull("secretText");
      c.put("startDateTime", GraphServer.format(s.startDateTime()));
    }
    return list;
  }

  private static ArrayNode keyCredentials(Application app) {
    ArrayNode list = Json.array();
    for (KeyCredential k : app.certificates()) {
      ObjectNode c = list.addObject();
      // Edm.Binary, so base64 of the thumbprint's bytes, as Graph sends it (the portal shows the same bytes in hex)
      c.put("customKeyIdentifier", java.util.Base64.getEncoder().encodeToString(
          java.util.HexFormat.of().parseHex(k.thumbprint())));
      c.put("displayName", k.displayName());
      c.put("endDateTime", GraphServer.format(k.endDateTime()));
      c.put("keyId", k.keyId());
      c.put("startDateTime", GraphServer.format(k.startDateTime()));
      c.put("type", "AsymmetricX509Cert");
      c.put("usage", "Verify");
      c.putNull("key");
    }
    return list;
  }

  /** The {@code $select}ed properties in the canonical order, or all of them; an unknown one is a 400. */
  private static List<String> select(GraphRequest req, List<String> known, List<String> defaults, String type)
      throws GraphError {
    Optional<String> select = req.option("$select");
    if (select.isEmpty()) {
      return defaults;
    }
    Set<String> wanted = new LinkedHashSet<>();
    for (String raw : select.get().split(",")) {
      String name = raw.trim();
      if (name.isEmpty()) {
        continue;
      }
      String canonical =
          known.stream().filter(k -> k.toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))).findFirst()
              .orElseThrow(() -> new GraphError(400, "Request_BadRequest",
                  "Parsing OData Select and Expand failed: Could not find a property named '" + name + "' on type '"
                      + type + "'."));
      wanted.add(canonical);
    }
    return known.stream().filter(wanted::contains).toList();
  }

  private static GraphError resourceNotFound(String id) {
    return new GraphError(404, "Request_ResourceNotFound",
        "Resource '" + id + "' does not exist or one of its queried reference-property objects are not present.");
  }
}
