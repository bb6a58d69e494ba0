package org.o365mail.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Files and directories readable by their owner alone (0600 and 0700) whatever the umask: the permissions are given
 * at creation, so there is no instant at which another user could open them. On file systems without POSIX
 * permissions (Windows) nothing is set and the directory's ACLs apply.
 */
public final class OwnerOnly {
  public static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
  public static final Set<PosixFilePermission> DIRECTORY = PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> GROUP_OR_OTHER = EnumSet.of(PosixFilePermission.GROUP_READ,
      PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
      PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

  private OwnerOnly() {}

  public static boolean posix(Path path) {
    return path.getFileSystem().supportedFileAttributeViews().contains("posix");
  }

  /** The attributes to create a file with: owner read and write, or none where the file system has no modes. */
  public static FileAttribute<?>[] fileAttributes(Path path) {
    return posix(path) ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(FILE)} : new FileAttribute<?>[0];
  }

  /** Creates {@code directory} and any missing parents, each new one 0700; existing ones are left as they are. */
  public static Path createDirectories(Path directory) throws IOException {
    if (posix(directory)) {
      return Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(DIRECTORY));
    }
    return Files.createDirectories(directory);
  }

  /**
   * Removes group and other rights from {@code path} (a file to 0600 at most, a directory to 0700 at most).
   *
   * @return whether it had any (and so was changed); false where the file system has no modes
   */
  public static boolean tighten(Path path) throws IOException {
    if (!posix(path)) {
      return false;
    }
    Set<PosixFilePermission> now = Files.getPosixFilePermissions(path);
    if (now.stream().noneMatch(GROUP_OR_OTHER::contains)) {
      return false;
    }
    Set<PosixFilePermission> owner = EnumSet.copyOf(now);
    owner.removeAll(GROUP_OR_OTHER);
    Files.setPosixFilePermissions(path, owner);
    return true;
  }

  /**
   * {@link #tighten} on {@code directory} and on each regular file directly in it; a symbolic link is left alone
   * (tightening it would change its target, which may lie anywhere).
   *
   * @return whether anything was changed
   */
  public static boolean tightenTree(Path directory) throws IOException {
    boolean tightened = tighten(directory);
    try (Stream<Path> files = Files.list(directory)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
          tightened |= tighten(file);
        }
      }
    }
    return tightened;
  }
}
