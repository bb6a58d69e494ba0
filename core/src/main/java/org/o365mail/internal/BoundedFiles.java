package org.o365mail.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reading a file the SDK was pointed at (a secret, a certificate, a checkpoint, a token cache) whole, with a cap:
 * only a regular file is opened, so a FIFO or a device planted in its place fails at once instead of blocking or
 * filling the heap, and a file larger than the cap fails without being read.
 */
public final class BoundedFiles {
  private BoundedFiles() {}

  /**
   * The bytes of {@code file}, at most {@code max}.
   *
   * @throws NoSuchFileException when it does not exist
   * @throws IOException when it is not a regular file, holds more than {@code max} bytes, or cannot be read
   */
  public static byte[] read(Path file, int max) throws IOException {
    if (Files.notExists(file)) {
      throw new NoSuchFileException(file.toString());
    }
    if (!Files.isRegularFile(file)) {
      throw new IOException(file + " is not a regular file (a directory, a FIFO or a device): not read");
    }
    try (InputStream in = Files.newInputStream(file)) {
      byte[] bytes = in.readNBytes(max + 1);
      if (bytes.length > max) {
        throw new IOException(file + " holds more than " + max + " bytes, the most read from it");
      }
      return bytes;
    }
  }

  /** {@link #read(Path, int)} as UTF-8 text. */
  public static String readString(Path file, int max) throws IOException {
    return new String(read(file, max), StandardCharsets.UTF_8);
  }
}
