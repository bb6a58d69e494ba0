package org.o365mail.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.o365mail.OutgoingAttachment;

/**
 * {@code o365mail send --attach} as a real process with what is not an attachment: a directory, a FIFO, a device,
 * a file over 150 MB, a missing file. Each is refused with exit code 64 naming {@code --attach} and the reason,
 * before any network (the configured identity endpoint, a silent server on loopback, sees no connection), and
 * quickly (nothing is read: /dev/zero would never end).
 */
@Timeout(300)
class SendAttachTest {

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"directory", "fifo", "device", "too large", "missing"})
  void whatIsNotAnAttachment_isRefusedWithExit64BeforeAnyNetwork(String kind, @TempDir Path dir) throws Exception {
    Path attach = switch (kind) {
      case "directory" -> Files.createDirectory(dir.resolve("reports"));
      case "fifo" -> fifo(dir.resolve("pipe"));
      case "device" -> Path.of("/dev/zero");
      case "too large" -> sparse(dir.resolve("huge.bin"), SendCommand.MAX_ATTACHMENT_BYTES + 1);
      default -> dir.resolve("nowhere.pdf");
    };
    assumeTrue(kind.equals("missing") || Files.exists(attach), kind + " not available here");
    String reason = switch (kind) {
      case "directory" -> "is a directory";
      case "fifo", "device" -> "is not a regular file";
      case "too large" -> "is 150.0 MB; a message to Microsoft 365 carries at most 150 MB";
      default -> "does not exist";
    };
    try (CommandsStopTest.SilentServer silent = new CommandsStopTest.SilentServer()) {
      Files.writeString(dir.resolve("secret"), "not-a-real-secret");
      Path config = Files.writeString(dir.resolve("c.properties"), String.join("\n",
          "c.clientId = 00000000-0000-0000-0000-00000000abcd", "c.tenant = contoso.com", "c.flow = client-secret",
          "c.clientSecret = file:secret", "c.protocol = imap", "c.mailbox = someone@contoso.com",
          "c.authorityHost = https://127.0.0.1:" + silent.port(), "c.smtpHost = 127.0.0.1",
          "c.smtpPort = " + silent.port(), ""));
      Path log = dir.resolve("send.log");
      long begin = System.nanoTime();
      Process send = CommandsStopTest.tool(log, "send", "--config", config.toString(), "--to", "ops@fabrikam.com",
          "--subject", "report", "--attach", attach.toString());
      assertThat(send.waitFor(60, TimeUnit.SECONDS)).as(ChildProcesses.log(log)).isTrue();
      System.out.printf("send --attach %s: exit %d after %d ms%n", kind, send.exitValue(),
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin));
      assertThat(send.exitValue()).as(ChildProcesses.log(log)).isEqualTo(O365Mail.USAGE);
      assertThat(ChildProcesses.log(log)).contains("--attach " + attach + " " + reason).contains("nothing was sent")
          .doesNotContain("Exception");
      assertThat(silent.awaitConnection(Duration.ofMillis(1))).as("a connection to the identity endpoint").isFalse();
    }
  }

  @Test
  void anAttachmentThatGrowsAfterTheCheck_failsTheReadInsteadOfReadingOn(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("log.txt"), "0123456789");
    OutgoingAttachment a = SendCommand.attachment(file);
    assertThat(a.size()).isEqualTo(10);
    try (InputStream in = a.open()) {
      assertThat(in.readAllBytes()).hasSize(10);
    }
    Files.writeString(file, "more", StandardOpenOption.APPEND);
    try (InputStream in = a.open()) {
      assertThatThrownBy(in::readAllBytes).isInstanceOf(IOException.class).hasMessageContaining("grew while");
    }
  }

  private static Path fifo(Path p) throws Exception {
    Process mkfifo = new ProcessBuilder("mkfifo", p.toString()).start();
    return mkfifo.waitFor(30, TimeUnit.SECONDS) && mkfifo.exitValue() == 0 ? p : p.resolveSibling("no-fifo");
  }

  private static Path sparse(Path p, long size) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
      f.setLength(size); // a hole: no disk space taken
    }
    return p;
  }
}
