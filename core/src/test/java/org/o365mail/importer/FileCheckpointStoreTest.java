package org.o365mail.importer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.o365mail.SyncState;
import org.o365mail.testing.CapturingLoggerProvider;

/** Owner-only files of {@link FileCheckpointStore}. */
class FileCheckpointStoreTest {
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
    {
      FileCheckpointStore store = new FileCheckpointStore(dir);
      store.save(KEY, Checkpoint.initial(SyncState.BEGINNING, Instant.EPOCH));
      store.recordSeen(KEY, "key-1");
      store.recordSeen(KEY, "key-2");

      assertThat(mode(tmp.resolve("a"))).isEqualTo("rwx------");
      assertThat(mode(tmp.resolve("a/b"))).isEqualTo("rwx------");
      assertThat(mode(dir)).isEqualTo("rwx------");
      List<Path> files;
      try (Stream<Path> s = Files.list(dir)) {
        files = s.toList();
      }
      assertThat(files).extracting(p -> p.getFileName().toString())
          .anyMatch(n -> n.endsWith(".checkpoint.json")).anyMatch(n -> n.endsWith(".seen"))
          .hasSize(2);
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

    new FileCheckpointStore(dir);

    assertThat(mode(dir)).isEqualTo("rwx------");
    assertThat(mode(seen)).isEqualTo("rw-------");
    assertThat(CapturingLoggerProvider.count("WARN", dir.toString())).isEqualTo(1);

    CapturingLoggerProvider.clear();
    new FileCheckpointStore(dir);
    assertThat(CapturingLoggerProvider.count(dir.toString())).as("nothing to tighten the second time").isZero();
  }
}
