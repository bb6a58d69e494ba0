package org.o365mail.testkit;

import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.o365mail.testkit.internal.Pki;

/**
 * An app registration, in the portal's terms: Overview (client id, object id), Authentication (supported
 * account types, redirect URIs per platform, "Allow public client flows"), Certificates &amp; secrets, and API
 * permissions. Consent is not part of the registration: it is granted per tenant ({@link
 * Tenant#grantAdminConsent(Application)}), as in Entra ID. Thread-safe; changes apply to the next request.
 */
public final class Application {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String SECRET_ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789~._-";

  private final Tenant homeTenant;
  private final String clientId;
  private final String objectId;
  private volatile String displayName;
  private volatile SupportedAccountTypes accountTypes = SupportedAccountTypes.SINGLE_TENANT;
  private volatile boolean allowPublicClientFlows;
  private volatile boolean enabled = true;
  private final Map<Platform, Set<String>> redirectUris = new ConcurrentHashMap<>();
  private final List<PasswordCredential> secrets = new CopyOnWriteArrayList<>();
  private final List<KeyCredential> certificates = new CopyOnWriteArrayList<>();
  private final Map<ApiResource, Set<String>> delegated = new ConcurrentHashMap<>();
  private final Map<ApiResource, Set<String>> application = new ConcurrentHashMap<>();
  private final Set<String> ownerObjectIds = ConcurrentHashMap.newKeySet();

  Application(Tenant homeTenant, String displayName, String clientId) {
    this.homeTenant = homeTenant;
    this.displayName = Objects.requireNonNull(displayName, "displayName");
    this.clientId = Objects.requireNonNull(clientId, "clientId");
    this.objectId = UUID.randomUUID().toString();
  }

  /** Application (client) ID. */
  public String clientId() {
    return clientId;
  }

  /** Object ID of the app registration: not the enterprise application's, which Exchange needs. */
  public String objectId() {
    return objectId;
  }

  public String displayName() {
    return displayName;
  }

  public Tenant homeTenant() {
    return homeTenant;
  }

  public SupportedAccountTypes accountTypes() {
    return accountTypes;
  }

  public Application accountTypes(SupportedAccountTypes types) {
    this.accountTypes = Objects.requireNonNull(types, "types");
    return this;
  }

  public boolean allowPublicClientFlows() {
    return allowPublicClientFlows;
  }

  /** Authentication &gt; Advanced settings &gt; "Allow public client flows" (manifest {@code isFallbackPublicClient}). */
  public Application allowPublicClientFlows(boolean allow) {
    this.allowPublicClientFlows = allow;
    return this;
  }

  public boolean enabled() {
    return enabled;
  }

  /** Enterprise application &gt; Properties &gt; "Enabled for users to sign-in?" (off: AADSTS7000112). */
  public Application enabled(boolean value) {
    this.enabled = value;
    return this;
  }

  public Application addRedirectUri(Platform platform, String uri) {
    Objects.requireNonNull(platform, "platform");
    Objects.requireNonNull(uri, "uri");
    redirectUris.computeIfAbsent(platform, p -> ConcurrentHashMap.newKeySet()).add(uri);
    return this;
  }

  /** Deletes a redirect URI from a platform (Authentication &gt; Platform configurations). */
  public Application removeRedirectUri(Platform platform, String uri) {
    Objects.requireNonNull(platform, "platform");
    Objects.requireNonNull(uri, "uri");
    redirectUris.computeIfPresent(platform, (p, set) -> {
      set.remove(uri);
      return set;
    });
    return this;
  }

  public Set<String> redirectUris(Platform platform) {
    return Set.copyOf(redirectUris.getOrDefault(platform, Set.of()));
  }

  /** New client secret, valid from now for {@code lifetime} (the portal offers up to 24 months). */
  public PasswordCredential addClientSecret(String description, Duration lifetime) {
    Instant now = homeTenant.directory().clock().instant();
    return addClientSecret(description, now, now.plus(lifetime));
  }

  /** New client secret with explicit start and end (for secrets that have already expired, say). */
  public PasswordCredential addClientSecret(String description, Instant start, Instant end) {
    StringBuilder value = new StringBuilder(40);
    value.append((char) ('A' + RANDOM.nextInt(26)))
        .append((char) ('a' + RANDOM.nextInt(26)))
        .append((char) ('0' + RANDOM.nextInt(10)))
        .append('8')
        .append('Q')
        .append('~');
    for (int i = 0; i < 34; i++) {
      value.append(SECRET_ALPHABET.charAt(RANDOM.nextInt(SECRET_ALPHABET.length())));
    }
    PasswordCredential secret =
        new PasswordCredential(UUID.randomUUID().toString(), description, value.toString(), start, end);
    secrets.add(secret);
    return secret;
  }

  /** Generates a key pair and a self-signed certificate valid from now for {@code validity}, and uploads it. */
  public KeyCredential addCertificate(String description, Duration validity) {
    Instant now = homeTenant.directory().clock().instant();
    return addCertificate(description, now.minus(Duration.ofMinutes(5)), now.plus(validity));
  }

  /**
   * Generates a key pair and a self-signed certificate valid from {@code notBefore} to {@code notAfter} (one that has
   * expired, say), and uploads it.
   */
  public KeyCredential addCertificate(String description, Instant notBefore, Instant notAfter) {
    if (!notAfter.isAfter(notBefore)) {
      throw new IllegalArgumentException("notAfter " + notAfter + " must be after notBefore " + notBefore);
    }
    KeyPair keys = Pki.rsaKeyPair();
    X509Certificate certificate = Pki.clientCertificate(keys, displayName, notBefore, notAfter);
    KeyCredential credential =
        new KeyCredential(UUID.randomUUID().toString(), description, certificate, keys.getPrivate());
    certificates.add(credential);
    return credential;
  }

  /** Uploads an existing certificate (public part only). */
  public KeyCredential addCertificate(String description, X509Certificate certificate) {
    KeyCredential credential = new KeyCredential(UUID.randomUUID().toString(), description, certificate, null);
    certificates.add(credential);
    return credential;
  }

  /** Deletes a secret or certificate by its key id. */
  public boolean removeCredential(String keyId) {
    return secrets.removeIf(s -> s.keyId().equals(keyId)) | certificates.removeIf(c -> c.keyId().equals(keyId));
  }

  public List<PasswordCredential> clientSecrets() {
    return List.copyOf(secrets);
  }

  public List<KeyCredential> certificates() {
    return List.copyOf(certificates);
  }

  public boolean hasCredentials() {
    return !secrets.isEmpty() || !certificates.isEmpty();
  }

  Optional<PasswordCredential> secretWithValue(String value) {
    return secrets.stream().filter(s -> s.value().equals(value)).findFirst();
  }

  /** API permissions &gt; Add a permission &gt; (resource) &gt; Delegated permissions. */
  public Application addDelegatedPermission(ApiResource resource, String... permissions) {
    add(delegated, resource, resource.delegatedPermissions(), "delegated", permissions);
    return this;
  }

  /** API permissions &gt; Add a permission &gt; (resource) &gt; Application permissions. */
  public Application addApplicationPermission(ApiResource resource, String... permissions) {
    add(application, resource, resource.applicationPermissions(), "application", permissions);
    return this;
  }

  public Application removePermission(ApiResource resource, String permission) {
    // computeIfPresent: Set.of() as a default threw UnsupportedOperationException for a resource the app had only
    // one kind of permission of
    delegated.computeIfPresent(resource, (r, set) -> {
      set.remove(permission);
      return set;
    });
    application.computeIfPresent(resource, (r, set) -> {
      set.remove(permission);
      return set;
    });
    return this;
  }

  private static void add(
      Map<ApiResource, Set<String>> target,
      ApiResource resource,
      Set<String> known,
      String kind,
      String... permissions) {
    Objects.requireNonNull(resource, "resource");
    for (String permission : permissions) {
      if (!known.contains(permission)) {
        throw new IllegalArgumentException(
            resource.displayName() + " has no " + kind + " permission '" + permission + "'; it has " + known);
      }
    }
    target.computeIfAbsent(resource, r -> ConcurrentHashMap.newKeySet()).addAll(List.of(permissions));
  }

  public Map<ApiResource, Set<String>> delegatedPermissions() {
    return snapshot(delegated);
  }

  public Map<ApiResource, Set<String>> applicationPermissions() {
    return snapshot(application);
  }

  private static Map<ApiResource, Set<String>> snapshot(Map<ApiResource, Set<String>> source) {
    Map<ApiResource, Set<String>> copy = new EnumMap<>(ApiResource.class);
    source.forEach((k, v) -> copy.put(k, Set.copyOf(v)));
    return copy;
  }

  /** Grants admin consent in the home tenant ("Grant admin consent for ..."). */
  public Application grantAdminConsent() {
    homeTenant.grantAdminConsent(this);
    return this;
  }

  /** Adds a user as owner (an owner may read the app's own registration from Graph). */
  public Application addOwner(User user) {
    ownerObjectIds.add(user.objectId());
    return this;
  }

  boolean isOwner(String objectId) {
    return ownerObjectIds.contains(objectId);
  }

  /** A random GUID-shaped value, for tests that need a client id nobody registered. */
  static String newClientId() {
    return UUID.randomUUID().toString();
  }

  static String randomToken(int bytes) {
    byte[] b = new byte[bytes];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  @Override
  public String toString() {
    return "Application[" + displayName + ", clientId=" + clientId + ", accountTypes=" + accountTypes + "]";
  }
}
