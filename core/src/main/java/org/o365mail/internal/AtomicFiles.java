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
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Files replaced whole or not at all, durably across a power cut: written beside the target, forced to disk, renamed
 * over it, and the directory forced so that the rename itself is on disk.
 *
 * <p>Where the file system cannot rename atomically, {@link #move} fails with an {@link IOException} naming the file
 * system instead of falling back to a plain move: a plain move is a copy and a delete, and a crash in between leaves
 * a torn checkpoint or token cache, or an {@code .eml} file that looks complete and is not. A rename within one
 * directory is atomic on every local file system the JDK supports; the failure comes from network or FUSE mounts, and
 * the fix is to put the directory on a local disk.
 */
public final class AtomicFiles {
  private static final Logger logger = LoggerFactory.getLogger(AtomicFiles.class);
  /** Set once a directory could not be opened for a force: said once, then every later attempt is silent. */
  private static final AtomicBoolean DIRECTORY_FORCE_UNSUPPORTED = new AtomicBoolean();

  private AtomicFiles() {}

  /**
   * Replaces {@code target} with {@code data}: a reader (or a process started after a crash or a power cut) sees the
   * old content or the new, never a part.
   *
   * @param suffix the temporary file's suffix ({@code .json}, {@code .tok})
   * @param attributes for the temporary file, which becomes the target (e.g. owner-only permissions)
   * @throws IOException also when the file system cannot rename atomically (see the class comment)
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
      move(temp, target);
      temp = null;
      forceDirectory(target.toAbsolutePath().getParent());
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

  /**
   * Renames {@code source} to {@code target} atomically, replacing it if it exists; does not force the directory.
   *
   * @throws IOException if the file system cannot rename atomically (naming it), or the rename failed
   */
  public static void move(Path source, Path target) throws IOException {
    try {
      Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      String type;
      try {
        type = Files.getFileStore(source).type();
      } catch (IOException unknown) {
        type = "unknown";
      }
      throw new IOException("the file system of " + target + " (" + type + ") cannot rename files atomically, so a"
          + " crash could leave a torn file; put it on a local disk", e);
    }
  }

  /**
   * Forces {@code directory} to disk, so that files created, renamed or removed in it are there after a power cut
   * (Linux: {@code fsync} of the directory, as fsync(2) says: "an explicit fsync() on a file descriptor for the
   * directory is also needed", https://man7.org/linux/man-pages/man2/fsync.2.html). Where the platform cannot open a
   * directory as a channel (Windows, where NTFS journals the rename itself), says so once and goes on.
   *
   * @throws IOException if the directory was opened and the force failed (an I/O error: the data may not be on disk)
   */
  public static void forceDirectory(Path directory) throws IOException {
    if (DIRECTORY_FORCE_UNSUPPORTED.get()) {
      return;
    }
    FileChannel channel;
    try {
      channel = FileChannel.open(directory, StandardOpenOption.READ);
    } catch (IOException | UnsupportedOperationException e) {
      if (!Files.isDirectory(directory)) {
        throw new java.nio.file.NoSuchFileException(directory.toString());
      }
      if (DIRECTORY_FORCE_UNSUPPORTED.compareAndSet(false, true)) {
        logger.info("Directories cannot be forced to disk on this platform ({}: {}); renames rely on the file"
            + " system's own journal", e.getClass().getSimpleName(), e.getMessage());
      }
      return;
    }
    try (channel) {
      channel.force(true);
    }
  }
}
