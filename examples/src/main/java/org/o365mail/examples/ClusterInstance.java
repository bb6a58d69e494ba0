package org.o365mail.examples;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.sql.DataSource;
import org.o365mail.MailboxConnector;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.graph.GraphMailboxConnector;
import org.o365mail.imap.ImapMailboxConnector;
import org.o365mail.importer.CheckpointStore;
import org.o365mail.importer.FileCheckpointStore;
import org.o365mail.importer.ImportCoordinator;
import org.o365mail.importer.ImportScheduler;
import org.o365mail.importer.IncomingMessage;
import org.o365mail.importer.MailImporter;
import org.o365mail.importer.MessageHandler;
import org.o365mail.jdbc.PostgresCheckpointStore;

/**
 * One instance of a service that shares many mailboxes with other instances of itself through one PostgreSQL: run
 * it on several machines (or several times on one) with the same mailbox list and database, and each mailbox is
 * imported by exactly one of them at a time. An instance takes its fair share of the mailboxes, gives mailboxes back
 * when another instance joins, and takes over the mailboxes of an instance that died once their leases expire
 * ({@link ImportCoordinator}). SIGTERM (or Ctrl-C) stops it gracefully: it finishes the message in hand, releases its
 * leases so that the others take its mailboxes at once, and leaves.
 *
 * <p>The "product" here appends each message it is handed (time, mailbox, idempotency key, whether it is a possible
 * redelivery, subject) as a line to a file of its own, and forces the line to disk before it returns: a real
 * product would store the message and commit instead. The cluster tests count these lines after killing instances.
 *
 * <pre>
 * java -cp o365mail.jar org.o365mail.examples.ClusterInstance instance.properties
 * </pre>
 *
 * The properties (a missing or malformed one is named, and the program exits with 64):
 * <ul>
 *   <li>{@code owner}: this instance's name in the lease table (unique per instance, e.g. the host name);
 *   <li>{@code store}: {@code jdbc:postgresql://host:port/db} (with {@code store.user} and optionally {@code
 *       store.passwordFile}), or {@code file:<directory>} for a single instance on the file store;
 *   <li>{@code mailboxes}: a file with one {@code address protocol} line per mailbox ({@code graph} or {@code imap});
 *   <li>{@code tenant}, {@code clientId}, {@code clientSecretFile}: the app registration of this instance;
 *   <li>{@code authorityHost}, {@code graphBaseUrl}, {@code imapHost}, {@code imapPort}, {@code trustStore}, {@code
 *       trustStorePasswordFile}: optional, for endpoints other than Microsoft 365's (the testkit's);
 *   <li>{@code leaseTtl}, {@code pollInterval}, {@code importPollInterval} (seconds, decimals allowed), {@code
 *       threads}; {@code deliveries}: the product's output file, {@code deliveries.fsync} ({@code true}).
 * </ul>
 *
 * <p>Not thread-safe as an object: it is a program; its handler is called from the scheduler's threads and
 * serializes its appends.
 */
public final class ClusterInstance implements AutoCloseable {
  /** Exit code of a configuration mistake (EX_USAGE). */
  public static final int CONFIG_MISTAKE = 64;
  private static final long MAX_FILE_BYTES = 16L << 20;

  private final List<AutoCloseable> open = new ArrayList<>();
  private final AtomicLong handedOut = new AtomicLong();
  private final ImportCoordinator coordinator;
  private final String owner;

  private ClusterInstance(Properties p, UnaryOperator<DataSource> decorate) throws Exception {
    try {
      owner = required(p, "owner");
      int threads = integer(p, "threads", 8);
      Duration ttl = seconds(p, "leaseTtl", Duration.ofSeconds(30));
      Duration poll = seconds(p, "pollInterval", ttl.dividedBy(3));
      Duration importPoll = seconds(p, "importPollInterval", Duration.ofSeconds(60));
      Map<String, String> mailboxes = mailboxes(p);
      MessageHandler product = deliveries(p);
      CheckpointStore store = store(p, decorate);
      SSLContext trust = p.containsKey("trustStore") ? trust(p) : null;
      AppRegistration.Builder app = AppRegistration.builder().tenant(required(p, "tenant"))
          .clientId(required(p, "clientId"));
      if (p.containsKey("authorityHost")) {
        app.authorityHost(URI.create(required(p, "authorityHost")));
      }
      if (trust != null) {
        app.trust(trust);
      }
      CredentialStrategy credential = CredentialStrategy.clientCredentials(app.build())
          .secret(ClientSecret.of(smallFile(p, "clientSecretFile").trim())).build();
      open.add(credential);
      // one Graph connector owns the connection pool; every imported Graph mailbox is a forMailbox of it
      GraphMailboxConnector.Builder graph = GraphMailboxConnector.builder().credential(credential)
          .mailbox(mailboxes.keySet().iterator().next());
      if (p.containsKey("graphBaseUrl")) {
        graph.baseUrl(required(p, "graphBaseUrl"));
      }
      if (trust != null) {
        graph.trust(trust);
      }
      GraphMailboxConnector graphRoot = mailboxes.containsValue("graph") ? graph.build() : null;
      if (graphRoot != null) {
        open.add(graphRoot);
      }
      String imapHost = p.getProperty("imapHost", "outlook.office365.com");
      int imapPort = integer(p, "imapPort", 993);
      ImportScheduler scheduler = ImportScheduler.create(threads);
      open.add(scheduler);
      coordinator = ImportCoordinator.builder()
          .checkpointStore(store)
          .scheduler(scheduler)
          .owner(owner)
          .leaseTtl(ttl)
          .pollInterval(poll)
          .mailboxes(List.copyOf(mailboxes.keySet()))
          .importers(mailbox -> {
            MailboxConnector connector;
            if (mailboxes.get(mailbox).equals("imap")) {
              ImapMailboxConnector.Builder imap = ImapMailboxConnector.builder().mailbox(mailbox)
                  .credential(credential).host(imapHost).port(imapPort);
              connector = (trust != null ? imap.trust(trust) : imap).build();
            } else {
              connector = graphRoot.forMailbox(mailbox);
            }
            return MailImporter.builder().connector(connector).handler(product).pollInterval(importPoll);
          })
          .build();
    } catch (Exception | Error e) {
      closeAll();
      throw e;
    }
  }

  /**
   * Starts an instance from {@code settings}, its data source wrapped by {@code decorate} (a benchmark counts
   * statements there; the program passes it through).
   *
   * @throws ConfigMistake naming the property that is missing or malformed
   */
  public static ClusterInstance start(Properties settings, UnaryOperator<DataSource> decorate) throws Exception {
    ClusterInstance instance = new ClusterInstance(settings, decorate);
    try {
      instance.coordinator.start();
    } catch (RuntimeException e) {
      instance.close();
      throw e;
    }
    return instance;
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: ClusterInstance <instance.properties>");
      System.exit(CONFIG_MISTAKE);
    }
    ClusterInstance instance;
    try {
      instance = start(load(Path.of(args[0])), UnaryOperator.identity());
    } catch (ConfigMistake e) {
      System.err.println(e.getMessage());
      System.exit(CONFIG_MISTAKE);
      return;
    }
    CountDownLatch closed = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      instance.close();
      System.out.println("closed " + instance.owner);
      System.out.flush();
      closed.countDown();
    }, "cluster-instance-stop"));
    System.out.println("started " + instance.owner);
    System.out.flush();
    closed.await();
  }

  /** The mailboxes this instance imports now. */
  public java.util.Set<String> held() {
    return coordinator.held();
  }

  /** How many messages this instance has handed to its product. */
  public long handedOut() {
    return handedOut.get();
  }

  public String owner() {
    return owner;
  }

  /** Closes the coordinator (each importer finishes its message and releases its lease), then the rest. */
  @Override
  public void close() {
    try {
      coordinator.close();
    } finally {
      closeAll();
    }
  }

  private void closeAll() {
    for (int i = open.size() - 1; i >= 0; i--) {
      try {
        open.get(i).close();
      } catch (Exception e) {
        System.err.println("closing " + open.get(i).getClass().getSimpleName() + ": " + e);
      }
    }
    open.clear();
  }

  /** A configuration mistake, naming its property. */
  public static final class ConfigMistake extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    ConfigMistake(String key, String problem) {
      super("configuration: " + key + ": " + problem);
    }
  }

  /** Reads a properties file (at most 16 MB). */
  public static Properties load(Path file) throws IOException {
    if (!Files.isRegularFile(file) || Files.size(file) > MAX_FILE_BYTES) {
      throw new ConfigMistake("file", "not a readable properties file of at most 16 MB: " + file.getFileName());
    }
    Properties p = new Properties();
    p.load(new StringReader(Files.readString(file, StandardCharsets.UTF_8)));
    return p;
  }

  private CheckpointStore store(Properties p, UnaryOperator<DataSource> decorate) throws IOException {
    String store = required(p, "store");
    if (store.startsWith("file:")) {
      return new FileCheckpointStore(Path.of(store.substring("file:".length())));
    }
    if (!store.startsWith("jdbc:postgresql:")) {
      throw new ConfigMistake("store", "expected jdbc:postgresql://... or file:<directory>");
    }
    HikariConfig config = new HikariConfig();
    config.setPoolName("o365mail-" + owner);
    config.setJdbcUrl(store);
    config.setUsername(required(p, "store.user"));
    if (p.containsKey("store.passwordFile")) {
      config.setPassword(smallFile(p, "store.passwordFile").trim());
    }
    // one connection per import thread and one for the coordinator's cycle; a bounded wait for one
    config.setMaximumPoolSize(integer(p, "threads", 8) + 2);
    config.setConnectionTimeout(10_000);
    HikariDataSource pool = new HikariDataSource(config);
    open.add(pool);
    return PostgresCheckpointStore.builder(decorate.apply(pool)).build();
  }

  /** The product: each message read, then one line appended to the deliveries file and (by default) forced. */
  private MessageHandler deliveries(Properties p) throws IOException {
    Path file = Path.of(required(p, "deliveries"));
    boolean fsync = Boolean.parseBoolean(p.getProperty("deliveries.fsync", "true"));
    FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.APPEND);
    open.add(out);
    AtomicLong bytes = new AtomicLong();
    return (IncomingMessage m) -> {
      try (InputStream in = m.openMime()) {
        bytes.addAndGet(in.transferTo(OutputStream.nullOutputStream()));
      }
      String line = String.format(Locale.ROOT, "%d\t%s\t%s\t%b\t%s%n", System.currentTimeMillis(), m.mailbox(),
          m.idempotencyKey(), m.possibleRedelivery(), clean(m.summary().subject()));
      synchronized (out) {
        ByteBuffer b = ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) {
          out.write(b);
        }
        if (fsync) {
          out.force(false);
        }
      }
      handedOut.incrementAndGet();
    };
  }

  private static String clean(String s) {
    return s == null ? "" : s.replace('\t', ' ').replace('\n', ' ').replace('\r', ' ');
  }

  /** Address to protocol, in the file's order. */
  private static Map<String, String> mailboxes(Properties p) throws IOException {
    Map<String, String> m = new LinkedHashMap<>();
    for (String line : smallFile(p, "mailboxes").split("\n")) {
      String t = line.strip();
      if (t.isEmpty() || t.startsWith("#")) {
        continue;
      }
      String[] parts = t.split("\\s+");
      if (parts.length != 2 || !(parts[1].equals("graph") || parts[1].equals("imap"))) {
        throw new ConfigMistake("mailboxes", "each line must be '<address> graph|imap'");
      }
      m.put(parts[0], parts[1]);
    }
    if (m.isEmpty()) {
      throw new ConfigMistake("mailboxes", "no mailbox listed");
    }
    return m;
  }

  private static SSLContext trust(Properties p) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    char[] password = smallFile(p, "trustStorePasswordFile").trim().toCharArray();
    Path file = Path.of(required(p, "trustStore"));
    if (!Files.isRegularFile(file) || Files.size(file) > MAX_FILE_BYTES) {
      throw new ConfigMistake("trustStore", "not a readable PKCS12 file of at most 16 MB");
    }
    try (InputStream in = Files.newInputStream(file)) {
      ks.load(in, password);
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    return ssl;
  }

  private static String required(Properties p, String key) {
    String v = p.getProperty(key);
    if (v == null || v.isBlank()) {
      throw new ConfigMistake(key, "missing");
    }
    return v.strip();
  }

  private static int integer(Properties p, String key, int fallback) {
    String v = p.getProperty(key);
    try {
      int n = v == null ? fallback : Integer.parseInt(v.strip());
      if (n < 1) {
        throw new ConfigMistake(key, "must be positive");
      }
      return n;
    } catch (NumberFormatException e) {
      throw new ConfigMistake(key, "not a whole number");
    }
  }

  private static Duration seconds(Properties p, String key, Duration fallback) {
    String v = p.getProperty(key);
    if (v == null) {
      return fallback;
    }
    try {
      long millis = Math.round(Double.parseDouble(v.strip()) * 1000);
      if (millis <= 0) {
        throw new ConfigMistake(key, "must be positive (seconds)");
      }
      return Duration.ofMillis(millis);
    } catch (NumberFormatException e) {
      throw new ConfigMistake(key, "not a number of seconds");
    }
  }

  /** A small file named by property {@code key} (at most 16 MB), for secrets and lists. */
  private static String smallFile(Properties p, String key) throws IOException {
    Path file = Path.of(required(p, key));
    if (!Files.isRegularFile(file) || Files.size(file) > MAX_FILE_BYTES) {
      throw new ConfigMistake(key, "not a readable file of at most 16 MB");
    }
    return Files.readString(file, StandardCharsets.UTF_8);
  }
}
