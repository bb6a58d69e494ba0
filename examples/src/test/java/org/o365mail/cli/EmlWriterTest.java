package org.o365mail.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.o365mail.AttachmentInfo;
import org.o365mail.FolderRef;
import org.o365mail.MessageSummary;
import org.o365mail.importer.IncomingMessage;

/** The import's writer: files complete once flushed, none half-written, a second delivery of a key a no-op. */
@Timeout(30)
class EmlWriterTest {
  @TempDir Path dir;

  record Message(String key, String body) implements IncomingMessage {
    @Override
    public MessageSummary summary() {
      throw new UnsupportedOperationException();
    }

    @Override
    public String idempotencyKey() {
      return key;
    }

    @Override
    public String mailbox() {
      return "box@contoso.com";
    }

    @Override
    public FolderRef folder() {
      return FolderRef.INBOX;
    }

    @Override
    public InputStream openMime() {
      return new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public List<AttachmentInfo> attachments() {
      return List.of();
    }

    @Override
    public InputStream openAttachment(String attachmentId) {
      throw new UnsupportedOperationException();
    }

    @Override
    public int attempt() {
      return 1;
    }

    @Override
    public boolean possibleRedelivery() {
      return false;
    }
  }

  private List<Path> files(String suffix) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(suffix)).toList();
    }
  }

  @Test
  void afterFlush_everyMessageIsACompleteFile_andNoPartIsLeft() throws Exception {
    try (EmlWriter writer = new EmlWriter(dir)) {
      for (int i = 0; i < 200; i++) {
        writer.handle(new Message("<m" + i + "@test>|imap:1/" + i, "Subject: " + i + "\r\n\r\n" + "x".repeat(20_000)));
      }
      writer.flush();
    }
    assertThat(files(".eml")).hasSize(200);
    assertThat(files(".part")).isEmpty();
    for (Path f : files(".eml")) {
      assertThat(Files.size(f)).isGreaterThan(20_000);
    }
  }

  @Test
  void aKeyWrittenBefore_isLeftAsItIs() throws Exception {
    try (EmlWriter writer = new EmlWriter(dir)) {
      writer.handle(new Message("<a@test>|imap:1/1", "first"));
      writer.flush();
      writer.handle(new Message("<a@test>|imap:1/1", "second"));
      writer.flush();
    }
    assertThat(files(".eml")).singleElement().satisfies(f -> assertThat(Files.readString(f)).isEqualTo("first"));
  }

  @Test
  void somethingElseWithTheName_isRefusedAtOnce_notAtTheFlush() throws Exception {
    Files.createDirectories(dir.resolve(EmlWriter.fileName("<b@test>|imap:1/2") + ".eml"));
    try (EmlWriter writer = new EmlWriter(dir)) {
      assertThatThrownBy(() -> writer.handle(new Message("<b@test>|imap:1/2", "body")))
          .isInstanceOf(FileAlreadyExistsException.class);
      writer.flush();
    }
    assertThat(files(".part")).isEmpty();
  }
}
