package org.o365mail.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.o365mail.FolderRef;
import org.o365mail.MailboxConnector;
import org.o365mail.MailboxException;
import org.o365mail.OutgoingMessage;
import org.o365mail.SetupStep;
import org.o365mail.auth.AccessToken;
import org.o365mail.auth.AccountTypes;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.InteractiveCredential;
import org.o365mail.auth.TokenPreflight;
import org.o365mail.auth.TokenRequest;
import org.o365mail.doctor.ConnectionDoctor;
import org.o365mail.doctor.DoctorCheck;
import org.o365mail.doctor.DoctorReport;
import org.o365mail.graph.GraphMailboxConnector;
import org.o365mail.imap.ImapMailboxConnector;
import org.o365mail.importer.CheckpointStore;
import org.o365mail.importer.ImportResult;
import org.o365mail.importer.MailImporter;
import org.o365mail.importer.PostAction;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.Platform;
import org.o365mail.testkit.StoredMail;
import org.o365mail.testkit.SupportedAccountTypes;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;
import org.o365mail.testkit.User;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code o365mail demo}: the SDK end to end on the embedded local tenant. Four tenants are set up the way the
 * four vendor guides set them up (DocBits, LogicalDOC, Sinch Contact Pro, ImageManager); each product's job runs
 * through the SDK, then one setup step of each is broken and the doctor names it. Exit 0 when every job worked
 * and every breakage was diagnosed as the step that was broken.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Run the SDK end to end on an embedded local Microsoft 365 tenant: four products' setups, their"
        + " jobs, and the doctor's diagnosis of one broken setup step in each.",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:every job worked and every breakage was diagnosed", "2:something did not go as expected"})
final class DemoCommand implements Callable<Integer> {
  private static final String PASSWORD = "Demo-Passw0rd!";

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--out", description = "where the imported .eml files go (default: a temporary directory)")
  Path out;

  private PrintWriter w;
  private final List<String> failures = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    w = spec.commandLine().getOut();
    Path dir = out != null ? Files.createDirectories(out) : Files.createTempDirectory("o365mail-demo");
    try (LocalTenant m365 = LocalTenant.start()) {
      w.println("o365mail demo: the SDK against a Microsoft 365 tenant on 127.0.0.1 (started in "
          + m365.startupTime().toMillis() + " ms; identity " + m365.authorityHost() + ", Graph " + m365.graphBaseUrl()
          + ", IMAP :" + m365.imapPort() + ", SMTP :" + m365.smtpPort() + ")");
      docBits(m365, dir);
      logicalDoc(m365, dir);
      sinch(m365, dir);
      imageManager(m365);
    }
    w.println();
    if (failures.isEmpty()) {
      w.println("Done: 4 products' jobs ran, and each broken setup step was named by the doctor.");
      return O365Mail.OK;
    }
    w.println("Not as expected:");
    failures.forEach(f -> w.println("  - " + f));
    return O365Mail.FAILURES;
  }

  // ----------------------------------------------------------------------------------------------

  private void docBits(LocalTenant m365, Path dir) throws Exception {
    heading("1. DocBits email import: a user's mailbox over Graph, delegated, as a confidential client with a secret");
    Tenant tenant = m365.createTenant("docbits-customer.com");
    Application app = tenant.registerApp("DocBits").accountTypes(SupportedAccountTypes.MULTI_TENANT);
    PasswordCredential secret = app.addClientSecret("DocBits import", Duration.ofDays(365));
    app.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read", "Mail.ReadWrite").grantAdminConsent();
    User user = tenant.addUser("import@docbits-customer.com", PASSWORD);
    deliverInvoices(user.mailbox(), 3);
    say("portal: multitenant app, client secret (expires in 365 days), delegated User.Read + Mail.ReadWrite, admin consent");
    AppRegistration registration = registration(m365, tenant, app).toBuilder().accountTypes(AccountTypes.MULTI_TENANT).build();
    Supplier<CredentialStrategy> credential = () -> CredentialStrategy.usernamePassword(registration,
        user.userPrincipalName(), PASSWORD.toCharArray()).clientSecret(ClientSecret.of(secret.value())).maxAttempts(1).build();
    try (CredentialStrategy c = credential.get();
        MailboxConnector graph = graph(m365, user.mailbox().address(), c)) {
      AccessToken token = c.token(TokenRequest.graph("Mail.ReadWrite"));
      ok("signed in as " + user.userPrincipalName() + ": Graph token, scp " + token.claims().scopes());
      importInto(graph, dir.resolve("docbits"), PostAction.markRead());
      expect(user.mailbox().messages("Inbox").stream().allMatch(StoredMail::seen), "DocBits mail marked read");
    }
    say("break it: an admin revokes the consent given to DocBits");
    tenant.servicePrincipal(app).orElseThrow().revokeConsent();
    try (CredentialStrategy c = credential.get()) {
      doctor(c, () -> graph(m365, user.mailbox().address(), c), TokenRequest.graph("Mail.ReadWrite"),
          TokenPreflight.Requirement.graphReadWrite(), SetupStep.ADMIN_CONSENT);
    }
  }

  private void logicalDoc(LocalTenant m365, Path dir) throws Exception {
    heading("2. LogicalDOC mailbox import: app-only IMAP XOAUTH2 to a shared mailbox, client credentials");
    Tenant tenant = m365.createTenant("logicaldoc-customer.com");
    Application app = tenant.registerApp("LogicalDOC");
    PasswordCredential secret = app.addClientSecret("LogicalDOC", Duration.ofDays(180));
    app.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp").grantAdminConsent();
    Mailbox mailbox = tenant.addSharedMailbox("documents@logicaldoc-customer.com");
    mailbox.createFolder("Inbox/Imported");
    deliverInvoices(mailbox, 3);
    String principal = tenant.registerExchangeServicePrincipal(app).objectId();
    tenant.addMailboxPermission(mailbox.address(), principal, "FullAccess");
    say("portal: IMAP.AccessAsApp + admin consent; PowerShell: New-ServicePrincipal, Add-MailboxPermission FullAccess");
    AppRegistration registration = registration(m365, tenant, app);
    Supplier<CredentialStrategy> credential = () -> CredentialStrategy.clientCredentials(registration)
        .secret(ClientSecret.of(secret.value()).withKeyId(secret.keyId()).withExpiresAt(secret.endDateTime()))
        .maxAttempts(1).build();
    try (CredentialStrategy c = credential.get();
        MailboxConnector imap = imap(m365, mailbox.address(), c)) {
      AccessToken token = c.token(TokenRequest.imap());
      ok("app-only token for Exchange Online, roles " + token.claims().roles());
      importInto(imap, dir.resolve("logicaldoc"), PostAction.moveTo(FolderRef.path("Inbox/Imported")));
      expect(mailbox.count("Inbox/Imported") == 3, "LogicalDOC mail moved to Inbox/Imported");
    }
    say("break it: New-ServicePrincipal was given the app registration's Object ID, not the enterprise application's");
    tenant.removeExchangeServicePrincipal(principal);
    tenant.newExchangeServicePrincipal(app.clientId(), app.objectId());
    try (CredentialStrategy c = credential.get()) {
      doctor(c, () -> imap(m365, mailbox.address(), c), TokenRequest.imap(), TokenPreflight.Requirement.imap(),
          SetupStep.EXCHANGE_SERVICE_PRINCIPAL);
    }
  }

  private void sinch(LocalTenant m365, Path dir) throws Exception {
    heading("3. Sinch Contact Pro: a queue mailbox over Graph with username and password (public client)");
    Tenant tenant = m365.createTenant("sinch-customer.com");
    Application app = tenant.registerApp("Sinch Contact Pro").allowPublicClientFlows(true);
    app.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read", "User.ReadBasic.All", "Mail.ReadWrite")
        .grantAdminConsent();
    User queue = tenant.addUser("queue@sinch-customer.com", PASSWORD);
    deliverInvoices(queue.mailbox(), 2);
    say("portal: Allow public client flows = Yes, delegated User.Read, User.ReadBasic.All, Mail.ReadWrite, admin consent");
    AppRegistration registration = registration(m365, tenant, app);
    Supplier<CredentialStrategy> credential = () -> CredentialStrategy.usernamePassword(registration,
        queue.userPrincipalName(), PASSWORD.toCharArray()).maxAttempts(1).build();
    try (CredentialStrategy c = credential.get();
        MailboxConnector graph = graph(m365, queue.mailbox().address(), c)) {
      ok("signed in as " + queue.userPrincipalName() + " (username/password; Microsoft deprecates it: it fails with MFA)");
      importInto(graph, dir.resolve("sinch"), PostAction.none());
    }
    say("break it: Allow public client flows is set back to No");
    app.allowPublicClientFlows(false);
    try (CredentialStrategy c = credential.get()) {
      doctor(c, () -> graph(m365, queue.mailbox().address(), c), TokenRequest.graph("Mail.ReadWrite"),
          TokenPreflight.Requirement.graphReadWrite(), SetupStep.ALLOW_PUBLIC_CLIENT_FLOWS);
    }
  }

  private void imageManager(LocalTenant m365) throws Exception {
    heading("4. ImageManager notifications: delegated Mail.Send over Graph, interactive sign-in on the desktop");
    Tenant tenant = m365.createTenant("imagemanager-customer.com");
    Application app = tenant.registerApp("ImageManager").accountTypes(SupportedAccountTypes.MULTI_TENANT)
        .addRedirectUri(Platform.MOBILE_AND_DESKTOP, "http://localhost");
    app.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read", "Mail.Send");
    User admin = tenant.addUser("it@imagemanager-customer.com", PASSWORD);
    User ops = tenant.addUser("ops@imagemanager-customer.com", PASSWORD);
    say("portal: multitenant (tenant optional), Mobile and desktop redirect http://localhost, delegated Mail.Send");
    AppRegistration registration = registration(m365, tenant, app).toBuilder().accountTypes(AccountTypes.MULTI_TENANT).build();
    try (InteractiveCredential c = CredentialStrategy.interactive(registration)
        .browser(uri -> m365.signInInBrowser(uri, admin.userPrincipalName(), PASSWORD))
        .signInRequest(TokenRequest.graph("Mail.Send")).signInTimeout(Duration.ofSeconds(30)).maxAttempts(1).build();
        MailboxConnector graph = graph(m365, admin.mailbox().address(), c)) {
      AccessToken token = c.signIn();
      ok("signed in through the browser (PKCE, redirect to http://localhost:<any port>), consented to "
          + token.claims().scopes());
      graph.send(OutgoingMessage.builder().to(ops.mailbox().address()).subject("Backup job finished")
          .text("ImageManager: 12 images verified.").build());
      boolean arrived = ops.mailbox().messages("Inbox").stream().anyMatch(m -> m.subject().equals("Backup job finished"));
      expect(arrived, "the notification arrived in " + ops.mailbox().address());
      ok("notification sent with Graph sendMail and delivered to " + ops.mailbox().address());
    }
    say("break it: the redirect URI is registered under Web instead of Mobile and desktop applications");
    Application web = tenant.registerApp("ImageManager (web redirect)").accountTypes(SupportedAccountTypes.MULTI_TENANT)
        .addRedirectUri(Platform.WEB, "http://localhost");
    web.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read", "Mail.Send");
    AppRegistration webRegistration = registration(m365, tenant, web).toBuilder().accountTypes(AccountTypes.MULTI_TENANT).build();
    try (InteractiveCredential c = CredentialStrategy.interactive(webRegistration)
        .browser(uri -> m365.signInInBrowser(uri, admin.userPrincipalName(), PASSWORD))
        .signInRequest(TokenRequest.graph("Mail.Send")).signInTimeout(Duration.ofSeconds(30)).maxAttempts(1).build()) {
      // the sign-in names the step; the doctor checks with the stored sign-in only and never starts one
      SetupStep signIn = null;
      try {
        c.signIn();
      } catch (MailboxException e) {
        signIn = e.diagnosis().map(d -> d.setupStep()).orElse(null);
        e.diagnosis().ifPresent(d -> {
          w.println("   sign-in failed: " + d.summary());
          w.println("          setup step: " + d.setupStep().title() + " (" + d.setupStep().where() + ")");
          w.println("          fix: " + d.fix());
        });
      }
      expect(signIn == SetupStep.REDIRECT_URI, "the sign-in should name REDIRECT_URI and named " + signIn);
      doctor(c, () -> graph(m365, admin.mailbox().address(), c), TokenRequest.graph("Mail.Send"),
          TokenPreflight.Requirement.graphSend(), SetupStep.SIGN_IN_AGAIN);
    }
  }

  // ----------------------------------------------------------------------------------------------

  private static AppRegistration registration(LocalTenant m365, Tenant tenant, Application app) {
    return AppRegistration.builder().clientId(app.clientId()).tenant(tenant.id())
        .authorityHost(m365.authorityHost()).trust(m365.sslContext()).build();
  }

  private static MailboxConnector graph(LocalTenant m365, String mailbox, CredentialStrategy credential) {
    return GraphMailboxConnector.builder().mailbox(mailbox).credential(credential).baseUrl(m365.graphBaseUrl())
        .allowedHosts(m365.hostName()).trust(m365.sslContext()).build();
  }

  private static MailboxConnector imap(LocalTenant m365, String mailbox, CredentialStrategy credential) {
    return ImapMailboxConnector.builder().mailbox(mailbox).credential(credential).host(m365.hostName())
        .port(m365.imapPort()).smtpHost(m365.hostName()).smtpPort(m365.smtpPort()).trust(m365.sslContext()).build();
  }

  private static void deliverInvoices(Mailbox mailbox, int count) {
    for (int i = 1; i <= count; i++) {
      mailbox.deliver(TestMessages.text("billing@fabrikam.com", mailbox.address(), "Invoice 2026-" + (100 + i),
          "Amount due: " + (i * 120) + " EUR"));
    }
  }

  private void importInto(MailboxConnector connector, Path dir, PostAction action) throws Exception {
    Files.createDirectories(dir);
    try (EmlWriter writer = new EmlWriter(dir);
        MailImporter importer = MailImporter.builder().connector(connector).handler(writer)
        .checkpointStore(CheckpointStore.inMemory()).postAction(action).build()) {
      ImportResult result = importer.runOnce();
      long files;
      try (var list = Files.list(dir)) {
        files = list.filter(p -> p.toString().endsWith(".eml")).count();
      }
      expect(result.completed() && result.imported() == files && files > 0, "import into " + dir);
      String first;
      try (var list = Files.list(dir)) {
        Path eml = list.filter(p -> p.toString().endsWith(".eml")).sorted().findFirst().orElseThrow();
        first = Files.readAllLines(eml, StandardCharsets.UTF_8).stream().filter(l -> l.startsWith("Subject:"))
            .findFirst().orElse("");
      }
      ok("imported " + result.imported() + " message(s) over " + connector.protocol().id() + " into " + dir + " (e.g. "
          + first + "); post-action: " + action);
    }
  }

  private void doctor(CredentialStrategy credential, Supplier<MailboxConnector> connector, TokenRequest request,
      TokenPreflight.Requirement requirement, SetupStep expected) {
    DoctorReport report;
    try {
      report = ConnectionDoctor.builder().credential(credential).connector(connector).token(request, requirement)
          .build().examine();
    } catch (MailboxException e) {
      failures.add("the doctor threw " + e.getMessage());
      return;
    }
    w.println("   o365mail doctor:");
    for (DoctorCheck check : report.checks()) {
      if (check.status() == DoctorCheck.Status.SKIPPED) {
        continue;
      }
      w.printf("     %-4s %s: %s%n", check.status(), check.name(), check.detail());
      check.diagnosis().ifPresent(d -> {
        w.println("          setup step: " + d.setupStep().title() + " (" + d.setupStep().where() + ")");
        w.println("          fix: " + d.fix());
        d.command().ifPresent(cmd -> w.println("          run: " + cmd));
      });
    }
    SetupStep named = report.firstFailure().flatMap(DoctorCheck::diagnosis).map(d -> d.setupStep()).orElse(null);
    expect(named == expected, "the doctor should name " + expected + " and named " + named);
  }

  private void heading(String text) {
    w.println();
    w.println(text);
  }

  private void say(String text) {
    w.println("   " + text);
  }

  private void ok(String text) {
    w.println("   ok: " + text);
  }

  private void expect(boolean condition, String what) {
    if (!condition) {
      failures.add(what);
      w.println("   NOT OK: " + what);
    }
  }
}
