package org.o365mail.testkit;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A buffered reader of line-based protocols (IMAP, SMTP) working on byte arrays: lines are found by scanning
 * the buffer for LF, literal bodies are copied in bulk, and the underlying stream is only read in large
 * chunks. Not thread-safe: one reader per stream, used by one thread at a time.
 */
final class LineInput {
  /** A line longer than the caller allows; the connection cannot be kept in step and should be closed. */
  static final class LineTooLongException extends IOException {
    private static final long serialVersionUID = 1L;

    LineTooLongException(int max) {
      super("line longer than " + max + " bytes");
    }
  }

  private final InputStream in;
  private final byte[] buffer;
  private int position;
  private int limit;
  private byte[] line = new byte[1024];
  private int lineLength;

  LineInput(InputStream in, int bufferSize) {
    this.in = in;
    this.buffer = new byte[bufferSize];
  }

  /**
   * Reads the next line, terminator (LF or CRLF) included, into {@link #line()}.
   *
   * @return its length, or -1 at the end of the stream (a last line without LF is returned as it is)
   * @throws LineTooLongException if the line exceeds {@code max} bytes
   */
  int readLine(int max) throws IOException {
    lineLength = 0;
    while (true) {
      if (position == limit && !fill()) {
        return lineLength == 0 ? -1 : lineLength;
      }
      int end = position;
      while (end < limit && buffer[end] != '\n') {
        end++;
      }
      boolean found = end < limit;
      int take = (found ? end + 1 : end) - position;
      if (lineLength + take > max) {
        throw new LineTooLongException(max);
      }
      ensureLine(lineLength + take);
      System.arraycopy(buffer, position, line, lineLength, take);
      lineLength += take;
      position += take;
      if (found) {
        return lineLength;
      }
    }
  }

  /** The bytes of the last line read; valid until the next read. */
  byte[] line() {
    return line;
  }

  int lineLength() {
    return lineLength;
  }

  /** The last line without its line terminator, as ISO-8859-1 text (one char per byte). */
  String lineText() {
    return new String(line, 0, contentLength(line, lineLength), StandardCharsets.ISO_8859_1);
  }

  /** Copies exactly {@code count} bytes to {@code out} (or drops them when {@code out} is null). */
  void copy(long count, OutputStream out) throws IOException {
    long left = count;
    while (left > 0) {
      if (position == limit) {
        if (left >= buffer.length) {
          // large literal bodies bypass the buffer
          int n = in.read(buffer, 0, buffer.length);
          if (n < 0) {
            throw new EOFException("stream ended " + left + " bytes before the end of a literal");
          }
          if (out != null) {
            out.write(buffer, 0, n);
          }
          left -= n;
          continue;
        }
        if (!fill()) {
          throw new EOFException("stream ended " + left + " bytes before the end of a literal");
        }
      }
      int n = (int) Math.min(left, limit - position);
      if (out != null) {
        out.write(buffer, position, n);
      }
      position += n;
      left -= n;
    }
  }

  /** Reads exactly {@code count} bytes. */
  byte[] readBytes(int count) throws IOException {
    ByteSink sink = new ByteSink(count);
    copy(count, sink);
    return sink.bytes;
  }

  /** Whether bytes are waiting, in the buffer or in the stream, so a writer may delay its flush. */
  boolean moreAvailable() throws IOException {
    return position < limit || in.available() > 0;
  }

  /** Forgets buffered bytes (after STARTTLS, nothing sent in plain text before the handshake may be used). */
  void discardBuffered() {
    position = 0;
    limit = 0;
  }

  int buffered() {
    return limit - position;
  }

  private boolean fill() throws IOException {
    position = 0;
    limit = 0;
    int n = in.read(buffer, 0, buffer.length);
    if (n <= 0) {
      return false;
    }
    limit = n;
    return true;
  }

  private void ensureLine(int capacity) {
    if (capacity > line.length) {
      line = Arrays.copyOf(line, Math.max(capacity, line.length * 2));
    }
  }

  /** Length without the trailing CRLF or LF. */
  static int contentLength(byte[] bytes, int length) {
    int n = length;
    if (n > 0 && bytes[n - 1] == '\n') {
      n--;
      if (n > 0 && bytes[n - 1] == '\r') {
        n--;
      }
    }
    return n;
  }

  /**
   * The IMAP literal announced at the end of a line ({@code {123}} or {@code {123+}} before CRLF), or -1.
   * {@link #literalIsNonSynchronizing} tells the two forms apart.
   */
  static long literalLength(byte[] bytes, int length) {
    int end = contentLength(bytes, length);
    if (end < 3 || bytes[end - 1] != '}') {
      return -1;
    }
    int i = end - 2;
    if (bytes[i] == '+') {
      i--;
    }
    int digitsEnd = i + 1;
    while (i >= 0 && bytes[i] >= '0' && bytes[i] <= '9') {
      i--;
    }
    if (i < 0 || bytes[i] != '{' || digitsEnd - (i + 1) == 0 || digitsEnd - (i + 1) > 12) {
      return -1;
    }
    long value = 0;
    for (int k = i + 1; k < digitsEnd; k++) {
      value = value * 10 + (bytes[k] - '0');
    }
    return value;
  }

  static boolean literalIsNonSynchronizing(byte[] bytes, int length) {
    int end = contentLength(bytes, length);
    return end >= 2 && bytes[end - 1] == '}' && bytes[end - 2] == '+';
  }

  /** Whether the line starts with {@code prefix}, ASCII case ignored. */
  static boolean startsWithIgnoreCase(byte[] bytes, int length, int offset, String prefix) {
    if (offset + prefix.length() > length) {
      return false;
    }
    for (int i = 0; i < prefix.length(); i++) {
      int a = bytes[offset + i] & 0xff;
      int b = prefix.charAt(i);
      if (a != b && Character.toUpperCase(a) != Character.toUpperCase(b)) {
        return false;
      }
    }
    return true;
  }

  /** An output stream into a fixed-size array. */
  private static final class ByteSink extends OutputStream {
    final byte[] bytes;
    int count;

    ByteSink(int size) {
      bytes = new byte[size];
    }

    @Override
    public void write(int b) {
      bytes[count++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      System.arraycopy(b, off, bytes, count, len);
      count += len;
    }
  }
}
