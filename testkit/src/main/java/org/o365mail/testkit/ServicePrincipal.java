package org.o365mail.testkit;

import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An enterprise application: the app's service principal in one tenant, created when the app is registered
 * (home tenant) or consented to (other tenants). It holds what was consented there: application permissions
 * (app roles) and delegated permissions granted by an admin for all users or by single users. Its object id
 * is what {@code New-ServicePrincipal -ObjectId} wants and what app-only tokens carry as {@code oid}.
 */
public final class ServicePrincipal {
  private final Tenant tenant;
  private final Application application;
  private final String objectId = UUID.randomUUID().toString();
  private final Map<ApiResource, Set<String>> appRoles = new ConcurrentHashMap<>();
  private final Map<ApiResource, Set<String>> adminConsentedScopes = new ConcurrentHashMap<>();
  private final Map<String, Map<ApiResource, Set<String>>> userConsents = new ConcurrentHashMap<>();

  ServicePrincipal(Tenant tenant, Application application) {
    this.tenant = tenant;
    this.application = application;
  }

  public Tenant tenant() {
    return tenant;
  }

  public Application application() {
    return application;
  }

  /** Enterprise applications &gt; (app) &gt; Object ID. */
  public String objectId() {
    return objectId;
  }

  void grantAll(Map<ApiResource, Set<String>> roles, Map<ApiResource, Set<String>> scopes) {
    roles.forEach((r, p) -> appRoles.computeIfAbsent(r, k -> ConcurrentHashMap.newKeySet()).addAll(p));
    scopes.forEach((r, p) -> adminConsentedScopes.computeIfAbsent(r, k -> ConcurrentHashMap.newKeySet()).addAll(p));
  }

  /** Withdraws every consent given in this tenant (admin and users). */
  public void revokeConsent() {
    appRoles.clear();
    adminConsentedScopes.clear();
    userConsents.clear();
  }

  void grantUserConsent(User user, ApiResource resource, Set<String> scopes) {
    userConsents
        .computeIfAbsent(user.objectId(), k -> new ConcurrentHashMap<>())
        .computeIfAbsent(resource, k -> ConcurrentHashMap.newKeySet())
        .addAll(scopes);
  }

  /** Application permissions granted by admin consent for {@code resource}: the token's {@code roles}. */
  public Set<String> grantedAppRoles(ApiResource resource) {
    return Set.copyOf(appRoles.getOrDefault(resource, Set.of()));
  }

  /** Delegated permissions {@code user} may use with {@code resource}: admin-consented plus user-consented. */
  public Set<String> grantedScopes(User user, ApiResource resource) {
    Set<String> all = ConcurrentHashMap.newKeySet();
    all.addAll(adminConsentedScopes.getOrDefault(resource, Set.of()));
    all.addAll(userConsents.getOrDefault(user.objectId(), Map.of()).getOrDefault(resource, Set.of()));
    return Set.copyOf(all);
  }

  /** Delegated permissions an admin consented to for all users, per resource. */
  Map<ApiResource, Set<String>> adminConsentedScopes() {
    Map<ApiResource, Set<String>> copy = new EnumMap<>(ApiResource.class);
    adminConsentedScopes.forEach((k, v) -> copy.put(k, Set.copyOf(v)));
    return copy;
  }

  /** Delegated permissions single users consented to: user object id to resource to scopes. */
  Map<String, Map<ApiResource, Set<String>>> userConsents() {
    Map<String, Map<ApiResource, Set<String>>> copy = new java.util.HashMap<>();
    userConsents.forEach((user, byResource) -> {
      Map<ApiResource, Set<String>> inner = new EnumMap<>(ApiResource.class);
      byResource.forEach((k, v) -> inner.put(k, Set.copyOf(v)));
      copy.put(user, inner);
    });
    return copy;
  }

  public Map<ApiResource, Set<String>> grantedAppRoles() {
    Map<ApiResource, Set<String>> copy = new EnumMap<>(ApiResource.class);
    appRoles.forEach((k, v) -> copy.put(k, Set.copyOf(v)));
    return copy;
  }

  @Override
  public String toString() {
    return "ServicePrincipal[" + application.displayName() + " in " + tenant.primaryDomain() + ", objectId="
        + objectId + "]";
  }
}
