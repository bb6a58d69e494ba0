package org.o365mail.micrometer;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.o365mail.MailboxConnector;
import org.o365mail.MailboxException;
import org.o365mail.auth.CredentialListener;
import org.o365mail.auth.TokenRequest;
import org.o365mail.expiry.CredentialStatus;
import org.o365mail.expiry.ExpiryListener;
import org.o365mail.expiry.SecretExpiryTracker;
import org.o365mail.importer.DeadLetter;
import org.o365mail.importer.HealthState;
import org.o365mail.importer.ImportListener;
import org.o365mail.importer.IncomingMessage;
import org.o365mail.importer.MailImporter;
import org.o365mail.importer.MailboxHealth;

/**
 * The SDK's meters on a Micrometer {@link MeterRegistry}. Bind it once ({@link #bindTo}), then hand its pieces to
 * what they measure: {@link #importListener(String)} (or {@link #bind(MailImporter)}) to each importer, {@link
 * #credentialListener()} to each credential strategy's settings, {@link #timed(MailboxConnector)} around each
 * connector, and {@link #track(SecretExpiryTracker)} for the secrets. Events before {@link #bindTo} are not counted
 * (the health gauges still see them).
 *
 * <p>Names are dot-separated lower case under {@code o365mail.}, times in seconds, tag values lower case:
 * <ul>
 *   <li>{@code o365mail.import.messages} (counter): messages the handler accepted, their checkpoint written;
 *   <li>{@code o365mail.import.handler.failures} (counter, tag {@code exception}: the failure's simple class name):
 *       calls of the handler that failed, each attempt counted;
 *   <li>{@code o365mail.import.parked} (counter): messages parked after their last attempt;
 *   <li>{@code o365mail.import.health.changes} (counter, tag {@code state}): moves of a mailbox into a state;
 *   <li>{@code o365mail.import.mailboxes} (gauge, tag {@code state}, one per {@link MailboxHealth} but {@code
 *       stopped}): importers now in that state; alert on {@code state} not {@code healthy};
 *   <li>{@code o365mail.import.throttled} (counter): throttled passes, each a "come back later" of the service;
 *   <li>{@code o365mail.import.throttle.wait} (timer): how long the service asked to wait, when it said;
 *   <li>{@code o365mail.token.requests} (counter, tags {@code resource}, {@code outcome} {@code success} or {@code
 *       failure}, {@code setup.step}: the failure's diagnosed {@link org.o365mail.SetupStep} or {@code none}, and
 *       {@code credential}): tokens acquired from Entra ID (not served from a cache) and failed acquisitions;
 *   <li>{@code o365mail.credential.failovers} (counter, tags {@code from}, {@code to}): moves to the next secret;
 *   <li>{@code o365mail.connector.requests} (timer, tags {@code protocol}, {@code operation}, {@code outcome}
 *       {@code success} or {@code error}, {@code exception}): each call of a {@link #timed} connector;
 *   <li>{@code o365mail.secret.remaining} (time gauge, tags {@code app}: the client id, {@code credential}): time
 *       until a secret or certificate expires, negative once it has, NaN when its end date is unknown.
 * </ul>
 * The import and connector meters also carry a {@code mailbox} tag unless {@link MailboxTagging#NONE} (the
 * default). A {@code credential} tag holds only what is not secret: the kind ({@code client_secret}, {@code
 * certificate}, {@code password}, {@code device_code}, {@code interactive}, {@code other}) and, for a secret, its
 * Secret ID (a GUID) or, for a certificate, its thumbprint; never the secret's first characters, never a user name.
 *
 * <p><b>Closed importers.</b> When an importer stops, it leaves the {@code o365mail.import.mailboxes} gauge; with a
 * mailbox tag its import meters are removed from the registry too, and a timed connector's meters when it is closed
 * (a mailbox handed to another instance leaves no series behind here; a later import of it starts its counters at
 * zero, which rate functions read as a reset).
 * Without a mailbox tag the meters are shared by every mailbox and stay. {@link #close()} removes every meter this
 * binder registered.
 *
 * <p>Thread-safe: listeners and connectors may be called from any thread.
 */
public final class O365MailMetrics implements MeterBinder, AutoCloseable {
  private static final Pattern GUID =
      Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  private static final Pattern SECRET_ID = Pattern.compile("\\((" + GUID.pattern() + ")\\)$");
  private static final Map<String, String> DESCRIPTIONS = Map.of(
      "o365mail.import.messages", "Messages the handler accepted, their checkpoint written",
      "o365mail.import.parked", "Messages parked after the handler refused them on every attempt",
      "o365mail.import.throttled", "Passes the service throttled");
  private static final Pattern THUMBPRINT = Pattern.compile("[0-9a-fA-F]{40}|[0-9a-fA-F]{64}");

  private final MailboxTagging tagging;
  private final Tags commonTags;
  private final Clock clock;
  private volatile MeterRegistry registry;
  /** Raised by {@link #close()}: counters cached before it were removed from the registry. */
  private volatile int generation;
  /** Each importer listener's current health, for the mailboxes gauge. */
  private final Map<Object, MailboxHealth> states = new ConcurrentHashMap<>();
  /** Every meter registered, for {@link #close()}. */
  private final Set<Meter.Id> registered = ConcurrentHashMap.newKeySet();
  private final Set<SecretExpiryTracker> trackers = ConcurrentHashMap.newKeySet();

  private O365MailMetrics(Builder b) {
    this.tagging = b.tagging;
    this.commonTags = b.tags;
    this.clock = b.clock;
  }

  /** Metrics with no mailbox tag, no extra tags and the system clock. */
  public static O365MailMetrics create() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Registers the meters that exist from the start (the mailboxes gauges and the secrets' gauges) and keeps {@code
   * registry} for the meters made as events come.
   *
   * @throws IllegalStateException if bound to another registry already (bind a {@code CompositeMeterRegistry} to
   *     reach several)
   */
  @Override
  public void bindTo(MeterRegistry registry) {
    requireNonNull(registry, "registry");
    synchronized (this) {
      if (this.registry != null && this.registry != registry) {
        throw new IllegalStateException("already bound to another registry; bind a CompositeMeterRegistry to reach"
            + " several");
      }
      this.registry = registry;
    }
    for (MailboxHealth state : MailboxHealth.values()) {
      if (state != MailboxHealth.STOPPED) {
        remember(Gauge.builder("o365mail.import.mailboxes", this, m -> m.count(state))
            .description("Importers now in this health state").baseUnit("mailboxes")
            .tags(commonTags).tag("state", lower(state.name())).strongReference(true).register(registry));
      }
    }
    for (SecretExpiryTracker tracker : trackers) {
      registerSecrets(tracker);
    }
  }

  /**
   * A listener for the importer of {@code mailbox}: give it to {@link MailImporter.Builder#listener}, one per
   * importer (with {@code ImportCoordinator}, in its importers function). From now until its importer stops it
   * counts in the {@code o365mail.import.mailboxes} gauge, first as healthy (where an importer starts).
   */
  public ImportListener importListener(String mailbox) {
    return new MailboxListener(requireNonNull(mailbox, "mailbox"));
  }

  /** Adds {@link #importListener(String) a listener} to a built importer. */
  public MailImporter bind(MailImporter importer) {
    importer.addListener(importListener(importer.mailbox()));
    return importer;
  }

  /** A listener for a credential strategy's settings: token requests, failures by setup step, failovers. */
  public CredentialListener credentialListener() {
    return new TokenListener(CredentialListener.NONE);
  }

  /**
   * A listener that counts as {@link #credentialListener()} and then hands each event to {@code next} (a strategy
   * takes one listener: pass the secret-expiry tracker's here). {@code next} hears every event even when counting
   * fails.
   */
  public CredentialListener credentialListener(CredentialListener next) {
    return new TokenListener(requireNonNull(next, "next"));
  }

  /**
   * {@code connector} with each call timed as {@code o365mail.connector.requests}. Streams it returns (MIME,
   * attachments) are timed until they are returned, not while they are read; waiting for changes is not timed.
   */
  public MailboxConnector timed(MailboxConnector connector) {
    return new TimedConnector(requireNonNull(connector, "connector"), this);
  }

  /**
   * Gauges of the time left until each credential of {@code tracker} expires, read from its last report at each
   * scrape; credentials the tracker finds later get theirs when it first reports them.
   */
  public O365MailMetrics track(SecretExpiryTracker tracker) {
    requireNonNull(tracker, "tracker");
    if (trackers.add(tracker)) {
      tracker.addListener(new SecretListener(tracker));
      if (registry != null) {
        registerSecrets(tracker);
      }
    }
    return this;
  }

  /** Removes every meter this binder registered; the listeners and connectors it handed out count no more. */
  @Override
  public void close() {
    MeterRegistry r;
    synchronized (this) {
      r = registry;
      registry = null;
      generation++;
    }
    if (r != null) {
      for (Meter.Id id : registered) {
        r.remove(id);
      }
    }
    registered.clear();
  }

  // ----- meters -----

  private long count(MailboxHealth state) {
    return states.values().stream().filter(s -> s == state).count();
  }

  private <M extends Meter> M remember(M meter) {
    registered.add(meter.getId());
    return meter;
  }

  /** The mailbox tag for {@code mailbox}: none, its hash or its address. */
  Tags mailboxTags(String mailbox) {
    return switch (tagging) {
      case NONE -> Tags.empty();
      case HASHED -> Tags.of("mailbox", hash(mailbox));
      case ADDRESS -> Tags.of("mailbox", mailbox.toLowerCase(Locale.ROOT));
    };
  }

  private static String hash(String mailbox) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(mailbox.toLowerCase(Locale.ROOT)
          .getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  private void increment(String name, String description, Tags tags) {
    MeterRegistry r = registry;
    if (r != null) {
      remember(Counter.builder(name).description(description).tags(commonTags).tags(tags).register(r)).increment();
    }
  }

  /**
   * Records one call of a timed connector; nothing when not bound.
   *
   * @param connectorTags the connector's protocol and mailbox tags
   */
  void recordRequest(Tags connectorTags, String operation, long nanos, Throwable failure) {
    MeterRegistry r = registry;
    if (r == null) {
      return;
    }
    Tags tags = Tags.of(Tag.of("operation", operation), Tag.of("outcome", failure == null ? "success" : "error"),
        Tag.of("exception", failure == null ? "none" : exceptionName(failure)));
    remember(Timer.builder("o365mail.connector.requests").description("Calls of a mailbox connector")
        .tags(commonTags).tags(connectorTags).tags(tags).register(r))
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  /** A failure's simple class name; the full one for a class without (anonymous, local). */
  static String exceptionName(Throwable failure) {
    String simple = failure.getClass().getSimpleName();
    return simple.isEmpty() ? failure.getClass().getName() : simple;
  }

  /** Whether calls are being measured now (bound and not closed). */
  boolean bound() {
    return registry != null;
  }

  MeterRegistry registry() {
    return registry;
  }

  /** Removes the meters whose name starts with {@code prefix} tagged with {@code mailbox}'s tag, when there is one. */
  void removeMailboxMeters(String prefix, String mailbox) {
    MeterRegistry r = registry;
    if (r == null || tagging == MailboxTagging.NONE) {
      return;
    }
    Tag tag = mailboxTags(mailbox).stream().findFirst().orElseThrow();
    for (Meter m : r.getMeters()) {
      Meter.Id id = m.getId();
      if (id.getName().startsWith(prefix) && registered.contains(id) && id.getTags().contains(tag)) {
        r.remove(id);
        registered.remove(id);
      }
    }
  }

  // ----- secrets -----

  private void registerSecrets(SecretExpiryTracker tracker) {
    for (CredentialStatus c : tracker.report().credentials()) {
      registerSecret(tracker, c);
    }
  }

  private void registerSecret(SecretExpiryTracker tracker, CredentialStatus status) {
    MeterRegistry r = registry;
    if (r == null) {
      return;
    }
    String appId = status.appId();
    String label = status.label();
    remember(TimeGauge.builder("o365mail.secret.remaining", tracker, TimeUnit.SECONDS,
            t -> secondsLeft(t, appId, label))
        .description("Time until the secret or certificate expires; negative once it has")
        .tags(commonTags).tag("app", appId).tag("credential", credentialTag(label, status.keyId().orElse(null)))
        .strongReference(true).register(r));
  }

  private double secondsLeft(SecretExpiryTracker tracker, String appId, String label) {
    Optional<Instant> end = tracker.report().credentials().stream()
        .filter(c -> c.appId().equals(appId) && c.label().equals(label)).findFirst()
        .flatMap(CredentialStatus::expiresAt);
    return end.map(e -> Duration.between(clock.instant(), e).toMillis() / 1000.0).orElse(Double.NaN);
  }

  /**
   * What a {@code credential} tag may show of a credential's label: its kind, and the Secret ID or thumbprint when
   * the label has one of that shape. Never the secret's hint, never a user name.
   */
  static String credentialTag(String label, String keyId) {
    if (label == null) {
      return "other";
    }
    if (label.startsWith("client secret")) {
      if (keyId != null && GUID.matcher(keyId).matches()) {
        return "client_secret:" + keyId.toLowerCase(Locale.ROOT);
      }
      Matcher m = SECRET_ID.matcher(label);
      return m.find() ? "client_secret:" + m.group(1).toLowerCase(Locale.ROOT) : "client_secret";
    }
    if (label.startsWith("certificate ")) {
      String rest = label.substring("certificate ".length()).trim();
      return THUMBPRINT.matcher(rest).matches() || GUID.matcher(rest).matches()
          ? "certificate:" + rest.toLowerCase(Locale.ROOT) : "certificate";
    }
    if (label.startsWith("password of")) {
      return "password";
    }
    if (label.startsWith("device-code")) {
      return "device_code";
    }
    if (label.startsWith("interactive")) {
      return "interactive";
    }
    return "other";
  }

  private static String lower(String s) {
    return s.toLowerCase(Locale.ROOT);
  }

  /** A counter as registered in one registry: found again only while that registry is the bound one. */
  private record Cached(MeterRegistry registry, int generation, Counter counter) {}

  /** One importer's events. */
  private final class MailboxListener implements ImportListener {
    private final String mailbox;
    private final Tags tags;
    /** The counters of every message, by name: no registry lookup per message. */
    private final Map<String, Cached> counters = new ConcurrentHashMap<>();

    MailboxListener(String mailbox) {
      this.mailbox = mailbox;
      this.tags = mailboxTags(mailbox);
      states.put(this, MailboxHealth.HEALTHY); // where every importer starts
      MeterRegistry r = registry;
      if (r != null) {
        // present at zero from the start, so that a rate or an alert on them has a series before the first event
        for (String name : new String[] {"o365mail.import.messages", "o365mail.import.parked",
            "o365mail.import.throttled"}) {
          remember(Counter.builder(name).description(DESCRIPTIONS.get(name)).tags(commonTags).tags(tags).register(r));
        }
      }
    }

    /** Counts one under {@code name} with this mailbox's tags, through the cached counter while it is current. */
    private void incrementCached(String name) {
      MeterRegistry r = registry;
      if (r == null) {
        return;
      }
      Cached c = counters.get(name);
      if (c == null || c.registry() != r || c.generation() != generation) {
        c = new Cached(r, generation, remember(Counter.builder(name).description(DESCRIPTIONS.get(name)).tags(commonTags)
            .tags(tags).register(r)));
        counters.put(name, c);
      }
      c.counter().increment();
    }

    @Override
    public void imported(IncomingMessage message) {
      incrementCached("o365mail.import.messages");
    }

    @Override
    public void handlerFailed(IncomingMessage message, Throwable failure) {
      increment("o365mail.import.handler.failures", "Calls of the message handler that failed",
          tags.and("exception", exceptionName(failure)));
    }

    @Override
    public void parked(DeadLetter letter) {
      incrementCached("o365mail.import.parked");
    }

    @Override
    public void healthChanged(HealthState previous, HealthState current) {
      MailboxHealth now = current.health();
      if (now == MailboxHealth.STOPPED) {
        states.remove(this);
        removeMailboxMeters("o365mail.import.", mailbox);
        return;
      }
      states.put(this, now);
      if (previous.health() != now) {
        increment("o365mail.import.health.changes", "Moves of a mailbox's import into a health state",
            tags.and("state", lower(now.name())));
      }
      if (now == MailboxHealth.THROTTLED) {
        incrementCached("o365mail.import.throttled");
        MeterRegistry r = registry;
        if (r != null && current.retryAt().isPresent()) {
          Duration wait = Duration.between(clock.instant(), current.retryAt().get());
          remember(Timer.builder("o365mail.import.throttle.wait").description("How long the service asked to wait")
              .tags(commonTags).tags(tags).register(r)).record(wait.isNegative() ? Duration.ZERO : wait);
        }
      }
    }
  }

  /** A strategy's events. */
  private final class TokenListener implements CredentialListener {
    private final CredentialListener next;

    TokenListener(CredentialListener next) {
      this.next = next;
    }

    @Override
    public void tokenAcquired(TokenRequest request, Instant expiresAt, String credential) {
      try {
        count(request, "success", "none", credential);
      } finally {
        next.tokenAcquired(request, expiresAt, credential);
      }
    }

    @Override
    public void acquisitionFailed(TokenRequest request, MailboxException failure, String credential) {
      try {
        count(request, "failure", failure.diagnosis().map(d -> lower(d.setupStep().name())).orElse("unknown"),
            credential);
      } finally {
        next.acquisitionFailed(request, failure, credential);
      }
    }

    @Override
    public void credentialFailover(String from, String to, MailboxException cause) {
      try {
        increment("o365mail.credential.failovers", "Moves from one configured credential to the next",
            Tags.of("from", credentialTag(from, null), "to", credentialTag(to, null)));
      } finally {
        next.credentialFailover(from, to, cause);
      }
    }

    private void count(TokenRequest request, String outcome, String step, String credential) {
      increment("o365mail.token.requests", "Token requests to Entra ID", Tags.of(
          Tag.of("resource", lower(request.resource().name())), Tag.of("outcome", outcome),
          Tag.of("setup.step", step), Tag.of("credential", credentialTag(credential, null))));
    }
  }

  /** Registers the gauge of a credential the tracker reports for the first time. */
  private final class SecretListener implements ExpiryListener {
    private final SecretExpiryTracker tracker;

    SecretListener(SecretExpiryTracker tracker) {
      this.tracker = tracker;
    }

    @Override
    public void statusChanged(CredentialStatus previous, CredentialStatus current) {
      if (previous == null) {
        registerSecret(tracker, current);
      }
    }
  }

  /** Builds {@link O365MailMetrics}. */
  public static final class Builder {
    private MailboxTagging tagging = MailboxTagging.NONE;
    private Tags tags = Tags.empty();
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /** Whether per-mailbox meters carry a {@code mailbox} tag (default {@link MailboxTagging#NONE}). */
    public Builder mailboxTag(MailboxTagging value) {
      this.tagging = requireNonNull(value, "mailboxTag");
      return this;
    }

    /** Tags on every meter (for example the application's instance). */
    public Builder tags(Iterable<Tag> value) {
      this.tags = this.tags.and(requireNonNull(value, "tags"));
      return this;
    }

    /** The clock for the secrets' time left and the throttling waits (default the system clock). */
    public Builder clock(Clock value) {
      this.clock = requireNonNull(value, "clock");
      return this;
    }

    public O365MailMetrics build() {
      return new O365MailMetrics(this);
    }
  }
}
