package org.o365mail.auth;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import org.o365mail.MailboxException;
import org.o365mail.internal.Retry;
import org.o365mail.internal.SdkThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every strategy shares: the token cache (single flight, refresh ahead), retries of transient failures,
 * listener events, its executor, and its lifecycle.
 */
abstract class AbstractStrategy implements CredentialStrategy {
  private static final Logger logger = LoggerFactory.getLogger(AbstractStrategy.class);

  protected final AppRegistration app;
  protected final StrategySettings settings;
  protected final ExecutorService executor;
  private final boolean ownExecutor;
  private final CachedTokens cache;
  private final AtomicBoolean closed = new AtomicBoolean();

  protected AbstractStrategy(AppRegistration app, StrategySettings settings, String threadName) {
    this.app = requireNonNull(app, "app");
    this.settings = requireNonNull(settings, "settings");
    this.ownExecutor = settings.executor() == null;
    this.executor = ownExecutor ? SdkThreads.pool(threadName, 4) : settings.executor();
    this.cache = new CachedTokens(settings.clock(), settings.refreshAhead());
  }

  @Override
  public final AccessToken token(TokenRequest request) {
    requireNonNull(request, "request");
    if (closed.get()) {
      throw new IllegalStateException("this credential strategy is closed");
    }
    return cache.get(request, this::acquireWithRetry);
  }

  private AccessToken acquireWithRetry(TokenRequest request) {
    try {
      AccessToken token = Retry.run(() -> acquire(request), settings.maxAttempts(), settings.sleeper(),
          "token request for " + request);
      notifyAcquired(request, token);
      return token;
    } catch (MailboxException e) {
      try {
        settings.listener().acquisitionFailed(request, e, credentialLabel());
      } catch (RuntimeException listenerFailure) {
        logger.warn("A credential listener threw; ignored", listenerFailure);
      }
      throw e;
    }
  }

  protected final void notifyAcquired(TokenRequest request, AccessToken token) {
    try {
      settings.listener().tokenAcquired(request, token.expiresAt(), credentialLabel());
    } catch (RuntimeException listenerFailure) {
      logger.warn("A credential listener threw; ignored", listenerFailure);
    }
  }

  /** Puts a token just obtained outside {@link #token} (a completed sign-in) into the cache. */
  protected final AccessToken remember(TokenRequest request, AccessToken token) {
    cache.invalidate(request);
    return cache.get(request, r -> token);
  }

  /** Gets a fresh token from Entra ID (or the underlying credential); called at most once at a time per request. */
  protected abstract AccessToken acquire(TokenRequest request);

  /** Names the credential in use, without secret material ("client secret abc...", "certificate 3F2A..."). */
  public abstract String credentialLabel();

  @Override
  public void invalidate(TokenRequest request) {
    cache.invalidate(requireNonNull(request, "request"));
  }

  @Override
  public AppRegistration registration() {
    return app;
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true) && ownExecutor) {
      executor.shutdownNow();
    }
  }

  protected boolean isClosed() {
    return closed.get();
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "[" + app + ", " + credentialLabel() + "]";
  }
}
