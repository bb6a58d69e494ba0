package org.o365mail.importer;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** {@link CheckpointStore#inMemory()}: for tests and for imports that may start over after a restart. */
final class InMemoryCheckpointStore implements CheckpointStore {
  private final Map<CheckpointKey, Checkpoint> checkpoints = new ConcurrentHashMap<>();
  private final Map<CheckpointKey, Set<String>> seen = new ConcurrentHashMap<>();

  @Override
  public Optional<Checkpoint> load(CheckpointKey key) {
    return Optional.ofNullable(checkpoints.get(key));
  }

  @Override
  public void save(CheckpointKey key, Checkpoint checkpoint) {
    checkpoints.put(key, checkpoint);
  }

  @Override
  public void recordSeen(CheckpointKey key, String messageKey) {
    seen.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet()).add(messageKey);
  }

  @Override
  public boolean seen(CheckpointKey key, String messageKey) {
    return seen.getOrDefault(key, Set.of()).contains(messageKey);
  }
}
