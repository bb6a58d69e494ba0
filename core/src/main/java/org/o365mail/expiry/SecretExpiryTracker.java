package org.o365mail.expiry;

import static java.util.Objects.requireNonNull;
import static org.o365mail.internal.Arguments.positive;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.o365mail.MailboxException;
import org.o365mail.auth.AppCredential;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.CertificateCredential;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialListener;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.TokenRequest;
import org.o365mail.internal.SdkThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Knows every client secret and certificate a configuration uses and when each stops working, so an expiring
 * secret is a warning weeks ahead instead of an outage. End dates come from the configuration ({@link
 * ClientSecret#withExpiresAt}), from certificates themselves ({@code notAfter}) and, when the app may read its
 * own registration, from Graph's {@code passwordCredentials}/{@code keyCredentials} (matched by key id, or by
 * the secret's first three characters). Statuses: OK, WARNING (30 days left by default), CRITICAL (7 days),
 * EXPIRED, and UNKNOWN when no end date is known.
 *
 * <p>At run time, hand {@link #credentialListener()} to the credential strategy: an AADSTS7000222 marks the
 * secret expired at once, an AADSTS7000215 is checked against the registered secrets' hints, and a failover to
 * the next secret is recorded, so the report says which credential is in use and which to remove.
 *
 * <p>Status changes go to {@link ExpiryListener}s and to one WARN log line per change. Checks run on demand
 * ({@link #check()}) or on a schedule ({@link #start(Duration)}); time comes from the injected {@link Clock}.
 * Thread-safe.
 */
public final class SecretExpiryTracker implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(SecretExpiryTracker.class);

  private final Clock clock;
  private final Duration warning;
  private final Duration critical;
  private final RegisteredCredentials registered;
  private final Duration registrationRefresh;
  private final List<ExpiryListener> listeners = new CopyOnWriteArrayList<>();
  private final Map<String, Tracked> tracked = new ConcurrentHashMap<>();
  private final Map<String, Registration> registrations = new ConcurrentHashMap<>();
  /** Set while this thread reads a registration: that read may use a tracked credential and fail into us again. */
  private final ThreadLocal<Boolean> readingRegistration = ThreadLocal.withInitial(() -> false);
  private final Map<String, CredentialStatus> lastStatus = new ConcurrentHashMap<>();
  private volatile ExpiryReport lastReport;
  private volatile ScheduledExecutorService scheduler;

  /** What the tracker knows of one configured credential. */
  private static final class Tracked {
    final String label;
    final CredentialType type;
    final String appId;
    final String keyId;
    final String description;
    final String hint;
    final Instant configuredEnd;
    final String thumbprint;
    /** Whether the configured value has the shape of a Secret ID (a GUID): only then can it be one pasted. */
    volatile boolean secretIdShape;
    volatile String rejection;
    volatile boolean inUse;

    Tracked(String label, CredentialType type, String appId, String keyId, String description, String hint,
        Instant configuredEnd, String thumbprint) {
      this.label = label;
      this.type = type;
      this.appId = appId;
      this.keyId = keyId;
      this.description = description;
      this.hint = hint;
      this.configuredEnd = configuredEnd;
      this.thumbprint = thumbprint;
    }
  }

  /** The app registration as read from the directory, or why it could not be. */
  private record Registration(List<RegisteredCredential> credentials, String unavailable, Instant fetchedAt) {}

  private SecretExpiryTracker(Builder b) {
    this.clock = b.clock;
    this.warning = b.warning;
    this.critical = b.critical;
    this.registered = b.registered;
    this.registrationRefresh = b.registrationRefresh;
    this.listeners.addAll(b.listeners);
  }

  public static Builder builder() {
    return new Builder();
  }

  // ----- what to track -----

  /** Tracks a client secret of {@code app}; its end date is the one set with {@link ClientSecret#withExpiresAt}. */
  public SecretExpiryTracker track(AppRegistration app, ClientSecret secret) {
    requireNonNull(app, "app");
    requireNonNull(secret, "secret");
    String label = secret.label();
    Tracked t = new Tracked(label, CredentialType.CLIENT_SECRET, app.clientId(), secret.keyId().orElse(null),
        secret.description().orElse(null), secret.hint(), secret.expiresAt().orElse(null), null);
    t.secretIdShape = secret.looksLikeSecretId();
    tracked.put(key(app.clientId(), label), t);
    return this;
  }

  /** Tracks a certificate of {@code app}; its end date is read from the certificate. */
  public SecretExpiryTracker track(AppRegistration app, CertificateCredential certificate) {
    requireNonNull(app, "app");
    requireNonNull(certificate, "certificate");
    String label = certificate.label();
    tracked.put(key(app.clientId(), label), new Tracked(label, CredentialType.CERTIFICATE, app.clientId(), null,
        certificate.certificate().getSubjectX500Principal().getName(), null, certificate.notAfter(),
        certificate.thumbprint()));
    return this;
  }

  /**
   * Tracks every secret and certificate a client-credentials strategy holds (other strategies hold none; a
   * managed identity has nothing to expire).
   */
  public SecretExpiryTracker track(CredentialStrategy strategy) {
    requireNonNull(strategy, "strategy");
    for (AppCredential c : strategy.appCredentials()) {
      if (c instanceof ClientSecret secret) {
        track(strategy.registration(), secret);
      } else if (c instanceof CertificateCredential certificate) {
        track(strategy.registration(), certificate);
      }
    }
    strategy.appCredentialInUse().ifPresent(c -> {
      Tracked active = tracked.get(key(strategy.registration().clientId(), c.label()));
      if (active != null) {
        active.inUse = true;
      }
    });
    return this;
  }

  public SecretExpiryTracker addListener(ExpiryListener listener) {
    listeners.add(requireNonNull(listener, "listener"));
    return this;
  }

  // ----- run-time events from the strategies -----

  /** The listener to give the credential strategies' builders ({@code .listener(tracker.credentialListener())}). */
  public CredentialListener credentialListener() {
    return new CredentialListener() {
      @Override
      public void tokenAcquired(TokenRequest request, Instant expiresAt, String credential) {
        markWorking(credential);
      }

      @Override
      public void acquisitionFailed(TokenRequest request, MailboxException failure, String credential) {
        failure.serviceErrorCode().ifPresent(code -> reject(credential, code));
      }

      @Override
      public void credentialFailover(String from, String to, MailboxException cause) {
        reject(from, cause == null ? "rejected" : cause.serviceErrorCode().orElse("rejected"));
        markWorking(to);
      }
    };
  }

  private void markWorking(String label) {
    Tracked working = tracked.values().stream().filter(t -> t.label.equals(label)).findFirst().orElse(null);
    if (working == null) {
      return;
    }
    boolean changed = !working.inUse || working.rejection != null;
    working.inUse = true;
    working.rejection = null;
    for (Tracked t : tracked.values()) {
      if (t != working && t.appId.equals(working.appId) && t.inUse) {
        t.inUse = false;
        changed = true;
      }
    }
    if (changed) {
      check();
    }
  }

  private void reject(String label, String code) {
    if (!code.equals("AADSTS7000222") && !code.equals("AADSTS7000215") && !code.equals("AADSTS700027")) {
      return;
    }
    boolean found = false;
    for (Tracked t : tracked.values()) {
      if (t.label.equals(label)) {
        t.rejection = code;
        t.inUse = false;
        found = true;
      }
    }
    if (found) {
      check();
    }
  }

  // ----- checking -----

  /** Computes every status now, fires events for changes, and returns the report. */
  public synchronized ExpiryReport check() {
    Instant now = clock.instant();
    Map<String, List<Tracked>> byApp = new LinkedHashMap<>();
    for (Tracked t : tracked.values()) {
      byApp.computeIfAbsent(t.appId, k -> new ArrayList<>()).add(t);
    }
    List<CredentialStatus> statuses = new ArrayList<>();
    for (Map.Entry<String, List<Tracked>> app : byApp.entrySet()) {
      Registration registration = registration(app.getKey(), now);
      List<RegisteredCredential> unmatched = new ArrayList<>(registration.credentials());
      for (Tracked t : app.getValue()) {
        Optional<RegisteredCredential> match = match(t, registration.credentials());
        match.ifPresent(unmatched::remove);
        statuses.add(evaluate(t, match, registration, now));
      }
      for (RegisteredCredential r : unmatched) {
        statuses.add(evaluateRegisteredOnly(app.getKey(), r, now));
      }
    }
    statuses.sort(Comparator.comparing((CredentialStatus c) -> -c.status().severity())
        .thenComparing(c -> c.expiresAt().orElse(Instant.MAX)));
    ExpiryStatus overall = ExpiryStatus.OK;
    for (CredentialStatus s : statuses) {
      overall = ExpiryStatus.worst(overall, s.status());
    }
    ExpiryReport report = new ExpiryReport(now, statuses, overall);
    publishChanges(statuses);
    lastReport = report;
    return report;
  }

  /** The last report, computing one if none exists yet. */
  public ExpiryReport report() {
    ExpiryReport r = lastReport;
    return r != null ? r : check();
  }

  /** The worst status of the last report: what a health check returns. */
  public ExpiryStatus health() {
    return report().overall();
  }

  /** Checks now and then every {@code interval} on a daemon thread of its own. */
  public synchronized SecretExpiryTracker start(Duration interval) {
    requireNonNull(interval, "interval");
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("interval must be positive, was " + interval);
    }
    if (scheduler != null) {
      throw new IllegalStateException("already started");
    }
    scheduler = Executors.newSingleThreadScheduledExecutor(SdkThreads.factory("secret-expiry"));
    scheduler.scheduleWithFixedDelay(() -> {
      try {
        check();
      } catch (RuntimeException e) {
        logger.warn("Secret expiry check failed; will try again in {}", interval, e);
      }
    }, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  @Override
  public synchronized void close() {
    if (scheduler != null) {
      scheduler.shutdownNow();
      scheduler = null;
    }
  }

  private Registration registration(String appId, Instant now) {
    if (registered == null) {
      return new Registration(List.of(), "no registration source configured", now);
    }
    Registration cached = registrations.get(appId);
    if (cached != null && Duration.between(cached.fetchedAt(), now).compareTo(registrationRefresh) < 0) {
      return cached;
    }
    if (readingRegistration.get()) {
      // the source reads the registration with a credential we track, and that credential just failed
      return new Registration(List.of(), "the app registration is read with the credential that failed", now);
    }
    Registration fresh;
    readingRegistration.set(true);
    try {
      fresh = new Registration(List.copyOf(registered.list(appId)), null, now);
    } catch (RegisteredCredentials.Unavailable e) {
      fresh = new Registration(List.of(), e.getMessage(), now);
    } catch (RuntimeException e) {
      fresh = new Registration(List.of(), "reading the app registration failed (" + e.getClass().getSimpleName() + ")", now);
    } finally {
      readingRegistration.remove();
    }
    registrations.put(appId, fresh);
    return fresh;
  }

  private static Optional<RegisteredCredential> match(Tracked t, List<RegisteredCredential> candidates) {
    for (RegisteredCredential r : candidates) {
      if (r.type() == t.type && t.keyId != null && r.keyId().equalsIgnoreCase(t.keyId)) {
        return Optional.of(r);
      }
    }
    for (RegisteredCredential r : candidates) {
      if (r.type() != t.type || r.hint().isEmpty()) {
        continue;
      }
      String hint = r.hint().get();
      if (t.type == CredentialType.CLIENT_SECRET && t.hint != null && hint.equals(t.hint)) {
        return Optional.of(r);
      }
      if (t.type == CredentialType.CERTIFICATE && t.thumbprint != null && hint.equalsIgnoreCase(t.thumbprint)) {
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }

  private CredentialStatus evaluate(Tracked t, Optional<RegisteredCredential> match, Registration registration, Instant now) {
    Instant end = match.map(RegisteredCredential::endDateTime).orElse(t.configuredEnd);
    String source = match.isPresent() ? "app registration"
        : t.configuredEnd != null ? (t.type == CredentialType.CERTIFICATE ? "certificate" : "configuration") : "unknown";
    Duration remaining = end == null ? null : Duration.between(now, end);
    ExpiryStatus status;
    String advice;
    String what = t.type == CredentialType.CLIENT_SECRET ? "client secret" : "certificate";
    if ("AADSTS7000222".equals(t.rejection)) {
      status = ExpiryStatus.EXPIRED;
      advice = "Entra ID says this " + what + " has expired: create a new one under Certificates & secrets, configure"
          + " it, then delete this one from the app registration.";
    } else if ("AADSTS7000215".equals(t.rejection)) {
      // the value is wrong, whatever the end date of a registered secret it may share its first characters with:
      // "EXPIRED (179 days left)" sent people to rotate a secret that was fine
      status = ExpiryStatus.INVALID;
      end = null;
      remaining = null;
      source = "rejected by Entra ID";
      boolean hintKnown = !registration.credentials().isEmpty();
      boolean hintMatches = match.isPresent();
      // only a GUID can be a Secret ID pasted instead of the value; any other value is mistyped, another app's,
      // or a deleted secret's
      if (t.secretIdShape) {
        advice = "The configured value is a Secret ID (a GUID), not a secret's Value (was the secret ID pasted instead"
            + " of its value?). Copy the Value of a current secret, or create a new one.";
      } else if (hintKnown && !hintMatches) {
        advice = "The configured value is not a current secret of this app (mistyped, another app's, or deleted)."
            + " Copy the Value of a current secret, or create a new one.";
      } else {
        advice = "Entra ID rejected this client secret (AADSTS7000215): copy the Value of a current secret of this"
            + " app again (it is shown only when created), or create a new one.";
      }
    } else if ("AADSTS700027".equals(t.rejection)) {
      status = ExpiryStatus.EXPIRED;
      advice = "Entra ID rejected this certificate: upload it under Certificates & secrets or renew it.";
    } else if (end == null) {
      status = ExpiryStatus.UNKNOWN;
      advice = "No end date is known for this " + what + ": record it (ClientSecret.withExpiresAt) or let the app read"
          + " its registration (" + (registration.unavailable() == null ? "no matching registered credential"
          : registration.unavailable()) + ").";
    } else {
      status = statusFor(remaining);
      advice = adviceFor(status, what, end);
    }
    if (status != ExpiryStatus.OK && t.rejection == null && !t.inUse && anyOtherInUse(t)) {
      advice += " Another credential of this app is in use; remove this one when it is no longer needed.";
    }
    return new CredentialStatus(t.label, t.type, t.appId, match.map(RegisteredCredential::keyId).orElse(t.keyId),
        t.description != null ? t.description : match.map(RegisteredCredential::displayName).orElse(null), end, remaining,
        status, source, true, t.inUse, advice);
  }

  private boolean anyOtherInUse(Tracked t) {
    return tracked.values().stream().anyMatch(o -> o != t && o.appId.equals(t.appId) && o.inUse);
  }

  private CredentialStatus evaluateRegisteredOnly(String appId, RegisteredCredential r, Instant now) {
    Duration remaining = Duration.between(now, r.endDateTime());
    ExpiryStatus status = statusFor(remaining);
    String what = r.type() == CredentialType.CLIENT_SECRET ? "client secret" : "certificate";
    String label = r.type() == CredentialType.CLIENT_SECRET
        ? "client secret " + r.hint().map(h -> h + "...").orElse("") + " (" + r.keyId() + ")"
        : "certificate " + r.hint().orElse(r.keyId());
    String advice = status == ExpiryStatus.EXPIRED
        ? "This expired " + what + " is still listed on the app registration; delete it there."
        : "This " + what + " is registered on the app but not used by this configuration" + (status == ExpiryStatus.OK
            ? "." : "; " + adviceFor(status, what, r.endDateTime()));
    return new CredentialStatus(label, r.type(), appId, r.keyId(), r.displayName(), r.endDateTime(), remaining,
        status, "app registration", false, false, advice);
  }

  private ExpiryStatus statusFor(Duration remaining) {
    if (remaining.isNegative() || remaining.isZero()) {
      return ExpiryStatus.EXPIRED;
    }
    if (remaining.compareTo(critical) < 0) {
      return ExpiryStatus.CRITICAL;
    }
    if (remaining.compareTo(warning) < 0) {
      return ExpiryStatus.WARNING;
    }
    return ExpiryStatus.OK;
  }

  private static String adviceFor(ExpiryStatus status, String what, Instant end) {
    return switch (status) {
      case OK -> "Nothing to do.";
      case WARNING, CRITICAL -> "Create a new " + what + " (Certificates & secrets), add it to the configuration next to"
          + " this one, and remove this one after " + end + ".";
      case EXPIRED -> "This " + what + " expired at " + end + ": create a new one and configure it.";
      case UNKNOWN -> "No end date known.";
      case INVALID -> "Entra ID rejected this " + what + ": configure a current one.";
    };
  }

  private void publishChanges(List<CredentialStatus> statuses) {
    for (CredentialStatus current : statuses) {
      String k = key(current.appId(), current.label());
      CredentialStatus previous = lastStatus.put(k, current);
      if (current.sameAs(previous)) {
        continue;
      }
      if (previous == null ? current.status() != ExpiryStatus.OK : previous.status() != current.status()) {
        logChange(previous, current);
      }
      for (ExpiryListener l : listeners) {
        try {
          l.statusChanged(previous, current);
        } catch (RuntimeException e) {
          logger.warn("An expiry listener threw; ignored", e);
        }
      }
    }
  }

  private static void logChange(CredentialStatus previous, CredentialStatus current) {
    if (current.status() == ExpiryStatus.OK) {
      logger.info("{} of app {} is OK again (was {})", current.label(), current.appId(),
          previous == null ? "untracked" : previous.status());
      return;
    }
    logger.warn("{} of app {} is {}{}: {}", current.label(), current.appId(),
        current.status().name().toLowerCase(Locale.ROOT),
        current.daysLeft().map(d -> d >= 0 ? " (" + d + " days left, ends " + current.expiresAt().orElseThrow() + ")"
            : " (ended " + current.expiresAt().orElseThrow() + ")").orElse(""),
        current.advice());
  }

  private static String key(String appId, String label) {
    return appId + "|" + label;
  }

  /** Builds a {@link SecretExpiryTracker}. */
  public static final class Builder {
    private Clock clock = Clock.systemUTC();
    private Duration warning = Duration.ofDays(30);
    private Duration critical = Duration.ofDays(7);
    private RegisteredCredentials registered;
    private Duration registrationRefresh = Duration.ofHours(6);
    private final List<ExpiryListener> listeners = new ArrayList<>();

    private Builder() {}

    public Builder clock(Clock value) {
      this.clock = requireNonNull(value, "clock");
      return this;
    }

    /** Less time left than this is WARNING (default 30 days). */
    public Builder warningThreshold(Duration value) {
      this.warning = positive(value, "warningThreshold");
      return this;
    }

    /** Less time left than this is CRITICAL (default 7 days). */
    public Builder criticalThreshold(Duration value) {
      this.critical = positive(value, "criticalThreshold");
      return this;
    }

    /** Where registered end dates come from (the Graph adapter's {@code GraphRegisteredCredentials}). */
    public Builder registeredCredentials(RegisteredCredentials value) {
      this.registered = requireNonNull(value, "registeredCredentials");
      return this;
    }

    /** How long a read registration is reused (default 6 hours; Graph throttles keyCredentials reads). */
    public Builder registrationRefresh(Duration value) {
      this.registrationRefresh = positive(value, "registrationRefresh");
      return this;
    }

    public Builder listener(ExpiryListener listener) {
      listeners.add(requireNonNull(listener, "listener"));
      return this;
    }

    public SecretExpiryTracker build() {
      if (critical.compareTo(warning) > 0) {
        throw new IllegalStateException("criticalThreshold (" + critical + ") must not exceed warningThreshold ("
            + warning + ")");
      }
      return new SecretExpiryTracker(this);
    }
  }
}
