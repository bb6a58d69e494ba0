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

  /** Turns every knob back to its default (latency 0, no faults, 60-minute tokens, clock offset 0). */
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
    imapDropAfterFetches = 0;
    imapDropRate = 0;
    imapMaxConnectionsPerMailbox = 20;
    accessTokenLifetime = Duration.ofMinutes(60);
    refreshTokenInactivityLifetime = Duration.ofDays(90);
    clock.setOffset(Duration.ZERO);
    resetImapKnobs();
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

  private void resetImapKnobs() {
    imapAdvertiseMove = true;
    imapAdvertiseUidPlus = true;
    imapThrottles.clear();
    imapLostAnswers.clear();
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
    graphBodyTrickleBytes = 0;
    graphBodyTricklePause = Duration.ZERO;
    graphBodyStallAfter = -1;
    graphBodyStall = Duration.ZERO;
    streamKnobGeneration.incrementAndGet();
  }
}
