package org.o365mail.examples;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.o365mail.FolderRef;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.imap.ImapMailboxConnector;
import org.o365mail.importer.FileCheckpointStore;
import org.o365mail.importer.ImportResult;
import org.o365mail.importer.MailImporter;
import org.o365mail.importer.PostAction;

/**
 * The DocBits and LogicalDOC case: every new message of a shared mailbox into a folder of {@code .eml} files, then
 * moved to {@code Inbox/Imported}; app-only IMAP with a client secret. Run it again (or after a crash) and it goes on
 * where it stopped.
 *
 * <pre>
 * O365_CLIENT_SECRET=... java -cp ... org.o365mail.examples.ImportFolder \
 *     &lt;tenant id&gt; &lt;client id&gt; invoices@contoso.com ./imported
 * </pre>
 *
 * Setup: application permission {@code IMAP.AccessAsApp} (Office 365 Exchange Online) with admin consent, then in
 * Exchange Online PowerShell {@code New-ServicePrincipal} and {@code Add-MailboxPermission ... FullAccess}
 * ({@code o365mail setup --flow client-secret --protocol imap} prints the steps).
 */
public final class ImportFolder {
  private ImportFolder() {}

  public static void main(String[] args) throws IOException {
    AppRegistration app = AppRegistration.builder().tenant(args[0]).clientId(args[1]).build();
    Path out = Files.createDirectories(Path.of(args[3]));
    try (CredentialStrategy credential = CredentialStrategy.clientCredentials(app)
            .secret(ClientSecret.fromEnvironment("O365_CLIENT_SECRET")).build();
        ImapMailboxConnector mailbox = ImapMailboxConnector.builder().mailbox(args[2]).credential(credential).build();
        MailImporter importer = MailImporter.builder()
            .connector(mailbox)
            .checkpointStore(new FileCheckpointStore(out.resolve(".checkpoints")))
            .postAction(PostAction.moveTo(FolderRef.path("Inbox/Imported")))
            .handler(message -> {
              // named by the idempotency key: a message handed out again after a crash overwrites itself
              Path file = out.resolve(fileName(message.idempotencyKey()));
              try (InputStream mime = message.openMime()) {
                Files.copy(mime, file, StandardCopyOption.REPLACE_EXISTING);
              }
            })
            .build()) {
      ImportResult result = importer.runOnce();
      System.out.println("imported " + result.imported() + " message(s); health: " + importer.health().health());
      importer.health().diagnosis().ifPresent(d -> System.out.println(d.setupStep().title() + ": " + d.fix()));
    }
  }

  /** A file name for an idempotency key: the same key, the same file. */
  static String fileName(String idempotencyKey) {
    try {
      byte[] sha = MessageDigest.getInstance("SHA-256").digest(idempotencyKey.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(sha, 0, 16) + ".eml";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
