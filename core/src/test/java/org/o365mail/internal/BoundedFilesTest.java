package org.o365mail.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.o365mail.auth.ClientSecret;

class BoundedFilesTest {

  @Test
  void aFileUpToTheCapIsRead_oneByteMoreIsRefused(@TempDir Path dir) throws IOException {
    Path file = Files.write(dir.resolve("f"), new byte[100]);
    assertThat(BoundedFiles.read(file, 100)).hasSize(100);
    assertThatThrownBy(() -> BoundedFiles.read(file, 99)).isInstanceOf(IOException.class)
        .hasMessageContaining("more than 99 bytes");
  }

  @Test
  void aMissingFileIsNoSuchFile_aDirectoryIsRefused(@TempDir Path dir) {
    assertThatThrownBy(() -> BoundedFiles.read(dir.resolve("missing"), 10)).isInstanceOf(NoSuchFileException.class);
    assertThatThrownBy(() -> BoundedFiles.read(dir, 10)).hasMessageContaining("not a regular file");
  }

  @Test
  void aFifoOrADeviceIsRefusedAtOnce_withoutBlockingOrFillingTheHeap(@TempDir Path dir) throws Exception {
    Path zero = Path.of("/dev/zero");
    assumeTrue(Files.exists(zero), "no /dev/zero here");
    Path fifo = dir.resolve("fifo");
    Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
    assumeTrue(mkfifo.waitFor() == 0, "no mkfifo here");
    assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
      assertThatThrownBy(() -> BoundedFiles.read(fifo, 10)).hasMessageContaining("not a regular file");
      assertThatThrownBy(() -> BoundedFiles.read(zero, 10)).hasMessageContaining("not a regular file");
      assertThatThrownBy(() -> ClientSecret.fromFile(zero)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("not a regular file");
    });
  }
}
