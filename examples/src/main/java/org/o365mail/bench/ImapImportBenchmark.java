package org.o365mail.bench;

import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Store;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import org.o365mail.FolderRef;
import org.o365mail.MessageSummary;
import org.o365mail.SyncBatch;
import org.o365mail.SyncState;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.TokenRequest;
import org.o365mail.imap.ImapMailboxConnector;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.ExchangeServicePrincipal;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.Tenant;

/**
 * Imports messages of about 20 KB from the testkit's IMAP front over TLS four ways, in one run, and prints
 * messages/s and bytes/s for each:
 *
 * <ol>
 *   <li><b>connector</b>: {@link ImapMailboxConnector#sync} in batches, then {@link ImapMailboxConnector#openMime} for
 *       every message, streamed into a counting sink (what an import product does);
 *   <li><b>naive Angus loop</b>: {@code folder.getMessages()}, then {@code writeTo} per message, with Angus Mail's
 *       defaults apart from XOAUTH2 and the trust;
 *   <li><b>raw lower bound</b>: one {@code UID FETCH 1:* BODY.PEEK[]} read off a TLS socket and discarded, no
 *       parsing beyond literal lengths;
 *   <li><b>raw summaries + bodies</b>: the same, after a {@code UID FETCH 1:*} of the items the connector's sync
 *       fetches for each summary, also read and discarded: what the connector reads, without the connector.
 * </ol>
 *
 * Each is warmed up first on a small mailbox, and the big mailbox is read once before anything is timed; the
 * connector and the two raw reads then run three rounds in turn and each is reported by its median. The naive loop
 * reads every message unless {@code --naive-messages} says fewer; Angus Mail's loop FETCHes by sequence number,
 * twice a message, which the testkit answers from its folder index (GreenMail on its own walks the folder's UIDs for
 * every message of the folder on each FETCH, about 0.1 s a FETCH at 10,000 messages, which would have measured
 * GreenMail rather than the loop).
 *
 * <p>Arguments (all optional): {@code --messages N} (10000), {@code --size BYTES} (20000), {@code --batch N} (the
 * connector's sync batch, default all messages in one batch), {@code --naive-messages N} (all). With {@code
 * -Dbench.detail} the connector's time is split into sync and MIME. Run with {@code mvn -q package -DskipTests
 * && java -cp examples/target/o365mail.jar org.o365mail.bench.ImapImportBenchmark [--batch 1000]}.
 */
public final class ImapImportBenchmark {
  /** Rounds of the connector and the two raw reads, each reported by its median. */
  private static final int ROUNDS = 3;

  private ImapImportBenchmark() {}

  /** Figures of one way of importing. */
  private record Result(String name, long messages, long bytes, long nanos) {
    double messagesPerSecond() {
      return messages / (nanos / 1e9);
    }

    double bytesPerSecond() {
      return bytes / (nanos / 1e9);
    }

    String line() {
      return String.format(Locale.ROOT, "%-22s %8d msgs %12d bytes %9.2f s %10.1f msgs/s %9.2f MB/s", name, messages,
          bytes, nanos / 1e9, messagesPerSecond(), bytesPerSecond() / 1e6);
    }
  }

  public static void main(String[] args) throws Exception {
    int messages = intArg(args, "--messages", 10_000);
    int size = intArg(args, "--size", 20_000);
    int batch = intArg(args, "--batch", messages);
    int naiveMessages = Math.min(messages, intArg(args, "--naive-messages", messages));
    System.out.printf(Locale.ROOT, "Java %s, %d processors, max heap %d MB%n", System.getProperty("java.version"),
        Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() / (1024 * 1024));
    try (LocalTenant m365 = LocalTenant.start()) {
      Tenant contoso = m365.createTenant("contoso.com");
      Application daemon = contoso.registerApp("Import benchmark");
      PasswordCredential secret = daemon.addClientSecret("bench", Duration.ofDays(30));
      daemon.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp").grantAdminConsent();
      ExchangeServicePrincipal principal = contoso.registerExchangeServicePrincipal(daemon);
      AppRegistration app = AppRegistration.builder()
          .clientId(daemon.clientId())
          .tenant(contoso.id())
          .authorityHost(m365.authorityHost())
          .trust(m365.sslContext())
          .build();
      try (CredentialStrategy credential = CredentialStrategy.clientCredentials(app)
          .secret(ClientSecret.of(secret.value())).build()) {
        Mailbox warm = RawImap.mailbox(contoso, principal, "warmup@contoso.com", 300, size);
        Mailbox big = RawImap.mailbox(contoso, principal, "import@contoso.com", messages, size);
        System.out.printf(Locale.ROOT, "Mailbox %s: %d messages of about %d bytes; connector sync batch %d%n",
            big.address(), messages, size, batch);

        // warm-up: every path once on a small mailbox
        connector(m365, credential, warm, batch);
        naive(m365, credential, warm, 30);
        raw(m365, credential, warm);
        raw(m365, credential, warm, true);

        // the big mailbox's first read pays what the store does once per message (it made the bound look slow)
        raw(m365, credential, big);

        List<Result> raws = new ArrayList<>();
        List<Result> rawsWithSummaries = new ArrayList<>();
        List<Result> connectors = new ArrayList<>();
        for (int round = 0; round < ROUNDS; round++) {
          raws.add(raw(m365, credential, big));
          rawsWithSummaries.add(raw(m365, credential, big, true));
          connectors.add(connector(m365, credential, big, batch));
        }
        Result raw = median(raws);
        Result rawWithSummaries = median(rawsWithSummaries);
        Result connector = median(connectors);
        Result naive = naive(m365, credential, big, naiveMessages);

        System.out.println();
        System.out.println(raw.line());
        System.out.println(rawWithSummaries.line());
        System.out.println(connector.line());
        System.out.println(naive.line() + (naiveMessages < messages ? "  (first " + naiveMessages + " messages)" : ""));
        System.out.println();
        System.out.printf(Locale.ROOT, "connector / naive loop: %6.2fx messages/s (target >= 5x)%n",
            connector.messagesPerSecond() / naive.messagesPerSecond());
        System.out.printf(Locale.ROOT, "connector / raw bound:  %6.2fx messages/s, %6.2fx bytes/s (target >= 0.7x)%n",
            connector.messagesPerSecond() / raw.messagesPerSecond(), connector.bytesPerSecond() / raw.bytesPerSecond());
        System.out.printf(Locale.ROOT, "connector / raw summaries + bodies (what the connector reads): %6.2fx%n",
            connector.messagesPerSecond() / rawWithSummaries.messagesPerSecond());
      }
    }
  }

  /** The run of median time. */
  private static Result median(List<Result> runs) {
    List<Result> sorted = new ArrayList<>(runs);
    sorted.sort(Comparator.comparingLong(Result::nanos));
    return sorted.get(sorted.size() / 2);
  }

  /** The connector: sync in batches, openMime each message into a counting sink. */
  private static Result connector(LocalTenant m365, CredentialStrategy credential, Mailbox mailbox, int batch)
      throws IOException {
    long start = System.nanoTime();
    long count = 0;
    CountingSink sink = new CountingSink();
    try (ImapMailboxConnector imap = ImapMailboxConnector.builder()
        .mailbox(mailbox.address())
        .credential(credential)
        .host(m365.hostName())
        .port(m365.imapPort())
        .build()) {
      SyncState state = SyncState.BEGINNING;
      SyncBatch b;
      long syncNanos = 0;
      long mimeNanos = 0;
      do {
        long t0 = System.nanoTime();
        b = imap.sync(FolderRef.INBOX, state, batch);
        long t1 = System.nanoTime();
        syncNanos += t1 - t0;
        for (MessageSummary m : b.messages()) {
          try (InputStream mime = imap.openMime(m.id())) {
            mime.transferTo(sink);
          }
          count++;
        }
        mimeNanos += System.nanoTime() - t1;
        state = b.next();
      } while (b.hasMore());
      if (System.getProperty("bench.detail") != null) {
        System.out.printf(Locale.ROOT, "  connector: sync %.2f s, MIME %.2f s%n", syncNanos / 1e9, mimeNanos / 1e9);
      }
    }
    return new Result("connector", count, sink.bytes, System.nanoTime() - start);
  }

  /** The naive Angus Mail loop. */
  private static Result naive(LocalTenant m365, CredentialStrategy credential, Mailbox mailbox, int limit)
      throws MessagingException, IOException {
    long start = System.nanoTime();
    Properties props = new Properties();
    props.put("mail.imaps.auth.mechanisms", "XOAUTH2");
    props.put("mail.imaps.ssl.socketFactory", m365.sslContext().getSocketFactory());
    props.put("mail.imaps.ssl.checkserveridentity", "true");
    Store store = Session.getInstance(props).getStore("imaps");
    store.connect(m365.hostName(), m365.imapPort(), mailbox.address(), credential.token(TokenRequest.imap()).value());
    CountingSink sink = new CountingSink();
    long count = 0;
    try {
      Folder inbox = store.getFolder("INBOX");
      inbox.open(Folder.READ_ONLY);
      Message[] all = inbox.getMessages();
      for (int i = 0; i < all.length && i < limit; i++) {
        all[i].writeTo(sink);
        count++;
      }
      inbox.close(false);
    } finally {
      store.close();
    }
    return new Result("naive Angus loop", count, sink.bytes, System.nanoTime() - start);
  }

  /** What the connector fetches for a summary (its sync); the raw bound does not. */
  private static final String SUMMARY_ITEMS = "(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE)";

  /** One UID FETCH 1:* BODY.PEEK[] off a TLS socket, counting literal bytes and discarding them. */
  private static Result raw(LocalTenant m365, CredentialStrategy credential, Mailbox mailbox) throws IOException {
    return raw(m365, credential, mailbox, false);
  }

  /** The raw read; with {@code summaries}, a {@code UID FETCH 1:*} of the summary items first, read and discarded. */
  private static Result raw(LocalTenant m365, CredentialStrategy credential, Mailbox mailbox, boolean summaries)
      throws IOException {
    long start = System.nanoTime();
    RawImap.Counter counts = new RawImap.Counter();
    try (RawImap imap = RawImap.signIn(m365, mailbox.address(), credential.token(TokenRequest.imap()).value())) {
      imap.command("s SELECT INBOX", "s", null);
      if (summaries) {
        imap.command("g UID FETCH 1:* " + SUMMARY_ITEMS, "g", null);
      }
      imap.command("f UID FETCH 1:* BODY.PEEK[]", "f", counts);
    }
    return new Result(summaries ? "raw summaries + bodies" : "raw lower bound", counts.messages, counts.bytes,
        System.nanoTime() - start);
  }

  private static int intArg(String[] args, String name, int defaultValue) {
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals(name)) {
        return Integer.parseInt(args[i + 1]);
      }
    }
    return defaultValue;
  }

  /** Counts bytes written and drops them. */
  private static final class CountingSink extends OutputStream {
    long bytes;

    @Override
    public void write(int b) {
      bytes++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      bytes += len;
    }
  }
}
