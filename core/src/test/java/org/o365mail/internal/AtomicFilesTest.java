package org.o365mail.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Whole-or-nothing replacement, and the directory force that makes a rename survive a power cut. */
@Timeout(30)
class AtomicFilesTest {
  @TempDir Path tmp;

  @Test
  void replace_leavesTheNewContentAndNoTemporaryFile() throws IOException {
    Path target = tmp.resolve("checkpoint.json");
    AtomicFiles.replace(target, "old".getBytes(StandardCharsets.UTF_8), ".json");
    AtomicFiles.replace(target, "new".getBytes(StandardCharsets.UTF_8), ".json");
    assertThat(Files.readString(target)).isEqualTo("new");
    try (Stream<Path> files = Files.list(tmp)) {
      assertThat(files).containsExactly(target);
    }
  }

  @Test
  void forceDirectory_forcesAnExistingDirectory_andNamesAMissingOne() throws IOException {
    AtomicFiles.forceDirectory(tmp); // Linux opens a directory for reading and fsyncs it: no exception
    Path missing = tmp.resolve("gone");
    assertThatThrownBy(() -> AtomicFiles.forceDirectory(missing)).isInstanceOf(NoSuchFileException.class)
        .hasMessageContaining("gone");
  }

  @Test
  void move_replacesTheTargetAtomically() throws IOException {
    Path part = Files.writeString(tmp.resolve(".m.part"), "complete");
    Path target = Files.writeString(tmp.resolve("m.eml"), "older");
    AtomicFiles.move(part, target);
    assertThat(Files.readString(target)).isEqualTo("complete");
    assertThat(part).doesNotExist();
  }
}
