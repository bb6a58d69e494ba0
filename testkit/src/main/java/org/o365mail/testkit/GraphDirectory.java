package org.o365mail.testkit;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
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
  private static final List<String> USER_PROPERTIES = List.of("id", "displayName", "mail", "userPrincipalName");
  private static final List<String> APPLICATION_PROPERTIES =
      List.of("id", "appId", "displayName", "signInAudience", "passwordCredentials", "keyCredentials");
  private static final Set<String> USER_READ_ROLES =
      Set.of("User.Read.All", "User.ReadBasic.All", "User.ReadWrite.All", "Directory.Read.All");
  private static final Set<String> APPLICATION_READ =
      Set.of("Application.Read.All", "Application.ReadWrite.All", "Directory.Read.All");
  static final String INSUFFICIENT_PRIVILEGES = "Insufficient privileges to complete the operation.";

  private final GraphServer server;

  GraphDirectory(GraphServer server) {
    this.server = server;
  }

  /** {@code GET /users/{id or UPN}} (and {@code /me}). */
  GraphResponse user(GraphRequest req, GraphServer.Caller caller, String segment) throws GraphError {
    if (!req.method.equals("GET")) {
      throw GraphError.methodNotAllowed();
    }
    Optional<Mailbox> found = GraphServer.findMailbox(caller.tenant(), segment);
    boolean own =
        found.isPresent()
            && caller.user().isPresent()
            && found.get().owner().map(o -> o.objectId().equals(caller.user().get().objectId())).orElse(false);
    boolean allowed;
    if (caller.appOnly()) {
      allowed = caller.token().roles().stream().anyMatch(USER_READ_ROLES::contains);
    } else {
      Set<String> scopes = caller.token().scopes();
      allowed = scopes.stream().anyMatch(USER_READ_ROLES::contains) || (own && scopes.contains("User.Read"));
    }
    if (!allowed) {
      throw new GraphError(403, "Authorization_RequestDenied", INSUFFICIENT_PRIVILEGES);
    }
    Mailbox mailbox = found.orElseThrow(() -> resourceNotFound(segment));
    req.mailbox = mailbox.address();
    ObjectNode user = Json.object();
    user.put("@odata.context", req.origin + "/v1.0/$metadata#users/$entity");
    for (String p : select(req, USER_PROPERTIES, "microsoft.graph.user")) {
      switch (p) {
        case "id" -> user.put("id", GraphServer.objectId(mailbox));
        case "displayName" ->
            user.put("displayName", mailbox.owner().map(User::displayName).orElse(mailbox.displayName()));
        case "mail" -> user.put("mail", mailbox.address());
        case "userPrincipalName" -> user.put("userPrincipalName", mailbox.address());
        default -> throw new IllegalStateException(p);
      }
    }
    return GraphResponse.json(200, user);
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
    ObjectNode body = Json.object();
    body.put("@odata.context", req.origin + "/v1.0/$metadata#applications/$entity");
    for (String p : select(req, APPLICATION_PROPERTIES, "microsoft.graph.application")) {
      switch (p) {
        case "id" -> body.put("id", a.objectId());
        case "appId" -> body.put("appId", a.clientId());
        case "displayName" -> body.put("displayName", a.displayName());
        case "signInAudience" -> body.put("signInAudience", a.accountTypes().signInAudience());
        case "passwordCredentials" -> body.set("passwordCredentials", passwordCredentials(a));
        case "keyCredentials" -> body.set("keyCredentials", keyCredentials(a));
        default -> throw new IllegalStateException(p);
      }
    }
    return GraphResponse.json(200, body);
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
  private static List<String> select(GraphRequest req, List<String> known, String type) throws GraphError {
    Optional<String> select = req.option("$select");
    if (select.isEmpty()) {
      return known;
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
