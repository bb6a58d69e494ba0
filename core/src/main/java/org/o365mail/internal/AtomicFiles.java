package org.o365mail.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;

/** Files replaced whole or not at all: written beside the target, forced to disk, then renamed over it. */
public final class AtomicFiles {
  private AtomicFiles() {}

  /**
   * Replaces {@code target} with {@code data}: a reader (or a process started after a crash) sees the old content or
   * the new, never a part.
   *
   * @param suffix the temporary file's suffix ({@code .json}, {@code .tok})
   * @param attributes for the temporary file, which becomes the target (e.g. owner-only permissions)
   */
  public static void replace(Path target, byte[] data, String suffix, FileAttribute<?>... attributes)
      throws IOException {
    Path temp = Files.createTempFile(target.getParent(), ".tmp-", suffix, attributes);
    try {
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer buffer = ByteBuffer.wrap(data);
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
        channel.force(true);
      }
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      temp = null;
    } finally {
      if (temp != null) {
        try {
          Files.deleteIfExists(temp);
        } catch (IOException ignored) {
          // best effort: a leftover temporary file is never read
        }
      }
    }
  }
}
