package org.o365mail.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;
import org.o365mail.testkit.User;
import org.junit.jupiter.api.AfterAll;

/** Every command, in-process, against the local tenant: output, exit codes, and no secret in any output. */
@Timeout(180)
class CommandsTest {
  static final String PASSWORD = "Queue-Passw0rd!";

  static LocalTenant m365;
  static Tenant contoso;
  static Path dir;
  static final List<String> secrets = new ArrayList<>();

  record Result(int exit, String out, String err) {
    String all() {
      return out + err;
    }
  }

  @BeforeAll
  static void start(@TempDir Path tmp) {
    m365 = LocalTenant.start();
    contoso = m365.createTenant("contoso.com");
    dir = tmp;
    m365.writeTrustStore(dir.resolve("trust.p12"), "changeit".toCharArray());
    write("trust-password", "changeit");
    secrets.add(PASSWORD);
  }

  @AfterAll
  static void stop() {
    m365.close();
  }

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = O365Mail.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    Result r = new Result(exit, out.toString(), err.toString());
    for (String s : secrets) {
      assertThat(r.all()).as("output must not contain a secret").doesNotContain(s);
    }
    return r;
  }

  static Path write(String name, String content) {
    try {
      Path p = dir.resolve(name);
      Files.writeString(p, content, StandardCharsets.UTF_8);
      return p;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** An app-only IMAP or Graph setup done right; returns the app and its secret file name. */
  static Application logicalDoc(String name, Mailbox mailbox) {
    Application app = contoso.registerApp(name);
    app.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp", "SMTP.SendAsApp")
        .addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite", "Mail.Send").grantAdminConsent();
    contoso.addMailboxPermission(mailbox.address(), contoso.registerExchangeServicePrincipal(app).objectId(), "FullAccess");
    return app;
  }

  static Path config(String name, Application app, PasswordCredential secret, String protocol, Mailbox mailbox,
      String... extra) {
    write(name + "-secret", secret.value());
    secrets.add(secret.value());
    StringBuilder sb = new StringBuilder();
    sb.append("c.clientId = ").append(app.clientId()).append('\n');
    sb.append("c.tenant = ").append(contoso.id()).append('\n');
    sb.append("c.flow = client-secret\n");
    sb.append("c.clientSecret = file:").append(name).append("-secret\n");
    sb.append("c.clientSecret.expiresAt = ").append(secret.endDateTime()).append('\n');
    sb.append("c.protocol = ").append(protocol).append('\n');
    sb.append("c.mailbox = ").append(mailbox.address()).append('\n');
    sb.append("c.authorityHost = ").append(m365.authorityHost()).append('\n');
    sb.append("c.graphBaseUrl = ").append(m365.graphBaseUrl()).append('\n');
    sb.append("c.imapHost = ").append(m365.hostName()).append('\n');
    sb.append("c.imapPort = ").append(m365.imapPort()).append('\n');
    sb.append("c.smtpHost = ").append(m365.hostName()).append('\n');
    sb.append("c.smtpPort = ").append(m365.smtpPort()).append('\n');
    sb.append("c.trustStore = trust.p12\n");
    sb.append("c.trustStore.password = file:trust-password\n");
    for (String e : extra) {
      sb.append("c.").append(e).append('\n');
    }
    return write(name + ".properties", sb.toString());
  }

  static Mailbox mailbox(String local, int messages) {
    Mailbox m = contoso.addSharedMailbox(local + "@contoso.com");
    for (int i = 0; i < messages; i++) {
      m.deliver(TestMessages.text("billing@fabrikam.com", m.address(), "Invoice " + local + " " + i, "Due: " + i));
    }
    return m;
  }

  @Test
  void help_andUsageErrors() {
    Result help = run("--help");
    assertThat(help.exit()).isZero();
    assertThat(help.out()).contains("demo", "doctor", "import", "send", "secrets", "setup", "login", "testkit")
        .contains("64").contains("Exit codes");
    for (String command : List.of("demo", "doctor", "import", "send", "secrets", "setup", "login")) {
      assertThat(run(command, "--help").exit()).as(command).isZero();
    }
    assertThat(run("doctor").exit()).isEqualTo(O365Mail.USAGE);
    assertThat(run("nonsense").exit()).isEqualTo(O365Mail.USAGE);
  }

  @Test
  void setup_printsTheGuidesSteps() {
    Result r = run("setup", "--flow", "client-secret", "--protocol", "imap");
    assertThat(r.exit()).isZero();
    assertThat(r.out()).contains("New-ServicePrincipal -AppId").contains("Add-MailboxPermission").contains("IMAP.AccessAsApp")
        .contains("Grant admin consent");
    Result json = run("setup", "--flow", "device-code", "--protocol", "graph", "--account-types", "MULTI_TENANT", "--json");
    assertThat(json.out()).startsWith("{\"flow\":\"device-code\"").contains("ALLOW_PUBLIC_CLIENT_FLOWS");
    assertThat(run("setup", "--flow", "pigeon", "--protocol", "imap").exit()).isEqualTo(O365Mail.USAGE);
  }

  @Test
  void doctor_passesOnAGoodSetup_overImapAndGraph() {
    Mailbox m = mailbox("doctor-ok", 2);
    Application app = logicalDoc("doctor ok", m);
    PasswordCredential secret = app.addClientSecret("s", Duration.ofDays(200));
    for (String protocol : List.of("imap", "graph")) {
      Result r = run("doctor", "--config", config("ok-" + protocol, app, secret, protocol, m).toString());
      assertThat(r.exit()).as(r.all()).isZero();
      assertThat(r.out()).contains("PASS  configuration valid").contains("PASS  token acquired")
          .contains("PASS  message header fetched").contains("Invoice doctor-ok 1").contains("Result: PASS");
      // use defaults to read,send: the send token is checked too, and over IMAP the SMTP AUTH path
      assertThat(r.out()).contains("PASS  send claims fit");
      if (protocol.equals("imap")) {
        assertThat(r.out()).contains("PASS  send path: SMTP submission as " + m.address());
      }
    }
    Result json = run("doctor", "--config", dir.resolve("ok-imap.properties").toString(), "--json");
    assertThat(json.out()).contains("\"overall\":\"PASS\"").contains("\"check\":\"claims fit the connector\"");
  }

  @Test
  void doctor_namesTheSetupStepOfEachMisconfiguration() {
    Mailbox m = mailbox("doctor-broken", 1);
    // Exchange service principal registered with the app registration's object id
    Application wrongObjectId = contoso.registerApp("wrong object id");
    wrongObjectId.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp").grantAdminConsent();
    contoso.newExchangeServicePrincipal(wrongObjectId.clientId(), wrongObjectId.objectId());
    assertStep(config("sp", wrongObjectId, wrongObjectId.addClientSecret("s", Duration.ofDays(90)), "imap", m),
        "EXCHANGE_SERVICE_PRINCIPAL", "New-ServicePrincipal");
    // service principal right, FullAccess missing
    Application noPermission = contoso.registerApp("no mailbox permission");
    noPermission.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp").grantAdminConsent();
    String principal = contoso.registerExchangeServicePrincipal(noPermission).objectId();
    PasswordCredential permSecret = noPermission.addClientSecret("s", Duration.ofDays(90));
    Path perm = config("perm", noPermission, permSecret, "imap", m);
    // refused by its first mailbox, the app could lack either PowerShell step
    assertStep(perm, "EXCHANGE_SERVICE_PRINCIPAL", "Add-MailboxPermission");
    // once it has opened another mailbox, its service principal is known to work: the permission is missing
    Mailbox other = mailbox("doctor-other", 1);
    contoso.addMailboxPermission(other.address(), principal, "FullAccess");
    assertThat(run("doctor", "--config", config("perm-other", noPermission, permSecret, "imap", other, "use = read")
        .toString()).exit()).isZero();
    assertStep(perm, "MAILBOX_PERMISSION", "Add-MailboxPermission");
    // permission listed, never consented
    Application noConsent = contoso.registerApp("no consent");
    noConsent.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp");
    assertStep(config("consent", noConsent, noConsent.addClientSecret("s", Duration.ofDays(90)), "imap", m),
        "ADMIN_CONSENT", "Grant admin consent");
    // IMAP permission on Graph instead of Exchange Online
    Application wrongApi = contoso.registerApp("wrong api");
    wrongApi.addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "Mail.Read").grantAdminConsent();
    assertStep(config("api", wrongApi, wrongApi.addClientSecret("s", Duration.ofDays(90)), "imap", m),
        "APPLICATION_PERMISSION", "Added under Microsoft Graph; add IMAP.AccessAsApp under Office 365 Exchange Online"
            + " (APIs my organization uses)");
    // the step it could not rule out is printed with its check
    Result api = run("doctor", "--config", dir.resolve("api.properties").toString(), "--json");
    assertThat(api.out()).contains("\"alternatives\":[{\"setupStep\":\"ADMIN_CONSENT\"");
    assertThat(run("doctor", "--config", dir.resolve("api.properties").toString()).out())
        .contains("or step:    Admin consent").contains("Get-MgServicePrincipalAppRoleAssignment");
    // Graph without the application permission
    Application graphNoRole = contoso.registerApp("graph without role");
    graphNoRole.addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "User.Read.All").grantAdminConsent();
    assertStep(config("graphrole", graphNoRole, graphNoRole.addClientSecret("s", Duration.ofDays(90)), "graph", m),
        "APPLICATION_PERMISSION", "Mail.ReadWrite");
    // an expired secret
    Application expired = logicalDoc("expired secret", m);
    java.time.Instant now = m365.clock().instant();
    assertStep(config("expired", expired, expired.addClientSecret("old", now.minus(Duration.ofDays(200)),
        now.minus(Duration.ofDays(1))), "imap", m), "CLIENT_SECRET", "New client secret");
    // a tenant that does not exist
    Application good = logicalDoc("good one", m);
    Path unknownTenant = config("tenant", good, good.addClientSecret("s", Duration.ofDays(90)), "imap", m);
    write("tenant.properties", readString(unknownTenant).replace(contoso.id(), "11111111-2222-3333-4444-555555555555"));
    assertStep(unknownTenant, "TENANT", "tenant");
    // IMAP switched off for the mailbox
    Mailbox noImap = mailbox("no-imap", 1).imapEnabled(false);
    Application imapOff = logicalDoc("imap off", noImap);
    Result r = run("doctor", "--config", config("imapoff", imapOff, imapOff.addClientSecret("s", Duration.ofDays(90)),
        "imap", noImap).toString(), "--json");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.out()).contains("\"status\":\"FAIL\"");
  }

  @Test
  void doctor_checksWhatTheConnectionIsFor_sendOnlyWithoutTheMailbox_andSmtpAuthOff() {
    Mailbox sender = mailbox("send-only", 0);
    Mailbox ops = mailbox("doctor-ops", 0);
    // ImageManager style: Mail.Send only, nothing to read
    Application sendOnly = contoso.registerApp("send only");
    sendOnly.addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "Mail.Send").grantAdminConsent();
    PasswordCredential secret = sendOnly.addClientSecret("s", Duration.ofDays(90));
    Path config = config("sendonly", sendOnly, secret, "graph", sender, "use = send");
    Result r = run("doctor", "--config", config.toString(), "--send-test-to", ops.address());
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.out()).contains("PASS  claims fit the connector").contains("Mail.Send")
        .contains("PASS  test message sent: sent to " + ops.address()).doesNotContain("mailbox opened");
    assertThat(ops.messages("Inbox")).anySatisfy(x -> assertThat(x.subject()).contains("o365mail doctor"));
    // the same app checked as a reader fails at the claims, as it should
    Result asReader = run("doctor", "--config", config("sendonly-read", sendOnly, secret, "graph", sender).toString());
    assertThat(asReader.exit()).isEqualTo(2);
    // a wrong value names the key, exit 64
    Result bad = run("doctor", "--config", config("baduse", sendOnly, secret, "graph", sender, "use = write").toString());
    assertThat(bad.exit()).isEqualTo(O365Mail.USAGE);
    assertThat(bad.out()).contains("c.use 'write' is not one of read, send, read,send");
    // --send-test-to on a read-only connection is a usage error
    Result readOnly = run("doctor", "--config", config("readonly", sendOnly, secret, "graph", sender, "use = read")
        .toString(), "--send-test-to", ops.address());
    assertThat(readOnly.exit()).isEqualTo(O365Mail.USAGE);
    // SMTP AUTH off for the tenant: reading works, the send path fails with its step
    Mailbox m = mailbox("smtp-off", 1);
    Application app = logicalDoc("smtp off", m);
    contoso.smtpClientAuthenticationDisabled(true);
    try {
      PasswordCredential smtpSecret = app.addClientSecret("s", Duration.ofDays(90));
      Result smtpOff = run("doctor", "--config", config("smtpoff", app, smtpSecret, "imap", m, "use = read,send")
          .toString(), "--json");
      assertThat(smtpOff.exit()).as(smtpOff.all()).isEqualTo(2);
      String failed = smtpOff.out().substring(smtpOff.out().indexOf("\"status\":\"FAIL\""));
      assertThat(smtpOff.out()).contains("\"check\":\"message header fetched\",\"status\":\"PASS\"");
      assertThat(failed).contains("\"setupStep\":\"MAILBOX_PROTOCOL\"");
      assertThat(smtpOff.out()).contains("\"check\":\"send path\",\"status\":\"FAIL\"");
      // use not set: read,send by default, but a reader set up right is not failed for sending: a warning, exit 1
      Result unset = run("doctor", "--config", config("smtpoff-unset", app, smtpSecret, "imap", m).toString());
      assertThat(unset.exit()).as(unset.all()).isEqualTo(1);
      assertThat(unset.out()).contains("WARN  send path").contains("set c.use = read");
    } finally {
      contoso.smtpClientAuthenticationDisabled(false);
    }
  }

  static void assertStep(Path config, String step, String fixContains) {
    Result r = run("doctor", "--config", config.toString(), "--json");
    assertThat(r.exit()).as(r.all()).isEqualTo(2);
    int fail = r.out().indexOf("\"status\":\"FAIL\"");
    assertThat(fail).as(r.out()).isPositive();
    String failed = r.out().substring(fail);
    assertThat(failed).as(r.out()).contains("\"setupStep\":\"" + step + "\"");
    assertThat(r.out()).contains(fixContains);
    Result human = run("doctor", "--config", config.toString());
    assertThat(human.out()).contains("setup step:").contains("fix:");
  }

  static String readString(Path p) {
    try {
      return Files.readString(p, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void import_writesEmlFilesByKey_andResumesWithoutDuplicates(@TempDir Path out) throws IOException {
    Mailbox m = mailbox("import", 7);
    m.createFolder("Inbox/Imported");
    Application app = logicalDoc("importer", m);
    Path config = config("import", app, app.addClientSecret("s", Duration.ofDays(90)), "imap", m,
        "postAction = move:Inbox/Imported");
    Result first = run("import", "--config", config.toString(), "--out", out.toString(), "--json");
    assertThat(first.exit()).as(first.all()).isZero();
    assertThat(first.out()).contains("\"imported\":7").contains("\"completed\":true");
    assertThat(emls(out)).hasSize(7);
    assertThat(m.count("Inbox/Imported")).isEqualTo(7);
    m.deliver(TestMessages.text("a@fabrikam.com", m.address(), "Late one", "x"));
    Result second = run("import", "--config", config.toString(), "--out", out.toString());
    assertThat(second.out()).contains("Imported 1 message(s)");
    assertThat(emls(out)).hasSize(8);
    assertThat(Files.exists(out.resolve(".o365mail"))).isTrue();
  }

  @Test
  void import_writesEveryFileAndDirectoryOwnerOnly(@TempDir Path tmp) throws IOException {
    org.junit.jupiter.api.Assumptions.assumeTrue(tmp.getFileSystem().supportedFileAttributeViews().contains("posix"));
    // the JVM cannot change the umask: a world-writable parent stands in, and the modes asserted are exact
    Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
    Path out = tmp.resolve("new/out");
    Mailbox m = mailbox("import-modes", 3);
    Application app = logicalDoc("importer modes", m);
    Path config = config("import-modes", app, app.addClientSecret("s", Duration.ofDays(90)), "imap", m);
    Result r = run("import", "--config", config.toString(), "--out", out.toString());
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(emls(out)).hasSize(3);
    List<Path> all;
    try (Stream<Path> s = Files.walk(tmp.resolve("new"))) {
      all = s.toList();
    }
    assertThat(all).anyMatch(p -> p.toString().endsWith(".seen")).anyMatch(p -> p.toString().endsWith(".checkpoint.json"));
    for (Path p : all) {
      String mode = java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
      assertThat(mode).as(tmp.relativize(p).toString()).isEqualTo(Files.isDirectory(p) ? "rwx------" : "rw-------");
    }
  }

  @Test
  void import_whoseMoveFolderIsMissing_importsAndWarnsWithTheFolderToCreate(@TempDir Path out) throws IOException {
    Mailbox m = mailbox("import-nofolder", 3);
    Application app = logicalDoc("importer without folder", m);
    Path config = config("import-nofolder", app, app.addClientSecret("s", Duration.ofDays(90)), "graph", m,
        "postAction = move:Inbox/Done");
    Result first = run("import", "--config", config.toString(), "--out", out.toString());
    assertThat(first.exit()).as(first.all()).isEqualTo(O365Mail.WARNINGS);
    assertThat(first.out()).contains("Imported 3 message(s)").contains("Warning: DEGRADED")
        .contains("Create the folder Inbox/Done in " + m.address());
    assertThat(emls(out)).hasSize(3);
    assertThat(m.count("Inbox")).isEqualTo(3);
    m.createFolder("Inbox/Done");
    Result second = run("import", "--config", config.toString(), "--out", out.toString());
    assertThat(second.exit()).as(second.all()).isZero();
    assertThat(m.count("Inbox/Done")).isEqualTo(3);
    assertThat(emls(out)).hasSize(3);
  }

  static List<Path> emls(Path out) throws IOException {
    try (Stream<Path> s = Files.list(out)) {
      return s.filter(p -> p.toString().endsWith(".eml")).toList();
    }
  }

  @Test
  void send_withAnAttachment_overGraphAndSmtp() throws IOException {
    Mailbox sender = mailbox("sender", 0);
    Mailbox ops = mailbox("ops", 0);
    Application app = logicalDoc("notifier", sender);
    PasswordCredential secret = app.addClientSecret("s", Duration.ofDays(90));
    Path report = write("report.csv", "a,b\n1,2\n");
    for (String protocol : List.of("graph", "imap")) {
      Result r = run("send", "--config", config("send-" + protocol, app, secret, protocol, sender).toString(),
          "--to", ops.address(), "--subject", "Report via " + protocol, "--body", "See attached.", "--attach", report.toString());
      assertThat(r.exit()).as(r.all()).isZero();
      assertThat(ops.messages("Inbox")).anySatisfy(x -> assertThat(x.subject()).isEqualTo("Report via " + protocol));
    }
  }

  @Test
  void secrets_exitCodeFollowsTheWorstStatus() {
    Mailbox m = mailbox("secrets", 0);
    Application app = logicalDoc("secrets app", m);
    Result fine = run("secrets", "--config", config("fine", app, app.addClientSecret("fine", Duration.ofDays(300)), "imap", m).toString());
    assertThat(fine.exit()).as(fine.all()).isZero();
    assertThat(fine.out()).contains("OK").contains("client secret");
    Result soon = run("secrets", "--config", config("soon", app, app.addClientSecret("soon", Duration.ofDays(5)), "imap", m).toString(),
        "--json");
    assertThat(soon.exit()).isEqualTo(2);
    assertThat(soon.out()).contains("\"status\":\"CRITICAL\"");
  }

  @Test
  void login_needsATokenStore_andSignsInWithDeviceCode() throws Exception {
    Application app = contoso.registerApp("login app").allowPublicClientFlows(true);
    app.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read", "Mail.ReadWrite").grantAdminConsent();
    User user = contoso.addUser("login-user@contoso.com", PASSWORD);
    String base = "c.clientId = " + app.clientId() + "\nc.tenant = " + contoso.id() + "\nc.flow = device-code\n"
        + "c.protocol = graph\nc.mailbox = " + user.userPrincipalName() + "\nc.authorityHost = " + m365.authorityHost()
        + "\nc.trustStore = trust.p12\nc.trustStore.password = file:trust-password\n";
    Path withoutStore = write("login-nostore.properties", base);
    assertThat(run("login", "--config", withoutStore.toString()).exit()).isEqualTo(O365Mail.USAGE);
    Path config = write("login.properties", base + "c.tokenStore = tokens\n");
    Thread approver = new Thread(() -> {
      try {
        var session = m365.deviceCodes().awaitPending(Duration.ofSeconds(30));
        m365.deviceCodes().approve(session.userCode(), user.userPrincipalName(), PASSWORD);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    approver.start();
    Result r = run("login", "--config", config.toString(), "--timeout", "PT30S");
    approver.join(30_000);
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.out()).contains("To sign in").contains("Signed in as " + user.userPrincipalName());
    Result doctor = run("doctor", "--config", config.toString());
    assertThat(doctor.out()).as(doctor.all()).contains("PASS  token acquired");
  }

  @Test
  void tenantConsumers_signsInAnOutlookComUserThroughConsumers_andImportsItsMail(@TempDir Path out) throws Exception {
    Application app = contoso.registerApp("personal app")
        .accountTypes(org.o365mail.testkit.SupportedAccountTypes.MULTI_TENANT_AND_PERSONAL).allowPublicClientFlows(true);
    app.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read", "Mail.ReadWrite");
    User someone = m365.consumers().addUser("cli-someone@outlook.com", PASSWORD);
    Mailbox inbox = m365.consumers().mailbox(someone.userPrincipalName());
    inbox.deliver(TestMessages.text("friend@example.org", someone.userPrincipalName(), "Scan finished", "3 pages"));
    String base = "c.clientId = " + app.clientId() + "\nc.tenant = consumers\nc.flow = device-code\n"
        + "c.protocol = graph\nc.mailbox = " + someone.userPrincipalName() + "\nc.authorityHost = "
        + m365.authorityHost() + "\nc.graphBaseUrl = " + m365.graphBaseUrl()
        + "\nc.trustStore = trust.p12\nc.trustStore.password = file:trust-password\nc.tokenStore = personal-tokens\n";
    Path config = write("personal.properties", base);
    long consumersSignIns = m365.count(r -> r.path().contains("/consumers/"));
    Thread approver = new Thread(() -> {
      try {
        var session = m365.deviceCodes().awaitPending(Duration.ofSeconds(30));
        m365.deviceCodes().approve(session.userCode(), someone.userPrincipalName(), PASSWORD);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    approver.start();
    Result login = run("login", "--config", config.toString(), "--timeout", "PT30S");
    approver.join(30_000);
    assertThat(login.exit()).as(login.all()).isZero();
    assertThat(login.out()).contains("Signed in; the refresh token is kept in");
    assertThat(m365.count(r -> r.path().contains("/consumers/")))
        .as("the sign-in went through /consumers").isGreaterThan(consumersSignIns);
    assertThat(m365.count(r -> r.attribute("client_id").equals(app.clientId()) && !r.path().contains("/consumers/")))
        .as("this app's requests to the identity endpoint all went through /consumers").isZero();
    assertThat(m365.count(r -> r.attribute("client_id").equals(app.clientId()))).isPositive();

    Result imported = run("import", "--config", config.toString(), "--out", out.toString());
    assertThat(imported.exit()).as(imported.all()).isZero();
    assertThat(emls(out)).hasSize(1);

    // what the personal-accounts-only authority cannot do is named by its key
    assertThat(run("doctor", "--config", write("personal-secret.properties", base.replace("device-code",
        "client-secret") + "c.clientSecret = file:trust-password\n").toString()))
        .satisfies(r -> assertThat(r.exit()).isEqualTo(O365Mail.USAGE))
        .satisfies(r -> assertThat(r.all()).contains("c.flow client-secret cannot sign in personal Microsoft accounts"));
    Result orgOnly = run("doctor", "--config",
        write("personal-org.properties", base + "c.accountTypes = MULTI_TENANT\n").toString());
    assertThat(orgOnly.exit()).isEqualTo(O365Mail.USAGE);
    assertThat(orgOnly.all()).contains("c.accountTypes MULTI_TENANT cannot sign in through /consumers");
  }

  @Test
  void testkitServe_printsEndpointsAndAWorkingConfiguration(@TempDir Path serveDir) {
    Result r = run("testkit", "serve", "--dir", serveDir.toString(), "--for", "PT0.5S");
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.out()).contains("identity endpoint  https://localhost:").contains("Graph              https://localhost:")
        .contains("imap.flow = client-secret");
    assertThat(serveDir.resolve("o365mail.properties")).exists();
    assertThat(serveDir.resolve("trust.p12")).exists();
  }

  @Test
  void demo_runsTheFourGuidesAndExitsZero() {
    Result r = run("demo");
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.out()).contains("1. DocBits").contains("2. LogicalDOC").contains("3. Sinch").contains("4. ImageManager")
        .contains("Admin consent").contains("Exchange service principal").contains("Allow public client flows")
        .contains("Platform and redirect URI").doesNotContain("NOT OK");
  }
}
