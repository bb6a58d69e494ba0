package org.o365mail.auth;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.o365mail.MailboxException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access-token cache in front of every strategy: a lock-free read of a fresh token; otherwise one
 * acquisition per request key at a time (single flight), started ahead of expiry. When a refresh fails while
 * the cached token is still good for a while, the cached token is served and the refresh is tried again after
 * a back-off, as azure-core does.
 */
final class CachedTokens {
  private static final Logger logger = LoggerFactory.getLogger(CachedTokens.class);
  private static final Duration MIN_REMAINING_AFTER_FAILURE = Duration.ofSeconds(30);
  private static final Duration FAILURE_BACKOFF = Duration.ofSeconds(30);

  private final Clock clock;
  private final Duration refreshAhead;
  private final Map<TokenRequest, Entry> entries = new ConcurrentHashMap<>();
  private final Map<TokenRequest, ReentrantLock> locks = new ConcurrentHashMap<>();

  private static final class Entry {
    final AccessToken token;
    final Instant refreshAt;
    volatile Instant retryNotBefore = Instant.MIN;

    Entry(AccessToken token, Instant refreshAt) {
      this.token = token;
      this.refreshAt = refreshAt;
    }
  }

  public CachedTokens(Clock clock, Duration refreshAhead) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.refreshAhead = Objects.requireNonNull(refreshAhead, "refreshAhead");
  }

  /** The cached token for {@code request}, acquiring it with {@code acquire} when missing or due for refresh. */
  public AccessToken get(TokenRequest request, Function<TokenRequest, AccessToken> acquire) {
    Entry entry = entries.get(request);
    if (entry != null && clock.instant().isBefore(entry.refreshAt)) {
      return entry.token;
    }
    ReentrantLock lock = locks.computeIfAbsent(request, r -> new ReentrantLock());
    lock.lock();
    try {
      entry = entries.get(request);
      Instant now = clock.instant();
      if (entry != null && now.isBefore(entry.refreshAt)) {
        return entry.token;
      }
      if (entry != null && now.isBefore(entry.retryNotBefore) && stillGood(entry.token, now)) {
        return entry.token;
      }
      try {
        AccessToken token = acquire.apply(request);
        entries.put(request, new Entry(token, refreshAt(token, clock.instant())));
        return token;
      } catch (MailboxException e) {
        Instant after = clock.instant();
        if (entry != null && stillGood(entry.token, after)) {
          entry.retryNotBefore = after.plus(FAILURE_BACKOFF);
          logger.warn("Token refresh for {} failed ({}); serving the cached token, valid until {}, and trying again"
              + " after {}", request, e.serviceErrorCode().orElse(e.getClass().getSimpleName()),
              entry.token.expiresAt(), entry.retryNotBefore);
          return entry.token;
        }
        throw e;
      }
    } finally {
      lock.unlock();
    }
  }

  private static boolean stillGood(AccessToken token, Instant now) {
    return Duration.between(now, token.expiresAt()).compareTo(MIN_REMAINING_AFTER_FAILURE) > 0;
  }

  /** When to refresh: {@code refreshAhead} before expiry, but no later than half-way through short lifetimes. */
  private Instant refreshAt(AccessToken token, Instant issuedAround) {
    Duration lifetime = Duration.between(issuedAround, token.expiresAt());
    Duration ahead = refreshAhead;
    if (lifetime.isNegative() || lifetime.isZero()) {
      return issuedAround;
    }
    if (ahead.compareTo(lifetime.dividedBy(2)) > 0) {
      ahead = lifetime.dividedBy(2);
    }
    return token.expiresAt().minus(ahead);
  }

  public Optional<AccessToken> peek(TokenRequest request) {
    return Optional.ofNullable(entries.get(request)).map(e -> e.token);
  }

  public void invalidate(TokenRequest request) {
    entries.remove(request);
  }

  public void invalidateAll() {
    entries.clear();
  }
}
