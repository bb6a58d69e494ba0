package org.o365mail.auth;

import org.o365mail.internal.BoundedFiles;
import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import javax.crypto.SecretKey;
import org.o365mail.Diagnosis;
import org.o365mail.MailboxAuthenticationException;
import org.o365mail.SetupStep;
import org.o365mail.internal.AtomicFiles;
import org.o365mail.internal.OwnerOnly;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link TokenStore} in a directory: one file per key, readable and writable by the owner only (on POSIX
 * file systems), written atomically (temporary file, fsync, rename), encrypted with AES-256-GCM when given a
 * key, and locked per key across processes with a lock file, so two services sharing the directory never lose
 * a refresh-token rotation. Thread-safe.
 *
 * <p>A file that does not match the configuration is refused, never used and never overwritten: with a key, a
 * plaintext file, a file sealed under another key, or a truncated or altered one; without a key, an encrypted
 * file. The {@link MailboxAuthenticationException} (setup step {@link SetupStep#TOKEN_STORE}) names the file and
 * says how to fix it (remove the file and sign in again, or configure the right key). An existing directory that
 * other users can open is tightened to 0700 (its files to 0600) with one warning; one owned by another user is
 * refused.
 *
 * <pre>{@code
 * TokenStore store = FileTokenStore.builder(Path.of("/var/lib/myapp/tokens"))
 *     .encryptionKey(keyFromVault)          // 32 bytes; optional
 *     .build();
 * }</pre>
 */
public final class FileTokenStore implements TokenStore {
  private static final Logger logger = LoggerFactory.getLogger(FileTokenStore.class);
  private static final byte[] MAGIC = "O365TS1\0".getBytes(StandardCharsets.US_ASCII);
  /**
   * The largest token cache read: MSAL's cache of one sign-in is a few KB (tokens, account, id token); 16 MiB holds
   * thousands and refuses a planted or damaged file before it fills the heap.
   */
  private static final int MAX_FILE_BYTES = 16 << 20;

  private final Path directory;
  /** Null without an encryption key. */
  private final TokenSealing sealing;
  private final boolean posix;
  private final ConcurrentHashMap<String, ReentrantLock> jvmLocks = new ConcurrentHashMap<>();

  private FileTokenStore(Builder b) {
    this.directory = b.directory.toAbsolutePath();
    this.sealing = b.sealing;
    this.posix = directory.getFileSystem().supportedFileAttributeViews().contains("posix");
    try {
      if (!Files.isDirectory(directory)) {
        OwnerOnly.createDirectories(directory);
      } else if (posix) {
        checkExisting();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the token store directory " + directory, e);
    }
  }

  /**
   * A directory made by hand or by an older version may be open to others: tightened with one warning. One that
   * belongs to another user is refused: its owner could plant or read refresh tokens whatever its mode.
   */
  private void checkExisting() throws IOException {
    UserPrincipal owner = Files.getOwner(directory);
    UserPrincipal me;
    try {
      me = directory.getFileSystem().getUserPrincipalLookupService()
          .lookupPrincipalByName(System.getProperty("user.name"));
    } catch (UserPrincipalNotFoundException e) {
      me = null;
    }
    if (me != null && !owner.equals(me)) {
      throw refused("Token store directory " + directory + " belongs to user " + owner.getName() + ", not to "
          + me.getName() + "; it was not used", "Use a directory of your own for the token store (or have its owner hand it over with chown)");
    }
    if (OwnerOnly.tightenTree(directory)) {
      logger.warn("Token store directory {} was open to other users; it and its files are now its owner's alone"
          + " (0700, 0600)", directory);
    }
  }

  public static Builder builder(Path directory) {
    return new Builder(directory);
  }

  /** The directory holding the files. */
  public Path directory() {
    return directory;
  }

  public boolean encrypted() {
    return sealing != null;
  }

  @Override
  public Optional<byte[]> read(String name) {
    Path file = fileOf(name);
    byte[] data;
    try {
      data = BoundedFiles.read(file, MAX_FILE_BYTES);
    } catch (java.nio.file.NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      Diagnosis d = Diagnosis.builder(SetupStep.TOKEN_STORE, "token_store_unreadable")
          .summary("Token store file " + file + " cannot be read (" + e.getClass().getSimpleName() + ")")
          .fix("Give the file back to the user running this program (0600), or remove it and sign in again")
          .build();
      throw new MailboxAuthenticationException(d, e);
    }
    return Optional.of(decode(name, data, file));
  }

  @Override
  public void write(String name, byte[] value) {
    Path file = fileOf(name);
    byte[] data = encode(name, value);
    try {
      if (posix) {
        AtomicFiles.replace(file, data, ".tok", PosixFilePermissions.asFileAttribute(OwnerOnly.FILE));
      } else {
        AtomicFiles.replace(file, data, ".tok");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write token store file " + file, e);
    }
  }

  @Override
  public void delete(String name) {
    try {
      Files.deleteIfExists(fileOf(name));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete token store file " + fileOf(name), e);
    }
  }

  /** The file that holds {@code key}. */
  @Override
  public String location(String key) {
    return fileOf(key).toString();
  }

  /** Holds a JVM lock and an exclusive OS lock on the key's lock file while {@code action} runs. */
  @Override
  public <T> T withLock(String name, Supplier<T> action) {
    ReentrantLock jvmLock = jvmLocks.computeIfAbsent(name, k -> new ReentrantLock());
    jvmLock.lock();
    try {
      Path lockFile = directory.resolve(fileName(name) + ".lock");
      try (FileChannel channel = openLockFile(lockFile)) {
        FileLock lock = channel.lock();
        try {
          return action.get();
        } finally {
          lock.release();
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot lock token store file " + lockFile, e);
      }
    } finally {
      jvmLock.unlock();
    }
  }

  private FileChannel openLockFile(Path lockFile) throws IOException {
    if (posix && !Files.exists(lockFile)) {
      try {
        FileAttribute<Set<PosixFilePermission>> attr = PosixFilePermissions.asFileAttribute(OwnerOnly.FILE);
        Files.createFile(lockFile, attr);
      } catch (FileAlreadyExistsException e) {
        // another process created it first
      }
    }
    return FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
  }

  private Path fileOf(String name) {
    return directory.resolve(fileName(name) + (sealing != null ? ".enc" : ".json"));
  }

  private static String fileName(String name) {
    requireNonNull(name, "key");
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
      return "tokens-" + HexFormat.of().formatHex(digest, 0, 16);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private byte[] encode(String name, byte[] plain) {
    if (sealing == null) {
      return plain.clone();
    }
    byte[] sealed = sealing.seal(name, plain);
    byte[] out = Arrays.copyOf(MAGIC, MAGIC.length + sealed.length);
    System.arraycopy(sealed, 0, out, MAGIC.length, sealed.length);
    return out;
  }

  private byte[] decode(String name, byte[] data, Path file) {
    boolean sealed = data.length >= MAGIC.length && Arrays.equals(Arrays.copyOf(data, MAGIC.length), MAGIC);
    if (sealing == null) {
      if (sealed) {
        throw refused(file, "is encrypted but no encryption key is configured",
            "Configure the encryptionKey() it was written with, or remove the file and sign in again");
      }
      return data;
    }
    if (!sealed) {
      // a plaintext file where a sealed one belongs was not written by this store: someone may have planted a
      // refresh token of their choosing, so it is not used (and not overwritten: the user decides)
      throw refused(file, "is not encrypted although an encryption key is configured (written without the key,"
          + " or planted)", "Remove the file and sign in again (o365mail login), or configure the store without a key"
          + " if that file is yours");
    }
    if (data.length < MAGIC.length + TokenSealing.OVERHEAD) {
      throw refused(file, "is truncated", "Remove the file and sign in again (o365mail login)");
    }
    return sealing.open(name, data, MAGIC.length).orElseThrow(() -> refused(file, "cannot be decrypted with the"
        + " configured key (another key, or the file was truncated or altered)", "Configure the key it was written"
        + " with, or remove the file and sign in again (o365mail login)"));
  }

  private static MailboxAuthenticationException refused(Path file, String what, String fix) {
    return refused("Token store file " + file + " " + what + "; it was not used", fix);
  }

  private static MailboxAuthenticationException refused(String summary, String fix) {
    Diagnosis d = Diagnosis.builder(SetupStep.TOKEN_STORE, "token_store_refused").summary(summary).fix(fix).build();
    return new MailboxAuthenticationException(d, null);
  }

  @Override
  public String toString() {
    return "FileTokenStore[" + directory + (sealing != null ? ", encrypted" : "") + "]";
  }

  /** Builds a {@link FileTokenStore}. */
  public static final class Builder {
    private final Path directory;
    private TokenSealing sealing;

    private Builder(Path directory) {
      this.directory = requireNonNull(directory, "directory");
    }

    /** Encrypts the files with AES-256-GCM under this 32-byte key. */
    public Builder encryptionKey(byte[] aes256Key) {
      this.sealing = TokenSealing.withKey(aes256Key);
      return this;
    }

    /** Encrypts the files with AES-256-GCM under this AES key. */
    public Builder encryptionKey(SecretKey aesKey) {
      this.sealing = TokenSealing.withKey(aesKey);
      return this;
    }

    public FileTokenStore build() {
      return new FileTokenStore(this);
    }
  }
}
