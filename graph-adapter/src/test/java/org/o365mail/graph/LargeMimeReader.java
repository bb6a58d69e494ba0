package org.o365mail.graph;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.o365mail.FolderRef;
import org.o365mail.MessageSummary;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialStrategy;

/**
 * The child of {@link GraphLargeMimeTest}, run in its own JVM with a small heap: signs in, finds the one message of
 * the mailbox and streams its MIME through the connector into a SHA-256, printing the digest and the byte count.
 * Arguments: authority host, tenant id, client id, client secret, Graph base URL, mailbox, trust store, password.
 */
public final class LargeMimeReader {
  private LargeMimeReader() {}

  public static void main(String[] args) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(Path.of(args[6]))) {
      store.load(in, args[7].toCharArray());
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(store);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(null, tmf.getTrustManagers(), null);
    AppRegistration app = AppRegistration.builder().authorityHost(args[0]).tenant(args[1]).clientId(args[2])
        .trust(tls).build();
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    long bytes;
    try (CredentialStrategy credential = CredentialStrategy.clientCredentials(app).secret(ClientSecret.of(args[3])).build();
        GraphMailboxConnector c = GraphMailboxConnector.builder().mailbox(args[5]).credential(credential)
            .baseUrl(args[4]).build()) {
      MessageSummary m = c.listMessages(FolderRef.INBOX).stream().findFirst().orElseThrow();
      try (OutputStream out = new DigestOutputStream(OutputStream.nullOutputStream(), sha)) {
        bytes = c.writeMime(m.id(), out);
      }
    }
    System.out.println("sha256=" + HexFormat.of().formatHex(sha.digest()) + " bytes=" + bytes + " maxHeap="
        + Runtime.getRuntime().maxMemory());
  }
}
