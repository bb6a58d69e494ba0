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
  private final java.util.concurrent.atomic.AtomicReference<String> hostileLinkOrigin =
      new java.util.concurrent.atomic.AtomicReference<>();

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
   * A hostile server, not Microsoft's behaviour: the next {@code @odata.nextLink} or {@code @odata.deltaLink} the
   * Graph side hands out (a message listing's, a folder listing's or a delta page's) has its scheme, host and port
   * replaced by {@code origin} (for example {@code https://127.0.0.1:4711} or {@code http://localhost:8443}); path
   * and query stay. Once, then links are Graph's again. For tests that a client sends its token only to the origin
   * it was configured with and never stores such a link.
   */
  public Faults hostileLinkOrigin(String origin) {
    String o = Objects.requireNonNull(origin, "origin");
    hostileLinkOrigin.set(o.endsWith("/") ? o.substring(0, o.length() - 1) : o);
    return this;
  }

  /** {@code link} with its origin replaced if {@link #hostileLinkOrigin(String)} is armed (which it disarms). */
  String hostileLink(String link) {
    String origin = hostileLinkOrigin.getAndSet(null);
    if (origin == null) {
      return link;
    }
    java.net.URI u = java.net.URI.create(link);
    return origin + u.getRawPath() + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
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
    hostileLinkOrigin.set(null);
    resetImapKnobs();
    resetDeltaKnobs();
    resetGraphContractKnobs();
    resetEntraAndStreamKnobs();
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

  // ----- IMAP throttling of any command after login -----

  /**
   * How Exchange Online answers a command it throttles after login. The docs are silent on IMAP throttling (no
   * Microsoft page gives its wording or its limits); these forms are the ones seen in public transcripts:
   *
   * <ul>
   *   <li>{@link #NO}: {@code <tag> NO Request is throttled. Suggested Backoff Time: N milliseconds}, the session
   *       going on (imapsync/imapsync#198, on APPEND; ikvk/imap_tools#135, on FETCH);
   *   <li>{@link #BAD}: the same text as a {@code BAD} (imapsync/imapsync#212 and #272, the imapsync FAQ quoted
   *       there: "BAD Request is throttled. Suggested Backoff Time: 178755 milliseconds");
   *   <li>{@link #NO_THEN_BYE}, {@link #BAD_THEN_BYE}: the tagged answer followed by {@code * BYE Connection
   *       closed. 14} and the end of the connection (simonrob/email-oauth2-proxy#191: "BAD Request is throttled.
   *       Suggested Backoff Time: 89117 milliseconds" then "* BYE Connection closed. 14"; jstedfast/MailKit#849,
   *       where a LIST ended in "Connection closed. 14").
   * </ul>
   *
   * A throttled command is not carried out.
   */
  public enum ImapThrottleAnswer {
    NO,
    BAD,
    NO_THEN_BYE,
    BAD_THEN_BYE;

    /** Whether the answer is a {@code BAD} rather than a {@code NO}. */
    public boolean bad() {
      return this == BAD || this == BAD_THEN_BYE;
    }

    /** Whether {@code * BYE Connection closed. 14} follows and the connection ends. */
    public boolean bye() {
      return this == NO_THEN_BYE || this == BAD_THEN_BYE;
    }
  }

  /** A decision of the IMAP front to throttle one command. */
  record ImapCommandThrottle(Duration backoff, ImapThrottleAnswer answer) {}

  /** The next throttles of one named command: {@code answer} null means drawn by the seeded generator. */
  private record NamedImapThrottle(Duration backoff, ImapThrottleAnswer answer, int remaining) {}

  private volatile double imapCommandThrottleRate;
  private volatile Duration imapCommandThrottleBackoff = Duration.ofSeconds(1);
  private final java.util.Map<String, NamedImapThrottle> imapCommandThrottles =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * Throttles a share {@code rate} (0 to 1) of the commands logged-in sessions send, to any mailbox, whatever the
   * command ({@code SELECT}, {@code UID FETCH}, {@code UID COPY}, {@code IDLE}, {@code CAPABILITY} ...; never {@code
   * LOGOUT}), as Exchange Online does when a mailbox is busy: the command is not carried out and is answered with
   * one of the {@link ImapThrottleAnswer}s, drawn by the seeded generator like the choice of the command, with
   * {@code Suggested Backoff Time:} {@code backoff} in milliseconds. 0 turns it off.
   */
  public Faults imapThrottleCommands(double rate, Duration backoff) {
    this.imapCommandThrottleBackoff = nonNegative(backoff, "backoff");
    this.imapCommandThrottleRate = rate(rate);
    return this;
  }

  /**
   * Throttles the next {@code count} commands named {@code command} ({@code "SELECT"}, {@code "UID COPY"}) that
   * logged-in sessions send, with the answer given (see {@link ImapThrottleAnswer}). Replaces an earlier setting for
   * the same command; {@link #reset()} forgets it.
   */
  public Faults imapThrottleCommand(String command, int count, Duration backoff, ImapThrottleAnswer answer) {
    Objects.requireNonNull(answer, "answer");
    return putImapCommandThrottle(command, count, backoff, answer);
  }

  /** As {@link #imapThrottleCommand(String, int, Duration, ImapThrottleAnswer)}, the answer drawn by the seeded generator. */
  public Faults imapThrottleCommand(String command, int count, Duration backoff) {
    return putImapCommandThrottle(command, count, backoff, null);
  }

  public double imapThrottleCommandsRate() {
    return imapCommandThrottleRate;
  }

  private Faults putImapCommandThrottle(String command, int count, Duration backoff, ImapThrottleAnswer answer) {
    Objects.requireNonNull(command, "command");
    if (count < 1) {
      throw new IllegalArgumentException("count must be at least 1, was " + count);
    }
    String key = commandKey(command);
    if (key.isEmpty()) {
      throw new IllegalArgumentException("command must name an IMAP command, was blank");
    }
    imapCommandThrottles.put(key, new NamedImapThrottle(nonNegative(backoff, "backoff"), answer, count));
    return this;
  }

  /** For the IMAP front: whether to throttle this command of a logged-in session ({@code "UID FETCH"}), and how. */
  java.util.Optional<ImapCommandThrottle> takeImapCommandThrottle(String command) {
    String key = commandKey(command);
    if (key.equals("LOGOUT")) {
      return java.util.Optional.empty();
    }
    NamedImapThrottle[] taken = new NamedImapThrottle[1];
    if (!imapCommandThrottles.isEmpty()) {
      imapCommandThrottles.computeIfPresent(key, (k, t) -> {
        taken[0] = t;
        return t.remaining() == 1 ? null : new NamedImapThrottle(t.backoff(), t.answer(), t.remaining() - 1);
      });
    }
    if (taken[0] != null) {
      ImapThrottleAnswer answer = taken[0].answer() != null ? taken[0].answer() : drawThrottleAnswer();
      return java.util.Optional.of(new ImapCommandThrottle(taken[0].backoff(), answer));
    }
    if (roll(imapCommandThrottleRate)) {
      return java.util.Optional.of(new ImapCommandThrottle(imapCommandThrottleBackoff, drawThrottleAnswer()));
    }
    return java.util.Optional.empty();
  }

  private ImapThrottleAnswer drawThrottleAnswer() {
    ImapThrottleAnswer[] all = ImapThrottleAnswer.values();
    return all[nextInt(all.length)];
  }

  private void resetImapKnobs() {
    imapAdvertiseMove = true;
    imapAdvertiseUidPlus = true;
    imapThrottles.clear();
    imapLostAnswers.clear();
    imapCommandThrottleRate = 0;
    imapCommandThrottleBackoff = Duration.ofSeconds(1);
    imapCommandThrottles.clear();
  }

  // ----- Graph delta: the order and repetition Microsoft's documentation allows -----

  /**
   * The order in which a delta round hands out its changes. Microsoft's delta documentation leaves it open: "Do not
   * assume a specific sequence of the responses returned from a delta query. Assume that the same item can show up
   * anywhere in the @odata.nextLink sequence and handle that in your merge logic" (microsoft-graph-docs-contrib,
   * concepts/delta-query-overview.md). For messages, {@code $orderby} takes only {@code receivedDateTime desc} and is
   * documented for the first round (concepts/delta-query-messages.md, api-reference message-delta.md); nothing is
   * said of the order of later rounds.
   */
  public enum DeltaOrder {
    /** Newest received first, {@code @removed} entries last: what this testkit did before it had a contract mode. */
    NEWEST_FIRST,
    /** Oldest received first, {@code @removed} entries interleaved at random places. */
    OLDEST_FIRST,
    /**
     * The order the messages entered the folder (which differs from their received order when a large message
     * commits late), {@code @removed} entries interleaved at random places.
     */
    CHANGE_ORDER,
    /** A seeded shuffle of everything, {@code @removed} entries included. */
    RANDOM
  }

  private volatile DeltaOrder deltaOrder = DeltaOrder.NEWEST_FIRST;
  private volatile boolean deltaOrderOverridesOrderBy;
  private volatile double deltaRepeatRate;

  /**
   * The order of delta rounds: of every later (incremental) round, and of a first round that asked no {@code
   * $orderby}. A first round with {@code $orderby=receivedDateTime desc} stays newest first, as documented, unless
   * {@link #graphDeltaOrderOverridesOrderBy(boolean)}.
   */
  public Faults graphDeltaOrder(DeltaOrder order) {
    this.deltaOrder = Objects.requireNonNull(order, "order");
    return this;
  }

  public DeltaOrder graphDeltaOrder() {
    return deltaOrder;
  }

  /**
   * Whether {@link #graphDeltaOrder(DeltaOrder)} applies to a first round with {@code $orderby} too (default false).
   * The docs give {@code $orderby} for delta without saying the order holds across pages; a test that wants no
   * order at all turns this on.
   */
  public Faults graphDeltaOrderOverridesOrderBy(boolean overrides) {
    this.deltaOrderOverridesOrderBy = overrides;
    return this;
  }

  public boolean graphDeltaOrderOverridesOrderBy() {
    return deltaOrderOverridesOrderBy;
  }

  /**
   * The chance that a change of a delta round is handed out once more, at a random place of the round's next-link
   * sequence (before or after the first time, on the same page or another): "the same item can show up anywhere
   * in the @odata.nextLink sequence" (concepts/delta-query-overview.md).
   */
  public Faults graphDeltaRepeatRate(double rate) {
    this.deltaRepeatRate = rate(rate);
    return this;
  }

  public double graphDeltaRepeatRate() {
    return deltaRepeatRate;
  }

  private volatile boolean deltaShortPages;

  /**
   * Pages of a delta round hold a seeded random number of changes from none up to {@code Prefer:
   * odata.maxpagesize}, with a next link until the round ends. The preference is a maximum the service may go under
   * (OData 4.01 Protocol, the {@code odata.maxpagesize} preference and server-driven paging); Graph's docs say
   * nothing of how full a delta page is, so an empty page with a next link is within the contract.
   */
  public Faults graphDeltaShortPages(boolean shortPages) {
    this.deltaShortPages = shortPages;
    return this;
  }

  public boolean graphDeltaShortPages() {
    return deltaShortPages;
  }

  /** A seeded generator for one decision of many draws (a shuffle), drawn from the tenant's seeded generator. */
  public java.util.Random split() {
    synchronized (random) {
      return new Random(random.nextLong());
    }
  }

  // ----- contract mode -----

  private volatile boolean contract;

  /**
   * Contract mode: the tenant plays Microsoft at the edges of what its documentation allows, every choice drawn
   * from the seeded generator so that a failure replays with the same seed. On: delta rounds in an order chosen
   * per tenant among {@link DeltaOrder#OLDEST_FIRST}, {@link DeltaOrder#CHANGE_ORDER} and {@link DeltaOrder#RANDOM}
   * (also for first rounds that ask {@code $orderby}), with 5 % of the changes shown twice, on pages of any size up
   * to the one asked for; {@code $batch} bodies in every shape ({@link BatchBodies#MIXED}); {@code $expand} of the
   * size refused on delta and on listings, each with a chance of one half, and the size missing from a fifth of the
   * messages; ids Exchange cannot have issued answered {@code ErrorInvalidIdMalformed}; one IMAP command in a
   * hundred after login throttled ({@link #imapThrottleCommands(double, Duration)}, 200 ms suggested); delegated
   * Graph tokens with either audience ({@link GraphAudience#SEEDED}). Always on, contract mode or not: Entra's
   * multi-line {@code error_description}s, AADSTS28000 or 700022 for two resources in one request. The knobs stay
   * individually settable afterwards; {@link #reset()} turns contract mode off. What each behaviour follows is cited
   * at its knob.
   */
  public Faults contract() {
    DeltaOrder[] orders = {DeltaOrder.OLDEST_FIRST, DeltaOrder.CHANGE_ORDER, DeltaOrder.RANDOM};
    graphDeltaOrder(orders[nextInt(orders.length)]);
    graphDeltaOrderOverridesOrderBy(true);
    graphDeltaRepeatRate(0.05);
    graphDeltaShortPages(true);
    graphBatchBodies(BatchBodies.MIXED);
    graphRefuseExpandOnDelta(roll(0.5));
    graphRefuseExpandOnMessages(roll(0.5));
    graphOmitSizeRate(0.2);
    graphRejectMalformedIds(true);
    imapThrottleCommands(0.01, Duration.ofMillis(200));
    delegatedGraphAudience(GraphAudience.SEEDED);
    contract = true;
    return this;
  }

  /** Whether {@link #contract()} is on. */
  public boolean contractMode() {
    return contract;
  }

  private void resetDeltaKnobs() {
    deltaOrder = DeltaOrder.NEWEST_FIRST;
    deltaOrderOverridesOrderBy = false;
    deltaRepeatRate = 0;
    deltaShortPages = false;
    contract = false;
  }

  // ----- Graph contract: batch bodies, $expand, the size property, malformed ids -----

  private volatile BatchBodies graphBatchBodies = BatchBodies.BASE64;
  private volatile boolean graphRefuseExpandOnDelta;
  private volatile boolean graphRefuseExpandOnMessages;
  private volatile double graphOmitSizeRate;
  private volatile boolean graphRejectMalformedIds;

  /**
   * How a {@code $batch} answer carries a non-JSON body, such as the MIME of {@code messages/{id}/$value}
   * (default {@link BatchBodies#BASE64}). See {@link BatchBodies} for the shapes and their sources.
   */
  public Faults graphBatchBodies(BatchBodies bodies) {
    this.graphBatchBodies = Objects.requireNonNull(bodies, "bodies");
    return this;
  }

  public BatchBodies graphBatchBodies() {
    return graphBatchBodies;
  }

  /**
   * Refuses {@code $expand} on the first request of a message delta round, as users report Graph doing: each refusal
   * draws one of the two answers seen from the seeded generator, {@code 500 InternalServerError} "Value cannot be
   * null. Parameter name: type" (microsoftgraph/microsoft-graph-docs#1993 on {@code messages/delta}, #2270 on
   * {@code calendarView/delta}, both with an expanded extended property) or {@code 400 BadRequest} "Parsing OData
   * Select and Expand failed: Value cannot be null. (Parameter 'initialState')" (microsoftgraph/msgraph-sdk-dotnet
   * #2678, a delta with {@code singleValueExtendedProperties} expanded). The message-delta page documents {@code
   * $expand} as supported; it is silent on these failures. Delta requests that carry a token are answered as usual.
   */
  public Faults graphRefuseExpandOnDelta(boolean refuse) {
    this.graphRefuseExpandOnDelta = refuse;
    return this;
  }

  public boolean graphRefuseExpandOnDelta() {
    return graphRefuseExpandOnDelta;
  }

  /**
   * Refuses {@code $expand} of {@code singleValueExtendedProperties} on message listings and single messages (also
   * inside a {@code $batch}) with {@code 400 BadRequest} "Parsing OData Select and Expand failed: Could not find a
   * property named 'singleValueExtendedProperties' on type 'microsoft.graph.message'.", the answer a national cloud
   * gave (microsoftgraph/msgraph-sdk-dotnet#2578), although the extended-property pages list that cloud as supported.
   */
  public Faults graphRefuseExpandOnMessages(boolean refuse) {
    this.graphRefuseExpandOnMessages = refuse;
    return this;
  }

  public boolean graphRefuseExpandOnMessages() {
    return graphRefuseExpandOnMessages;
  }

  /**
   * Share of messages, 0 to 1, rendered without the size property ({@code Integer 0x0E08}, PidTagMessageSize) even
   * when it was asked for with {@code $expand=singleValueExtendedProperties($filter=...)}: Graph leaves the collection
   * out of a message that has no property matching the filter (a listing with two messages, one without it, in
   * Microsoft Q&amp;A 599013, "how to get extended property pidtagsentmailentryid"). The docs do not say that every
   * message carries PidTagMessageSize. Each rendering draws from the seeded generator.
   */
  public Faults graphOmitSizeRate(double rate) {
    this.graphOmitSizeRate = rate(rate);
    return this;
  }

  public double graphOmitSizeRate() {
    return graphOmitSizeRate;
  }

  /**
   * Whether message routes ({@code GET}, {@code $value}, {@code PATCH}, {@code move}, {@code copy}, {@code DELETE},
   * {@code permanentDelete}, {@code attachments}, also inside a {@code $batch}) check a message id as Exchange does
   * (default false: every unknown id is {@code 404 ErrorItemNotFound}). When on, an id this tenant never handed out
   * is {@code 400 ErrorInvalidIdMalformed} "Id is malformed." (the transcript in mguessan/davmail#459; the Graph
   * error-code page lists 400 for malformed requests without naming this code), and an id handed out for another
   * mailbox is {@code 400 ErrorInvalidMailboxItemId} "Item Id doesn't belong to the current mailbox."
   * (MicrosoftDocs/BusinessApplicationPlatform-Connectors-public#80, OfficeDev/office-js#1152; the status is not in
   * those transcripts, and the docs are silent, so 400 is an assumption). An id once valid here whose message is gone
   * stays {@code 404 ErrorItemNotFound}.
   */
  public Faults graphRejectMalformedIds(boolean reject) {
    this.graphRejectMalformedIds = reject;
    return this;
  }

  public boolean graphRejectMalformedIds() {
    return graphRejectMalformedIds;
  }

  private void resetGraphContractKnobs() {
    graphBatchBodies = BatchBodies.BASE64;
    graphRefuseExpandOnDelta = false;
    graphRefuseExpandOnMessages = false;
    graphOmitSizeRate = 0;
    graphRejectMalformedIds = false;
  }

  // ----- Entra ID answer shapes -----

  /**
   * Which {@code aud} the delegated (user) tokens for Microsoft Graph carry. Graph's tokens are v1.0 tokens, and for
   * those Entra's access-token claims reference says {@code aud} may be the resource's identifier URI or its client
   * id, depending on how the client asked (entra-docs {@code docs/identity-platform/access-token-claims-reference.md},
   * claim {@code aud}). Decoded delegated Graph tokens with {@code aud} {@code 00000003-0000-0000-c000-000000000000}
   * are quoted in AzureAD/microsoft-authentication-library-for-js issue #5672 (scopes asked without a prefix) and
   * SharePoint/sp-dev-docs issue #9951 (asked for {@code https://graph.microsoft.com}); the docs do not say which
   * form a given request gets, so a client must accept both.
   */
  public enum GraphAudience {
    /** {@code https://graph.microsoft.com} (the default). */
    URI,
    /** Graph's application id, {@code 00000003-0000-0000-c000-000000000000}. */
    APP_ID,
    /** Either, drawn for each token from the seeded generator. */
    SEEDED
  }

  /**
   * How Entra answers a token request whose scopes name more than one resource (Graph and Outlook at once). Both
   * codes are seen for the same mistake: {@code AADSTS28000: Provided value for the input parameter scope is not
   * valid because it contains more than one resource. Scope ... is not valid.} from the token endpoint (transcripts
   * in AzureAD/microsoft-authentication-library-for-js issue #1487, Earlybyte/aad_oauth issue #328,
   * microsoft/Partner-Center-PowerShell issue #167) and {@code AADSTS700022} with the same text (the error-code
   * reference, entra-docs {@code docs/identity-platform/reference-error-codes.md}, and msal-js issue #523). The
   * transcripts do not show the OAuth {@code error} that comes with 28000; {@code invalid_scope} is sent for both.
   */
  public enum MixedResourceAnswer {
    /** Always AADSTS700022. */
    AADSTS700022,
    /** Always AADSTS28000. */
    AADSTS28000,
    /** Either, drawn for each answer from the seeded generator (the default). */
    SEEDED
  }

  private volatile GraphAudience delegatedGraphAudience = GraphAudience.URI;
  private volatile MixedResourceAnswer mixedResourceAnswer = MixedResourceAnswer.SEEDED;

  /** The {@code aud} of delegated Graph tokens issued from now on (default {@link GraphAudience#URI}). */
  public Faults delegatedGraphAudience(GraphAudience audience) {
    this.delegatedGraphAudience = Objects.requireNonNull(audience, "audience");
    return this;
  }

  public GraphAudience delegatedGraphAudience() {
    return delegatedGraphAudience;
  }

  /** The code a token request mixing resources is refused with (default {@link MixedResourceAnswer#SEEDED}). */
  public Faults mixedResourceAnswer(MixedResourceAnswer answer) {
    this.mixedResourceAnswer = Objects.requireNonNull(answer, "answer");
    return this;
  }

  public MixedResourceAnswer mixedResourceAnswer() {
    return mixedResourceAnswer;
  }

  private volatile boolean refreshTokenRotation;

  /**
   * Single-use refresh tokens: redeeming a refresh token answers with a new one (when {@code offline_access} is
   * asked, as MSAL always does) and the one redeemed is refused from then on with {@code 400 invalid_grant}
   * {@code AADSTS70000: The provided value for the input parameter 'refresh_token' or 'assertion' is not valid.};
   * of two requests racing with the same token, one wins. Off by default and not turned on by {@link #contract()}:
   * it is stricter than Entra as documented. Entra's refresh-token page says refresh tokens "replace themselves with
   * a fresh token upon every use" and that the old one is not revoked when used, only that the client should delete
   * it (entra-docs {@code docs/identity-platform/refresh-tokens.md}, earlier MicrosoftDocs/azure-docs {@code
   * articles/active-directory/develop/refresh-tokens.md}; reuse working in practice: MicrosoftDocs/azure-docs issue
   * #104142), and that a refresh token may be revoked at any time. RFC 6749 section 6 allows the server to revoke
   * the old token once it issued a new one, and RFC 9700 (OAuth 2.0 Security BCP) section 4.14.2 recommends
   * rotation for public clients; this knob plays that, so that a client that keeps or shares an old refresh token
   * (two instances refreshing at once without a shared lock) loses its sign-in here as it would at any rotating
   * server or after a revocation. The docs are silent on what a rotated-out token would get; the code is the one
   * Entra's error reference lists as "InvalidGrant - Authentication failed. The refresh token isn't valid."
   * (entra-docs {@code docs/identity-platform/reference-error-codes.md}, AADSTS70000), its wording as seen on the
   * wire in BingAds/BingAds-Python-SDK issue #279.
   */
  public Faults refreshTokenRotation(boolean rotate) {
    this.refreshTokenRotation = rotate;
    return this;
  }

  /** Whether refresh tokens are single-use ({@link #refreshTokenRotation(boolean)}). */
  public boolean refreshTokenRotation() {
    return refreshTokenRotation;
  }

  // ----- Graph response bodies that trickle or stall -----

  private volatile int graphBodyTrickleBytes;
  private volatile Duration graphBodyTricklePause = Duration.ZERO;
  private volatile long graphBodyStallAfter = -1;
  private volatile Duration graphBodyStall = Duration.ZERO;
  private final java.util.concurrent.atomic.AtomicInteger streamKnobGeneration =
      new java.util.concurrent.atomic.AtomicInteger();

  /**
   * Sends streamed Graph bodies (a message's or an attachment's {@code $value} asked for on its own, not inside a
   * {@code $batch}) {@code bytesPerChunk} bytes at a time,
   * flushed, with {@code pause} after each chunk: a slow link that never goes quiet for longer than {@code pause}.
   * Graph's docs promise no transfer rate; a MIME message may be up to 150 MB (microsoft-graph-docs-contrib {@code
   * concepts/outlook-large-attachments.md}), so a whole body can take longer than any fixed total deadline. {@code
   * bytesPerChunk} 0 turns it off.
   */
  public Faults graphBodyTrickle(int bytesPerChunk, Duration pause) {
    if (bytesPerChunk < 0) {
      throw new IllegalArgumentException("bytesPerChunk must not be negative, was " + bytesPerChunk);
    }
    this.graphBodyTricklePause = nonNegative(pause, "pause");
    this.graphBodyTrickleBytes = bytesPerChunk;
    return this;
  }

  /**
   * Stops every streamed Graph body after {@code afterBytes} bytes for {@code stall} (the connection stays open and
   * silent), then goes on: a stream that hangs half way. The stall ends early at {@link #reset()}. {@code stall} 0
   * turns it off.
   */
  public Faults graphBodyStall(long afterBytes, Duration stall) {
    if (afterBytes < 0) {
      throw new IllegalArgumentException("afterBytes must not be negative, was " + afterBytes);
    }
    this.graphBodyStall = nonNegative(stall, "stall");
    this.graphBodyStallAfter = stall.isZero() ? -1 : afterBytes;
    return this;
  }

  /** For the Graph stand-in: {@code out} with the trickle and stall knobs applied, as they are now. */
  java.io.OutputStream shapeGraphBody(java.io.OutputStream out) {
    int chunk = graphBodyTrickleBytes;
    Duration pause = graphBodyTricklePause;
    long stallAfter = graphBodyStallAfter;
    Duration stall = graphBodyStall;
    if (chunk <= 0 && stallAfter < 0) {
      return out;
    }
    int generation = streamKnobGeneration.get();
    return new java.io.FilterOutputStream(out) {
      private long written;

      @Override
      public void write(int b) throws java.io.IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws java.io.IOException {
        while (len > 0) {
          int n = len;
          if (chunk > 0) {
            n = Math.min(n, chunk);
          }
          if (stallAfter >= 0 && written < stallAfter) {
            n = (int) Math.min(n, stallAfter - written);
          }
          if (stallAfter >= 0 && written == stallAfter) {
            out.flush();
            pauseFor(stall, generation);
          }
          out.write(b, off, n);
          written += n;
          off += n;
          len -= n;
          if (chunk > 0) {
            out.flush();
            pauseFor(pause, generation);
          }
        }
      }
    };
  }

  private void pauseFor(Duration d, int generation) throws java.io.InterruptedIOException {
    long end = System.nanoTime() + d.toNanos();
    try {
      while (streamKnobGeneration.get() == generation) {
        long left = end - System.nanoTime();
        if (left <= 0) {
          return;
        }
        java.util.concurrent.TimeUnit.NANOSECONDS.sleep(Math.min(left, 20_000_000L));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while shaping a Graph body");
    }
  }

  private void resetEntraAndStreamKnobs() {
    delegatedGraphAudience = GraphAudience.URI;
    mixedResourceAnswer = MixedResourceAnswer.SEEDED;
    refreshTokenRotation = false;
    graphBodyTrickleBytes = 0;
    graphBodyTricklePause = Duration.ZERO;
    graphBodyStallAfter = -1;
    graphBodyStall = Duration.ZERO;
    streamKnobGeneration.incrementAndGet();
  }
}
