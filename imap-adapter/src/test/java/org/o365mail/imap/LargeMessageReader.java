package org.o365mail.imap;

import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.o365mail.MessageId;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialStrategy;

/**
 * The child JVM of {@link LargeMessageTest}: started with {@code -Xmx64m}, it opens one message's MIME (or one
 * attachment) through the connector, hashes it as it streams, and prints {@code bytes=<n> sha256=<hex>
 * heapMb=<peak>}. The client secret comes from the environment, the trust from a PKCS#12 file.
 *
 * <p>Arguments: authority host, tenant id, client id, trust store file, trust store password, IMAP host, IMAP port,
 * mailbox, message id, and optionally an attachment id.
 */
public final class LargeMessageReader {
  static final String SECRET_VARIABLE = "O365MAIL_TEST_CLIENT_SECRET";

  private LargeMessageReader() {}

  public static void main(String[] args) throws Exception {
    KeyStore trustStore = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(Path.of(args[3]))) {
      trustStore.load(in, args[4].toCharArray());
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trustStore);
    SSLContext trust = SSLContext.getInstance("TLS");
    trust.init(null, tmf.getTrustManagers(), null);
    AppRegistration app = AppRegistration.builder()
        .clientId(args[2])
        .tenant(args[1])
        .authorityHost(args[0])
        .trust(trust)
        .build();
    try (CredentialStrategy credential = CredentialStrategy.clientCredentials(app)
        .secret(ClientSecret.fromEnvironment(SECRET_VARIABLE)).build();
        ImapMailboxConnector imap = ImapMailboxConnector.builder()
            .mailbox(args[7])
            .credential(credential)
            .host(args[5])
            .port(Integer.parseInt(args[6]))
            .build()) {
      MessageId id = new MessageId(args[8]);
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      long bytes = 0;
      byte[] buffer = new byte[64 * 1024];
      try (InputStream in = args.length > 9 ? imap.openAttachment(id, args[9]) : imap.openMime(id)) {
        int n;
        while ((n = in.read(buffer)) > 0) {
          sha.update(buffer, 0, n);
          bytes += n;
        }
      }
      long peak = 0;
      for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
        if (pool.getType() == MemoryType.HEAP) {
          peak += pool.getPeakUsage().getUsed();
        }
      }
      System.out.println("bytes=" + bytes + " sha256=" + HexFormat.of().formatHex(sha.digest()) + " heapMb="
          + peak / (1024 * 1024));
    }
  }
}
