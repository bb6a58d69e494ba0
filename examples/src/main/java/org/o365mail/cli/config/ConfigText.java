package org.o365mail.cli.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.o365mail.ServiceText;

/**
 * Reading the configuration's files with caps, and showing configured text in messages. A file is read only when
 * it is a regular file no larger than its cap, so {@code /dev/zero}, a FIFO or a directory is refused at once,
 * before anything opens it (opening a FIFO would block until a writer comes).
 */
final class ConfigText {
  /**
   * The configuration file: a hand-written file of connections is a few KiB (the README's is 1 KiB); 1 MiB holds
   * thousands of connections and is still nothing to keep in memory.
   */
  static final int MAX_CONFIG_BYTES = 1 << 20;

  /**
   * A {@code file:} secret: a client secret is 40 characters, a token store key 44, a password rarely 100; 64 KiB
   * leaves room for any of them with comments and refuses a wrong file (a log, an archive) before reading it.
   */
  static final int MAX_SECRET_BYTES = 64 << 10;

  /**
   * A trust store or a certificate file: the JDK's cacerts with every public CA is about 200 KB, a PKCS#12
   * certificate with its chain a few KB; 4 MiB leaves room and refuses a wrong file.
   */
  static final int MAX_KEY_FILE_BYTES = 4 << 20;

  /** How much of a configured value a message shows. */
  static final int SHOWN = 80;

  private ConfigText() {}

  /** Why {@code file} cannot be read, or null when it is a readable regular file of at most {@code max} bytes. */
  static String unusable(Path file, long max) {
    if (Files.isDirectory(file)) {
      return file + " is a directory, not a file";
    }
    if (!Files.exists(file)) {
      return file + " does not exist";
    }
    if (!Files.isRegularFile(file)) {
      return file + " is not a regular file (a FIFO, a device or a socket), which is refused without reading it";
    }
    if (!Files.isReadable(file)) {
      return file + " cannot be read by this user";
    }
    try {
      long size = Files.size(file);
      if (size > max) {
        return file + " has " + size + " bytes, more than the " + max + " allowed";
      }
    } catch (IOException e) {
      return file + " cannot be read: " + ServiceText.printable(e.getMessage());
    }
    return null;
  }

  /**
   * Who besides the owner may read {@code file} ("group", "others", "group and others"), or null when nobody or
   * when the file system has no POSIX permissions.
   */
  static String readableByOthers(Path file) {
    Set<PosixFilePermission> mode;
    try {
      mode = Files.getPosixFilePermissions(file);
    } catch (UnsupportedOperationException | IOException e) {
      return null;
    }
    boolean group = mode.contains(PosixFilePermission.GROUP_READ);
    boolean others = mode.contains(PosixFilePermission.OTHERS_READ);
    if (!group && !others) {
      return null;
    }
    return (group && others ? "group and others" : group ? "group" : "others") + " ("
        + PosixFilePermissions.toString(mode) + ")";
  }

  /** A message of the SDK (which may quote a configured value) for a problem: escaped, at most 400 characters. */
  static String message(String text) {
    String t = String.valueOf(text);
    return t.length() <= 400 ? ServiceText.printable(t) : ServiceText.printable(t.substring(0, 400)) + "...";
  }

  /** {@code text} for a message: control characters escaped, at most {@value #SHOWN} characters. */
  static String shown(String text) {
    if (text.length() <= SHOWN) {
      return ServiceText.printable(text);
    }
    return ServiceText.printable(text.substring(0, SHOWN)) + "... (" + text.length() + " characters)";
  }
}
