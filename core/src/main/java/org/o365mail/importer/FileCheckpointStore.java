package org.o365mail.importer;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.o365mail.SyncState;
import org.o365mail.internal.AtomicFiles;
import org.o365mail.internal.BoundedFiles;
import org.o365mail.internal.Json;
import org.o365mail.internal.JsonSupport;
import org.o365mail.internal.OwnerOnly;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checkpoints in a directory: per folder a small JSON file replaced atomically (write, fsync, rename, fsync of the
 * directory) after every handled message or group of them, and an append-only file of seen message keys, fsynced on
 * every append (one append for a group). A process killed at any instant, or a power cut, leaves either the old or
 * the new checkpoint. A file system that cannot rename atomically makes {@link #save} fail, naming it (see {@link
 * AtomicFiles}). Thread-safe.
 *
 * <p>Every file and directory it creates is its owner's alone (0600, 0700) whatever the umask; an existing
 * directory that other users could read is tightened, with a warning.
 *
 * <p>The lease of a mailbox ({@link #tryLease}) is a lock file in the directory held with an OS file lock for as
 * long as the lease is held, so a second process (or a second store on the same directory in this JVM) importing
 * the same mailbox is refused until {@link #releaseLease} or {@link #close}. The operating system drops the lock of
 * a process that dies, so the lease needs no expiry and its {@code ttl} is not used.
 */
public final class FileCheckpointStore implements CheckpointStore, AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(FileCheckpointStore.class);
  /**
   * The largest checkpoint read: its sync state is bounded (a Graph cursor keeps at most 2 x 1,000 ids, the interrupted
   * keys at most 2,000) to well under 1 MiB; 16 MiB refuses a planted or damaged file before it fills the heap.
   */
  private static final int MAX_CHECKPOINT_BYTES = 16 << 20;

  /**
   * Leases held in this JVM by lock file. Static on purpose: it mirrors a per-process resource, not per-store state.
   * OS file locks belong to the process, and on POSIX closing any channel to the lock file drops every lock the
   * process holds on it, so a second store must learn here, without opening the file, that the lease is taken.
   */
  private static final Map<Path, Lease> LEASES = new ConcurrentHashMap<>();

  private final Path directory;
  private final Path realDirectory;
  private final Map<CheckpointKey, Set<String>> seenCache = new ConcurrentHashMap<>();
  private final Map<CheckpointKey, Object> locks = new ConcurrentHashMap<>();

  private record Lease(FileCheckpointStore store, String owner, FileChannel channel, FileLock lock) {}

  public FileCheckpointStore(Path directory) {
    this.directory = requireNonNull(directory, "directory").toAbsolutePath();
    try {
      boolean existed = Files.isDirectory(this.directory);
      OwnerOnly.createDirectories(this.directory);
      if (existed) {
        tightenExisting();
      }
      this.realDirectory = this.directory.toRealPath();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the checkpoint directory " + this.directory, e);
    }
  }

  /** A directory (and its files) written by an older version or created by hand may be readable by others. */
  private void tightenExisting() throws IOException {
    if (OwnerOnly.tightenTree(directory)) {
      logger.warn("Checkpoint directory {} was open to other users; it and its files are now its owner's alone"
          + " (0700, 0600)", directory);
    }
  }

  public Path directory() {
    return directory;
  }

  /** The checkpoint file of a folder (for tools and tests that inspect it). */
  public Path checkpointFile(CheckpointKey key) {
    return directory.resolve(name(key) + ".checkpoint.json");
  }

  private Path seenFile(CheckpointKey key) {
    return directory.resolve(name(key) + ".seen");
  }

  @Override
  public Optional<Checkpoint> load(CheckpointKey key) {
    Path file = checkpointFile(key);
    String json;
    try {
      json = BoundedFiles.readString(file, MAX_CHECKPOINT_BYTES);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read checkpoint " + file, e);
    }
    try {
      return Optional.of(parse(JsonSupport.parseObject(json)));
    } catch (RuntimeException e) {
      throw new IllegalStateException("checkpoint " + file + " is damaged (" + e.getMessage() + "); move it away to"
          + " start that folder over", e);
    }
  }

  @Override
  public void save(CheckpointKey key, Checkpoint checkpoint) {
    byte[] data = write(key, checkpoint);
    Path file = checkpointFile(key);
    synchronized (lock(key)) {
      try {
        AtomicFiles.replace(file, data, ".json", OwnerOnly.fileAttributes(file));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write checkpoint " + file, e);
      }
    }
  }

  @Override
  public void recordSeen(CheckpointKey key, String messageKey) {
    recordSeen(key, List.of(messageKey));
  }

  /** One append and one fsync for all of them (and of the directory when the file is new). */
  @Override
  public void recordSeen(CheckpointKey key, Collection<String> messageKeys) {
    Set<String> seen = seenSet(key);
    List<String> fresh = messageKeys.stream().filter(k -> !seen.contains(k)).distinct().toList();
    if (fresh.isEmpty()) {
      return;
    }
    synchronized (lock(key)) {
      Path file = seenFile(key);
      StringBuilder lines = new StringBuilder();
      for (String k : fresh) {
        lines.append(escape(k)).append('\n');
      }
      try {
        boolean created = !Files.exists(file);
        try (FileChannel channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.APPEND), OwnerOnly.fileAttributes(file))) {
          ByteBuffer buffer = ByteBuffer.wrap(lines.toString().getBytes(StandardCharsets.UTF_8));
          while (buffer.hasRemaining()) {
            channel.write(buffer);
          }
          channel.force(false);
        }
        if (created) {
          AtomicFiles.forceDirectory(directory);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot append to " + seenFile(key), e);
      }
      seen.addAll(fresh);
    }
  }

  @Override
  public boolean seen(CheckpointKey key, String messageKey) {
    return seenSet(key).contains(messageKey);
  }

  private Set<String> seenSet(CheckpointKey key) {
    return seenCache.computeIfAbsent(key, k -> {
      Set<String> set = ConcurrentHashMap.newKeySet();
      try {
        for (String line : Files.readAllLines(seenFile(k), StandardCharsets.UTF_8)) {
          if (!line.isEmpty()) {
            set.add(unescape(line));
          }
        }
      } catch (NoSuchFileException e) {
        // nothing seen yet
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + seenFile(k), e);
      }
      return set;
    });
  }

  /**
   * Takes the lock file of {@code mailbox}, or renews it when this store already holds it for {@code owner}; false
   * when another process, another store in this JVM, or another owner of this store holds it.
   */
  @Override
  public boolean tryLease(String mailbox, String owner, Duration ttl) {
    requireNonNull(owner, "owner");
    Path file = leaseFile(mailbox);
    synchronized (LEASES) {
      Lease held = LEASES.get(file);
      if (held != null) {
        return held.store() == this && held.owner().equals(owner);
      }
      FileChannel channel;
      try {
        channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
            OwnerOnly.fileAttributes(file));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot open the lock file " + file, e);
      }
      FileLock lock = null;
      try {
        lock = channel.tryLock();
        if (lock != null) {
          // for whoever looks: which process holds it (no secret; the owner is a process name by default)
          channel.truncate(0);
          channel.write(ByteBuffer.wrap((owner + "\n").getBytes(StandardCharsets.UTF_8)), 0);
        }
      } catch (OverlappingFileLockException e) {
        lock = null; // held in this JVM through another path to the same file
      } catch (IOException e) {
        closeQuietly(channel);
        throw new UncheckedIOException("cannot lock " + file, e);
      }
      if (lock == null) {
        closeQuietly(channel);
        return false;
      }
      LEASES.put(file, new Lease(this, owner, channel, lock));
      return true;
    }
  }

  @Override
  public void releaseLease(String mailbox, String owner) {
    Path file = leaseFile(mailbox);
    synchronized (LEASES) {
      Lease held = LEASES.get(file);
      if (held != null && held.store() == this && held.owner().equals(owner)) {
        LEASES.remove(file);
        release(held);
      }
    }
  }

  /** Releases every lease this store holds; the store may still be read and written. */
  @Override
  public void close() {
    synchronized (LEASES) {
      LEASES.values().removeIf(held -> {
        if (held.store() != this) {
          return false;
        }
        release(held);
        return true;
      });
    }
  }

  private static void release(Lease held) {
    try {
      held.lock().release();
    } catch (IOException e) {
      // closing the channel below releases it too
    }
    closeQuietly(held.channel());
  }

  private static void closeQuietly(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException e) {
      // nothing to do: the lock goes with the channel or the process
    }
  }

  private Path leaseFile(String mailbox) {
    String m = requireNonNull(mailbox, "mailbox");
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(m.getBytes(StandardCharsets.UTF_8));
      String safe = m.replaceAll("[^A-Za-z0-9._@-]", "_");
      if (safe.length() > 80) {
        safe = safe.substring(0, 80);
      }
      return realDirectory.resolve(safe + "-" + HexFormat.of().formatHex(digest, 0, 6) + ".lock");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private Object lock(CheckpointKey key) {
    return locks.computeIfAbsent(key, k -> new Object());
  }

  private static String escape(String s) {
    return s.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r");
  }

  private static String unescape(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < s.length()) {
        char n = s.charAt(++i);
        sb.append(n == 'n' ? '\n' : n == 'r' ? '\r' : n);
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  private static String name(CheckpointKey key) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest(key.toString().getBytes(StandardCharsets.UTF_8));
      String safe = (key.protocol() + "-" + key.mailbox() + "-" + key.folder()).replaceAll("[^A-Za-z0-9._-]", "_");
      if (safe.length() > 80) {
        safe = safe.substring(0, 80);
      }
      return safe + "-" + HexFormat.of().formatHex(digest, 0, 6);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] write(CheckpointKey key, Checkpoint c) {
    Json.Writer w = new Json.Writer().startObject()
        .field("protocol", key.protocol())
        .field("mailbox", key.mailbox())
        .field("folder", key.folder())
        .field("state", c.state().value())
        .field("handled", c.handled());
    if (c.inFlight() != null) {
      w.field("inFlight", c.inFlight());
    }
    if (!c.interrupted().isEmpty()) {
      w.field("interrupted", c.interrupted());
    }
    if (!c.inFlightGroup().isEmpty()) {
      w.field("inFlightGroup", c.inFlightGroup());
    }
    w.name("pending").startArray();
    for (PendingAction p : c.pending()) {
      w.startObject().field("messageKey", p.messageKey()).field("messageId", p.messageId()).endObject();
    }
    w.endArray();
    w.name("deadLetters").startArray();
    for (DeadLetter d : c.deadLetters()) {
      w.startObject()
          .field("messageKey", d.messageKey())
          .field("messageId", d.messageId())
          .field("subject", d.subject())
          .field("attempts", d.attempts())
          .field("lastError", d.lastError())
          .field("parkedAt", d.parkedAt().toString())
          .endObject();
    }
    w.endArray();
    w.field("updatedAt", c.updatedAt().toString());
    return w.endObject().text().getBytes(StandardCharsets.UTF_8);
  }

  @SuppressWarnings("unchecked")
  private static Checkpoint parse(Map<String, Object> json) {
    Set<String> handled = new LinkedHashSet<>(JsonSupport.strings(json, "handled"));
    List<PendingAction> pending = new ArrayList<>();
    for (Object o : (List<Object>) json.getOrDefault("pending", List.of())) {
      Map<String, Object> m = (Map<String, Object>) o;
      pending.add(new PendingAction(JsonSupport.string(m, "messageKey"), JsonSupport.string(m, "messageId")));
    }
    List<DeadLetter> dead = new ArrayList<>();
    for (Object o : (List<Object>) json.getOrDefault("deadLetters", List.of())) {
      Map<String, Object> m = (Map<String, Object>) o;
      dead.add(new DeadLetter(JsonSupport.string(m, "messageKey"), JsonSupport.string(m, "messageId"),
          JsonSupport.string(m, "subject"), (int) JsonSupport.number(m, "attempts", 0), JsonSupport.string(m, "lastError"),
          Instant.parse(JsonSupport.string(m, "parkedAt"))));
    }
    String state = JsonSupport.string(json, "state");
    return new Checkpoint(new SyncState(state == null ? "" : state), handled, JsonSupport.string(json, "inFlight"),
        pending, dead, Instant.parse(JsonSupport.string(json, "updatedAt")), JsonSupport.strings(json, "interrupted"),
        JsonSupport.strings(json, "inFlightGroup"));
  }
}
