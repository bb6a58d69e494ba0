package org.o365mail.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.o365mail.importer.BatchingMessageHandler;
import org.o365mail.importer.IncomingMessage;
import org.o365mail.internal.AtomicFiles;
import org.o365mail.internal.OwnerOnly;

/**
 * The writer of {@code o365mail import} (public for the benchmarks): each message to {@code <key>.eml}, a file that
 * exists only when complete, durable by batches.
 *
 * <p>{@link #handle} writes the MIME to {@code .<key>.part} and queues the rest; a pool then forces each part to disk
 * and only then renames it to {@code <key>.eml}, many files at once (a disk takes a batch of flushes in about the time
 * of one: on the virtual disk this was measured on, 6.5 ms for one fsync, 0.2 ms a file for 32 at once). {@link
 * #flush} waits for them and forces the directory, so that the renames are on disk too. An {@code .eml} file is
 * therefore complete whenever it is visible, even after a power cut: a file that exists is the message, and a second
 * delivery of its key (after a crash) leaves it as it is.
 *
 * <p>Used by one importer thread at a time; {@link #close} stops the pool.
 */
public final class EmlWriter implements BatchingMessageHandler, AutoCloseable {
  /** Files forced at once. */
  private static final int THREADS = 32;
  /** Parts written and not yet renamed, at most (each holds an open file until its fsync). */
  private static final int MAX_QUEUED = 512;
  private static final AtomicInteger POOLS = new AtomicInteger();

  private final Path dir;
  private final ExecutorService pool;
  private final Semaphore queued = new Semaphore(MAX_QUEUED);
  private final List<Future<?>> pending = new ArrayList<>();

  public EmlWriter(Path dir) {
    this.dir = dir;
    int n = POOLS.incrementAndGet();
    AtomicInteger threads = new AtomicInteger();
    this.pool = Executors.newFixedThreadPool(THREADS, r -> {
      Thread t = new Thread(r, "o365mail-eml-fsync-" + n + "-" + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  @Override
  public void handle(IncomingMessage message) throws IOException, InterruptedException {
    String name = fileName(message.idempotencyKey());
    Path target = dir.resolve(name + ".eml");
    if (Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
      return; // written before (a crash came before its checkpoint): the same key is the same message, complete
    }
    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      // refused now, not at the flush: the message is parked on its own instead of failing its whole batch
      throw new FileAlreadyExistsException(target.toString(), null, "something else (not a file) has its name");
    }
    Path part = dir.resolve("." + name + ".part");
    // a part left by a crash keeps the mode it was made with: made anew, it is the owner's alone (0600)
    Files.deleteIfExists(part);
    queued.acquire();
    FileChannel channel = null;
    try (InputStream in = message.openMime()) {
      channel = FileChannel.open(part, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
          OwnerOnly.fileAttributes(part));
      OutputStream os = Channels.newOutputStream(channel);
      in.transferTo(os);
      os.flush();
    } catch (IOException | RuntimeException e) {
      if (channel != null) {
        channel.close();
      }
      Files.deleteIfExists(part);
      queued.release();
      throw e;
    }
    FileChannel written = channel;
    pending.add(pool.submit(() -> {
      try {
        try (written) {
          written.force(true);
        }
        // after the force: a name that is visible (once the directory is forced) is a complete file
        AtomicFiles.move(part, target);
        return null;
      } catch (IOException | RuntimeException e) {
        Files.deleteIfExists(part);
        throw e;
      } finally {
        queued.release();
      }
    }));
  }

  /**
   * Waits until every file handled since the last flush is forced and renamed, then forces the directory.
   *
   * @throws IOException if any of them failed (the first failure, the others suppressed)
   */
  @Override
  public void flush() throws IOException, InterruptedException {
    IOException failed = null;
    List<Future<?>> waiting = new ArrayList<>(pending);
    pending.clear();
    for (Future<?> f : waiting) {
      try {
        f.get();
      } catch (ExecutionException e) {
        IOException cause = e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        if (failed == null) {
          failed = cause;
        } else {
          failed.addSuppressed(cause);
        }
      }
    }
    if (failed != null) {
      throw failed;
    }
    if (!waiting.isEmpty()) {
      AtomicFiles.forceDirectory(dir);
    }
  }

  /**
   * Stops the pool, giving files not flushed (an import abandoned mid-group) up to 2 s to be forced and renamed, so
   * that no {@code .part} is left behind; the directory is not forced (the importer hands such files out again).
   */
  @Override
  public void close() {
    pool.shutdown();
    try {
      pool.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static final Pattern UNSAFE = Pattern.compile("[^A-Za-z0-9._@=-]");

  /** A file name (without {@code .eml}) for an idempotency key: readable, safe on every file system, unique. */
  public static String fileName(String key) {
    String safe = UNSAFE.matcher(key).replaceAll("_");
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
