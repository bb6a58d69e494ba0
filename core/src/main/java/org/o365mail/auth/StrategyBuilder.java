package org.o365mail.auth;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import org.o365mail.internal.Arguments;
import org.o365mail.internal.Sleeper;

/**
 * Settings every strategy builder has. Defaults: system UTC clock, renew 5 minutes before expiry, 60 s per
 * token request, 3 attempts for transient failures, the strategy's own threads.
 *
 * @param <B> the concrete builder
 */
public abstract class StrategyBuilder<B extends StrategyBuilder<B>> {
  protected final AppRegistration app;
  private Clock clock = Clock.systemUTC();
  private Duration refreshAhead = Duration.ofMinutes(5);
  private ExecutorService executor;
  private Duration timeout = Duration.ofSeconds(60);
  private int maxAttempts = 3;
  private CredentialListener listener = CredentialListener.NONE;
  private TokenStore tokenStore;
  private Sleeper sleeper = Sleeper.REAL;

  StrategyBuilder(AppRegistration app) {
    this.app = requireNonNull(app, "app");
  }

  @SuppressWarnings("unchecked")
  private B self() {
    return (B) this;
  }

  /** The clock expiry decisions use (tests inject one). */
  public B clock(Clock value) {
    this.clock = requireNonNull(value, "clock");
    return self();
  }

  /** How long before expiry a token is renewed (default 5 minutes). */
  public B refreshAhead(Duration value) {
    requireNonNull(value, "refreshAhead");
    if (value.isNegative()) {
      throw new IllegalArgumentException("refreshAhead must not be negative, was " + value);
    }
    this.refreshAhead = value;
    return self();
  }

  /** Threads for MSAL and HTTP calls; the caller keeps ownership. Default: the strategy's own (never the common pool). */
  public B executor(ExecutorService value) {
    this.executor = requireNonNull(value, "executor");
    return self();
  }

  /** Longest wait for one token request (default 60 s). */
  public B timeout(Duration value) {
    this.timeout = Arguments.positive(value, "timeout");
    return self();
  }

  /** Attempts for transient failures (503, 429, network), 1 to 10 (default 3). */
  public B maxAttempts(int value) {
    if (value < 1 || value > 10) {
      throw new IllegalArgumentException("maxAttempts must be 1 to 10, was " + value);
    }
    this.maxAttempts = value;
    return self();
  }

  public B listener(CredentialListener value) {
    this.listener = requireNonNull(value, "listener");
    return self();
  }

  B tokenStoreInternal(TokenStore value) {
    this.tokenStore = requireNonNull(value, "tokenStore");
    return self();
  }

  /** How retries wait; for tests. */
  B sleeper(Sleeper value) {
    this.sleeper = requireNonNull(value, "sleeper");
    return self();
  }

  StrategySettings settings() {
    return new StrategySettings(clock, refreshAhead, executor, timeout, maxAttempts, listener, tokenStore, sleeper);
  }
}
