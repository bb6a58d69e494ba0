package org.o365mail.importer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.o365mail.SyncState;
import org.o365mail.testsupport.CapturingLoggerProvider;

/** Owner-only files and the lease's lock file of {@link FileCheckpointStore}. */
class FileCheckpointStoreTest {
  private static final Duration TTL = Duration.ofMinutes(5);
  private static final CheckpointKey KEY = new CheckpointKey("memory", "box@contoso.com", "Inbox");

  @TempDir Path tmp;

  private static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  private static void assumePosix(Path p) {
    assumeTrue(p.getFileSystem().supportedFileAttributeViews().contains("posix"), "POSIX file modes");
  }

  @Test
  void everyFileAndDirectoryItCreates_isTheOwnersAlone_evenUnderAPermissiveParent() throws IOException {
    assumePosix(tmp);
    // the umask cannot be changed from the JVM: a world-writable parent stands in for a permissive one, and the
    // modes asserted are exact, so nothing the umask would have added or kept passes
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
    Path dir = tmp.resolve("a/b/checkpoints");
    try (FileCheckpointStore store = new FileCheckpointStore(dir)) {
      store.save(KEY, Checkpoint.initial(SyncState.BEGINNING, Instant.EPOCH));
      store.recordSeen(KEY, "key-1");
      store.recordSeen(KEY, "key-2");
      assertThat(store.tryLease("box@contoso.com", "me", TTL)).isTrue();

      assertThat(mode(tmp.resolve("a"))).isEqualTo("rwx------");
      assertThat(mode(tmp.resolve("a/b"))).isEqualTo("rwx------");
      assertThat(mode(dir)).isEqualTo("rwx------");
      List<Path> files;
      try (Stream<Path> s = Files.list(dir)) {
        files = s.toList();
      }
      assertThat(files).extracting(p -> p.getFileName().toString())
          .anyMatch(n -> n.endsWith(".checkpoint.json")).anyMatch(n -> n.endsWith(".seen"))
          .anyMatch(n -> n.endsWith(".lock")).hasSize(3);
      for (Path f : files) {
        assertThat(mode(f)).as(f.getFileName().toString()).isEqualTo("rw-------");
      }
      assertThat(store.checkpointFile(KEY)).exists();
    }
  }

  @Test
  void anExistingDirectoryOpenToOthers_isTightened_withOneWarningNamingIt() throws IOException {
    assumePosix(tmp);
    Path dir = Files.createDirectory(tmp.resolve("old"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path seen = Files.writeString(dir.resolve("x.seen"), "key\n");
    Files.setPosixFilePermissions(seen, PosixFilePermissions.fromString("rw-r--r--"));
    CapturingLoggerProvider.clear();

    new FileCheckpointStore(dir).close();

    assertThat(mode(dir)).isEqualTo("rwx------");
    assertThat(mode(seen)).isEqualTo("rw-------");
    assertThat(CapturingLoggerProvider.count("WARN", dir.toString())).isEqualTo(1);

    CapturingLoggerProvider.clear();
    new FileCheckpointStore(dir).close();
    assertThat(CapturingLoggerProvider.count(dir.toString())).as("nothing to tighten the second time").isZero();
  }

  @Test
  void twoStoresOnOneDirectoryInOneJvm_excludeEachOther_untilTheFirstReleases() {
    Path dir = tmp.resolve("shared");
    FileCheckpointStore second = new FileCheckpointStore(dir);
    try (FileCheckpointStore first = new FileCheckpointStore(dir)) {
      assertThat(first.tryLease("box@contoso.com", "one", TTL)).isTrue();
      assertThat(first.tryLease("box@contoso.com", "one", TTL)).as("renewal").isTrue();
      assertThat(first.tryLease("box@contoso.com", "other", TTL)).as("another owner").isFalse();
      assertThat(second.tryLease("box@contoso.com", "one", TTL)).isFalse();
      assertThat(second.tryLease("other@contoso.com", "two", TTL)).as("another mailbox").isTrue();

      second.releaseLease("box@contoso.com", "one"); // not its lease: nothing happens
      assertThat(second.tryLease("box@contoso.com", "two", TTL)).isFalse();

      first.releaseLease("box@contoso.com", "one");
      assertThat(second.tryLease("box@contoso.com", "two", TTL)).isTrue();
      assertThat(first.tryLease("box@contoso.com", "one", TTL)).isFalse();

      second.close();
      assertThat(first.tryLease("box@contoso.com", "one", TTL)).as("close releases").isTrue();
      assertThat(first.tryLease("other@contoso.com", "one", TTL)).isTrue();
    }
  }

  @Test
  void groupInFlight_survivesARestart_andAfterACrashJoinsTheInterruptedKeys() {
    Checkpoint announced = Checkpoint.initial(SyncState.BEGINNING, Instant.EPOCH)
        .withHandled("k1", null, Instant.EPOCH)
        .withInFlightGroup(List.of("k1", "k2", "k3"), Instant.EPOCH);
    try (FileCheckpointStore store = new FileCheckpointStore(tmp)) {
      store.save(KEY, announced);
    }
    try (FileCheckpointStore restarted = new FileCheckpointStore(tmp)) {
      Checkpoint loaded = restarted.load(KEY).orElseThrow();
      assertThat(loaded.inFlightGroup()).containsExactly("k1", "k2", "k3");
      Checkpoint recovered = loaded.afterCrash(Instant.EPOCH);
      // k1 was committed as handled: not interrupted; the others may have reached the dead process
      assertThat(recovered.interrupted()).containsExactly("k2", "k3");
      assertThat(recovered.inFlightGroup()).isEmpty();
      assertThat(recovered.possiblyDelivered("k2")).isTrue();
      assertThat(recovered.possiblyDelivered("k1")).isFalse();
    }
  }

  @Test
  void recordSeenOfMany_isOneAppend_readBackAfterARestart() throws IOException {
    try (FileCheckpointStore store = new FileCheckpointStore(tmp)) {
      store.recordSeen(KEY, List.of("a", "b\nwith newline", "a", "c"));
      store.recordSeen(KEY, List.of("c", "d"));
    }
    Path seen;
    try (Stream<Path> s = Files.list(tmp)) {
      seen = s.filter(p -> p.toString().endsWith(".seen")).findFirst().orElseThrow();
    }
    assertThat(Files.readAllLines(seen)).hasSize(4);
    try (FileCheckpointStore restarted = new FileCheckpointStore(tmp)) {
      for (String k : List.of("a", "b\nwith newline", "c", "d")) {
        assertThat(restarted.seen(KEY, k)).as(k).isTrue();
      }
      assertThat(restarted.seen(KEY, "e")).isFalse();
    }
  }
}
