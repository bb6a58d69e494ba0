package org.o365mail.auth;

import java.util.Optional;
import java.util.function.Supplier;

/**
 * Where delegated strategies keep their token cache (accounts and refresh tokens) so sign-ins survive
 * restarts. Each strategy uses one key (derived from client id, authority and user). Implementations must be
 * thread-safe; {@link #withLock} must exclude other users of the same key, across processes when the store is
 * shared by several (the file store does), so that a refresh-token rotation is never lost.
 *
 * <p>The SDK ships {@link #inMemory()} and {@link FileTokenStore}; a database store implements the same four
 * methods.
 */
public interface TokenStore {
  /** The stored bytes for {@code key}, if any. */
  Optional<byte[]> read(String key);

  /** Replaces the bytes for {@code key}, atomically: a reader sees the old or the new value, never a mix. */
  void write(String key, byte[] value);

  /** Forgets {@code key} (sign-out). */
  void delete(String key);

  /** Where {@code key} is kept, for error messages (a file name, a table row); never its content. */
  default String location(String key) {
    return toString();
  }

  /**
   * Runs {@code action} while holding this store's lock for {@code key}. The default locks within this JVM
   * only.
   */
  default <T> T withLock(String key, Supplier<T> action) {
    Object lock = KeyLocks.forKey(this, key);
    synchronized (lock) {
      return action.get();
    }
  }

  /** A store in this JVM's memory: sign-ins last as long as the process. */
  static TokenStore inMemory() {
    return new InMemoryTokenStore();
  }
}
