package org.o365mail.graph;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import org.o365mail.FolderRef;
import org.o365mail.MailboxException;
import org.o365mail.SyncState;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.testkit.internal.Pki;

/**
 * A child JVM for {@link GraphHostileServerTest}, started with a small heap: syncs one folder from a hostile Graph
 * and prints {@code CLEAN <exception> <message>} (exit 0) when the connector fails with a {@link MailboxException},
 * {@code OOM} (exit 3) when the heap ran out, {@code OTHER ...} (exit 4) for anything else. Arguments: authority
 * host, tenant id, client id, a PEM file of the certificates to trust, the Graph base URL, the mailbox, the folder
 * id. The client secret comes in the environment variable {@code O365MAIL_CHILD_SECRET}, never on the command line.
 */
public final class HostileGraphChild {
  private HostileGraphChild() {}

  public static void main(String[] args) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(Path.of(args[3]))) {
      int i = 0;
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        trust.setCertificateEntry("c" + i++, c);
      }
    }
    AppRegistration app = AppRegistration.builder().clientId(args[2]).tenant(args[1]).authorityHost(args[0])
        .trust(Pki.clientContext(trust)).build();
    int exit;
    try (CredentialStrategy credential = CredentialStrategy.clientCredentials(app)
            .secret(ClientSecret.of(System.getenv("O365MAIL_CHILD_SECRET"))).build();
        GraphMailboxConnector c = GraphMailboxConnector.builder().mailbox(args[5]).credential(credential)
            .baseUrl(args[4]).trust(Pki.clientContext(trust)).build()) {
      try {
        c.sync(FolderRef.id(args[6]), SyncState.BEGINNING, 100);
        System.out.println("OTHER the sync succeeded");
        exit = 4;
      } catch (MailboxException e) {
        System.out.println("CLEAN " + e.getClass().getSimpleName() + " " + e.getMessage());
        exit = 0;
      } catch (OutOfMemoryError e) {
        System.out.println("OOM " + e.getMessage());
        exit = 3;
      } catch (RuntimeException | Error e) {
        System.out.println("OTHER " + e);
        exit = 4;
      }
    }
    System.out.flush();
    Runtime.getRuntime().halt(exit);
  }
}
