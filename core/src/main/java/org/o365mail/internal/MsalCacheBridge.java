package org.o365mail.internal;

import com.microsoft.aad.msal4j.ITokenCacheAccessAspect;
import com.microsoft.aad.msal4j.ITokenCacheAccessContext;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import org.o365mail.auth.TokenStore;

/**
 * Keeps one MSAL application's token cache in a {@link TokenStore}: loaded before each access when the stored
 * copy changed (another process refreshed), saved after each access that changed it (a rotated refresh token).
 */
public final class MsalCacheBridge implements ITokenCacheAccessAspect {
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
    Optional<byte[]> stored = store.read(key);
    if (stored.isPresent() && !Arrays.equals(stored.get(), lastSeen)) {
      context.tokenCache().deserialize(new String(stored.get(), StandardCharsets.UTF_8));
      lastSeen = stored.get();
    }
  }

  @Override
  public void afterCacheAccess(ITokenCacheAccessContext context) {
    if (context.hasCacheChanged()) {
      byte[] data = context.tokenCache().serialize().getBytes(StandardCharsets.UTF_8);
      store.write(key, data);
      lastSeen = data;
    }
  }
}
