package org.o365mail.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.o365mail.Diagnosis;
import org.o365mail.MailboxException;
import org.o365mail.SetupStep;
import org.o365mail.auth.CredentialListener;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.DeviceCodeCredential;
import org.o365mail.auth.InteractiveCredential;
import org.o365mail.auth.TokenPreflight;
import org.o365mail.auth.TokenRequest;
import org.o365mail.cli.config.ConfigFile;
import org.o365mail.cli.config.ConnectionConfig;
import org.o365mail.doctor.ConnectionDoctor;
import org.o365mail.doctor.DoctorCheck;
import org.o365mail.doctor.DoctorReport;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.KeyCredential;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.NationalCloud;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.Platform;
import org.o365mail.testkit.SupportedAccountTypes;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;
import org.o365mail.testkit.User;

/**
 * Issue 15, part 5: each of the 18 setup steps of the guides broken in the local tenant, one thing at a time and in
 * several variants, each from a correct setup of the guide the step belongs to; the doctor runs the way {@code o365mail
 * doctor} does (the configuration file, {@link DoctorCommand#examine}) and must name the step that was broken. The
 * table of what it named is {@code docs/doctor-matrix.md}, a golden file this test writes with {@code
 * -Do365mail.doctor.matrix.write=true}.
 *
 * <p>Rows the doctor still names wrongly are listed in {@link #KNOWN_MISSES}, each with its reason; the test fails
 * for any other wrong row, and for a listed row that is now named right (so the list only shrinks).
 */
@Timeout(300)
class DoctorMatrixTest {
  static final String PASSWORD = "Matrix-Passw0rd!";
  static final String WRITE_PROPERTY = "o365mail.doctor.matrix.write";
  static final Duration PER_ROW = Duration.ofSeconds(30);
  /** How long an interactive sign-in waits for the browser's redirect in this test (a real wait: see the rows). */
  static final Duration SIGN_IN_WAIT = Duration.ofSeconds(3);

  /** The 18 steps of the issue, as the table names them. */
  static final String S1 = "1. app and tenant ids, cloud";
  static final String S2 = "2. supported account types";
  static final String S3 = "3. client secret value";
  static final String S4 = "4. client secret expiry";
  static final String S5 = "5. certificate";
  static final String S6 = "6. allow public client flows";
  static final String S7 = "7. redirect URI platform";
  static final String S8 = "8. delegated permissions";
  static final String S9 = "9. application permission, right API";
  static final String S10 = "10. admin consent";
  static final String S11 = "11. Exchange service principal";
  static final String S12 = "12. mailbox FullAccess (app-only)";
  static final String S13 = "13. user's state";
  static final String S14 = "14. the mailbox itself";
  static final String S15 = "15. Graph versus Outlook scopes";
  static final String S16 = "16. SMTP AUTH and mailbox protocols";
  static final String S17 = "17. application access policy";
  static final String S18 = "18. shared mailbox rights (delegated)";
  static final String EXCHANGE_ALIKE = "Exchange answers an app-only AUTHENTICATE failed alike for no service"
      + " principal, one with the wrong object id, no FullAccess, no such mailbox and IMAP turned off; the app may"
      + " not read Exchange's principals or permissions";

  /**
   * Rows (step / variant) the doctor does not name yet on this branch, with why. Empty it as the doctor learns them;
   * a row listed here that is named right fails the test.
   */
  static final Map<String, String> KNOWN_MISSES = Map.of();

  /**
   * Why each row accepted "together" cannot be named exactly: what Microsoft answers alike, and what the probes may
   * not read. Every together row has its reason here; the table prints those named together with it.
   */
  static final Map<String, String> TOGETHER_BECAUSE = Map.ofEntries(
      Map.entry(S1 + " / tenant id of another tenant (app-only IMAP)",
          "Entra ID answers AADSTS700016 alike for a mistyped client id, another tenant and a single-tenant app of"
              + " another tenant"),
      Map.entry(S2 + " / vendor's single-tenant app in a customer tenant",
          "Entra ID answers AADSTS700016 alike for a mistyped client id, another tenant and a single-tenant app of"
              + " another tenant"),
      Map.entry(S9 + " / IMAP.AccessAsApp not added",
          "Entra ID issues the same role-less Exchange (and Graph) token for a role not added and one added, not"
              + " consented; only the registration tells, and this app may not read it (Application.Read.All)"),
      Map.entry(S11 + " / New-ServicePrincipal not run", EXCHANGE_ALIKE),
      Map.entry(S11 + " / registered with the app registration's object id", EXCHANGE_ALIKE),
      Map.entry(S12 + " / FullAccess missing, principal exists", EXCHANGE_ALIKE),
      Map.entry(S12 + " / FullAccess on another mailbox only", EXCHANGE_ALIKE),
      Map.entry(S13 + " / sign-in blocked (interactive)",
          "Entra ID shows AADSTS50057 on its own page after the user signs in and never redirects: the SDK sees a"
              + " timeout, and the sign-in page read again without a sign-in shows no error"),
      Map.entry(S14 + " / address mistyped (app-only IMAP)", EXCHANGE_ALIKE + "; the app may not read users"),
      Map.entry(S14 + " / address mistyped (delegated IMAP)",
          "Exchange answers alike for another user's mailbox without FullAccess and one that does not exist; the app"
              + " has no Graph permission to look the address up"),
      Map.entry(S14 + " / user without a mailbox (no licence), delegated IMAP",
          "Exchange answers AUTHENTICATE failed as for IMAP turned off; the app has no Graph permission (not even"
              + " User.Read) to read the user's licences"),
      Map.entry(S16 + " / IMAP disabled for the mailbox (app-only)", EXCHANGE_ALIKE));

  static LocalTenant m365;
  static Path dir;

  @BeforeAll
  static void start(@TempDir Path tmp) throws IOException {
    m365 = LocalTenant.start();
    dir = tmp;
    m365.writeTrustStore(dir.resolve("trust.p12"), "changeit".toCharArray());
    Files.writeString(dir.resolve("trust-password"), "changeit");
  }

  @AfterAll
  static void stop() {
    if (m365 != null) {
      m365.close();
    }
  }

  // ------------------------------------------------------------------------------------------------
  // the correct setups of the guides

  /** The correct setups, one per guide and flow, each broken by the rows below. */
  enum Setup {
    /** DocBits / LogicalDOC: app-only IMAP with a client secret, Exchange service principal, FullAccess. */
    APP_IMAP_SECRET("app-only IMAP, secret", "client-secret", "imap"),
    /** The same with a certificate. */
    APP_IMAP_CERTIFICATE("app-only IMAP, certificate", "client-certificate", "imap"),
    /** App-only Graph, Mail.ReadWrite application permission of Microsoft Graph. */
    APP_GRAPH_SECRET("app-only Graph, secret", "client-secret", "graph"),
    /** Sinch: delegated Graph with username and password (public client). */
    ROPC_GRAPH("delegated Graph, username-password", "username-password", "graph"),
    /** Delegated IMAP with username and password. */
    ROPC_IMAP("delegated IMAP, username-password", "username-password", "imap"),
    /** Delegated IMAP to a shared mailbox the user holds FullAccess on. */
    ROPC_IMAP_SHARED("delegated IMAP to a shared mailbox", "username-password", "imap"),
    /** Delegated Graph to a shared mailbox the user holds FullAccess on (Mail.ReadWrite.Shared). */
    ROPC_GRAPH_SHARED("delegated Graph to a shared mailbox", "username-password", "graph"),
    /** ImageManager: delegated Graph that only sends (Mail.Send). */
    SEND_ONLY_GRAPH("send-only delegated Graph (Mail.Send)", "username-password", "graph"),
    /** Device code sign-in (`o365mail login`), then IMAP from the stored sign-in. */
    DEVICE_CODE_IMAP("device code, IMAP", "device-code", "imap"),
    /** Interactive sign-in (the testkit plays the browser), then Graph from the stored sign-in. */
    INTERACTIVE_GRAPH("interactive, Graph", "interactive", "graph");

    final String title;
    final String flow;
    final String protocol;

    Setup(String title, String flow, String protocol) {
      this.title = title;
      this.flow = flow;
      this.protocol = protocol;
    }

    boolean appOnly() {
      return flow.startsWith("client-");
    }
  }

  /** One variant's tenant state and configuration, built correct and then broken by the row. */
  static final class Fixture {
    final int number;
    final Setup setup;
    final Path home;
    final Tenant tenant;
    final String domain;
    Application app;
    User user;
    Mailbox mailbox;
    PasswordCredential secret;
    KeyCredential certificate;
    String signInUser;
    String signInPassword = PASSWORD;
    /** When set, the doctor is given this token request instead of the connection's (the product asks for it). */
    TokenRequest productTokenRequest;
    /** Whether the user cancels the consent prompt of an interactive sign-in. */
    boolean declineConsent;
    /** What changes after the sign-in ({@code o365mail login}) and before the doctor runs. */
    Runnable afterSignIn = () -> { };
    final Map<String, String> config = new LinkedHashMap<>();

    Fixture(int number, Setup setup) throws IOException {
      this.number = number;
      this.setup = setup;
      this.home = Files.createDirectories(dir.resolve("v" + number));
      this.domain = "v" + number + ".example";
      this.tenant = m365.createTenant(domain, guid("tenant-" + number));
    }

    /** A GUID that stays the same from run to run, so the table does too. */
    String guid(String what) {
      return UUID.nameUUIDFromBytes((what + "-" + number).getBytes(StandardCharsets.UTF_8)).toString();
    }

    String address(String local) {
      return local + "@" + domain;
    }

    Application registerApp(String name) {
      return tenant.registerApp(name, guid("app-" + name));
    }
  }

  static Fixture correct(int number, Setup setup) throws IOException {
    Fixture f = new Fixture(number, setup);
    Map<String, String> c = f.config;
    f.app = f.registerApp("mail app");
    c.put("clientId", f.app.clientId());
    c.put("tenant", f.tenant.id());
    c.put("flow", setup.flow);
    c.put("protocol", setup.protocol);
    switch (setup) {
      case APP_IMAP_SECRET, APP_IMAP_CERTIFICATE -> {
        f.mailbox = f.tenant.addSharedMailbox(f.address("invoices"));
        f.app.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp").grantAdminConsent();
        String principal = f.tenant.registerExchangeServicePrincipal(f.app).objectId();
        f.tenant.addMailboxPermission(f.mailbox.address(), principal, "FullAccess");
      }
      case APP_GRAPH_SECRET -> {
        f.mailbox = f.tenant.addSharedMailbox(f.address("invoices"));
        f.app.addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite").grantAdminConsent();
      }
      case ROPC_GRAPH, SEND_ONLY_GRAPH, INTERACTIVE_GRAPH -> {
        f.user = f.tenant.addUser(f.address("alice"), PASSWORD);
        f.mailbox = f.user.mailbox();
        String permission = setup == Setup.SEND_ONLY_GRAPH ? "Mail.Send" : "Mail.ReadWrite";
        f.app.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read", permission).grantAdminConsent();
      }
      case ROPC_IMAP, DEVICE_CODE_IMAP -> {
        f.user = f.tenant.addUser(f.address("alice"), PASSWORD);
        f.mailbox = f.user.mailbox();
        f.app.addDelegatedPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsUser.All").grantAdminConsent();
      }
      case ROPC_GRAPH_SHARED -> {
        f.user = f.tenant.addUser(f.address("alice"), PASSWORD);
        f.mailbox = f.tenant.addSharedMailbox(f.address("support"));
        f.tenant.addMailboxPermission(f.mailbox.address(), f.user.userPrincipalName(), "FullAccess");
        f.app.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read", "Mail.ReadWrite", "Mail.ReadWrite.Shared")
            .grantAdminConsent();
      }
      case ROPC_IMAP_SHARED -> {
        f.user = f.tenant.addUser(f.address("alice"), PASSWORD);
        f.mailbox = f.tenant.addSharedMailbox(f.address("support"));
        f.tenant.addMailboxPermission(f.mailbox.address(), f.user.userPrincipalName(), "FullAccess");
        f.app.addDelegatedPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsUser.All").grantAdminConsent();
      }
      default -> throw new IllegalStateException(setup.name());
    }
    f.mailbox.deliver(TestMessages.text("billing@fabrikam.example", f.mailbox.address(), "Invoice 1", "Amount: 1"));
    switch (setup.flow) {
      case "client-secret" -> {
        f.secret = f.app.addClientSecret("doctor", Duration.ofDays(180));
        Files.writeString(f.home.resolve("secret"), f.secret.value());
        c.put("clientSecret", "file:secret");
      }
      case "client-certificate" -> {
        f.certificate = f.app.addCertificate("doctor", Duration.ofDays(180));
        f.certificate.writePkcs12(f.home.resolve("app.p12"), "changeit".toCharArray());
        Files.writeString(f.home.resolve("p12-password"), "changeit");
        c.put("certificate", "app.p12");
        c.put("certificate.password", "file:p12-password");
      }
      case "username-password" -> {
        f.app.allowPublicClientFlows(true);
        Files.writeString(f.home.resolve("password"), PASSWORD);
        c.put("username", f.user.userPrincipalName());
        c.put("password", "file:password");
      }
      case "device-code" -> {
        f.app.allowPublicClientFlows(true);
        f.signInUser = f.user.userPrincipalName();
        c.put("tokenStore", "tokens");
      }
      case "interactive" -> {
        f.app.addRedirectUri(Platform.MOBILE_AND_DESKTOP, "http://localhost");
        f.signInUser = f.user.userPrincipalName();
        c.put("tokenStore", "tokens");
      }
      default -> throw new IllegalStateException(setup.flow);
    }
    c.put("mailbox", f.mailbox.address());
    if (setup == Setup.SEND_ONLY_GRAPH) {
      // ImageManager's connection only sends: its configuration says so, and the doctor checks the send path
      c.put("use", "send");
    }
    c.put("authorityHost", m365.authorityHost().toString());
    c.put("graphBaseUrl", m365.graphBaseUrl());
    c.put("imapHost", m365.hostName());
    c.put("imapPort", Integer.toString(m365.imapPort()));
    c.put("smtpHost", m365.hostName());
    c.put("smtpPort", Integer.toString(m365.smtpPort()));
    Files.copy(dir.resolve("trust.p12"), f.home.resolve("trust.p12"));
    Files.copy(dir.resolve("trust-password"), f.home.resolve("trust-password"));
    c.put("trustStore", "trust.p12");
    c.put("trustStore.password", "file:trust-password");
    return f;
  }

  // ------------------------------------------------------------------------------------------------
  // the rows

  /**
   * One variant of one step.
   *
   * @param step the step as the issue lists it
   * @param variant how it is broken
   * @param setup the correct setup it starts from
   * @param expected the step the doctor must name; empty for a correct setup, which must pass
   * @param together whether naming it among the diagnosis's alternatives counts (Microsoft's answer cannot tell)
   * @param breakIt the one change
   */
  record Row(String step, String variant, Setup setup, Optional<SetupStep> expected, boolean together,
      Breaker breakIt) {
    String id() {
      return step + " / " + variant;
    }
  }

  @FunctionalInterface
  interface Breaker {
    void apply(Fixture f) throws IOException;
  }

  static Row exact(String step, String variant, Setup setup, SetupStep expected, Breaker b) {
    return new Row(step, variant, setup, Optional.of(expected), false, b);
  }

  static Row together(String step, String variant, Setup setup, SetupStep expected, Breaker b) {
    return new Row(step, variant, setup, Optional.of(expected), true, b);
  }

  static Row correctSetup(Setup setup) {
    return new Row("0. correct setup", setup.title, setup, Optional.empty(), false, f -> { });
  }


  static List<Row> rows() {
    List<Row> rows = new ArrayList<>();
    for (Setup s : Setup.values()) {
      rows.add(correctSetup(s));
    }
    // 1. ids and cloud
    rows.add(exact(S1, "client id mistyped (app-only IMAP)", Setup.APP_IMAP_SECRET, SetupStep.REGISTER_APP,
        f -> f.config.put("clientId", f.guid("nobody's app"))));
    rows.add(exact(S1, "client id mistyped (username-password)", Setup.ROPC_GRAPH, SetupStep.REGISTER_APP,
        f -> f.config.put("clientId", f.guid("nobody's app"))));
    rows.add(exact(S1, "tenant id mistyped (app-only Graph)", Setup.APP_GRAPH_SECRET, SetupStep.TENANT,
        f -> f.config.put("tenant", f.guid("no tenant"))));
    rows.add(together(S1, "tenant id of another tenant (app-only IMAP)", Setup.APP_IMAP_SECRET, SetupStep.TENANT,
        f -> f.config.put("tenant", m365.createTenant("other-" + f.domain, f.guid("other tenant")).id())));
    rows.add(exact(S1, "tenant in the US Government cloud (app-only IMAP)", Setup.APP_IMAP_SECRET, SetupStep.TENANT,
        f -> f.tenant.nationalCloud(NationalCloud.US_GOVERNMENT)));
    rows.add(exact(S1, "tenant in the China cloud (username-password)", Setup.ROPC_GRAPH, SetupStep.TENANT,
        f -> f.tenant.nationalCloud(NationalCloud.CHINA)));
    rows.add(exact(S1, "tenant in the US Government cloud (device code)", Setup.DEVICE_CODE_IMAP, SetupStep.TENANT,
        f -> f.tenant.nationalCloud(NationalCloud.US_GOVERNMENT)));
    // 2. account types against the authority
    rows.add(exact(S2, "single-tenant app, organizations authority", Setup.ROPC_GRAPH,
        SetupStep.SUPPORTED_ACCOUNT_TYPES, f -> {
          f.config.remove("tenant");
          f.config.put("accountTypes", "multi-tenant");
        }));
    rows.add(exact(S2, "personal-accounts-only app (username-password)", Setup.ROPC_GRAPH,
        SetupStep.SUPPORTED_ACCOUNT_TYPES, f -> f.app.accountTypes(SupportedAccountTypes.PERSONAL_ONLY)));
    rows.add(exact(S2, "personal-accounts-only app (interactive)", Setup.INTERACTIVE_GRAPH,
        SetupStep.SUPPORTED_ACCOUNT_TYPES, f -> f.app.accountTypes(SupportedAccountTypes.PERSONAL_ONLY)));
    rows.add(together(S2, "vendor's single-tenant app in a customer tenant", Setup.APP_IMAP_SECRET,
        SetupStep.SUPPORTED_ACCOUNT_TYPES, DoctorMatrixTest::vendorAppInCustomerTenant));
    // 3. secret value
    rows.add(exact(S3, "secret value mistyped", Setup.APP_IMAP_SECRET, SetupStep.CLIENT_SECRET,
        f -> writeSecret(f, f.secret.value().substring(0, 30) + "wrongwrongXY")));
    rows.add(exact(S3, "secret ID pasted instead of the value", Setup.APP_IMAP_SECRET, SetupStep.CLIENT_SECRET,
        f -> writeSecret(f, f.secret.keyId())));
    rows.add(exact(S3, "secret of another app", Setup.APP_GRAPH_SECRET, SetupStep.CLIENT_SECRET,
        f -> writeSecret(f, f.registerApp("other app").addClientSecret("x", Duration.ofDays(30)).value())));
    // 4. secret expiry
    rows.add(exact(S4, "secret expired (app-only IMAP)", Setup.APP_IMAP_SECRET, SetupStep.CLIENT_SECRET,
        f -> writeSecret(f, expiredSecret(f))));
    rows.add(exact(S4, "secret expired (app-only Graph)", Setup.APP_GRAPH_SECRET, SetupStep.CLIENT_SECRET,
        f -> writeSecret(f, expiredSecret(f))));
    // 5. certificate
    rows.add(exact(S5, "certificate not uploaded", Setup.APP_IMAP_CERTIFICATE, SetupStep.CERTIFICATE,
        f -> f.app.removeCredential(f.certificate.keyId())));
    rows.add(exact(S5, "certificate of another app", Setup.APP_IMAP_CERTIFICATE, SetupStep.CERTIFICATE,
        f -> f.registerApp("other app").addCertificate("x", Duration.ofDays(30))
            .writePkcs12(f.home.resolve("app.p12"), "changeit".toCharArray())));
    rows.add(exact(S5, "certificate expired", Setup.APP_IMAP_CERTIFICATE, SetupStep.CERTIFICATE, f -> {
      f.app.removeCredential(f.certificate.keyId());
      Instant now = m365.clock().instant();
      f.app.addCertificate("old", now.minus(Duration.ofDays(400)), now.minus(Duration.ofDays(35)))
          .writePkcs12(f.home.resolve("app.p12"), "changeit".toCharArray());
    }));
    // 6. public client flows
    rows.add(exact(S6, "off, username-password without a secret", Setup.ROPC_GRAPH,
        SetupStep.ALLOW_PUBLIC_CLIENT_FLOWS, f -> f.app.allowPublicClientFlows(false)));
    rows.add(exact(S6, "off, device code", Setup.DEVICE_CODE_IMAP, SetupStep.ALLOW_PUBLIC_CLIENT_FLOWS,
        f -> f.app.allowPublicClientFlows(false)));
    // 7. redirect URI
    rows.add(exact(S7, "http://localhost under Web", Setup.INTERACTIVE_GRAPH, SetupStep.REDIRECT_URI, f -> {
      f.app.removeRedirectUri(Platform.MOBILE_AND_DESKTOP, "http://localhost");
      f.app.addRedirectUri(Platform.WEB, "http://localhost");
    }));
    rows.add(exact(S7, "no redirect URI", Setup.INTERACTIVE_GRAPH, SetupStep.REDIRECT_URI,
        f -> f.app.removeRedirectUri(Platform.MOBILE_AND_DESKTOP, "http://localhost")));
    // 8. delegated permissions
    rows.add(exact(S8, "Mail.ReadWrite not added (Graph)", Setup.ROPC_GRAPH, SetupStep.DELEGATED_PERMISSION,
        f -> revokeAndReconsent(f, ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite")));
    rows.add(exact(S8, "IMAP.AccessAsUser.All not added", Setup.ROPC_IMAP, SetupStep.DELEGATED_PERMISSION,
        f -> {
          revokeAndReconsent(f, ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsUser.All");
          f.app.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read");
          f.tenant.grantAdminConsent(f.app);
        }));
    // 9. application permission on the right API
    // together: Entra ID issues the same role-less Exchange token for "not added" and "added, not consented" (and
    // Graph's has no roles either); only the registration tells them apart, and this app may not read it
    rows.add(together(S9, "IMAP.AccessAsApp not added", Setup.APP_IMAP_SECRET, SetupStep.APPLICATION_PERMISSION,
        f -> revokeAndReconsent(f, ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp")));
    rows.add(exact(S9, "Mail.ReadWrite under Graph instead of IMAP.AccessAsApp", Setup.APP_IMAP_SECRET,
        SetupStep.APPLICATION_PERMISSION, f -> {
          revokeAndReconsent(f, ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp");
          f.app.addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite");
          f.tenant.grantAdminConsent(f.app);
        }));
    rows.add(exact(S9, "Mail.ReadWrite under Exchange Online instead of Graph", Setup.APP_GRAPH_SECRET,
        SetupStep.APPLICATION_PERMISSION, f -> {
          revokeAndReconsent(f, ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite");
          f.app.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "Mail.ReadWrite");
          f.tenant.grantAdminConsent(f.app);
        }));
    // 10. admin consent
    rows.add(exact(S10, "not granted (app-only IMAP)", Setup.APP_IMAP_SECRET, SetupStep.ADMIN_CONSENT,
        DoctorMatrixTest::withoutConsent));
    rows.add(exact(S10, "not granted (app-only Graph)", Setup.APP_GRAPH_SECRET, SetupStep.ADMIN_CONSENT,
        DoctorMatrixTest::withoutConsent));
    rows.add(exact(S10, "not granted (delegated Graph)", Setup.ROPC_GRAPH, SetupStep.ADMIN_CONSENT,
        DoctorMatrixTest::withoutConsent));
    rows.add(exact(S10, "not granted (delegated IMAP)", Setup.ROPC_IMAP, SetupStep.ADMIN_CONSENT,
        DoctorMatrixTest::withoutConsent));
    rows.add(exact(S10, "permission added after consent was granted", Setup.APP_IMAP_SECRET, SetupStep.ADMIN_CONSENT,
        f -> {
          revokeAndReconsent(f, ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp");
          f.app.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp");
        }));
    rows.add(exact(S10, "not granted, the user cancels the prompt (interactive)", Setup.INTERACTIVE_GRAPH,
        SetupStep.ADMIN_CONSENT, f -> {
          withoutConsent(f);
          f.declineConsent = true;
        }));
    // 11. Exchange service principal
    rows.add(together(S11, "New-ServicePrincipal not run", Setup.APP_IMAP_SECRET,
        SetupStep.EXCHANGE_SERVICE_PRINCIPAL, f -> f.tenant.removeExchangeServicePrincipal(spObjectId(f))));
    rows.add(together(S11, "registered with the app registration's object id", Setup.APP_IMAP_SECRET,
        SetupStep.EXCHANGE_SERVICE_PRINCIPAL, f -> {
          f.tenant.removeExchangeServicePrincipal(spObjectId(f));
          String wrong = f.tenant.newExchangeServicePrincipal(f.app.clientId(), f.app.objectId()).objectId();
          f.tenant.addMailboxPermission(f.mailbox.address(), wrong, "FullAccess");
        }));
    // 12. FullAccess (app-only)
    rows.add(together(S12, "FullAccess missing, principal exists", Setup.APP_IMAP_SECRET,
        SetupStep.MAILBOX_PERMISSION, f -> f.tenant.removeMailboxPermission(f.mailbox.address(), spObjectId(f))));
    rows.add(together(S12, "FullAccess on another mailbox only", Setup.APP_IMAP_SECRET,
        SetupStep.MAILBOX_PERMISSION, f -> {
          f.tenant.removeMailboxPermission(f.mailbox.address(), spObjectId(f));
          Mailbox other = f.tenant.addSharedMailbox(f.address("archive"));
          f.tenant.addMailboxPermission(other.address(), spObjectId(f), "FullAccess");
        }));
    // 13. the user's state
    rows.add(exact(S13, "sign-in blocked (username-password)", Setup.ROPC_GRAPH, SetupStep.USER_ACCOUNT,
        f -> f.user.enabled(false)));
    rows.add(exact(S13, "must change the password (expired)", Setup.ROPC_IMAP, SetupStep.USER_ACCOUNT,
        f -> f.user.passwordExpired(true)));
    rows.add(exact(S13, "MFA required by conditional access", Setup.ROPC_GRAPH, SetupStep.CONDITIONAL_ACCESS,
        f -> f.user.mfaRequired(true)));
    // together: Entra ID shows AADSTS50057 on its own page after the user signs in and never redirects; the SDK
    // sees a timeout, and the page read again without a sign-in shows nothing
    rows.add(together(S13, "sign-in blocked (interactive)", Setup.INTERACTIVE_GRAPH, SetupStep.USER_ACCOUNT,
        f -> f.user.enabled(false)));
    rows.add(exact(S13, "password changed", Setup.ROPC_IMAP, SetupStep.USER_CREDENTIALS,
        f -> f.user.password("Another-Passw0rd!")));
    rows.add(exact(S13, "blocked after device-code sign-in", Setup.DEVICE_CODE_IMAP, SetupStep.USER_ACCOUNT,
        f -> f.afterSignIn = () -> f.user.enabled(false)));
    // 14. the mailbox
    rows.add(together(S14, "address mistyped (app-only IMAP)", Setup.APP_IMAP_SECRET, SetupStep.MAILBOX,
        f -> f.config.put("mailbox", f.address("invoice"))));
    rows.add(exact(S14, "address mistyped (app-only Graph)", Setup.APP_GRAPH_SECRET, SetupStep.MAILBOX,
        f -> f.config.put("mailbox", f.address("invoice"))));
    rows.add(exact(S14, "address mistyped (delegated Graph)", Setup.ROPC_GRAPH, SetupStep.MAILBOX,
        f -> f.config.put("mailbox", f.address("alicee"))));
    rows.add(together(S14, "address mistyped (delegated IMAP)", Setup.ROPC_IMAP, SetupStep.MAILBOX,
        f -> f.config.put("mailbox", f.address("alicee"))));
    rows.add(exact(S14, "user without a mailbox (no licence), delegated Graph", Setup.ROPC_GRAPH, SetupStep.MAILBOX,
        DoctorMatrixTest::userWithoutMailbox));
    // together: Exchange answers AUTHENTICATE failed as for IMAP disabled, and this app has no Graph permission to
    // read the user with
    rows.add(together(S14, "user without a mailbox (no licence), delegated IMAP", Setup.ROPC_IMAP, SetupStep.MAILBOX,
        DoctorMatrixTest::userWithoutMailbox));
    // Microsoft Graph User.Read, which new registrations carry by default: the user may read their own profile
    rows.add(exact(S14, "user without a mailbox (no licence), delegated IMAP, app with User.Read", Setup.ROPC_IMAP,
        SetupStep.MAILBOX, f -> {
          userWithoutMailbox(f);
          f.app.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read");
          f.tenant.grantAdminConsent(f.app);
        }));
    // 15. scopes
    rows.add(exact(S15, "Graph scope asked for IMAP (app-only)", Setup.APP_IMAP_SECRET, SetupStep.SCOPES,
        f -> f.productTokenRequest = TokenRequest.graph()));
    rows.add(exact(S15, "Graph scope asked for IMAP (delegated)", Setup.ROPC_IMAP, SetupStep.SCOPES, f -> {
      f.app.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "IMAP.AccessAsUser.All");
      f.tenant.grantAdminConsent(f.app);
      f.productTokenRequest = TokenRequest.graph("IMAP.AccessAsUser.All");
    }));
    // 16. SMTP AUTH and protocols
    rows.add(exact(S16, "SMTP AUTH disabled for the tenant", Setup.ROPC_IMAP, SetupStep.MAILBOX_PROTOCOL, f -> {
      sendsOverSmtp(f);
      f.tenant.smtpClientAuthenticationDisabled(true);
    }));
    rows.add(exact(S16, "SMTP AUTH disabled for the mailbox", Setup.ROPC_IMAP, SetupStep.MAILBOX_PROTOCOL, f -> {
      sendsOverSmtp(f);
      f.mailbox.smtpClientAuthenticationDisabled(true);
    }));
    rows.add(exact(S16, "IMAP disabled for the mailbox", Setup.ROPC_IMAP, SetupStep.MAILBOX_PROTOCOL,
        f -> f.mailbox.imapEnabled(false)));
    rows.add(together(S16, "IMAP disabled for the mailbox (app-only)", Setup.APP_IMAP_SECRET, SetupStep.MAILBOX_PROTOCOL,
        f -> f.mailbox.imapEnabled(false)));
    // 17. application access policy
    rows.add(exact(S17, "policy excludes the mailbox", Setup.APP_GRAPH_SECRET, SetupStep.APPLICATION_ACCESS_POLICY,
        f -> f.tenant.newApplicationAccessPolicy(f.app.clientId(),
            Set.of(f.tenant.addSharedMailbox(f.address("other")).address()))));
    // 18. shared mailbox rights
    rows.add(exact(S18, "FullAccess missing (delegated IMAP)", Setup.ROPC_IMAP_SHARED, SetupStep.MAILBOX_PERMISSION,
        f -> f.tenant.removeMailboxPermission(f.mailbox.address(), f.user.userPrincipalName())));
    rows.add(exact(S18, "FullAccess missing (delegated Graph)", Setup.ROPC_GRAPH_SHARED,
        SetupStep.MAILBOX_PERMISSION,
        f -> f.tenant.removeMailboxPermission(f.mailbox.address(), f.user.userPrincipalName())));
    rows.add(exact(S18, "Mail.ReadWrite.Shared not added (delegated Graph)", Setup.ROPC_GRAPH_SHARED,
        SetupStep.DELEGATED_PERMISSION,
        f -> revokeAndReconsent(f, ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite.Shared")));
    return rows;
  }

  /**
   * The IMAP connection sends too (use = read,send), so SMTP AUTH is part of its setup: the delegated SMTP.Send
   * permission of Office 365 Exchange Online, consented
   * (https://learn.microsoft.com/en-us/exchange/client-developer/legacy-protocols/how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth).
   */
  static void sendsOverSmtp(Fixture f) {
    f.app.addDelegatedPermission(ApiResource.EXCHANGE_ONLINE, "SMTP.Send");
    f.tenant.grantAdminConsent(f.app);
    f.config.put("use", "read,send");
  }

  /** The configured user is one without a mailbox (no Exchange Online licence); the mailbox is its address. */
  static void userWithoutMailbox(Fixture f) throws IOException {
    User bob = f.tenant.addUserWithoutMailbox(f.address("bob"), PASSWORD);
    f.config.put("username", bob.userPrincipalName());
    f.config.put("mailbox", bob.userPrincipalName());
  }

  static void writeSecret(Fixture f, String value) throws IOException {
    Files.writeString(f.home.resolve("secret"), value);
  }

  static String expiredSecret(Fixture f) {
    f.app.removeCredential(f.secret.keyId());
    Instant now = m365.clock().instant();
    return f.app.addClientSecret("old", now.minus(Duration.ofDays(200)), now.minus(Duration.ofDays(3))).value();
  }

  static String spObjectId(Fixture f) {
    return f.tenant.servicePrincipal(f.app).orElseThrow().objectId();
  }

  /** Takes a permission off the registration and grants consent again, so it is neither listed nor granted. */
  static void revokeAndReconsent(Fixture f, ApiResource resource, String permission) {
    f.app.removePermission(resource, permission);
    f.tenant.servicePrincipal(f.app).orElseThrow().revokeConsent();
    f.tenant.grantAdminConsent(f.app);
  }

  /** The permissions stay listed on the registration; the enterprise application holds no consent. */
  static void withoutConsent(Fixture f) {
    f.tenant.servicePrincipal(f.app).orElseThrow().revokeConsent();
  }

  /**
   * A vendor registered its app single-tenant in its own tenant and gave the customer its client id and a secret; the
   * customer's configuration names the customer's tenant, where the app has no enterprise application.
   */
  static void vendorAppInCustomerTenant(Fixture f) throws IOException {
    Tenant vendor = m365.createTenant("vendor-" + f.domain, f.guid("vendor tenant"));
    Application app = vendor.registerApp("vendor app", f.guid("vendor app"));
    app.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp").grantAdminConsent();
    f.config.put("clientId", app.clientId());
    writeSecret(f, app.addClientSecret("vendor", Duration.ofDays(90)).value());
  }

  // ------------------------------------------------------------------------------------------------
  // running a row

  /** What the doctor named for a row. */
  record Outcome(Row row, Optional<Diagnosis> named, String check, long millis) {
    Optional<SetupStep> step() {
      return named.map(Diagnosis::setupStep);
    }

    List<SetupStep> together() {
      List<SetupStep> all = new ArrayList<>();
      named.ifPresent(d -> {
        all.add(d.setupStep());
        d.alternatives().forEach(a -> all.add(a.setupStep()));
      });
      return all;
    }

    boolean exact() {
      return step().equals(row.expected());
    }

    boolean right() {
      return exact() || row.together() && row.expected().isPresent() && together().contains(row.expected().get());
    }

    String namedText() {
      if (named.isEmpty()) {
        return "PASS";
      }
      List<SetupStep> steps = together();
      return steps.size() == 1 ? steps.get(0).name()
          : steps.get(0).name() + " (+ " + steps.subList(1, steps.size()).stream().map(Enum::name)
              .collect(Collectors.joining(", ")) + ")";
    }
  }

  static Outcome run(int number, Row row) throws Exception {
    Fixture f = correct(number, row.setup());
    row.breakIt().apply(f);
    return examine(f, row);
  }

  static Outcome examine(Fixture f, Row row) throws IOException {
    Path file = writeConfig(f);
    ConnectionConfig c = ConfigFile.load(file, name -> null).connection(null);
    long start = System.nanoTime();
    Optional<Diagnosis> signInFailure = signIn(f, c);
    f.afterSignIn.run();
    Outcome outcome;
    if (signInFailure.isPresent()) {
      outcome = new Outcome(row, signInFailure, "sign-in", 0);
    } else {
      DoctorReport report = f.productTokenRequest == null ? DoctorCommand.examine(c) : examineAs(c, f.productTokenRequest);
      Optional<DoctorCheck> failed = report.firstFailure();
      outcome = new Outcome(row, failed.flatMap(DoctorCheck::diagnosis), failed.map(DoctorCheck::name).orElse(""), 0);
    }
    return new Outcome(row, outcome.named(), outcome.check(), (System.nanoTime() - start) / 1_000_000);
  }

  static Path writeConfig(Fixture f) throws IOException {
    for (String secretFile : List.of("secret", "password", "trust-password", "p12-password")) {
      Path file = f.home.resolve(secretFile);
      if (Files.exists(file)) {
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
      }
    }
    StringBuilder text = new StringBuilder();
    f.config.forEach((k, v) -> text.append("c.").append(k).append(" = ").append(v).append('\n'));
    return Files.writeString(f.home.resolve("c.properties"), text.toString());
  }

  /**
   * {@code o365mail login} for the device-code and interactive setups: the testkit's user approves the code or plays
   * the browser. The interactive strategy is built as {@link Credentials#strategy} builds it, with the testkit's
   * browser and a short wait (the tool's own opens the system browser).
   */
  static Optional<Diagnosis> signIn(Fixture f, ConnectionConfig c) {
    if (f.signInUser == null) {
      return Optional.empty();
    }
    try (CredentialStrategy strategy = signInStrategy(f, c)) {
      if (strategy instanceof DeviceCodeCredential device) {
        device.start();
        CompletableFuture<Void> approval = CompletableFuture.runAsync(() -> {
          try {
            var session = m365.deviceCodes().awaitPending(Duration.ofSeconds(10));
            m365.deviceCodes().approve(session.userCode(), f.signInUser, f.signInPassword);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
        try {
          device.await(Duration.ofSeconds(15));
        } finally {
          approval.cancel(true);
        }
      } else if (strategy instanceof InteractiveCredential interactive) {
        interactive.signIn();
      }
      return Optional.empty();
    } catch (MailboxException e) {
      return e.diagnosis();
    }
  }

  static CredentialStrategy signInStrategy(Fixture f, ConnectionConfig c) {
    if (!"interactive".equals(f.setup.flow)) {
      return Credentials.strategy(c, CredentialListener.NONE);
    }
    List<CompletableFuture<Integer>> browsers = new ArrayList<>();
    return CredentialStrategy.interactive(Credentials.app(c)).signInRequest(Credentials.signInRequest(c))
        .tokenStore(Credentials.tokenStore(c)).signInTimeout(SIGN_IN_WAIT)
        .browser(uri -> browsers.add(f.declineConsent ? m365.declineInBrowser(uri, f.signInUser, f.signInPassword)
            : m365.signInInBrowser(uri, f.signInUser, f.signInPassword))).build();
  }

  /** The doctor as {@link DoctorCommand#examine} builds it, given the token request a product makes. */
  static DoctorReport examineAs(ConnectionConfig c, TokenRequest request) {
    try (CredentialStrategy credential = Credentials.strategy(c, CredentialListener.NONE)) {
      return ConnectionDoctor.builder().credential(credential).connector(() -> Connectors.connector(c, credential))
          .token(request, Connectors.requirement(c)).folder(c.folder()).build().examine();
    }
  }

  // ------------------------------------------------------------------------------------------------
  // the matrix

  @Test
  void everyStepBrokenInEveryVariant_isNamedByTheDoctor_andEveryCorrectSetupPasses() throws Exception {
    List<Row> rows = rows();
    List<Outcome> outcomes = new ArrayList<>();
    long start = System.nanoTime();
    for (int i = 0; i < rows.size(); i++) {
      int number = i;
      Row row = rows.get(i);
      outcomes.add(assertTimeoutPreemptively(PER_ROW, () -> run(number, row), row.id()));
    }
    long millis = (System.nanoTime() - start) / 1_000_000;
    outcomes.stream().sorted((a, b) -> Long.compare(b.millis(), a.millis())).limit(8)
        .forEach(o -> System.out.println("slowest: " + o.millis() + " ms " + o.row().id()));
    String table = table(outcomes);
    System.out.println(table);
    System.out.println("matrix: " + rows.size() + " rows in " + millis + " ms");

    List<String> problems = new ArrayList<>();
    Set<String> ids = rows.stream().map(Row::id).collect(Collectors.toSet());
    assertThat(ids).as("row ids are unique").hasSize(rows.size());
    for (Row row : rows) {
      if (row.together() != TOGETHER_BECAUSE.containsKey(row.id())) {
        problems.add(row.id() + (row.together() ? ": accepted together without a reason in TOGETHER_BECAUSE"
            : ": has a TOGETHER_BECAUSE reason but is an exact row"));
      }
    }
    for (String known : KNOWN_MISSES.keySet()) {
      if (!ids.contains(known)) {
        problems.add("KNOWN_MISSES names no row: " + known);
      }
    }
    for (Outcome o : outcomes) {
      boolean listed = KNOWN_MISSES.containsKey(o.row().id());
      if (!o.right() && !listed) {
        problems.add(o.row().id() + ": expected " + o.row().expected().map(Enum::name).orElse("PASS") + ", named "
            + o.namedText() + " at '" + o.check() + "'");
      } else if (o.right() && listed) {
        problems.add(o.row().id() + ": named right now; take it off KNOWN_MISSES");
      }
    }
    Path golden = goldenFile();
    String committed = Files.exists(golden) ? Files.readString(golden) : "";
    if (Boolean.getBoolean(WRITE_PROPERTY)) {
      Files.createDirectories(golden.getParent());
      Files.writeString(golden, table);
    } else if (!committed.equals(table)) {
      problems.add(golden + " differs from the matrix this run produced: run this test with -D" + WRITE_PROPERTY
          + "=true to rewrite it, and commit it");
    }
    assertThat(problems).as("matrix problems").isEmpty();
  }

  /** Rows run again as {@code o365mail doctor --json} in a child JVM: the tool names what the matrix names. */
  static final List<String> PROCESS_ROWS = List.of(
      "0. correct setup / app-only IMAP, secret",
      S4 + " / secret expired (app-only IMAP)",
      S11 + " / New-ServicePrincipal not run",
      S13 + " / sign-in blocked (username-password)");

  static final Pattern FIRST_FAIL = Pattern.compile(
      "\"status\":\"FAIL\",\"detail\":\"(?:[^\"\\\\]|\\\\.)*\",\"setupStep\":\"([A-Z_]+)\"");

  @Test
  void theToolAsAChildProcess_namesTheStepTheMatrixNames() throws Exception {
    List<Row> rows = rows().stream().filter(r -> PROCESS_ROWS.contains(r.id())).toList();
    assertThat(rows).hasSize(PROCESS_ROWS.size());
    int number = 1000;
    for (Row row : rows) {
      Fixture f = correct(number++, row.setup());
      row.breakIt().apply(f);
      Outcome inProcess = examine(f, row);
      Path log = f.home.resolve("doctor.log");
      Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
          System.getProperty("java.class.path"), O365Mail.class.getName(), "doctor", "--config",
          f.home.resolve("c.properties").toString(), "--json")
          .directory(f.home.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      try {
        assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).as(row.id() + " ended").isTrue();
      } finally {
        p.destroyForcibly();
      }
      String out = Files.readString(log);
      java.util.regex.Matcher m = FIRST_FAIL.matcher(out);
      Optional<String> named = m.find() ? Optional.of(m.group(1)) : Optional.empty();
      assertThat(named).as(row.id() + ": " + out).isEqualTo(inProcess.step().map(Enum::name));
      if (inProcess.named().isPresent()) {
        assertThat(p.exitValue()).as(row.id() + ": " + out).isEqualTo(2);
      } else {
        assertThat(p.exitValue()).as(row.id() + ": " + out).isIn(0, 1); // 1: warnings, such as an unknown expiry
      }
    }
  }

  /** {@code docs/doctor-matrix.md} at the root of the repository (the test runs in the examples module). */
  static Path goldenFile() {
    Path here = Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
    Path root = Files.exists(here.resolve("examples")) ? here : here.getParent();
    return root.resolve("docs").resolve("doctor-matrix.md");
  }

  static final Pattern GUID =
      Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  static final Pattern TIME = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T[0-9:.]+Z");
  static final Pattern PORT = Pattern.compile("(localhost|127\\.0\\.0\\.1):\\d+");
  /** The per-variant domains (v12.example), shown as one so that adding a row does not change the others. */
  static final Pattern DOMAIN = Pattern.compile("\\bv\\d+\\.example\\b");
  static final Pattern SECONDS = Pattern.compile("\\d+(\\.\\d+)? (s|ms)\\b");

  /** The fix as the table shows it: ids, times and ports that change from run to run replaced, at most 160 chars. */
  static String shortFix(Optional<Diagnosis> d) {
    if (d.isEmpty()) {
      return "";
    }
    String fix = d.get().fix().replace('\n', ' ').replace('\r', ' ').replace("|", "\\|");
    fix = GUID.matcher(fix).replaceAll("<id>");
    fix = TIME.matcher(fix).replaceAll("<time>");
    fix = PORT.matcher(fix).replaceAll("$1:<port>");
    fix = SECONDS.matcher(fix).replaceAll("<n> $2");
    fix = DOMAIN.matcher(fix).replaceAll("contoso.example");
    return fix.length() <= 160 ? fix : fix.substring(0, 157) + "...";
  }

  static String table(List<Outcome> outcomes) {
    StringBuilder t = new StringBuilder();
    t.append("# What `o365mail doctor` names for each missed setup step\n\n");
    t.append("Generated by `DoctorMatrixTest` (examples); do not edit. Each row starts from a correct setup of one guide,"
        + " breaks one thing in the local tenant, and runs the doctor from the configuration file. \"together\" means"
        + " the step is among the diagnosis's alternatives, accepted where Microsoft's answer cannot tell the steps"
        + " apart. Rewrite with `mvn -pl examples -am test -Dtest=DoctorMatrixTest"
        + " -Dsurefire.failIfNoSpecifiedTests=false -D" + WRITE_PROPERTY + "=true`.\n\n");
    long brokenRows = outcomes.stream().filter(o -> o.row().expected().isPresent()).count();
    long exactRows = outcomes.stream().filter(o -> o.row().expected().isPresent() && o.exact()).count();
    long rightRows = outcomes.stream().filter(o -> o.row().expected().isPresent() && o.right()).count();
    Map<String, List<Outcome>> bySteps = new LinkedHashMap<>();
    outcomes.stream().filter(o -> o.row().expected().isPresent())
        .forEach(o -> bySteps.computeIfAbsent(o.row().step(), k -> new ArrayList<>()).add(o));
    long stepsExact = bySteps.values().stream().filter(l -> l.stream().allMatch(Outcome::exact)).count();
    long stepsRight = bySteps.values().stream().filter(l -> l.stream().allMatch(Outcome::right)).count();
    long setups = outcomes.stream().filter(o -> o.row().expected().isEmpty()).count();
    long setupsPass = outcomes.stream().filter(o -> o.row().expected().isEmpty() && o.exact()).count();
    t.append("Steps named exactly in every variant: ").append(stepsExact).append(" of ").append(bySteps.size())
        .append(" (exactly or together: ").append(stepsRight).append("). Variants named exactly: ").append(exactRows)
        .append(" of ").append(brokenRows).append(" (exactly or together: ").append(rightRows)
        .append("). Correct setups passing: ").append(setupsPass).append(" of ").append(setups).append(".\n\n");
    t.append("| Step | Variant | Setup | Expected | Named | | Fix (shortened) |\n");
    t.append("|---|---|---|---|---|---|---|\n");
    for (Outcome o : outcomes) {
      String verdict = o.exact() ? "exact" : o.right() ? "together" : "MISS";
      t.append("| ").append(o.row().step()).append(" | ").append(o.row().variant()).append(" | ")
          .append(o.row().setup().title).append(" | ").append(o.row().expected().map(Enum::name).orElse("PASS"))
          .append(" | ").append(o.namedText()).append(" | ").append(verdict).append(" | ").append(shortFix(o.named()))
          .append(" |\n");
    }
    List<Outcome> together = outcomes.stream().filter(o -> o.right() && !o.exact()).toList();
    if (!together.isEmpty()) {
      t.append("\nNamed together, and why not exactly (`DoctorMatrixTest.TOGETHER_BECAUSE`):\n\n");
      together.forEach(o -> t.append("- ").append(o.row().id()).append(": ")
          .append(TOGETHER_BECAUSE.getOrDefault(o.row().id(), "(no reason given)")).append('\n'));
    }
    List<String> known = outcomes.stream().map(o -> o.row().id()).filter(KNOWN_MISSES::containsKey).toList();
    if (!known.isEmpty()) {
      t.append("\nKnown misses (`DoctorMatrixTest.KNOWN_MISSES`; the test fails when one is named right):\n\n");
      known.forEach(id -> t.append("- ").append(id).append(": ").append(KNOWN_MISSES.get(id)).append('\n'));
    }
    return t.toString();
  }
}
