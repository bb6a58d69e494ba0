package org.o365mail.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.o365mail.internal.OwnerOnly;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code o365mail testkit serve}: the local Microsoft 365 tenant as a standalone process. */
@Command(name = "testkit", mixinStandardHelpOptions = true, description = "The local Microsoft 365 tenant.",
    subcommands = TestkitCommand.Serve.class)
final class TestkitCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return O365Mail.USAGE;
  }

  @Command(name = "serve", mixinStandardHelpOptions = true,
      description = "Run the local tenant (identity endpoint, Graph, IMAP, SMTP on 127.0.0.1) with a sample tenant"
          + " contoso.com, print its endpoints and a configuration for it, and stop on Ctrl-C.")
  static final class Serve implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--port", defaultValue = "0", description = "identity endpoint port (0: any free port)")
    int port;

    @Option(names = "--graph-port", defaultValue = "0")
    int graphPort;

    @Option(names = "--imap-port", defaultValue = "0")
    int imapPort;

    @Option(names = "--smtp-port", defaultValue = "0")
    int smtpPort;

    @Option(names = "--dir", defaultValue = "o365mail-testkit",
        description = "where to write the trust store, the sample configuration and its secret (default ${DEFAULT-VALUE})")
    Path dir;

    @Option(names = "--for", description = "stop after this long instead of waiting for Ctrl-C (e.g. PT30S)")
    Duration duration;

    @Override
    public Integer call() throws IOException, InterruptedException {
      PrintWriter out = spec.commandLine().getOut();
      Files.createDirectories(dir);
      LocalTenant m365 = LocalTenant.builder().identityPort(port).graphPort(graphPort).imapPort(imapPort)
          .smtpPort(smtpPort).start();
      CountDownLatch stop = new CountDownLatch(1);
      Thread hook = new Thread(() -> {
        m365.close();
        stop.countDown();
      }, "o365mail-testkit-shutdown");
      Runtime.getRuntime().addShutdownHook(hook);
      Sample sample = Sample.create(m365, dir);
      out.println("Local Microsoft 365 tenant started in " + m365.startupTime().toMillis() + " ms");
      out.println("  identity endpoint  " + m365.authorityHost() + "  (authority " + m365.authority(sample.tenant) + ")");
      out.println("  Graph              " + m365.graphBaseUrl());
      out.println("  IMAP (TLS)         " + m365.hostName() + ":" + m365.imapPort());
      out.println("  SMTP (STARTTLS)    " + m365.hostName() + ":" + m365.smtpPort());
      out.println("  trust store        " + sample.trustStore + " (PKCS#12, password changeit)");
      out.println("Sample tenant contoso.com: app " + sample.app.clientId() + ", mailboxes " + sample.mailbox.address()
          + " (connection imap) and " + sample.graphMailbox.address() + " (connection graph)");
      out.println("Sample configuration " + sample.config + ":");
      out.println(Files.readString(sample.config, StandardCharsets.UTF_8));
      // the sample holds two connections, and a file with several needs --connection (without it: exit 64)
      out.println("Try: o365mail doctor --config " + sample.config + " --connection imap");
      out.println(" or: o365mail doctor --config " + sample.config + " --connection graph");
      out.println("Stop with Ctrl-C.");
      out.flush();
      if (duration != null) {
        stop.await(duration.toMillis(), TimeUnit.MILLISECONDS);
        Runtime.getRuntime().removeShutdownHook(hook);
        m365.close();
      } else {
        stop.await();
      }
      return O365Mail.OK;
    }
  }

  /**
   * The sample tenant of {@code testkit serve}: app-only IMAP to invoices@contoso.com and Graph to
   * receipts@contoso.com (one mailbox per connection: two imports of one mailbox and folder would race, and the
   * configuration warns of it on every command).
   */
  static final class Sample {
    final Tenant tenant;
    final Application app;
    final Mailbox mailbox;
    final Mailbox graphMailbox;
    final Path trustStore;
    final Path config;

    private Sample(Tenant tenant, Application app, Mailbox mailbox, Mailbox graphMailbox, Path trustStore,
        Path config) {
      this.tenant = tenant;
      this.app = app;
      this.mailbox = mailbox;
      this.graphMailbox = graphMailbox;
      this.trustStore = trustStore;
      this.config = config;
    }

    static Sample create(LocalTenant m365, Path dir) throws IOException {
      Tenant contoso = m365.createTenant("contoso.com");
      Application app = contoso.registerApp("o365mail sample");
      PasswordCredential secret = app.addClientSecret("sample", Duration.ofDays(180));
      app.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp", "SMTP.SendAsApp")
          .addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite", "Mail.Send")
          .grantAdminConsent();
      Mailbox invoices = contoso.addSharedMailbox("invoices@contoso.com");
      contoso.addMailboxPermission(invoices.address(), contoso.registerExchangeServicePrincipal(app).objectId(),
          "FullAccess");
      Mailbox receipts = contoso.addSharedMailbox("receipts@contoso.com");
      for (int i = 1; i <= 3; i++) {
        invoices.deliver(TestMessages.text("billing@fabrikam.com", invoices.address(), "Invoice 2026-00" + i,
            "Amount due: " + (i * 100) + " EUR"));
        receipts.deliver(TestMessages.text("shop@fabrikam.com", receipts.address(), "Receipt 2026-00" + i,
            "Paid: " + (i * 100) + " EUR"));
      }
      Path trust = m365.writeTrustStore(dir.resolve("trust.p12"), "changeit".toCharArray());
      Path secretFile = dir.resolve("client-secret");
      Files.writeString(secretFile, secret.value(), StandardCharsets.UTF_8);
      Path trustPassword = dir.resolve("trust-password");
      Files.writeString(trustPassword, "changeit", StandardCharsets.UTF_8);
      ownerOnly(secretFile);
      ownerOnly(trustPassword);
      String config = "# o365mail configuration for the local tenant (o365mail testkit serve)\n"
          + "connections = imap, graph\n\n"
          + section("imap", m365, contoso, app, secret, "imap", invoices)
          + "imap.imapHost = " + m365.hostName() + "\nimap.imapPort = " + m365.imapPort() + "\n"
          + "imap.smtpHost = " + m365.hostName() + "\nimap.smtpPort = " + m365.smtpPort() + "\n\n"
          + section("graph", m365, contoso, app, secret, "graph", receipts)
          + "graph.graphBaseUrl = " + m365.graphBaseUrl() + "\n";
      Path configFile = dir.resolve("o365mail.properties");
      Files.writeString(configFile, config, StandardCharsets.UTF_8);
      return new Sample(contoso, app, invoices, receipts, trust, configFile);
    }

    private static String section(String name, LocalTenant m365, Tenant tenant, Application app,
        PasswordCredential secret, String protocol, Mailbox mailbox) {
      return name + ".clientId = " + app.clientId() + "\n"
          + name + ".tenant = " + tenant.id() + "\n"
          + name + ".flow = client-secret\n"
          + name + ".clientSecret = file:client-secret\n"
          + name + ".clientSecret.id = " + secret.keyId() + "\n"
          + name + ".clientSecret.expiresAt = " + secret.endDateTime() + "\n"
          + name + ".protocol = " + protocol + "\n"
          + name + ".mailbox = " + mailbox.address() + "\n"
          + name + ".authorityHost = " + m365.authorityHost() + "\n"
          + name + ".trustStore = trust.p12\n"
          + name + ".trustStore.password = file:trust-password\n";
    }

    private static void ownerOnly(Path file) throws IOException {
      if (OwnerOnly.posix(file)) {
        Files.setPosixFilePermissions(file, OwnerOnly.FILE);
      }
    }
  }
}
