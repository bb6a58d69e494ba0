package org.o365mail.examples.spring;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.o365mail.importer.IncomingMessage;
import org.o365mail.importer.MessageHandler;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/**
 * The Spring Boot starter's sample: a web application that imports the mailbox of the connection {@code invoices}
 * (declared in {@code application.yml}) into a folder of {@code .eml} files, and shows the mailbox's health, with the
 * setup step and fix when one is missing, at {@code /actuator/health/o365mail}. The starter does the wiring: the
 * credential, the connector, the scheduler, the importer and its health contributor; the application gives only its
 * {@link MessageHandler} bean.
 *
 * <pre>
 * INVOICES_TENANT=... INVOICES_CLIENT_ID=... INVOICES_CLIENT_SECRET=... INVOICES_MAILBOX=invoices@contoso.com \
 *     java -cp ... org.o365mail.examples.spring.InvoiceImportApplication
 * curl -s localhost:8080/actuator/health/o365mail
 * </pre>
 *
 * Setup: application permission {@code Mail.ReadWrite} (Microsoft Graph) with admin consent ({@code o365mail setup
 * --flow client-secret --protocol graph} prints the steps); until then the health says which step is missing.
 *
 * <p>Holds no state of its own: Spring creates it once and calls its bean methods at start.
 */
@SpringBootApplication
public class InvoiceImportApplication {

  public static void main(String[] args) {
    SpringApplication.run(InvoiceImportApplication.class, args);
  }

  /** The application's handler: each message into {@code invoices.directory}, then the importer moves on. */
  @Bean
  MessageHandler invoiceHandler(@Value("${invoices.directory}") Path directory) throws IOException {
    return new EmlFolder(Files.createDirectories(directory));
  }

  /**
   * Writes each message's MIME to a file named by its idempotency key: a message handed out again after a crash
   * overwrites its own file. Thread-safe: the importer calls it from the scheduler's threads, one message at a time
   * per mailbox.
   */
  static final class EmlFolder implements MessageHandler {
    private final Path directory;

    EmlFolder(Path directory) {
      this.directory = directory;
    }

    @Override
    public void handle(IncomingMessage message) throws IOException {
      Path file = directory.resolve(fileName(message.idempotencyKey()));
      Path partial = directory.resolve(file.getFileName() + ".part");
      try (InputStream mime = message.openMime()) {
        Files.copy(mime, partial, StandardCopyOption.REPLACE_EXISTING);
      }
      // returning normally tells the importer the product has the message: only a complete file counts
      Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
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
}
