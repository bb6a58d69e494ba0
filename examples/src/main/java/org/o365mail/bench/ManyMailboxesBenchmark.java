package org.o365mail.bench;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.o365mail.MailboxConnector;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.graph.GraphMailboxConnector;
import org.o365mail.imap.ImapMailboxConnector;
import org.o365mail.importer.CheckpointStore;
import org.o365mail.importer.FileCheckpointStore;
import org.o365mail.importer.ImportListener;
import org.o365mail.importer.ImportScheduler;
import org.o365mail.importer.IncomingMessage;
import org.o365mail.importer.MailImporter;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;

/**
 * Many mailboxes in one importer process: 500 mailboxes on the local tenant with 10 new messages each, imported by
 * one process (a child JVM limited to 2 processors) with one {@link ImportScheduler} of 8 threads, one credential and
 * a file checkpoint store. Prints the time to drain all of them, messages per second, the importer's peak thread
 * count and heap; then, with no new mail, how many mailbox polls a minute the process makes when every mailbox
 * asks to be polled each second. Target: at least 1,000 idle polls a minute.
 *
 * <p>The local tenant runs in this process and the importer in a child, so that the threads and heap printed are
 * the importer's alone.
 *
 * <pre>mvn -q package -DskipTests && java -cp examples/target/o365mail.jar org.o365mail.bench.ManyMailboxesBenchmark [graph|imap] [mailboxes] [messages each] [idle seconds]</pre>
 */
public final class ManyMailboxesBenchmark {
  static final int SCHEDULER_THREADS = 8;

  private ManyMailboxesBenchmark() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--importer")) {
      Importer.run(args);
      return;
    }
    String protocol = args.length > 0 ? args[0] : "graph";
    int mailboxes = args.length > 1 ? Integer.parseInt(args[1]) : 500;
    int each = args.length > 2 ? Integer.parseInt(args[2]) : 10;
    int idleSeconds = args.length > 3 ? Integer.parseInt(args[3]) : 60;
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true"); // see GraphImportBenchmark
    }
    Path dir = Files.createTempDirectory("o365mail-many-");
    try (LocalTenant m365 = LocalTenant.start()) {
      Tenant contoso = m365.createTenant("contoso.com");
      Application app = contoso.registerApp("Many mailboxes");
      app.addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite")
          .addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp").grantAdminConsent();
      String principal = contoso.registerExchangeServicePrincipal(app).objectId();
      PasswordCredential secret = app.addClientSecret("bench", Duration.ofDays(30));
      long seedStart = System.nanoTime();
      for (int b = 0; b < mailboxes; b++) {
        Mailbox box = contoso.addSharedMailbox("box" + b + "@contoso.com");
        contoso.addMailboxPermission(box.address(), principal, "FullAccess");
        for (int i = 0; i < each; i++) {
          box.deliver(TestMessages.text("sender@fabrikam.com", box.address(), "Message " + i, "Body " + i));
        }
      }
      System.out.printf(Locale.ROOT, "%s: %d mailboxes x %d messages seeded in %.1f s%n", protocol, mailboxes, each,
          (System.nanoTime() - seedStart) / 1e9);
      m365.writeTrustStore(dir.resolve("trust.p12"), "changeit".toCharArray());
      Files.writeString(dir.resolve("secret"), secret.value());
      List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-XX:ActiveProcessorCount=2", "-cp", System.getProperty("java.class.path"),
          ManyMailboxesBenchmark.class.getName(), "--importer", dir.toString(), m365.authorityHost().toString(),
          contoso.id(), app.clientId(), m365.graphBaseUrl(), m365.hostName(), Integer.toString(m365.imapPort()),
          protocol, Integer.toString(mailboxes), Integer.toString(each), Integer.toString(idleSeconds));
      Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
      try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = out.readLine()) != null) {
          System.out.println(line);
        }
      }
      int exit = child.waitFor();
      if (exit != 0) {
        System.out.println("importer exited with " + exit);
      }
    }
  }

  /** The importer process. */
  static final class Importer {
    private Importer() {}

    static void run(String[] a) throws Exception {
      // the JVM's own threads (reference handler, finalizer, compilers, ...) before anything of ours runs
      int jvmThreads = ManagementFactory.getThreadMXBean().getThreadCount();
      Path dir = Path.of(a[1]);
      String protocol = a[8];
      int mailboxes = Integer.parseInt(a[9]);
      int each = Integer.parseInt(a[10]);
      int idleSeconds = Integer.parseInt(a[11]);
      SSLContext trust = trust(dir.resolve("trust.p12"));
      AppRegistration registration = AppRegistration.builder().clientId(a[4]).tenant(a[3])
          .authorityHost(java.net.URI.create(a[2])).trust(trust).build();
      AtomicLong polls = new AtomicLong();
      AtomicLong imported = new AtomicLong();
      AtomicLong bytes = new AtomicLong();
      int total = mailboxes * each;
      List<MailImporter> importers = new ArrayList<>();
      List<MailboxConnector> connectors = new ArrayList<>();
      CheckpointStore store = new FileCheckpointStore(dir.resolve("checkpoints"));
      Object drained = new Object();
      ImportListener progress = new ImportListener() {
        @Override
        public void imported(IncomingMessage message) {
          if (imported.incrementAndGet() == total) {
            synchronized (drained) {
              drained.notifyAll();
            }
          }
        }
      };
      long start = System.nanoTime();
      try (CredentialStrategy credential = CredentialStrategy.clientCredentials(registration)
              .secret(ClientSecret.of(Files.readString(dir.resolve("secret")).trim())).build();
          ImportScheduler scheduler = ImportScheduler.create(SCHEDULER_THREADS)) {
        GraphMailboxConnector graph = null;
        for (int b = 0; b < mailboxes; b++) {
          String address = "box" + b + "@contoso.com";
          MailboxConnector connector;
          if (protocol.equals("imap")) {
            connector = ImapMailboxConnector.builder().mailbox(address).credential(credential).host(a[6])
                .port(Integer.parseInt(a[7])).trust(trust).build();
          } else if (graph == null) {
            connector = graph = GraphMailboxConnector.builder().mailbox(address).credential(credential).baseUrl(a[5])
                .trust(trust).build();
          } else {
            connector = graph.forMailbox(address); // one connection pool for all of them
          }
          connectors.add(connector);
          MailImporter importer = MailImporter.builder().connector(countingSyncs(connector, polls))
              .checkpointStore(store).scheduler(scheduler).pollInterval(Duration.ofSeconds(1))
              .handler(m -> {
                try (InputStream in = m.openMime()) {
                  bytes.addAndGet(in.transferTo(java.io.OutputStream.nullOutputStream()));
                }
              })
              .listener(progress).build();
          importers.add(importer);
          importer.start();
        }
        synchronized (drained) {
          long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
          while (imported.get() < total && System.nanoTime() < deadline) {
            drained.wait(1000);
          }
        }
        double drain = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "drained %d of %d messages (%.1f MB) from %d mailboxes in %.1f s: %.0f msgs/s%n",
            imported.get(), total, bytes.get() / 1e6, mailboxes, drain, imported.get() / drain);
        int peak = ManagementFactory.getThreadMXBean().getPeakThreadCount();
        System.out.printf(Locale.ROOT, "peak: %d live threads, %d of them the JVM's own before the import began, %d the"
            + " import's (scheduler: %d; target: importer threads <= 16), %.0f MB heap used%n", peak, jvmThreads,
            peak - jvmThreads, scheduler.threads(), peakHeap() / 1e6);

        long before = polls.get();
        long idleStart = System.nanoTime();
        Thread.sleep(idleSeconds * 1000L);
        double idle = (System.nanoTime() - idleStart) / 1e9;
        double perMinute = (polls.get() - before) / idle * 60;
        System.out.printf(Locale.ROOT, "idle: %.0f mailbox polls per minute with every mailbox due each second"
            + " (target >= 1,000: %.1fx); %d live threads%n", perMinute, perMinute / 1000,
            ManagementFactory.getThreadMXBean().getThreadCount());
        System.out.printf(Locale.ROOT, "peak heap over the whole run: %.0f MB; heap after GC: %.0f MB%n",
            peakHeap() / 1e6, heapAfterGc() / 1e6);
        for (MailImporter i : importers) {
          i.close();
        }
        for (MailboxConnector c : connectors) {
          c.close();
        }
      }
    }

    /** The connector, counting its {@code sync} calls: one per mailbox poll. */
    static MailboxConnector countingSyncs(MailboxConnector connector, AtomicLong syncs) {
      return (MailboxConnector) Proxy.newProxyInstance(MailboxConnector.class.getClassLoader(),
          new Class<?>[] {MailboxConnector.class}, (proxy, method, args) -> {
            if (method.getName().equals("sync")) {
              syncs.incrementAndGet();
            }
            try {
              return method.invoke(connector, args);
            } catch (InvocationTargetException e) {
              throw e.getCause();
            }
          });
    }

    static long peakHeap() {
      long sum = 0;
      for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
        if (pool.getType() == MemoryType.HEAP) {
          sum += pool.getPeakUsage().getUsed();
        }
      }
      return sum;
    }

    static long heapAfterGc() {
      System.gc();
      return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    static SSLContext trust(Path p12) throws Exception {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(p12)) {
        ks.load(in, "changeit".toCharArray());
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, tmf.getTrustManagers(), null);
      return ssl;
    }
  }
}
