package org.o365mail.auth;

import com.microsoft.aad.msal4j.ITokenCacheAccessAspect;
import com.microsoft.aad.msal4j.ITokenCacheAccessContext;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import org.o365mail.Diagnosis;
import org.o365mail.MailboxAuthenticationException;
import org.o365mail.MailboxException;
import org.o365mail.SetupStep;

/**
 * Keeps one MSAL application's token cache in a {@link TokenStore}: loaded before each access when the stored
 * copy changed (another process refreshed), saved after each access that changed it (a rotated refresh token).
 */
final class MsalCacheBridge implements ITokenCacheAccessAspect {
  private final TokenStore store;
  private final String key;
  private volatile byte[] lastSeen = new byte[0];

  public MsalCacheBridge(TokenStore store, String key) {
    this.store = store;
    this.key = key;
  }

  public TokenStore store() {
    return store;
  }

  public String key() {
    return key;
  }

  @Override
  public void beforeCacheAccess(ITokenCacheAccessContext context) {
    Optional<byte[]> stored;
    try {
      stored = store.read(key);
    } catch (MailboxException e) {
      throw e;
    } catch (RuntimeException e) {
      throw failed("read", e);
    }
    if (stored.isPresent() && !Arrays.equals(stored.get(), lastSeen)) {
      try {
        context.tokenCache().deserialize(new String(stored.get(), StandardCharsets.UTF_8));
      } catch (RuntimeException e) {
        // MSAL's JSON reader fails with an I/O exception at the root, which read as a network failure before
        Diagnosis d = Diagnosis.builder(SetupStep.TOKEN_STORE, "token_store_corrupt")
            .summary("The token store entry " + store.location(key) + " is not a token cache (damaged or not written"
                + " by this SDK); it was not used")
            .fix("Remove " + store.location(key) + " and sign in again (o365mail login)")
            .build();
        throw new MailboxAuthenticationException(d, null);
      }
      lastSeen = stored.get();
    }
  }

  @Override
  public void afterCacheAccess(ITokenCacheAccessContext context) {
    if (context.hasCacheChanged()) {
      byte[] data = context.tokenCache().serialize().getBytes(StandardCharsets.UTF_8);
      try {
        store.write(key, data);
      } catch (MailboxException e) {
        throw e;
      } catch (RuntimeException e) {
        throw failed("written", e);
      }
      lastSeen = data;
    }
  }

  /**
   * A store failure inside MSAL's cache callback: said as such, so that it is not taken for a network failure on
   * the way out (MSAL wraps it, and an I/O exception at the root would otherwise read as "cannot reach Entra ID").
   */
  private MailboxException failed(String what, RuntimeException e) {
    Diagnosis d = Diagnosis.builder(SetupStep.TOKEN_STORE, "token_store_failed")
        .summary("The token store " + store + " could not be " + what + " (" + e.getClass().getSimpleName() + ")")
        .fix("Check the token store (its directory, permissions, disk space); if it is damaged, remove its file and"
            + " sign in again")
        .build();
    return new MailboxAuthenticationException(d, e);
  }
}
