package org.o365mail.auth;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import org.o365mail.internal.Sleeper;

/**
 * Settings shared by all strategies, collected by the public builders.
 *
 * @param clock the clock for expiry decisions
 * @param refreshAhead how long before expiry a token is renewed
 * @param executor MSAL's and the HTTP client's executor; null for one of the strategy's own
 * @param timeout longest wait for one token request
 * @param maxAttempts attempts for transient failures (1 = no retry)
 * @param listener events
 * @param tokenStore where delegated sign-ins are kept; null for memory
 * @param sleeper how retries wait
 */
record StrategySettings(
    Clock clock,
    Duration refreshAhead,
    ExecutorService executor,
    Duration timeout,
    int maxAttempts,
    CredentialListener listener,
    TokenStore tokenStore,
    Sleeper sleeper) {}
