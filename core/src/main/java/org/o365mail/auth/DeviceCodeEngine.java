package org.o365mail.auth;

import com.microsoft.aad.msal4j.IAccount;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.o365mail.Diagnosis;
import org.o365mail.MailboxAuthenticationException;
import org.o365mail.MailboxException;
import org.o365mail.SetupStep;
import org.o365mail.internal.SdkThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Device code as two steps for servers: {@link #start()} returns the code at once and polls in the background
 * (honouring {@code interval} and {@code slow_down}); {@link #await(Duration)} waits for the outcome. The tokens
 * are then handed to MSAL, whose cache (in the token store) serves and refreshes them from then on.
 */
final class DeviceCodeEngine extends AbstractStrategy {
  private static final Logger logger = LoggerFactory.getLogger(DeviceCodeEngine.class);
  private static final Duration SLOW_DOWN_STEP = Duration.ofSeconds(5);

  private final DelegatedMsal msal;
  private final OAuthHttp http;
  private final TokenRequest signInRequest;
  private final ExecutorService poller;
  private final AtomicReference<Attempt> current = new AtomicReference<>();

  private final class Attempt {
    final OAuthHttp.DeviceCodeResponse code;
    final DeviceCodeChallenge challenge;
    final CompletableFuture<AccessToken> result = new CompletableFuture<>();
    volatile Duration interval;
    volatile SignInStatus status = SignInStatus.PENDING;
    volatile Future<?> polling;

    Attempt(OAuthHttp.DeviceCodeResponse code, Instant now) {
      this.code = code;
      this.interval = code.interval();
      this.challenge = new DeviceCodeChallenge(code.userCode(), code.verificationUri(), now.plus(code.expiresIn()),
          code.interval(), code.message());
    }
  }

  public DeviceCodeEngine(AppRegistration app, TokenRequest signInRequest, String accountName, StrategySettings settings) {
    super(app, settings, "device-code");
    this.signInRequest = signInRequest;
    TokenStore store = settings.tokenStore() != null ? settings.tokenStore() : TokenStore.inMemory();
    MsalCacheBridge bridge = new MsalCacheBridge(store, DelegatedMsal.storeKey(app, accountName));
    this.msal = new DelegatedMsal(app, MsalApps.publicClient(app, executor, settings.timeout(), bridge), bridge,
        settings, null);
    this.http = new OAuthHttp(app, executor, settings.timeout());
    this.poller = Executors.newSingleThreadExecutor(SdkThreads.factory("device-code-poll"));
  }

  private AuthContext context(TokenRequest request) {
    return new AuthContext(app, AuthFlow.DEVICE_CODE, msal.scopes(request), null, null);
  }

  /** Requests a code and starts polling; a pending earlier attempt is cancelled. */
  public DeviceCodeChallenge start() {
    Attempt previous = current.get();
    if (previous != null && previous.status == SignInStatus.PENDING) {
      cancel();
    }
    OAuthHttp.DeviceCodeResponse code;
    try {
      code = http.requestDeviceCode(msal.scopes(signInRequest));
    } catch (RuntimeException e) {
      throw AuthErrors.translate(e, context(signInRequest));
    }
    Attempt attempt = new Attempt(code, settings.clock().instant());
    current.set(attempt);
    attempt.polling = poller.submit(() -> pollUntilDone(attempt));
    logger.info("Device-code sign-in started for app {}; the code expires at {}", app.clientId(),
        attempt.challenge.expiresAt());
    return attempt.challenge;
  }

  /** Polls every {@code interval} (waiting on the injected sleeper) until the attempt ends or is cancelled. */
  private void pollUntilDone(Attempt attempt) {
    while (attempt.status == SignInStatus.PENDING && !isClosed()) {
      try {
        settings.sleeper().sleep(attempt.interval);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      poll(attempt);
    }
  }

  private void poll(Attempt attempt) {
    if (attempt.status != SignInStatus.PENDING || isClosed()) {
      return;
    }
    if (!settings.clock().instant().isBefore(attempt.challenge.expiresAt())) {
      finish(attempt, SignInStatus.EXPIRED, AuthErrors.translate(
          new OAuthError(400, "expired_token", "AADSTS70019: Verification code expired.", null, null),
          context(signInRequest)));
      return;
    }
    try {
      OAuthHttp.TokenResponse response = http.pollDeviceCode(attempt.code.deviceCode());
      AccessToken token = response.refreshToken() != null
          ? msal.adoptRefreshToken(response.refreshToken(), signInRequest, context(signInRequest))
          : new AccessToken(response.accessToken(), settings.clock().instant().plus(response.expiresIn()));
      remember(signInRequest, token);
      attempt.status = SignInStatus.SIGNED_IN;
      attempt.result.complete(token);
      logger.info("Device-code sign-in for app {} completed", app.clientId());
    } catch (OAuthError e) {
      switch (e.error()) {
        case "authorization_pending" -> {
          // poll again after the interval
        }
        case "slow_down" -> {
          attempt.interval = attempt.interval.plus(SLOW_DOWN_STEP);
          logger.debug("Device-code poll asked to slow down; polling every {} s now", attempt.interval.toSeconds());
        }
        case "authorization_declined", "access_denied" ->
            finish(attempt, SignInStatus.DECLINED, AuthErrors.translate(e, context(signInRequest)));
        case "expired_token", "code_expired" ->
            finish(attempt, SignInStatus.EXPIRED, AuthErrors.translate(e, context(signInRequest)));
        default -> {
          MailboxException failure = AuthErrors.translate(e, context(signInRequest));
          if (!failure.retryable()) {
            finish(attempt, SignInStatus.FAILED, failure);
          }
        }
      }
    } catch (MailboxException e) {
      if (!e.retryable()) {
        finish(attempt, SignInStatus.FAILED, e);
      }
    } catch (RuntimeException e) {
      finish(attempt, SignInStatus.FAILED, AuthErrors.translate(e, context(signInRequest)));
    }
  }

  private void finish(Attempt attempt, SignInStatus status, MailboxException failure) {
    if (attempt.status != SignInStatus.PENDING) {
      return; // cancelled meanwhile: the interrupted poll's failure is not the outcome
    }
    attempt.status = status;
    attempt.result.completeExceptionally(failure);
  }

  /** Waits until the started sign-in ends; a timeout leaves it running (await again or cancel). */
  public AccessToken await(Duration timeout) {
    Attempt attempt = current.get();
    if (attempt == null) {
      throw new IllegalStateException("no device-code sign-in was started: call start() first");
    }
    long started = System.nanoTime();
    try {
      return attempt.result.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new MailboxException("interrupted while waiting for the device-code sign-in", e);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof MailboxException m ? m : AuthErrors.translate(e.getCause(), context(signInRequest));
    } catch (TimeoutException e) {
      // only a real timeout gets here (an answer from Entra ID completes the result with its own diagnosis), and it
      // says how long this call really waited, not the timeout asked for
      Duration waited = Duration.ofNanos(System.nanoTime() - started);
      Diagnosis d = Diagnosis.builder(SetupStep.SIGN_IN_AGAIN, "device_code_pending")
          .summary("The user has not completed the device-code sign-in after " + seconds(waited) + " s of waiting"
              + " (the code stays valid until " + attempt.challenge.expiresAt() + ")")
          .fix("Enter code " + attempt.challenge.userCode() + " at " + attempt.challenge.verificationUri()
              + " before " + attempt.challenge.expiresAt())
          .retryable(true)
          .build();
      throw new MailboxAuthenticationException(d, e);
    } catch (CancellationException e) {
      throw new MailboxException("the device-code sign-in was cancelled", e);
    }
  }

  private static String seconds(Duration d) {
    return String.format(java.util.Locale.ROOT, "%.1f", d.toMillis() / 1000.0);
  }

  public SignInStatus status() {
    Attempt attempt = current.get();
    return attempt == null ? SignInStatus.NOT_STARTED : attempt.status;
  }

  public Optional<DeviceCodeChallenge> challenge() {
    return Optional.ofNullable(current.get()).filter(a -> a.status == SignInStatus.PENDING).map(a -> a.challenge);
  }

  public void cancel() {
    Attempt attempt = current.get();
    if (attempt != null && attempt.status == SignInStatus.PENDING) {
      attempt.status = SignInStatus.CANCELLED;
      Future<?> polling = attempt.polling;
      if (polling != null) {
        polling.cancel(true);
      }
      attempt.result.cancel(false);
    }
  }

  /** Whether the token store holds a sign-in for this app and authority. */
  public boolean isSignedIn() {
    return msal.account(context(signInRequest)).isPresent();
  }

  public void signOut() {
    msal.signOut(context(signInRequest));
    invalidateAllTokens();
  }

  private void invalidateAllTokens() {
    invalidate(signInRequest);
  }

  @Override
  protected AccessToken acquire(TokenRequest request) {
    AuthContext context = context(request);
    Optional<IAccount> account = msal.account(context);
    if (account.isEmpty()) {
      Diagnosis d = Diagnosis.builder(SetupStep.SIGN_IN_AGAIN, "not_signed_in")
          .summary("No user has signed in with a device code for app " + app.clientId() + " yet")
          .fix("Start the device-code sign-in (start() or 'o365mail login') and enter the code")
          .build();
      throw new MailboxAuthenticationException(d, null);
    }
    return msal.refresh(request, account.get(), context);
  }

  @Override
  public CredentialKind kind() {
    return CredentialKind.DELEGATED;
  }

  @Override
  public String credentialLabel() {
    return "device-code sign-in";
  }

  @Override
  public void close() {
    cancel();
    poller.shutdownNow();
    super.close();
  }
}
