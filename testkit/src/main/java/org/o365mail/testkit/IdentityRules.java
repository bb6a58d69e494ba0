package org.o365mail.testkit;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The rules of Entra ID the identity endpoint's grants share: which tenant an authority names, which application a
 * client id is, the authority versus the app's supported account types, the scopes of a request and their consent,
 * redirect URIs, required parameters, and the AADSTS code Entra answers a request for two resources with. Each is
 * answered with the {@link AadError} Entra gives. Thread-safe: no state of its own beyond the directory.
 */
final class IdentityRules {
  static final Pattern GUID =
      Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  static final Pattern DOMAIN = Pattern.compile("[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+");
  static final Set<String> RESERVED_SCOPES = Set.of("openid", "profile", "offline_access", "email");
  static final Set<String> ADMIN_ONLY_SCOPES =
      Set.of("User.Read.All", "Application.Read.All", "Mail.ReadBasic.All");
  static final DateTimeFormatter TIMESTAMP =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);
  /** One token request, scopes of two resources: answered 700022 or 28000, see {@link #asEntraAnswers}. */
  static final int MIXED_RESOURCES = 700022;

  private final Directory directory;

  IdentityRules(Directory directory) {
    this.directory = directory;
  }

  Tenant resolveTenant(String tenantSegment) throws AadError {
    if (!GUID.matcher(tenantSegment).matches() && !DOMAIN.matcher(tenantSegment).matches()) {
      throw AadError.invalidRequest(900023,
          "Specified tenant identifier '" + tenantSegment + "' is neither a valid DNS name, nor a valid external"
              + " domain.");
    }
    return directory
        .tenant(tenantSegment)
        .orElseThrow(() -> AadError.invalidRequest(90002,
            "Tenant '" + tenantSegment + "' not found. Check to make sure you have the correct tenant ID and are"
                + " signing into the correct cloud. Check with your subscription administrator, this may happen if"
                + " there are no active subscriptions for the tenant."));
  }

  Application application(String clientId, Tenant pathTenant) throws AadError {
    Application app = directory.application(clientId);
    if (app == null) {
      throw appNotFound(clientId, pathTenant);
    }
    if (!app.enabled()) {
      throw AadError.unauthorizedClient(7000112, "Application '" + app.clientId() + "'(" + app.displayName()
          + ") is disabled.");
    }
    if (pathTenant != null && pathTenant != app.homeTenant() && !app.accountTypes().allowsOtherTenants()) {
      throw appNotFound(clientId, pathTenant);
    }
    return app;
  }

  /**
   * The code Entra answers a scope naming more than one resource with: AADSTS700022 or AADSTS28000, as {@link
   * Faults#mixedResourceAnswer(Faults.MixedResourceAnswer)} says (sources there). Other errors pass unchanged.
   */
  AadError asEntraAnswers(AadError e) {
    if (e.code != MIXED_RESOURCES) {
      return e;
    }
    Faults faults = directory.faults();
    boolean older = switch (faults.mixedResourceAnswer()) {
      case AADSTS700022 -> true;
      case AADSTS28000 -> false;
      case SEEDED -> faults.nextInt(2) == 0;
    };
    return older ? e : new AadError(e.status, e.error, 28000, e.getMessage(), e.suberror);
  }

  /**
   * The global authority's answer to a token request for a tenant of another cloud: AADSTS900432 "Confidential Client
   * isn't supported in Cross Cloud request." for a confidential client, AADSTS90038 NationalCloudTenantRedirection for
   * the others (MicrosoftDocs/entra-docs reference-error-codes.md gives both codes and texts; the statuses and OAuth
   * errors are assumed, as for the other 400 invalid_request answers).
   */
  static AadError crossCloud(Tenant tenant, boolean confidential) {
    if (confidential) {
      return AadError.invalidRequest(900432, "Confidential Client is not supported in Cross Cloud request.");
    }
    return AadError.invalidRequest(90038, "Tenant '" + tenant.id() + "' belongs to the national cloud '"
        + tenant.nationalCloud().cloudInstanceName() + "'. Current cloud instance 'microsoftonline.com' does not"
        + " federate with '" + tenant.nationalCloud().cloudInstanceName() + "'. A cloud redirect error is returned.");
  }

  static boolean isAlias(String tenantSegment) {
    String t = tenantSegment.toLowerCase(Locale.ROOT);
    return t.equals("common") || t.equals("organizations") || t.equals("consumers");
  }

  static AadError appNotFound(String clientId, Tenant tenant) {
    String name = tenant == null ? "the directory" : "'" + tenant.primaryDomain() + "'";
    return AadError.unauthorizedClient(700016,
        "Application with identifier '" + clientId + "' was not found in the directory " + name + ". This can"
            + " happen if the application has not been installed by the administrator of the tenant or consented"
            + " to by any user in the tenant. You may have sent your authentication request to the wrong tenant.");
  }

  /** Authority versus "Supported account types", for user sign-ins. */
  static void checkAudience(Application app, String tenantSegment, Tenant userTenant) throws AadError {
    String t = tenantSegment.toLowerCase(Locale.ROOT);
    SupportedAccountTypes types = app.accountTypes();
    if (userTenant != null && userTenant.isConsumers()) {
      checkPersonalAccount(app, t, userTenant);
      return;
    }
    if (types == SupportedAccountTypes.PERSONAL_ONLY) {
      throw AadError.unauthorizedClient(9002331, "Application '" + app.clientId() + "'(" + app.displayName()
          + ") is configured for use by Microsoft Account users only. Please use the /consumers endpoint to serve"
          + " this request.");
    }
    if ((t.equals("common") || t.equals("organizations")) && types == SupportedAccountTypes.SINGLE_TENANT) {
      throw AadError.unauthorizedClient(50194, "Application '" + app.clientId() + "'(" + app.displayName()
          + ") is not configured as a multi-tenant application. Usage of the /" + t + " endpoint is not supported"
          + " for such applications created after '10/15/2018'. Use a tenant-specific endpoint or configure the"
          + " application to be multi-tenant.");
    }
    if (t.equals("consumers") && types != SupportedAccountTypes.MULTI_TENANT_AND_PERSONAL) {
      throw AadError.unauthorizedClient(9002332, "Application '" + app.clientId() + "'(" + app.displayName()
          + ") is configured for use by Azure Active Directory users only. Please do not use the /consumers"
          + " endpoint to serve this request.");
    }
    if (t.equals("consumers")) {
      throw AadError.invalidGrant(50020, "User account from identity provider 'live.com' does not exist in this"
          + " directory: the local tenant has work accounts only.");
    }
    if (userTenant != null && userTenant != app.homeTenant() && types == SupportedAccountTypes.SINGLE_TENANT) {
      throw appNotFound(app.clientId(), userTenant);
    }
  }

  /**
   * A personal Microsoft account signs in through {@code /consumers} or {@code /common} to an app whose supported
   * account types include personal accounts. Through {@code /organizations} or a tenant Entra answers AADSTS50020
   * (the account from identity provider 'live.com' does not exist in the tenant); an app for organizational
   * accounts only answers AADSTS9002332 through {@code /consumers} and, through {@code /common}, the same AADSTS50020
   * for the Microsoft Services tenant (MicrosoftDocs/entra-docs reference-error-codes.md and
   * troubleshoot "error code AADSTS50020 user account from identity provider does not exist in tenant").
   */
  private static void checkPersonalAccount(Application app, String t, Tenant userTenant) throws AadError {
    SupportedAccountTypes types = app.accountTypes();
    boolean personalApp =
        types == SupportedAccountTypes.MULTI_TENANT_AND_PERSONAL || types == SupportedAccountTypes.PERSONAL_ONLY;
    if (t.equals("consumers") && !personalApp) {
      throw AadError.unauthorizedClient(9002332, "Application '" + app.clientId() + "'(" + app.displayName()
          + ") is configured for use by Azure Active Directory users only. Please do not use the /consumers"
          + " endpoint to serve this request.");
    }
    if (t.equals("consumers") || (t.equals("common") && personalApp)) {
      return;
    }
    String where = t.equals("common") ? "Microsoft Services" : t;
    throw AadError.invalidGrant(50020, "User account from identity provider 'live.com' does not exist in tenant '"
        + where + "' and cannot access the application '" + app.clientId() + "'(" + app.displayName()
        + ") in that tenant. The account needs to be added as an external user in the tenant first. Sign out and"
        + " sign in again with a different Azure Active Directory user account.");
  }

  static void checkAudienceForAuthority(Application app, String tenantSegment) throws AadError {
    String t = tenantSegment.toLowerCase(Locale.ROOT);
    if ((t.equals("common") || t.equals("organizations"))
        && app.accountTypes() == SupportedAccountTypes.SINGLE_TENANT) {
      checkAudience(app, tenantSegment, null);
    }
  }

  static String consentMessage(Application app) {
    return "The user or administrator has not consented to use the application with ID '" + app.clientId()
        + "' named '" + app.displayName() + "'. Send an interactive authorization request for this user and"
        + " resource.";
  }

  /** The scopes of one token request, split into reserved OIDC scopes and one resource's permissions. */
  static final class ScopeRequest {
    final Set<String> reserved = new LinkedHashSet<>();
    final List<String> nonReserved = new ArrayList<>();
    final Set<String> permissions = new TreeSet<>();
    ApiResource resource = ApiResource.MICROSOFT_GRAPH;
    String audience = ApiResource.MICROSOFT_GRAPH.primaryUri();
    boolean dotDefault;
  }

  static ScopeRequest parseScopes(String scope, Tenant tenantForErrors) throws AadError {
    ScopeRequest request = new ScopeRequest();
    Set<String> audiences = new LinkedHashSet<>();
    for (String s : scope.trim().split("\\s+")) {
      if (s.isEmpty()) {
        continue;
      }
      if (RESERVED_SCOPES.contains(s)) {
        request.reserved.add(s);
        continue;
      }
      request.nonReserved.add(s);
      String prefix;
      String name;
      int slash = s.lastIndexOf('/');
      if (s.contains("://") && slash > s.indexOf("://") + 2) {
        prefix = s.substring(0, slash);
        name = s.substring(slash + 1);
      } else if (s.contains("://")) {
        prefix = s;
        name = "";
      } else {
        prefix = ApiResource.MICROSOFT_GRAPH.primaryUri();
        name = s;
      }
      String normalized = prefix.toLowerCase(Locale.ROOT);
      ApiResource resource =
          ApiResource.byIdentifier(normalized)
              .orElseThrow(() -> new AadError(400, "invalid_resource", 500011,
                  "The resource principal named " + prefix + " was not found in the tenant named "
                      + (tenantForErrors == null ? "the directory" : tenantForErrors.primaryDomain())
                      + ". This can happen if the application has not been installed by the administrator of the"
                      + " tenant or consented to by any user in the tenant."));
      audiences.add(normalized);
      request.resource = resource;
      request.audience = normalized;
      if (name.equals(".default")) {
        request.dotDefault = true;
      } else if (name.isEmpty() || !resource.delegatedPermissions().contains(name)) {
        throw AadError.invalidScope(70011,
            "The provided value for the input parameter 'scope' is not valid. The scope " + s + " is not valid.");
      } else {
        request.permissions.add(name);
      }
    }
    if (audiences.size() > 1) {
      throw AadError.invalidScope(MIXED_RESOURCES,
          "The provided value for the input parameter scope is not valid because it contains more than one"
              + " resource. Scope " + scope.trim() + " is not valid.");
    }
    return request;
  }

  /** Which requested delegated permissions the user has not consented to (empty when all are granted). */
  static Optional<String> missingConsent(Tenant tenant, Application app, User user, String scope) {
    ScopeRequest request;
    try {
      request = parseScopes(scope, tenant);
    } catch (AadError e) {
      return Optional.empty();
    }
    Set<String> granted =
        tenant.servicePrincipal(app).map(sp -> sp.grantedScopes(user, request.resource)).orElse(Set.of());
    Set<String> missing = new TreeSet<>(request.permissions);
    missing.removeAll(granted);
    return missing.isEmpty() ? Optional.empty() : Optional.of(String.join(" ", missing));
  }

  static boolean userMayConsent(String missingScopes) {
    for (String s : missingScopes.split(" ")) {
      if (ADMIN_ONLY_SCOPES.contains(s)) {
        return false;
      }
    }
    return true;
  }

  static void grantUserConsent(Tenant tenant, Application app, User user, String scope) {
    try {
      ScopeRequest request = parseScopes(scope, tenant);
      tenant.servicePrincipalOrCreate(app).grantUserConsent(user, request.resource, request.permissions);
    } catch (AadError e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  static boolean isPublicRedirect(Application app, String redirectUri) {
    return matchesRedirect(app.redirectUris(Platform.MOBILE_AND_DESKTOP), redirectUri)
        || matchesRedirect(app.redirectUris(Platform.SINGLE_PAGE_APPLICATION), redirectUri);
  }

  /** Exact match, except that the port of a loopback redirect (http://localhost, http://127.0.0.1) is ignored. */
  static boolean matchesRedirect(Set<String> registered, String redirectUri) {
    if (registered.contains(redirectUri)) {
      return true;
    }
    URI requested;
    try {
      requested = new URI(redirectUri);
    } catch (URISyntaxException e) {
      return false;
    }
    if (!"http".equals(requested.getScheme())
        || !("localhost".equals(requested.getHost()) || "127.0.0.1".equals(requested.getHost()))) {
      return false;
    }
    for (String r : registered) {
      try {
        URI candidate = new URI(r);
        if ("http".equals(candidate.getScheme())
            && requested.getHost().equals(candidate.getHost())
            && normalizePath(requested.getPath()).equals(normalizePath(candidate.getPath()))) {
          return true;
        }
      } catch (URISyntaxException e) {
        // skip malformed registrations
      }
    }
    return false;
  }

  static String normalizePath(String path) {
    return path == null || path.isEmpty() ? "/" : path;
  }

  static String s256(String verifier) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String required(Map<String, String> form, String name) throws AadError {
    String value = form.get(name);
    if (value == null || value.isEmpty()) {
      throw AadError.missingParameter(name);
    }
    return value;
  }
}
