package org.o365mail.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class FileTokenStoreTest {
  static final int INCREMENTS = 400;

  @Test
  void roundTrip_ownerOnlyFiles_andAtomicReplace(@TempDir Path dir) throws Exception {
    FileTokenStore store = FileTokenStore.builder(dir.resolve("tokens")).build();
    assertThat(store.read("k")).isEmpty();
    store.write("k", "one".getBytes(StandardCharsets.UTF_8));
    store.write("k", "two".getBytes(StandardCharsets.UTF_8));
    assertThat(new String(store.read("k").orElseThrow(), StandardCharsets.UTF_8)).isEqualTo("two");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(store.directory()))).isEqualTo("rwx------");
    try (var files = Files.list(store.directory())) {
      List<Path> list = files.toList();
      assertThat(list).noneMatch(p -> p.getFileName().toString().startsWith(".tmp-"));
      for (Path p : list) {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p))).isEqualTo("rw-------");
      }
    }
    store.delete("k");
    assertThat(store.read("k")).isEmpty();
  }

  @Test
  void encryption_needsTheSameKey_andDetectsTampering(@TempDir Path dir) throws Exception {
    byte[] key = new byte[32];
    key[0] = 7;
    FileTokenStore store = FileTokenStore.builder(dir).encryptionKey(key).build();
    store.write("k", "refresh-token-material".getBytes(StandardCharsets.UTF_8));
    Path file;
    try (var files = Files.list(dir)) {
      file = files.filter(p -> p.toString().endsWith(".enc")).findFirst().orElseThrow();
    }
    assertThat(new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1)).doesNotContain("refresh-token");
    assertThat(new String(store.read("k").orElseThrow(), StandardCharsets.UTF_8)).isEqualTo("refresh-token-material");

    byte[] other = new byte[32];
    FileTokenStore wrongKey = FileTokenStore.builder(dir).encryptionKey(other).build();
    assertThatThrownBy(() -> wrongKey.read("k")).isInstanceOf(IllegalStateException.class).hasMessageContaining("key");

    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length - 1] ^= 1;
    Files.write(file, bytes);
    assertThatThrownBy(() -> store.read("k")).isInstanceOf(IllegalStateException.class).hasMessageContaining("altered");
    assertThatThrownBy(() -> FileTokenStore.builder(dir).encryptionKey(new byte[16]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("32 bytes");
  }

  /** Two processes incrementing a counter under the store's lock never lose an update. */
  @Test
  void twoProcessesSharingTheStore_neverLoseAnUpdate(@TempDir Path dir) throws Exception {
    FileTokenStore store = FileTokenStore.builder(dir).build();
    store.write("counter", "0".getBytes(StandardCharsets.UTF_8));
    Process child = new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp", System.getProperty("java.class.path"),
            Incrementer.class.getName(), dir.toString(), Integer.toString(INCREMENTS))
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("child.log").toFile())
        .start();
    Path started = dir.resolve("started");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!Files.exists(started) && System.nanoTime() < deadline && child.isAlive()) {
      Thread.onSpinWait();
    }
    Incrementer.increment(store, INCREMENTS);
    assertThat(child.waitFor(50, TimeUnit.SECONDS)).isTrue();
    assertThat(child.exitValue()).as(Files.readString(dir.resolve("child.log"))).isZero();
    assertThat(new String(store.read("counter").orElseThrow(), StandardCharsets.UTF_8))
        .isEqualTo(Integer.toString(2 * INCREMENTS));
  }

  /** The child process of {@link #twoProcessesSharingTheStore_neverLoseAnUpdate}. */
  public static final class Incrementer {
    public static void main(String[] args) throws java.io.IOException {
      FileTokenStore store = FileTokenStore.builder(new File(args[0]).toPath()).build();
      Files.createFile(new File(args[0], "started").toPath());
      increment(store, Integer.parseInt(args[1]));
    }

    static void increment(FileTokenStore store, int times) {
      for (int i = 0; i < times; i++) {
        store.withLock("counter", () -> {
          int n = Integer.parseInt(new String(store.read("counter").orElseThrow(), StandardCharsets.UTF_8));
          Thread.yield();
          store.write("counter", Integer.toString(n + 1).getBytes(StandardCharsets.UTF_8));
          return null;
        });
      }
    }
  }
}
