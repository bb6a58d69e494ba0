package org.o365mail.imap.internal;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import org.eclipse.angus.mail.iap.ByteArray;
import org.o365mail.MailboxException;

/**
 * A message (or one of its parts) read off the server chunk by chunk with partial fetches ({@code BODY.PEEK[]<
 * offset.size>}), as it is consumed: at most one chunk is held in memory, whatever the message's size. Chunks
 * start small and double up to the largest size given, so small messages cost one small fetch and large ones few
 * round trips. Each chunk is one operation on the mailbox's connection, so other threads' work interleaves, and a
 * chunk whose connection is lost is fetched again on a new one from the same offset. Not thread-safe (like any
 * stream).
 */
public final class BodyStream extends InputStream {
  /** Reads one chunk; null when the message is gone. */
  @FunctionalInterface
  public interface ChunkSource {
    ByteArray read(long offset, int size);
  }

  private final ChunkSource source;
  private final String what;
  private final int maxChunk;
  private int chunk;
  private byte[] buffer = new byte[0];
  private int position;
  private int limit;
  private long offset;
  private boolean lastChunk;
  private boolean closed;
  private Runnable released;

  /**
   * @param first the first chunk, already read (so that a missing message fails when the stream is opened)
   * @param firstChunk the size asked for the first chunk
   * @param maxChunk the largest size asked for a later chunk
   */
  public BodyStream(ChunkSource source, String what, ByteArray first, int firstChunk, int maxChunk) {
    this(source, what, first, firstChunk, maxChunk, () -> {});
  }

  /**
   * Like the other constructor, and runs {@code released} once when no more chunks are to be read: the stream read
   * its last chunk or was closed.
   */
  public BodyStream(ChunkSource source, String what, ByteArray first, int firstChunk, int maxChunk,
      Runnable released) {
    this.released = requireNonNull(released, "released");
    this.source = requireNonNull(source, "source");
    this.what = requireNonNull(what, "what");
    this.chunk = firstChunk;
    this.maxChunk = maxChunk;
    accept(first, firstChunk);
  }

  private void accept(ByteArray bytes, int asked) {
    buffer = bytes.getBytes();
    position = bytes.getStart();
    limit = bytes.getStart() + bytes.getCount();
    offset += bytes.getCount();
    lastChunk = bytes.getCount() < asked;
    if (lastChunk) {
      release();
    }
  }

  private void release() {
    Runnable r = released;
    released = null;
    if (r != null) {
      r.run();
    }
  }

  private boolean fill() throws IOException {
    if (closed) {
      throw new IOException("stream closed");
    }
    while (position >= limit) {
      if (lastChunk) {
        return false;
      }
      chunk = (int) Math.min((long) chunk * 2, maxChunk);
      buffer = new byte[0];
      position = 0;
      limit = 0;
      ByteArray next;
      try {
        next = source.read(offset, chunk);
      } catch (MailboxException e) {
        throw new IOException("reading " + what + " at byte " + offset + " failed: " + e.getMessage(), e);
      }
      if (next == null) {
        throw new IOException(what + " disappeared from the server after " + offset + " bytes");
      }
      accept(next, chunk);
    }
    return true;
  }

  @Override
  public int read() throws IOException {
    if (!fill()) {
      return -1;
    }
    return buffer[position++] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    if (!fill()) {
      return -1;
    }
    int n = Math.min(len, limit - position);
    System.arraycopy(buffer, position, b, off, n);
    position += n;
    return n;
  }

  @Override
  public int available() {
    return closed ? 0 : limit - position;
  }

  @Override
  public void close() {
    closed = true;
    release();
    buffer = new byte[0];
    position = 0;
    limit = 0;
  }
}
