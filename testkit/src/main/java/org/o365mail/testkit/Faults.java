package org.o365mail.testkit;

import java.time.Duration;
import java.util.Objects;
import java.util.Random;

/**
 * Fault knobs of the local tenant, for tests and benchmarks. All random decisions come from one generator
 * seeded by {@link LocalTenant.Builder#seed(long)}, so a run with the same seed and the same order of
 * requests sees the same faults. Settings take effect for the next request; {@link #reset()} turns every
 * knob off again. Thread-safe.
 */
public final class Faults {
  private final long seed;
  private final Random random;
  private final TestClock clock;

  private volatile Duration identityLatency = Duration.ZERO;
  private volatile Duration graphLatency = Duration.ZERO;
  private volatile Duration graphProcessingTime = Duration.ZERO;
  private volatile Duration imapLatency = Duration.ZERO;
  private volatile double tokenEndpointUnavailableRate;
  private volatile double graphThrottleRate;
  private volatile double graphUnavailableRate;
  private volatile Duration graphRetryAfter = Duration.ofSeconds(1);
  private volatile int mailboxConcurrencyLimit = 4;
  private volatile Window graphRequestWindow = Window.REQUESTS;
  private volatile Window graphUploadWindow = Window.UPLOADS;
  private volatile int imapDropAfterFetches;
  private volatile double imapDropRate;
  private volatile Duration accessTokenLifetime = Duration.ofMinutes(60);
  private volatile Duration refreshTokenInactivityLifetime = Duration.ofDays(90);
  private volatile int imapMaxConnectionsPerMailbox = 20;
  private volatile int deltaGeneration;

  Faults(long seed, TestClock clock) {
    this.seed = seed;
    this.random = new Random(seed);
    this.clock = clock;
  }

  /** The seed the random faults are drawn from. */
  public long seed() {
    return seed;
  }

  /** Delay added to every request of the identity endpoint. */
  public Faults identityLatency(Duration latency) {
    this.identityLatency = nonNegative(latency, "latency");
    return this;
  }

  /**
   * Delay added to every HTTP request of the Graph stand-in, as a network round trip would: a {@code $batch} is one
   * request and pays it once; its items add none, though each holds a concurrency slot while it runs.
   */
  public Faults graphLatency(Duration latency) {
    this.graphLatency = nonNegative(latency, "latency");
    return this;
  }

  /**
   * Time Exchange spends on each Graph request or {@code $batch} item, holding the mailbox's concurrency slot
   * (default 0): what makes a batch of 20 items take five rounds at four in parallel.
   */
  public Faults graphProcessingTime(Duration time) {
    this.graphProcessingTime = nonNegative(time, "time");
    return this;
  }

  public Duration graphProcessingTime() {
    return graphProcessingTime;
  }

  /** Delay added to every IMAP command before the server answers it. */
  public Faults imapLatency(Duration latency) {
    this.imapLatency = nonNegative(latency, "latency");
    return this;
  }

  /** The same delay for every HTTP request (identity and Graph). */
  public Faults latency(Duration latency) {
    identityLatency(latency);
    return graphLatency(latency);
  }

  /** Share of token requests answered {@code 503 temporarily_unavailable} (AADSTS90033), 0 to 1. */
  public Faults tokenEndpointUnavailableRate(double rate) {
    this.tokenEndpointUnavailableRate = rate(rate);
    return this;
  }

  /** Share of Graph requests answered {@code 429} with {@code Retry-After}, 0 to 1. */
  public Faults graphThrottleRate(double rate) {
    this.graphThrottleRate = rate(rate);
    return this;
  }

  /** Share of Graph requests answered {@code 503 ServiceUnavailable} with {@code Retry-After}, 0 to 1. */
  public Faults graphUnavailableRate(double rate) {
    this.graphUnavailableRate = rate(rate);
    return this;
  }

  /** The {@code Retry-After} Graph sends with its 429 and 503 answers (whole seconds; default 1 s). */
  public Faults graphRetryAfter(Duration retryAfter) {
    this.graphRetryAfter = nonNegative(retryAfter, "retryAfter");
    return this;
  }

  /** Concurrent Graph requests one app may have on one mailbox before 429 (Exchange: 4). */
  public Faults mailboxConcurrencyLimit(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1, was " + limit);
    }
    this.mailboxConcurrencyLimit = limit;
    return this;
  }

  /** A limit per period: at most {@code limit} (requests, or bytes) in any period of {@code length}. */
  private record Window(long limit, Duration length) {
    /** 10,000 requests per 10 minutes per app and mailbox (both revisions of the throttling-limits page). */
    static final Window REQUESTS = new Window(10_000, Duration.ofMinutes(10));
    /** 150 MB of uploads per 5 minutes per app and mailbox (revision 0135174 of the throttling-limits page). */
    static final Window UPLOADS = new Window(150L * 1024 * 1024, Duration.ofMinutes(5));

    static Window of(long limit, Duration length, String what) {
      if (limit < 1) {
        throw new IllegalArgumentException(what + " must be at least 1, was " + limit);
      }
      Objects.requireNonNull(length, "window");
      if (length.isNegative() || length.isZero()) {
        throw new IllegalArgumentException("window must be positive, was " + length);
      }
      return new Window(limit, length);
    }
  }

  /**
   * The request window of the Outlook service limits: at most {@code requests} Graph requests of one app on one
   * mailbox in any period of {@code window} (default 10,000 per 10 minutes, Exchange's); one more is answered {@code
   * 429 ApplicationThrottled} "Application is over its Request limit." with a {@code Retry-After} of the whole seconds
   * until the window has room again, up to the window's length. Every {@code $batch} item counts as a request and is
   * refused on its own, in the batch's answer, as Graph evaluates each item separately; the {@code $batch} request
   * itself does not count. Refused requests count too. The window slides and follows the tenant's clock, so {@link
   * TestClock#advance(Duration)} frees it without waiting.
   *
   * <p>Sources: microsoftgraph/microsoft-graph-docs-contrib {@code concepts/throttling-limits.md}, Outlook service
   * limits (10,000 requests per 10 minutes per app ID and mailbox; revisions 0135174 and e62a3c1 agree on it), {@code
   * concepts/json-batching.md} (the requests of a batch are throttled one by one), {@code concepts/throttling.md}
   * (usage keeps being counted while a client is throttled). The error text is the one
   * clients of Outlook's Graph match on (NEXL-LTS/ms_graph_rest-ruby {@code spec/ms_graph_rest/error_spec.rb}). The
   * pages do not say whether the period slides or is fixed, nor what the {@code Retry-After} is for this limit: the
   * testkit slides and answers with the time until the window frees.
   */
  public Faults graphRequestWindow(int requests, Duration window) {
    this.graphRequestWindow = Window.of(requests, window, "requests");
    return this;
  }

  /**
   * The upload window of the Outlook service limits: at most {@code bytes} of request bodies of {@code PATCH}, {@code
   * POST} and {@code PUT} requests (upload session chunks and {@code $batch} items included) of one app to one mailbox
   * in any period of {@code window}; a request that would go over is answered {@code 429 ApplicationThrottled}
   * "Application is over its IncomingBytes limit." with a {@code Retry-After} of the time until its bytes fit.
   * Default 150 MB (150 x 2^20 bytes) per 5 minutes.
   *
   * <p>Sources: microsoftgraph/microsoft-graph-docs-contrib {@code concepts/throttling-limits.md}: revision 0135174
   * gives 150 MB per 5 minutes (the default here; a 2025 Microsoft Q&amp;A answer quotes the same), revision e62a3c1
   * gives 15 MB per 30 seconds ({@code graphUploadWindow(15L << 20, Duration.ofSeconds(30))}); pull request 9394 of
   * that repository reports, from a support case, that the limit is kept per mailbox across apps, which the page does
   * not say. The error text is from a public transcript (O365/python-o365 issue 500). The pages do not say whether
   * the period slides, nor how a single upload larger than the whole window is treated: the testkit slides, and admits
   * such an upload when the window is empty.
   */
  public Faults graphUploadWindow(long bytes, Duration window) {
    this.graphUploadWindow = Window.of(bytes, window, "bytes");
    return this;
  }

  /** Requests per {@link #graphRequestWindow()} one app may send to one mailbox. */
  public int graphRequestWindowRequests() {
    return (int) graphRequestWindow.limit();
  }

  public Duration graphRequestWindow() {
    return graphRequestWindow.length();
  }

  /** Bytes per {@link #graphUploadWindow()} one app may upload to one mailbox. */
  public long graphUploadWindowBytes() {
    return graphUploadWindow.limit();
  }

  public Duration graphUploadWindow() {
    return graphUploadWindow.length();
  }

  /**
   * Drops each IMAP connection, without a BYE, after it has carried about {@code fetches} FETCH responses
   * (each connection draws its own count within 20% of it). 0 turns it off.
   */
  public Faults imapDropAfterFetches(int fetches) {
    if (fetches < 0) {
      throw new IllegalArgumentException("fetches must not be negative, was " + fetches);
    }
    this.imapDropAfterFetches = fetches;
    return this;
  }

  /** Share of IMAP commands after which the connection is dropped without a BYE, 0 to 1. */
  public Faults imapDropRate(double rate) {
    this.imapDropRate = rate(rate);
    return this;
  }

  /** Most IMAP connections one mailbox may have open; more are refused as throttled (Exchange: 20). */
  public Faults imapMaxConnectionsPerMailbox(int max) {
    if (max < 1) {
      throw new IllegalArgumentException("max must be at least 1, was " + max);
    }
    this.imapMaxConnectionsPerMailbox = max;
    return this;
  }

  /** Lifetime of access tokens the tenant issues from now on (default 60 minutes). */
  public Faults accessTokenLifetime(Duration lifetime) {
    Objects.requireNonNull(lifetime, "lifetime");
    if (lifetime.isNegative() || lifetime.isZero()) {
      throw new IllegalArgumentException("lifetime must be positive, was " + lifetime);
    }
    this.accessTokenLifetime = lifetime;
    return this;
  }

  /** How long a refresh token may go unused before AADSTS700082 (default 90 days). */
  public Faults refreshTokenInactivityLifetime(Duration lifetime) {
    this.refreshTokenInactivityLifetime = nonNegative(lifetime, "lifetime");
    return this;
  }

  /** Skews the tenant's clock against the caller's, as a server with a wrong clock would be. */
  public Faults clockOffset(Duration offset) {
    clock.setOffset(offset);
    return this;
  }

  /** Invalidates every Graph delta token handed out so far: their next use gets {@code 410 Gone}. */
  public Faults dropDeltaTokens() {
    deltaGeneration++;
    return this;
  }

  /**
   * Turns every knob back to its default (latency 0, no faults, 60-minute tokens, clock offset 0, Exchange's
   * concurrency limit and request and upload windows).
   */
  public Faults reset() {
    identityLatency = Duration.ZERO;
    graphLatency = Duration.ZERO;
    graphProcessingTime = Duration.ZERO;
    imapLatency = Duration.ZERO;
    tokenEndpointUnavailableRate = 0;
    graphThrottleRate = 0;
    graphUnavailableRate = 0;
    graphRetryAfter = Duration.ofSeconds(1);
    mailboxConcurrencyLimit = 4;
    graphRequestWindow = Window.REQUESTS;
    graphUploadWindow = Window.UPLOADS;
    imapDropAfterFetches = 0;
    imapDropRate = 0;
    imapMaxConnectionsPerMailbox = 20;
    accessTokenLifetime = Duration.ofMinutes(60);
    refreshTokenInactivityLifetime = Duration.ofDays(90);
    clock.setOffset(Duration.ZERO);
    resetImapKnobs();
    return this;
  }

  public Duration identityLatency() {
    return identityLatency;
  }

  public Duration graphLatency() {
    return graphLatency;
  }

  public Duration imapLatency() {
    return imapLatency;
  }

  public double tokenEndpointUnavailableRate() {
    return tokenEndpointUnavailableRate;
  }

  public double graphThrottleRate() {
    return graphThrottleRate;
  }

  public double graphUnavailableRate() {
    return graphUnavailableRate;
  }

  public Duration graphRetryAfter() {
    return graphRetryAfter;
  }

  public int mailboxConcurrencyLimit() {
    return mailboxConcurrencyLimit;
  }

  public int imapDropAfterFetches() {
    return imapDropAfterFetches;
  }

  public double imapDropRate() {
    return imapDropRate;
  }

  public int imapMaxConnectionsPerMailbox() {
    return imapMaxConnectionsPerMailbox;
  }

  public Duration accessTokenLifetime() {
    return accessTokenLifetime;
  }

  public Duration refreshTokenInactivityLifetime() {
    return refreshTokenInactivityLifetime;
  }

  /** Which generation of delta tokens is current; for the Graph stand-in. */
  public int deltaGeneration() {
    return deltaGeneration;
  }

  /** Draws from the seeded generator: true with probability {@code rate}. */
  public boolean roll(double rate) {
    if (rate <= 0) {
      return false;
    }
    synchronized (random) {
      return random.nextDouble() < rate;
    }
  }

  /** Draws a whole number in [0, bound) from the seeded generator. */
  public int nextInt(int bound) {
    synchronized (random) {
      return random.nextInt(bound);
    }
  }

  private static double rate(double rate) {
    if (!(rate >= 0 && rate <= 1)) {
      throw new IllegalArgumentException("rate must be between 0 and 1, was " + rate);
    }
    return rate;
  }

  private static Duration nonNegative(Duration value, String name) {
    Objects.requireNonNull(value, name);
    if (value.isNegative()) {
      throw new IllegalArgumentException(name + " must not be negative, was " + value);
    }
    return value;
  }

  @Override
  public String toString() {
    return "Faults[seed=" + seed + "]";
  }

  // ----- IMAP capabilities and login throttling -----

  private volatile boolean imapAdvertiseMove = true;
  private volatile boolean imapAdvertiseUidPlus = true;
  private final java.util.Map<String, ImapThrottle> imapThrottles = new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.Map<String, Integer> imapLostAnswers = new java.util.concurrent.ConcurrentHashMap<>();

  /** A throttle on IMAP logins to one mailbox: {@code remaining} below 0 means until cleared. */
  private record ImapThrottle(Duration backoff, int remaining) {}

  /**
   * Whether the IMAP front advertises {@code MOVE} after login (default true, as Exchange Online does). When
   * off, {@code MOVE} and {@code UID MOVE} are answered {@code BAD Command Error. 10}, so a connector's
   * fallback (COPY, {@code \Deleted}, {@code UID EXPUNGE}) can be tested.
   */
  public Faults imapAdvertiseMove(boolean advertise) {
    this.imapAdvertiseMove = advertise;
    return this;
  }

  public boolean imapAdvertiseMove() {
    return imapAdvertiseMove;
  }

  /**
   * Whether the IMAP front advertises {@code UIDPLUS} (default true). When off, {@code UID EXPUNGE} is
   * answered {@code BAD Command Error. 10} and {@code APPENDUID}/{@code COPYUID} response codes are left out.
   */
  public Faults imapAdvertiseUidPlus(boolean advertise) {
    this.imapAdvertiseUidPlus = advertise;
    return this;
  }

  public boolean imapAdvertiseUidPlus() {
    return imapAdvertiseUidPlus;
  }

  /**
   * Refuses every IMAP login to {@code mailbox} that would otherwise succeed with {@code NO Request is
   * throttled. Suggested Backoff Time: <ms> milliseconds}, until {@link #clearImapThrottle(String)} or
   * {@link #reset()}. Sessions already logged in are not affected.
   */
  public Faults imapThrottle(String mailbox, Duration backoff) {
    return putImapThrottle(mailbox, backoff, -1);
  }

  /** As {@link #imapThrottle(String, Duration)}, for the next {@code logins} logins to the mailbox only. */
  public Faults imapThrottle(String mailbox, Duration backoff, int logins) {
    if (logins < 1) {
      throw new IllegalArgumentException("logins must be at least 1, was " + logins);
    }
    return putImapThrottle(mailbox, backoff, logins);
  }

  /** Lifts the login throttle of one mailbox. */
  public Faults clearImapThrottle(String mailbox) {
    imapThrottles.remove(MailStore.key(Objects.requireNonNull(mailbox, "mailbox")));
    return this;
  }

  private Faults putImapThrottle(String mailbox, Duration backoff, int logins) {
    Objects.requireNonNull(mailbox, "mailbox");
    imapThrottles.put(MailStore.key(mailbox), new ImapThrottle(nonNegative(backoff, "backoff"), logins));
    return this;
  }

  /**
   * Lets the next {@code count} IMAP commands named {@code command} ({@code "UID COPY"}, {@code "UID STORE"},
   * {@code "APPEND"}) that logged-in sessions send, to any mailbox, take effect, then drops their connection, without
   * a BYE, before their tagged answer is sent: the network failing while the server answers, so that the client
   * cannot tell whether the command was carried out. Counts add up; {@link #reset()} forgets them.
   */
  public Faults imapLoseAnswers(String command, int count) {
    Objects.requireNonNull(command, "command");
    if (count < 1) {
      throw new IllegalArgumentException("count must be at least 1, was " + count);
    }
    String key = commandKey(command);
    if (key.isEmpty()) {
      throw new IllegalArgumentException("command must name an IMAP command, was blank");
    }
    imapLostAnswers.merge(key, count, Integer::sum);
    return this;
  }

  /** For the IMAP front: whether to lose the answer of this command ({@code "UID COPY"}), counting it. */
  boolean takeImapLostAnswer(String command) {
    if (imapLostAnswers.isEmpty()) {
      return false;
    }
    boolean[] taken = new boolean[1];
    imapLostAnswers.computeIfPresent(commandKey(command), (key, left) -> {
      taken[0] = true;
      return left == 1 ? null : left - 1;
    });
    return taken[0];
  }

  private static String commandKey(String command) {
    return command.trim().replaceAll("\\s+", " ").toUpperCase(java.util.Locale.ROOT);
  }

  /** For the IMAP front: the backoff to refuse this login with, counting it against a limited throttle. */
  java.util.Optional<Duration> takeImapThrottle(String mailbox) {
    Duration[] taken = new Duration[1];
    imapThrottles.computeIfPresent(
        MailStore.key(mailbox),
        (key, throttle) -> {
          taken[0] = throttle.backoff();
          if (throttle.remaining() < 0) {
            return throttle;
          }
          return throttle.remaining() == 1 ? null : new ImapThrottle(throttle.backoff(), throttle.remaining() - 1);
        });
    return java.util.Optional.ofNullable(taken[0]);
  }

  private void resetImapKnobs() {
    imapAdvertiseMove = true;
    imapAdvertiseUidPlus = true;
    imapThrottles.clear();
    imapLostAnswers.clear();
  }
}
