package org.o365mail.cli;

import static org.o365mail.ServiceText.printable;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.o365mail.MailboxException;
import org.o365mail.OutgoingAttachment;
import org.o365mail.OutgoingMessage;
import org.o365mail.auth.CredentialListener;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.cli.config.ConnectionConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code o365mail send}: send one message from the configured mailbox. */
@Command(name = "send", mixinStandardHelpOptions = true,
    description = "Send a message from the connection's mailbox (Graph sendMail, or SMTP AUTH for imap connections).",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:sent", "2:sending failed (see the diagnosis)", "64:configuration error, or an --attach that is"
        + " not a readable regular file or makes the attachments larger than 150 MB (checked before any network)",
        "130:stopped by Ctrl-C (SIGINT)", "143:stopped by SIGTERM"})
final class SendCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin ConfigOptions options;

  @Option(names = "--to", required = true, split = ",", description = "recipients")
  List<String> to;

  @Option(names = "--cc", split = ",")
  List<String> cc = List.of();

  @Option(names = "--subject", required = true)
  String subject;

  @Option(names = "--body", defaultValue = "")
  String body;

  @Option(names = "--html", description = "the body is HTML")
  boolean html;

  @Option(names = "--attach", description = "a file to attach (repeatable); a regular file, all of them together at"
      + " most 150 MB")
  List<Path> attachments = List.of();

  @Option(names = "--json", description = "print JSON")
  boolean json;

  /**
   * The most attachment bytes one message may carry: Exchange Online's largest message, 150 MB ("Message size
   * limit" in
   * https://learn.microsoft.com/office365/servicedescriptions/exchange-online-service-description/exchange-online-limits
   * ; Graph's upload sessions go up to the same 150 MB: https://learn.microsoft.com/graph/outlook-large-attachments). The mailbox's MaxSendSize (35 MB by default) may
   * refuse less; that the service says, and the diagnosis names. What is over this can never be sent.
   */
  static final long MAX_ATTACHMENT_BYTES = 150L * 1024 * 1024;

  @Override
  public Integer call() {
    ConnectionConfig c = options.load();
    // every file is checked before any network: a directory, a device or a FIFO is not an attachment, and /dev/zero
    // would be read until the memory ends
    List<OutgoingAttachment> files = new ArrayList<>();
    long total = 0;
    for (Path p : attachments) {
      try {
        OutgoingAttachment a = attachment(p);
        total += a.size();
        if (total > MAX_ATTACHMENT_BYTES) {
          throw new AttachmentException(attachments.size() == 1 ? "is " + megabytes(a.size())
              + "; a message to Microsoft 365 carries at most 150 MB" : "makes the attachments " + megabytes(total)
              + "; a message to Microsoft 365 carries at most 150 MB");
        }
        files.add(a);
      } catch (AttachmentException e) {
        spec.commandLine().getErr().println("o365mail send: --attach " + printable(p.toString()) + " " + e.getMessage()
            + "; nothing was sent");
        return O365Mail.USAGE;
      }
    }
    OutgoingMessage.Builder b = OutgoingMessage.builder().to(to.toArray(String[]::new)).subject(subject);
    if (!cc.isEmpty()) {
      b.cc(cc.toArray(String[]::new));
    }
    if (html) {
      b.html(body);
    } else {
      b.text(body);
    }
    for (OutgoingAttachment a : files) {
      b.attach(a);
    }
    OutgoingMessage message = b.build();
    try (CredentialStrategy credential = Credentials.strategy(c, CredentialListener.NONE)) {
      Connectors.send(c, credential, message);
      spec.commandLine().getOut().println(json
          ? Json.object().put("sent", true).put("to", String.join(",", to)).put("subject", subject)
              .put("attachments", attachments.size()).toString()
          : "Sent \"" + subject + "\" to " + String.join(", ", to) + " from " + c.mailbox());
      return O365Mail.OK;
    } catch (MailboxException e) {
      spec.commandLine().getErr().println("Sending failed: " + e.getMessage());
      e.diagnosis().ifPresent(d -> DoctorCommand.printDiagnosis(spec.commandLine().getErr(), TrustAdvice.named(c, d)));
      return O365Mail.FAILURES;
    }
  }

  /** Why a file cannot be attached; the message completes "--attach FILE ...". */
  static final class AttachmentException extends Exception {
    private static final long serialVersionUID = 1L;

    AttachmentException(String message) {
      super(message);
    }
  }

  /**
   * The file as an attachment whose reading is bounded by the size it has now: a file that grows while it is sent
   * (or says it is smaller than it is, as some special files do) fails the send instead of being read without end.
   */
  static OutgoingAttachment attachment(Path file) throws AttachmentException {
    BasicFileAttributes attributes;
    try {
      attributes = Files.readAttributes(file, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      throw new AttachmentException("does not exist");
    } catch (IOException e) {
      throw new AttachmentException("cannot be read (" + printable(e.toString()) + ")");
    }
    if (attributes.isDirectory()) {
      throw new AttachmentException("is a directory; attach the files in it, or a zip of it");
    }
    if (!attributes.isRegularFile()) {
      throw new AttachmentException("is not a regular file (a device, a FIFO or a socket); attach a file");
    }
    if (!Files.isReadable(file)) {
      throw new AttachmentException("cannot be read (no permission)");
    }
    long size = attributes.size();
    if (size > MAX_ATTACHMENT_BYTES) {
      throw new AttachmentException("is " + megabytes(size) + "; a message to Microsoft 365 carries at most 150 MB");
    }
    String type;
    try {
      type = Files.probeContentType(file);
    } catch (IOException e) {
      type = null;
    }
    return OutgoingAttachment.stream(file.getFileName().toString(), type == null ? "application/octet-stream" : type,
        size, () -> new Bounded(Files.newInputStream(file), size, file));
  }

  private static String megabytes(long bytes) {
    return String.format(Locale.ROOT, "%.1f MB", bytes / (1024.0 * 1024.0));
  }

  /** Yields at most {@code size} bytes, and fails if the file has more (it grew since it was checked). */
  static final class Bounded extends FilterInputStream {
    private final Path file;
    private long left;

    Bounded(InputStream in, long size, Path file) {
      super(in);
      this.left = size;
      this.file = file;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      if (left == 0) {
        if (in.read() >= 0) {
          throw new IOException("attachment " + printable(file.toString()) + " grew while it was being sent");
        }
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n > 0) {
        left -= n;
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long skipped = in.skip(Math.min(n, left));
      left -= skipped;
      return skipped;
    }

    @Override
    public int available() throws IOException {
      return (int) Math.min(in.available(), left);
    }

    @Override
    public boolean markSupported() {
      return false;
    }
  }
}
