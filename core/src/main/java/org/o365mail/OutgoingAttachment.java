package org.o365mail;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A file to attach to an {@link OutgoingMessage}. Its content is opened when the message is sent and read as a
 * stream, so attachments of any size never sit in memory whole.
 */
public final class OutgoingAttachment {
  private final String name;
  private final String contentType;
  private final long size;
  private final ContentSource source;

  /** Opens the attachment's content; may be called more than once (for a retry). */
  @FunctionalInterface
  public interface ContentSource {
    InputStream open() throws IOException;
  }

  private OutgoingAttachment(String name, String contentType, long size, ContentSource source) {
    this.name = requireNonNull(name, "name");
    this.contentType = requireNonNull(contentType, "contentType");
    if (size < 0) {
      throw new IllegalArgumentException("size must not be negative, was " + size);
    }
    this.size = size;
    this.source = requireNonNull(source, "source");
  }

  /** A file on disk; name and size come from the file, the type from {@code contentType}. */
  public static OutgoingAttachment file(Path file, String contentType) {
    requireNonNull(file, "file");
    try {
      long size = Files.size(file);
      return new OutgoingAttachment(file.getFileName().toString(), contentType, size, () -> Files.newInputStream(file));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read attachment " + file, e);
    }
  }

  /** A file on disk, its type guessed from its name. */
  public static OutgoingAttachment file(Path file) {
    String type;
    try {
      type = Files.probeContentType(file);
    } catch (IOException e) {
      type = null;
    }
    return file(file, type == null ? "application/octet-stream" : type);
  }

  public static OutgoingAttachment bytes(String name, String contentType, byte[] content) {
    byte[] copy = content.clone();
    return new OutgoingAttachment(name, contentType, copy.length, () -> new ByteArrayInputStream(copy));
  }

  /** Content from any source whose size is known up front. */
  public static OutgoingAttachment stream(String name, String contentType, long size, ContentSource source) {
    return new OutgoingAttachment(name, contentType, size, source);
  }

  public String name() {
    return name;
  }

  public String contentType() {
    return contentType;
  }

  public long size() {
    return size;
  }

  public InputStream open() throws IOException {
    return source.open();
  }

  @Override
  public String toString() {
    return "OutgoingAttachment[" + name + ", " + contentType + ", " + size + " bytes]";
  }
}
