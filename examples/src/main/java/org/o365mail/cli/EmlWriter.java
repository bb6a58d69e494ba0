package org.o365mail.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Set;
import org.o365mail.importer.IncomingMessage;
import org.o365mail.importer.MessageHandler;

/**
 * The writer of {@code o365mail import} (public for the benchmarks): each message to {@code <key>.eml} atomically, a
 * file exists only when complete.
 */
public final class EmlWriter implements MessageHandler {
  private final Path dir;

  public EmlWriter(Path dir) {
    this.dir = dir;
  }

  @Override
  public void handle(IncomingMessage message) throws IOException {
    String name = fileName(message.idempotencyKey());
    Path target = dir.resolve(name + ".eml");
    if (Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
      return; // written before (a crash came before its checkpoint): the same key is the same message
    }
    Path part = dir.resolve("." + name + ".part");
    // a part left by a crash keeps the mode it was made with: made anew, it is the owner's alone (0600)
    Files.deleteIfExists(part);
    try (InputStream in = message.openMime();
        FileChannel channel = FileChannel.open(part, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
            ownerOnly(part))) {
      OutputStream os = Channels.newOutputStream(channel);
      in.transferTo(os);
      os.flush();
      channel.force(true);
    }
    try {
      try {
        Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      // refused (something else stands at the target): no part left behind for a message that may be parked
      Files.deleteIfExists(part);
      throw e;
    }
  }

  private static FileAttribute<?>[] ownerOnly(Path path) {
    return path.getFileSystem().supportedFileAttributeViews().contains("posix")
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
        : new FileAttribute<?>[0];
  }

  /** A file name (without {@code .eml}) for an idempotency key: readable, safe on every file system, unique. */
  public static String fileName(String key) {
    String safe = key.replaceAll("[^A-Za-z0-9._@=-]", "_");
    if (safe.length() > 120) {
      safe = safe.substring(0, 120);
    }
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
      return safe + "-" + HexFormat.of().formatHex(digest, 0, 4);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
