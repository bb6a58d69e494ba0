package org.o365mail.graph;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testsupport.Secrets;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.StoredMail;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;

/**
 * A 100 MB message streamed through {@code $value} by a connector in a JVM with {@code -Xmx64m}: this JVM runs the
 * local tenant, the child ({@link LargeMimeReader}) gets ports, ids and the secret as arguments and the trust as a
 * trust store file, and prints the SHA-256 of what it read, compared here with the stored message's.
 */
@Timeout(240)
@ExtendWith(LeakCheck.class)
class GraphLargeMimeTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  @Test
  void hundredMegabyteMessage_streamsThroughASixtyFourMegabyteHeap(@TempDir Path dir) throws Exception {
    LocalTenant m365 = M365.tenant();
    Tenant contoso = m365.createTenant("contoso.com");
    Mailbox mailbox = contoso.addSharedMailbox("archive@contoso.com");
    StoredMail stored = mailbox.deliver(TestMessages.ofSize("scanner@contoso.com", mailbox.address(), "Big scan",
        100 * 1024 * 1024));
    byte[] mime = mailbox.mime(stored);
    assertThat(mime.length).isGreaterThan(100 * 1024 * 1024 - 1024);
    String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(mime));
    mime = null;

    Application app = GraphApps.daemon(contoso, "Archiver", "Mail.Read");
    PasswordCredential secret = app.addClientSecret("prod", Duration.ofDays(30));
    Secrets.secret(secret.value());
    Path trust = m365.writeTrustStore(dir.resolve("trust.p12"), "changeit".toCharArray());
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path output = dir.resolve("child.out");
    Process child = new ProcessBuilder(List.of(java, "-Xmx64m", "-cp", System.getProperty("java.class.path"),
        LargeMimeReader.class.getName(), m365.authorityHost().toString(), contoso.id(), app.clientId(), secret.value(),
        m365.graphBaseUrl(), mailbox.address(), trust.toString(), "changeit"))
        .redirectErrorStream(true).redirectOutput(output.toFile()).start();
    assertThat(child.waitFor(180, TimeUnit.SECONDS)).as("child finished").isTrue();
    String out = Files.readString(output, StandardCharsets.UTF_8);
    Secrets.assertClean("child output", out);
    assertThat(child.exitValue()).as(out).isZero();
    assertThat(out).contains("sha256=" + expected).contains("maxHeap=");
    long maxHeap = Long.parseLong(out.replaceAll("(?s).*maxHeap=(\\d+).*", "$1").trim());
    assertThat(maxHeap).isLessThanOrEqualTo(64L * 1024 * 1024);
    assertThat(new File(output.toString())).exists();
  }
}
