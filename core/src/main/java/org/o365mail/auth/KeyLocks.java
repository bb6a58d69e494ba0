package org.o365mail.auth;

import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;

/** Per-store, per-key monitor objects for {@link TokenStore#withLock}'s default. */
final class KeyLocks {
  private static final Map<TokenStore, Map<String, Object>> LOCKS = new WeakHashMap<>();

  private KeyLocks() {}

  static Object forKey(TokenStore store, String key) {
    Map<String, Object> perStore;
    synchronized (LOCKS) {
      perStore = LOCKS.computeIfAbsent(store, s -> new ConcurrentHashMap<>());
    }
    return perStore.computeIfAbsent(key, k -> new Object());
  }
}
