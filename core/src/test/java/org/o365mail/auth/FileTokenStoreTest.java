package org.o365mail.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.nio.file.attribute.UserPrincipal;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.o365mail.MailboxAuthenticationException;
import org.o365mail.SetupStep;
import org.o365mail.testsupport.CapturingLoggerProvider;

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
    assertRefused(() -> wrongKey.read("k"), file, "another key");

    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length - 1] ^= 1;
    Files.write(file, bytes);
    assertRefused(() -> store.read("k"), file, "altered");
    assertThatThrownBy(() -> FileTokenStore.builder(dir).encryptionKey(new byte[16]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("32 bytes");
  }

  @Test
  void plaintextFile_whereAKeyIsConfigured_isRefusedNamingTheFile_andLeftForTheUser(@TempDir Path dir) throws Exception {
    byte[] key = new byte[32];
    key[1] = 9;
    FileTokenStore plain = FileTokenStore.builder(dir).build();
    plain.write("k", "{\"RefreshToken\":{\"planted\":{\"secret\":\"planted-refresh-token\"}}}"
        .getBytes(StandardCharsets.UTF_8));
    Path json = only(dir, ".json");
    Path planted = json.resolveSibling(json.getFileName().toString().replace(".json", ".enc"));
    Files.move(json, planted);
    byte[] before = Files.readAllBytes(planted);
    FileTokenStore sealed = FileTokenStore.builder(dir).encryptionKey(key).build();

    MailboxAuthenticationException e = assertRefused(() -> sealed.read("k"), planted, "not encrypted");
    assertThat(e.diagnosis().orElseThrow().fix()).contains("Remove the file and sign in again");
    assertThat(e.getMessage()).doesNotContain("planted-refresh-token");
    assertThat(Files.readAllBytes(planted)).as("refused, not rewritten").isEqualTo(before);
  }

  @Test
  void encryptedOrTruncatedFile_isRefused_withAndWithoutAKey(@TempDir Path dir) throws Exception {
    byte[] key = new byte[32];
    key[2] = 5;
    FileTokenStore sealed = FileTokenStore.builder(dir).encryptionKey(key).build();
    sealed.write("k", "cache".getBytes(StandardCharsets.UTF_8));
    Path enc = only(dir, ".enc");
    Path asJson = enc.resolveSibling(enc.getFileName().toString().replace(".enc", ".json"));
    Files.copy(enc, asJson);
    assertRefused(() -> FileTokenStore.builder(dir).build().read("k"), asJson, "no encryption key");

    byte[] whole = Files.readAllBytes(enc);
    Files.write(enc, java.util.Arrays.copyOf(whole, 10));
    assertRefused(() -> sealed.read("k"), enc, "truncated");
    Files.write(enc, java.util.Arrays.copyOf(whole, whole.length - 3));
    assertRefused(() -> sealed.read("k"), enc, "cannot be decrypted");
  }

  @Test
  void looseExistingDirectory_isTightenedWithOneWarning(@TempDir Path dir) throws Exception {
    Path tokens = Files.createDirectory(dir.resolve("tokens"), PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rwxrwxrwx")));
    Files.setPosixFilePermissions(tokens, PosixFilePermissions.fromString("rwxrwxrwx"));
    Path old = Files.writeString(tokens.resolve("tokens-0123.json"), "{}");
    Files.setPosixFilePermissions(old, PosixFilePermissions.fromString("rw-rw-r--"));
    CapturingLoggerProvider.clear();

    FileTokenStore.builder(tokens).build();
    FileTokenStore.builder(tokens).build();

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tokens))).isEqualTo("rwx------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(old))).isEqualTo("rw-------");
    assertThat(CapturingLoggerProvider.count("WARN", "Token store directory", tokens.toString())).isEqualTo(1);
  }

  @Test
  void existingDirectoryOfAnotherUser_isRefused(@TempDir Path dir) throws Exception {
    Path tokens = Files.createDirectory(dir.resolve("tokens"));
    var lookup = tokens.getFileSystem().getUserPrincipalLookupService();
    UserPrincipal other;
    try {
      other = lookup.lookupPrincipalByName("nobody");
    } catch (java.nio.file.attribute.UserPrincipalNotFoundException e) {
      Assumptions.abort("no user 'nobody' on this machine");
      return;
    }
    Assumptions.assumeTrue(!other.equals(lookup.lookupPrincipalByName(System.getProperty("user.name"))));
    try {
      Files.setOwner(tokens, other);
    } catch (java.io.IOException e) {
      Assumptions.abort("cannot give a directory to another user here (needs root): " + e);
    }
    assertThatThrownBy(() -> FileTokenStore.builder(tokens).build())
        .isInstanceOfSatisfying(MailboxAuthenticationException.class, e -> {
          assertThat(e.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.TOKEN_STORE);
          assertThat(e.getMessage()).contains(tokens.toString()).contains("belongs to user nobody");
        });
  }

  static MailboxAuthenticationException assertRefused(ThrowingCallable read, Path file, String why) {
    MailboxAuthenticationException e = catchThrowableOfType(MailboxAuthenticationException.class, read);
    assertThat(e).as("refused: " + why).isNotNull();
    assertThat(e.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.TOKEN_STORE);
    assertThat(e.getMessage()).contains(file.toString()).contains(why);
    return e;
  }

  static Path only(Path dir, String suffix) throws java.io.IOException {
    try (var files = Files.list(dir)) {
      return files.filter(p -> p.toString().endsWith(suffix)).findFirst().orElseThrow();
    }
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
