package org.o365mail.auth;

import com.microsoft.aad.msal4j.AbstractClientApplicationBase;
import com.microsoft.aad.msal4j.ConfidentialClientApplication;
import com.microsoft.aad.msal4j.IClientCredential;
import com.microsoft.aad.msal4j.ITokenCacheAccessAspect;
import com.microsoft.aad.msal4j.PublicClientApplication;
import java.net.MalformedURLException;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.o365mail.MailboxException;
import org.o365mail.internal.SignInHttp;

/** Builds MSAL applications the same way for every strategy, and waits on MSAL's futures. */
final class MsalApps {
  private static final String APP_NAME = "o365-mail-sdk";

  private MsalApps() {}

  /**
   * A public client whose HTTP exchanges each end within {@code timeout} (see {@link SignInHttp}).
   */
  public static PublicClientApplication publicClient(
      AppRegistration app, ExecutorService executor, Duration timeout, ITokenCacheAccessAspect cache) {
    try {
      PublicClientApplication.Builder b = PublicClientApplication.builder(app.clientId()).authority(app.authority());
      configure(b, app, executor, timeout, cache);
      return b.build();
    } catch (MalformedURLException e) {
      throw new IllegalArgumentException("authority " + app.authority() + " is not a URL", e);
    }
  }

  /** A confidential client whose HTTP exchanges each end within {@code timeout} (see {@link SignInHttp}). */
  public static ConfidentialClientApplication confidentialClient(AppRegistration app, IClientCredential credential,
      ExecutorService executor, Duration timeout, ITokenCacheAccessAspect cache) {
    try {
      ConfidentialClientApplication.Builder b =
          ConfidentialClientApplication.builder(app.clientId(), credential).authority(app.authority());
      configure(b, app, executor, timeout, cache);
      return b.build();
    } catch (MalformedURLException e) {
      throw new IllegalArgumentException("authority " + app.authority() + " is not a URL", e);
    }
  }

  private static void configure(
      AbstractClientApplicationBase.Builder<?> b, AppRegistration app, ExecutorService executor, Duration timeout,
      ITokenCacheAccessAspect cache) {
    b.instanceDiscovery(!app.authorityHostOverridden())
        .applicationName(APP_NAME)
        .executorService(executor)
        .logPii(false)
        .httpClient(new MsalHttp(new SignInHttp(app.trust().orElse(null), app.proxy(), executor, timeout)))
        .disableInternalRetries();
    if (app.authorityHostOverridden()) {
      b.validateAuthority(false);
    }
    if (cache != null) {
      b.setTokenCacheAccessAspect(cache);
    }
  }

  /** Waits for an MSAL future; failures, timeouts and interrupts come back as the SDK's exceptions. */
  public static <T> T await(CompletableFuture<T> future, Duration timeout, AuthContext context) {
    try {
      return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      throw new MailboxException("interrupted while acquiring a token for app " + context.app().clientId(), e);
    } catch (ExecutionException e) {
      throw AuthErrors.translate(e.getCause(), context);
    } catch (TimeoutException e) {
      future.cancel(true);
      throw AuthErrors.translate(e, context);
    } catch (CancellationException e) {
      throw new MailboxException("token acquisition for app " + context.app().clientId() + " was cancelled", e);
    }
  }
}
