package org.o365mail.testkit;

import java.util.Objects;
import java.util.UUID;

/**
 * A user account of a tenant, with the states that decide a sign-in: password, MFA required (conditional
 * access or per-user MFA), account disabled, password expired. A user normally has a mailbox. Thread-safe.
 */
public final class User {
  private final Tenant tenant;
  private final String userPrincipalName;
  private final String objectId = UUID.randomUUID().toString();
  private volatile String displayName;
  private volatile String password;
  private volatile boolean mfaRequired;
  private volatile boolean enabled = true;
  private volatile boolean passwordExpired;
  private volatile java.time.Instant passwordChangedAt = java.time.Instant.EPOCH;

  User(Tenant tenant, String userPrincipalName, String password, String displayName) {
    this.tenant = tenant;
    this.userPrincipalName = Objects.requireNonNull(userPrincipalName, "userPrincipalName");
    this.password = Objects.requireNonNull(password, "password");
    this.displayName = Objects.requireNonNull(displayName, "displayName");
  }

  public Tenant tenant() {
    return tenant;
  }

  public String userPrincipalName() {
    return userPrincipalName;
  }

  public String objectId() {
    return objectId;
  }

  public String displayName() {
    return displayName;
  }

  public User displayName(String name) {
    this.displayName = Objects.requireNonNull(name, "name");
    return this;
  }

  boolean passwordMatches(String candidate) {
    return password.equals(candidate);
  }

  public User password(String newPassword) {
    this.password = Objects.requireNonNull(newPassword, "newPassword");
    this.passwordExpired = false;
    this.passwordChangedAt = tenant.directory().clock().instant();
    return this;
  }

  /** Whether the password was changed after {@code instant} (which revokes refresh tokens issued before). */
  boolean passwordChangedAfter(java.time.Instant instant) {
    return passwordChangedAt.isAfter(instant);
  }

  public boolean mfaRequired() {
    return mfaRequired;
  }

  /** Conditional access (or per-user MFA) requires a second factor: ROPC fails with AADSTS50076. */
  public User mfaRequired(boolean required) {
    this.mfaRequired = required;
    return this;
  }

  public boolean enabled() {
    return enabled;
  }

  /** "Block sign in": sign-ins fail with AADSTS50057. */
  public User enabled(boolean value) {
    this.enabled = value;
    return this;
  }

  public boolean passwordExpired() {
    return passwordExpired;
  }

  /** The password has expired: sign-ins fail with AADSTS50055. */
  public User passwordExpired(boolean expired) {
    this.passwordExpired = expired;
    return this;
  }

  /**
   * The user's own mailbox (its address is the UPN).
   *
   * @throws IllegalArgumentException for a user added with {@link Tenant#addUserWithoutMailbox}
   */
  public Mailbox mailbox() {
    return tenant.mailbox(userPrincipalName);
  }

  /** Whether the user has a mailbox (false for {@link Tenant#addUserWithoutMailbox}). */
  public boolean hasMailbox() {
    return tenant.findMailbox(userPrincipalName).isPresent();
  }

  /** The user consents to {@code scopes} of {@code resource} for {@code app} (the consent prompt). */
  public User consent(Application app, ApiResource resource, String... scopes) {
    tenant.servicePrincipalOrCreate(app).grantUserConsent(this, resource, java.util.Set.of(scopes));
    return this;
  }

  @Override
  public String toString() {
    return "User[" + userPrincipalName + "]";
  }
}
