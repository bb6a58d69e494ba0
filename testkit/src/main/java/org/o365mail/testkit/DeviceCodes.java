package org.o365mail.testkit;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The device-code sign-ins of the local tenant. A test plays the user at {@code https://microsoft.com/devicelogin}:
 * it waits for the code the application shows, then approves or declines it. The same can be done over HTTPS
 * at {@code /devicelogin} on the identity endpoint. Thread-safe.
 */
public final class DeviceCodes {
  /** Where a device-code sign-in stands. */
  public enum State {
    PENDING,
    APPROVED,
    DECLINED,
    /** Approved and redeemed for tokens. */
    REDEEMED
  }

  /**
   * A device-code sign-in as the identity endpoint sees it.
   *
   * @param userCode the code the user types on the device login page
   * @param clientId the app that asked
   * @param tenant the tenant segment of the request ({@code organizations}, a domain or an id)
   * @param scope the scopes asked for
   * @param issuedAt when the code was issued
   * @param expiresAt when it expires (15 minutes after issue)
   * @param state where it stands
   */
  public record Session(
      String userCode, String clientId, String tenant, String scope, Instant issuedAt, Instant expiresAt, State state) {}

  static final class Grant {
    final String deviceCode;
    final String userCode;
    final Application app;
    final String tenantSegment;
    final String scope;
    final Instant issuedAt;
    final Instant expiresAt;
    volatile Duration interval;
    volatile Instant lastPoll;
    volatile State state = State.PENDING;
    volatile User user;
    volatile Tenant userTenant;
    volatile String declineCode;

    Grant(String deviceCode, String userCode, Application app, String tenantSegment, String scope,
        Instant issuedAt, Instant expiresAt, Duration interval) {
      this.deviceCode = deviceCode;
      this.userCode = userCode;
      this.app = app;
      this.tenantSegment = tenantSegment;
      this.scope = scope;
      this.issuedAt = issuedAt;
      this.expiresAt = expiresAt;
      this.interval = interval;
    }

    Session session() {
      return new Session(userCode, app.clientId(), tenantSegment, scope, issuedAt, expiresAt, state);
    }
  }

  private final Directory directory;
  private final Map<String, Grant> byDeviceCode = new ConcurrentHashMap<>();
  private final Map<String, Grant> byUserCode = new ConcurrentHashMap<>();
  private volatile Duration interval = Duration.ofSeconds(1);
  private volatile boolean slowDownWhenPolledEarly = true;
  private final java.util.concurrent.atomic.AtomicInteger forcedSlowDowns = new java.util.concurrent.atomic.AtomicInteger();

  DeviceCodes(Directory directory) {
    this.directory = directory;
  }

  /** The polling interval handed to clients (default 1 s here; Entra says 5 s). */
  public DeviceCodes interval(Duration value) {
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException("interval must be positive, was " + value);
    }
    this.interval = value;
    return this;
  }

  public Duration interval() {
    return interval;
  }

  /**
   * Whether a poll that comes sooner than the interval gets {@code slow_down} (RFC 8628; on by default).
   * Entra does not document it, but clients must handle it.
   */
  public DeviceCodes slowDownWhenPolledEarly(boolean value) {
    this.slowDownWhenPolledEarly = value;
    return this;
  }

  boolean slowDownWhenPolledEarly() {
    return slowDownWhenPolledEarly;
  }

  /** Answers the next {@code polls} polls of pending codes with {@code slow_down}, however late they come. */
  public DeviceCodes forceSlowDown(int polls) {
    if (polls < 0) {
      throw new IllegalArgumentException("polls must not be negative, was " + polls);
    }
    forcedSlowDowns.set(polls);
    return this;
  }

  boolean takeForcedSlowDown() {
    return forcedSlowDowns.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0;
  }

  Grant issue(Application app, String tenantSegment, String scope) {
    Instant now = directory.clock().instant();
    String deviceCode = "DAQABAAEAAA" + Application.randomToken(96);
    String userCode;
    do {
      userCode = randomUserCode();
    } while (byUserCode.containsKey(userCode));
    Grant grant =
        new Grant(deviceCode, userCode, app, tenantSegment, scope, now, now.plus(Duration.ofMinutes(15)), interval);
    byDeviceCode.put(deviceCode, grant);
    byUserCode.put(userCode, grant);
    synchronized (this) {
      notifyAll();
    }
    return grant;
  }

  private static String randomUserCode() {
    String letters = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    StringBuilder sb = new StringBuilder(9);
    String random = Application.randomToken(16);
    for (int i = 0; i < 9; i++) {
      sb.append(letters.charAt(Math.floorMod(random.charAt(i), letters.length())));
    }
    return sb.toString();
  }

  Optional<Grant> byDeviceCode(String deviceCode) {
    return Optional.ofNullable(byDeviceCode.get(deviceCode));
  }

  /** Every sign-in issued so far. */
  public List<Session> sessions() {
    return byUserCode.values().stream().map(Grant::session).toList();
  }

  public List<Session> pending() {
    return byUserCode.values().stream().filter(g -> g.state == State.PENDING).map(Grant::session).toList();
  }

  public Optional<Session> session(String userCode) {
    return Optional.ofNullable(byUserCode.get(userCode)).map(Grant::session);
  }

  /** Waits (real time) until a pending code exists and returns the newest one. */
  public Session awaitPending(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (this) {
      while (true) {
        Optional<Session> newest =
            pending().stream().max((a, b) -> a.issuedAt().compareTo(b.issuedAt()));
        if (newest.isPresent()) {
          return newest.get();
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new IllegalStateException("no device code was requested within " + timeout);
        }
        wait(Math.max(1, left / 1_000_000));
      }
    }
  }

  /**
   * The user enters the code, signs in and accepts the consent prompt if one is shown. A wrong password or
   * a blocked account raises {@link IllegalArgumentException} and leaves the code pending, as the page would.
   */
  public void approve(String userCode, String userPrincipalName, String password) {
    approve(userCode, userPrincipalName, password, true);
  }

  /**
   * Like {@link #approve(String, String, String)}; with {@code consent} false, a missing consent ends the
   * sign-in (the user cancelled the consent prompt).
   */
  public void approve(String userCode, String userPrincipalName, String password, boolean consent) {
    Grant grant = requirePending(userCode);
    Tenant tenant =
        directory
            .tenantOfUser(userPrincipalName)
            .orElseThrow(() -> new IllegalArgumentException("AADSTS50034: no tenant has user " + userPrincipalName));
    User user =
        tenant
            .findUser(userPrincipalName)
            .orElseThrow(() -> new IllegalArgumentException("AADSTS50034: no user " + userPrincipalName));
    if (!user.passwordMatches(password)) {
      throw new IllegalArgumentException("AADSTS50126: wrong password for " + userPrincipalName);
    }
    if (!user.enabled()) {
      throw new IllegalArgumentException("AADSTS50057: account " + userPrincipalName + " is disabled");
    }
    Optional<String> missing = IdentityRules.missingConsent(tenant, grant.app, user, grant.scope);
    if (missing.isPresent()) {
      if (consent && IdentityRules.userMayConsent(missing.get())) {
        IdentityRules.grantUserConsent(tenant, grant.app, user, grant.scope);
      } else {
        grant.user = user;
        grant.userTenant = tenant;
        grant.declineCode = "65001";
        grant.state = State.DECLINED;
        return;
      }
    }
    grant.user = user;
    grant.userTenant = tenant;
    grant.state = State.APPROVED;
  }

  /** The user declines the sign-in on the device login page. */
  public void decline(String userCode) {
    Grant grant = requirePending(userCode);
    grant.state = State.DECLINED;
  }

  private Grant requirePending(String userCode) {
    Grant grant = byUserCode.get(userCode == null ? "" : userCode.trim().toUpperCase(java.util.Locale.ROOT));
    if (grant == null) {
      throw new IllegalArgumentException("AADSTS70018: no device code with user code " + userCode);
    }
    if (directory.clock().instant().isAfter(grant.expiresAt)) {
      throw new IllegalArgumentException("AADSTS70019: the code " + userCode + " has expired");
    }
    if (grant.state != State.PENDING) {
      throw new IllegalArgumentException("AADSTS90120: the code " + userCode + " was already " + grant.state);
    }
    return grant;
  }

  static Set<State> finished() {
    return Set.of(State.DECLINED, State.REDEEMED);
  }
}
