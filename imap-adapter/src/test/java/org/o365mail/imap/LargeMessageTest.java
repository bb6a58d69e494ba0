package org.o365mail.imap;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.o365mail.AttachmentInfo;
import org.o365mail.FolderRef;
import org.o365mail.MessageSummary;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.StoredMail;
import org.o365mail.testkit.TestMessages;

/**
 * A message of about 100 MB (a 75 MB attachment, base64) read through the connector by a JVM with a 64 MB heap,
 * hashed as it streams: the MIME byte for byte as the server stores it, and the attachment decoded.
 */
@Timeout(120)
@ExtendWith({FreshLogs.class, LeakCheck.class})
class LargeMessageTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();
  private static final int ATTACHMENT_BYTES = 75 * 1024 * 1024;

  static LocalTenant m365;
  static Exchange contoso;
  static Mailbox mailbox;
  static String mimeSha;
  static long mimeBytes;
  static String attachmentSha;

  @BeforeAll
  static void deliverAHundredMegabytes() throws NoSuchAlgorithmException {
    m365 = M365.tenant();
    contoso = new Exchange(m365, "contoso.com");
    mailbox = contoso.mailbox("big");
    byte[] attachment = new byte[ATTACHMENT_BYTES];
    new Random(42).nextBytes(attachment);
    attachmentSha = sha(attachment);
    StoredMail stored = mailbox.deliver("Inbox", TestMessages.withAttachment("scanner@fabrikam.com", mailbox.address(),
        "Scan of the archive", "Attached.", "archive.bin", "application/octet-stream", attachment), false,
        java.time.Instant.now());
    byte[] mime = mailbox.mime(stored);
    mimeBytes = mime.length;
    mimeSha = sha(mime);
    assertThat(mimeBytes).isGreaterThan(100_000_000L);
  }

  @AfterAll
  static void close() {
    contoso.close();
  }

  private static String sha(byte[] bytes) throws NoSuchAlgorithmException {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  /** Runs {@link LargeMessageReader} in a JVM with -Xmx64m; returns its last line. */
  private static String readInA64MegabyteJvm(Path dir, String messageId, String attachmentId)
      throws IOException, InterruptedException {
    char[] password = "trust-store-pw".toCharArray();
    Path trustStore = m365.writeTrustStore(dir.resolve("tenant.p12"), password);
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m",
        "-cp", System.getProperty("java.class.path"), LargeMessageReader.class.getName(),
        m365.authorityHost().toString(), contoso.tenant.id(), contoso.daemon.clientId(), trustStore.toString(),
        new String(password), m365.hostName(), Integer.toString(m365.imapPort()), mailbox.address(), messageId));
    if (attachmentId != null) {
      command.add(attachmentId);
    }
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put(LargeMessageReader.SECRET_VARIABLE, contoso.daemonSecret.value());
    Process child = pb.start();
    String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(child.waitFor(90, TimeUnit.SECONDS)).isTrue();
    assertThat(child.exitValue()).as("child output:%n%s", output).isZero();
    String[] lines = output.strip().split("\\R");
    return lines[lines.length - 1];
  }

  @Test
  void aHundredMegabyteMessage_streamsThroughA64MegabyteHeap_byteForByte(@TempDir Path dir) throws Exception {
    MessageSummary summary;
    List<AttachmentInfo> attachments;
    try (ImapMailboxConnector c = contoso.connector(mailbox, contoso.appOnly()).build()) {
      summary = c.listMessages(FolderRef.INBOX).stream().findFirst().orElseThrow();
      attachments = c.listAttachments(summary.id());
    }
    assertThat(summary.size()).hasValue(mimeBytes);
    assertThat(summary.hasAttachments()).isTrue();
    assertThat(attachments).singleElement().extracting(AttachmentInfo::name).isEqualTo("archive.bin");

    String mime = readInA64MegabyteJvm(dir, summary.id().value(), null);
    assertThat(mime).startsWith("bytes=" + mimeBytes + " sha256=" + mimeSha + " heapMb=");

    String attachment = readInA64MegabyteJvm(dir, summary.id().value(), attachments.get(0).id());
    assertThat(attachment).startsWith("bytes=" + ATTACHMENT_BYTES + " sha256=" + attachmentSha + " heapMb=");
  }
}
