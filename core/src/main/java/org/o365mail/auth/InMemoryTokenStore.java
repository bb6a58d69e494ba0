package org.o365mail.auth;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** {@link TokenStore#inMemory()}. */
final class InMemoryTokenStore implements TokenStore {
  private final Map<String, byte[]> entries = new ConcurrentHashMap<>();

  @Override
  public Optional<byte[]> read(String key) {
    return Optional.ofNullable(entries.get(key)).map(byte[]::clone);
  }

  @Override
  public void write(String key, byte[] value) {
    entries.put(key, value.clone());
  }

  @Override
  public void delete(String key) {
    entries.remove(key);
  }

  @Override
  public String toString() {
    return "InMemoryTokenStore[" + entries.size() + " entries]";
  }
}
