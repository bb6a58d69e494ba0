package org.o365mail.doctor;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.o365mail.ConnectionCheck;
import org.o365mail.Diagnosis;
import org.o365mail.FolderRef;
import org.o365mail.ListOptions;
import org.o365mail.MailFolder;
import org.o365mail.MailboxConnector;
import org.o365mail.MailboxException;
import org.o365mail.MessageSummary;
import org.o365mail.SetupStep;
import org.o365mail.TlsFailures;
import org.o365mail.auth.AccessToken;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.Cloud;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.DeviceCodeCredential;
import org.o365mail.auth.InteractiveCredential;
import org.o365mail.auth.TokenClaims;
import org.o365mail.auth.TokenPreflight;
import org.o365mail.auth.TokenRequest;
import org.o365mail.expiry.CredentialStatus;
import org.o365mail.expiry.ExpiryReport;
import org.o365mail.expiry.ExpiryStatus;
import org.o365mail.expiry.SecretExpiryTracker;
import org.o365mail.internal.JsonSupport;
import org.o365mail.internal.SignInHttp;

/**
 * "Save and test the mailbox connection", done properly: checks one connection step by step (authority
 * reachable, token acquired, token claims fit the connector, mailbox opened, folder listed, one message header
 * fetched, credential expiry) and reports each as passed, warning or failed, a failure with the setup step to
 * fix. Never throws for what it checks. For admin consoles and {@code o365mail doctor}.
 *
 * <p>It checks what the connection is for ({@link Builder#use}): a connection that reads gets the mailbox checks;
 * one that sends gets its send token and its send path ({@link Builder#sendPath}, e.g. an SMTP AUTH check) instead of
 * a mailbox it never reads. Device-code and interactive credentials are checked with the stored sign-in only; the
 * doctor never starts a sign-in. After a failed check it asks the {@link DoctorProbe}s added, then takes a second
 * look by itself (a token for the API's {@code .default} scope after AADSTS65001; the other API's roles for an
 * app-only token without the needed role).
 */
public final class ConnectionDoctor {
  /** What a connection is for. */
  public enum Use {
    /** Reads a mailbox: the mailbox, folder and header checks run. */
    READ,
    /** Sends mail: the send token and the send path are checked. */
    SEND
  }

  private final AppRegistration app;
  private final CredentialStrategy credential;
  private final Supplier<MailboxConnector> connector;
  private final TokenRequest tokenRequest;
  private final TokenRequest mailboxTokenRequest;
  private final TokenPreflight.Requirement requirement;
  private final FolderRef folder;
  private final SecretExpiryTracker expiry;
  private final List<DoctorProbe> probes;
  private final String mailbox;
  private final Set<Use> uses;
  private final TokenRequest sendTokenRequest;
  private final TokenPreflight.Requirement sendRequirement;
  private final Supplier<ConnectionCheck> sendPath;

  private ConnectionDoctor(Builder b) {
    this.app = b.credential.registration();
    this.credential = b.credential;
    this.connector = b.connector;
    this.tokenRequest = b.tokenRequest;
    this.mailboxTokenRequest = b.mailboxTokenRequest;
    this.requirement = b.requirement;
    this.folder = b.folder;
    this.expiry = b.expiry;
    this.mailbox = b.mailbox;
    this.uses = Set.copyOf(b.uses);
    this.sendTokenRequest = b.sendTokenRequest;
    this.sendRequirement = b.sendRequirement;
    this.sendPath = b.sendPath;
    // the probes added first: an adapter's probe that reads the app registration through Graph can tell exactly
    // what the doctor's own token comparisons can only narrow down to a likelier step and its alternatives
    List<DoctorProbe> all = new ArrayList<>(b.probes);
    all.add(TokenProbes.consent());
    Map<String, TokenPreflight.Requirement> requirements = sendRequirement == null
        ? Map.of(CLAIMS, requirement) : Map.of(CLAIMS, requirement, SEND_CLAIMS, sendRequirement);
    all.add(TokenProbes.wrongApi(requirements::get));
    this.probes = List.copyOf(all);
  }

  private static final String TOKEN = "token acquired";
  private static final String CLAIMS = "claims fit the connector";
  private static final String SEND_TOKEN = "send token acquired";
  private static final String SEND_CLAIMS = "send claims fit";
  private static final Set<String> MAILBOX_CHECKS = Set.of("mailbox opened", "folder listed",
      "message header fetched");

  public static Builder builder() {
    return new Builder();
  }

  /** Runs every check in order; a failed check skips those that depend on it. */
  public DoctorReport examine() {
    List<DoctorCheck> checks = new ArrayList<>();
    long start = System.nanoTime();
    checks.add(authorityReachable());
    boolean reachable = checks.get(0).status() != DoctorCheck.Status.FAIL;
    AccessToken token = reachable ? tokenChecks(checks, TOKEN, CLAIMS, tokenRequest, requirement)
        : skip(checks, TOKEN, CLAIMS);
    AccessToken sendToken = null;
    boolean tokenOk = checks.stream().noneMatch(c -> c.status() == DoctorCheck.Status.FAIL);
    if (uses.contains(Use.READ)) {
      if (tokenOk) {
        runMailboxChecks(checks);
      } else {
        skip(checks, "mailbox opened", "folder listed", "message header fetched");
      }
    }
    if (uses.contains(Use.SEND)) {
      if (sendTokenRequest != null) {
        sendToken = reachable ? tokenChecks(checks, SEND_TOKEN, SEND_CLAIMS, sendTokenRequest, sendRequirement)
            : skip(checks, SEND_TOKEN, SEND_CLAIMS);
      }
      if (sendPath != null) {
        boolean sendTokenOk = checks.stream().noneMatch(c -> c.status() == DoctorCheck.Status.FAIL
            && (c.name().equals(SEND_TOKEN) || c.name().equals(SEND_CLAIMS)));
        checks.add(sendTokenOk && (sendTokenRequest != null || tokenOk) ? sendPathCheck()
            : DoctorCheck.skipped("send path"));
      }
    }
    checks.add(expiryCheck());
    for (int i = 0; i < checks.size(); i++) {
      String name = checks.get(i).name();
      boolean send = name.equals(SEND_TOKEN) || name.equals(SEND_CLAIMS);
      if (mailboxTokenRequest != null && MAILBOX_CHECKS.contains(name)) {
        // the connector asked for its own token (another user's mailbox: the .Shared permission); the probes are
        // asked about that request, whose token was not issued to the doctor
        checks.set(i, probed(checks.get(i), null, mailboxTokenRequest));
      } else {
        checks.set(i, probed(checks.get(i), send ? sendToken : token, send ? sendTokenRequest : tokenRequest));
      }
    }
    return new DoctorReport(checks, Duration.ofNanos(System.nanoTime() - start));
  }

  private static AccessToken skip(List<DoctorCheck> checks, String... names) {
    for (String name : names) {
      checks.add(DoctorCheck.skipped(name));
    }
    return null;
  }

  /** The token check and the claims check of one token; the token when one was issued. */
  private AccessToken tokenChecks(List<DoctorCheck> checks, String tokenName, String claimsName, TokenRequest request,
      TokenPreflight.Requirement needed) {
    boolean stored = credential instanceof DeviceCodeCredential || credential instanceof InteractiveCredential;
    AccessToken token = null;
    if (stored && !signedIn()) {
      // the doctor checks the connection as it runs: from the stored sign-in; it never opens a browser or asks for
      // a code, and an empty token store is said as such (not as a network or consent problem)
      Diagnosis d = Diagnosis.builder(SetupStep.SIGN_IN_AGAIN, "not_signed_in")
          .summary("The token store holds no sign-in of app " + app.clientId() + " ("
              + (credential instanceof DeviceCodeCredential ? "device code" : "interactive") + ")")
          .fix("Sign in once (o365mail login, or start() of the credential); the doctor uses the stored sign-in and"
              + " does not start one")
          .build();
      checks.add(DoctorCheck.fail(tokenName, "no stored sign-in: nothing to check the token with", d));
      checks.add(DoctorCheck.skipped(claimsName));
      return null;
    }
    try {
      token = credential.token(request);
      checks.add(DoctorCheck.pass(tokenName, "token for " + request.resource() + " valid until "
          + token.expiresAt() + " (" + credential.kind() + (stored ? ", from the stored sign-in" : "") + ")"));
    } catch (MailboxException e) {
      checks.add(DoctorCheck.fail(tokenName, "Entra ID issued no token", diagnosis(e)));
    }
    if (token != null) {
      String claims = describe(token);
      Optional<Diagnosis> problem = needed == null ? Optional.empty() : TokenPreflight.check(token, needed, app);
      checks.add(problem.map(d -> DoctorCheck.fail(claimsName, claims, d))
          .orElseGet(() -> DoctorCheck.pass(claimsName, claims)));
    } else {
      checks.add(DoctorCheck.skipped(claimsName));
    }
    return token;
  }

  private boolean signedIn() {
    try {
      return credential instanceof DeviceCodeCredential d ? d.isSignedIn()
          : ((InteractiveCredential) credential).isSignedIn();
    } catch (MailboxException e) {
      return true; // the token store could not be read: the token check says why
    }
  }

  private DoctorCheck sendPathCheck() {
    ConnectionCheck check;
    try {
      check = sendPath.get();
    } catch (MailboxException e) {
      return DoctorCheck.fail("send path", "the send path could not be checked", diagnosis(e));
    }
    return check.ok()
        ? DoctorCheck.pass("send path", check.detail() + " (" + check.elapsed().toMillis() + " ms)")
        : DoctorCheck.fail("send path", check.detail(), check.diagnosis().orElseThrow());
  }

  /** A failed check as the first probe that can tell more sees it; the check unchanged otherwise. */
  private DoctorCheck probed(DoctorCheck check, AccessToken token, TokenRequest request) {
    if (check.status() != DoctorCheck.Status.FAIL || check.diagnosis().isEmpty()) {
      return check;
    }
    DoctorProbe.Context context = new DoctorProbe.Context(check.name(), credential, app, request,
        Optional.ofNullable(token), Optional.ofNullable(mailbox));
    for (DoctorProbe probe : probes) {
      Optional<DoctorProbe.Finding> finding;
      try {
        finding = probe.explain(check.diagnosis().orElseThrow(), context);
      } catch (RuntimeException e) {
        // a probe that breaks tells nothing more; the check's own diagnosis stands
        continue;
      }
      if (finding.isPresent()) {
        return new DoctorCheck(check.name(), check.status(), check.detail() + " (probe: "
            + finding.get().evidence() + ")", Optional.of(finding.get().diagnosis()));
      }
    }
    return check;
  }

  private void runMailboxChecks(List<DoctorCheck> checks) {
    try (MailboxConnector c = connector.get()) {
      ConnectionCheck check = c.checkConnection();
      if (!check.ok()) {
        checks.add(DoctorCheck.fail("mailbox opened", check.detail(), check.diagnosis().orElseThrow()));
        checks.add(DoctorCheck.skipped("folder listed"));
        checks.add(DoctorCheck.skipped("message header fetched"));
        return;
      }
      checks.add(DoctorCheck.pass("mailbox opened", check.detail() + " (" + c.protocol().id() + ", "
          + check.elapsed().toMillis() + " ms)"));
      MailFolder f;
      try {
        f = c.folder(folder);
        checks.add(DoctorCheck.pass("folder listed", f.path() + (f.totalCount() >= 0 ? ": " + f.totalCount()
            + " messages" : "")));
      } catch (MailboxException e) {
        checks.add(DoctorCheck.fail("folder listed", "folder " + folder + " could not be opened", diagnosis(e)));
        checks.add(DoctorCheck.skipped("message header fetched"));
        return;
      }
      try {
        Optional<MessageSummary> first = c.listMessages(folder, ListOptions.defaults().pageSize(1)).stream().findFirst();
        checks.add(first.map(m -> DoctorCheck.pass("message header fetched", "newest: \"" + m.subject() + "\" from "
                + m.from().map(Object::toString).orElse("(no sender)") + " at " + m.receivedAt()))
            .orElseGet(() -> DoctorCheck.pass("message header fetched", "the folder is empty")));
      } catch (MailboxException e) {
        checks.add(DoctorCheck.fail("message header fetched", "listing " + folder + " failed", diagnosis(e)));
      }
    } catch (MailboxException e) {
      checks.add(DoctorCheck.fail("mailbox opened", "the connector could not be built or opened", diagnosis(e)));
      checks.add(DoctorCheck.skipped("folder listed"));
      checks.add(DoctorCheck.skipped("message header fetched"));
    } catch (IllegalArgumentException | IllegalStateException e) {
      Diagnosis d = Diagnosis.builder(SetupStep.UNKNOWN, "configuration").summary(e.getMessage())
          .fix("Correct the connector settings").build();
      checks.add(DoctorCheck.fail("mailbox opened", e.getMessage(), d));
    }
  }

  private DoctorCheck authorityReachable() {
    URI metadata = URI.create(app.authority() + "v2.0/.well-known/openid-configuration");
    // the body counts against the deadline and is capped: a server that trickles or floods must not hold the doctor
    SignInHttp http = new SignInHttp(app.trust().orElse(null), app.proxy(), null, Duration.ofSeconds(15));
    try {
      SignInHttp.Answer r = http.send(HttpRequest.newBuilder(metadata).timeout(Duration.ofSeconds(15)).GET().build());
      if (r.status() == 200) {
        Optional<DoctorCheck> otherCloud = otherCloud(metadata, r.body());
        return otherCloud.orElseGet(() -> DoctorCheck.pass("authority reachable", app.authority() + " answers"));
      }
      if (r.status() == 400 || r.status() == 404) {
        Diagnosis d = Diagnosis.builder(SetupStep.TENANT, "HTTP " + r.status())
            .summary("Entra ID does not know tenant '" + app.authorityTenant() + "' at " + app.authorityHost())
            .fix("Check the Directory (tenant) ID or domain and the cloud").build();
        return DoctorCheck.fail("authority reachable", metadata + " answered " + r.status(), d);
      }
      return DoctorCheck.warn("authority reachable", metadata + " answered " + r.status());
    } catch (IOException e) {
      Optional<TlsFailures.Refusal> refusal = TlsFailures.refusal(e);
      if (refusal.isPresent()) {
        // the server was reached: its certificate was refused, which is a TLS failure, not a network one
        Diagnosis d = TlsFailures.signInRefused(app.authorityHost(), refusal.get());
        return DoctorCheck.fail("authority reachable", d.summary(), d);
      }
      Diagnosis d = Diagnosis.builder(SetupStep.TRUST, e.getClass().getSimpleName())
          .summary("Cannot reach " + app.authorityHost() + " (" + e.getClass().getSimpleName() + ")")
          .fix(e instanceof javax.net.ssl.SSLException
              ? "Trust the server's certificate (trust store setting) or check TLS inspection proxies"
              : "Check DNS, proxy and firewall for " + app.authorityHost().getHost())
          .retryable(!(e instanceof javax.net.ssl.SSLException)).build();
      return DoctorCheck.fail("authority reachable", d.summary(), d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return DoctorCheck.warn("authority reachable", "interrupted");
    }
  }

  /**
   * The tenant's OpenID metadata names the cloud it lives in: {@code cloud_instance_name} ("microsoftonline.com",
   * "microsoftonline.us", "partner.microsoftonline.cn") and {@code tenant_region_scope} ("WW", "NA", "EU", "USGov",
   * "USG"). The global endpoint answers for a tenant of a national cloud with that cloud's document (see the China
   * document fetched from login.microsoftonline.com in https://github.com/smallstep/certificates/pull/1309), and
   * its token endpoint refuses the tenant's apps (AADSTS900432 "Confidential Client is not supported in Cross Cloud
   * request", https://github.com/psignoret/aad-sso-wordpress/issues/244); the hosts per cloud are in
   * https://learn.microsoft.com/en-us/entra/identity-platform/authentication-national-cloud.
   */
  private Optional<DoctorCheck> otherCloud(URI metadata, String body) {
    Map<String, Object> doc;
    try {
      doc = JsonSupport.parseObject(body);
    } catch (RuntimeException e) {
      return Optional.empty();
    }
    String instance = JsonSupport.string(doc, "cloud_instance_name");
    String region = JsonSupport.string(doc, "tenant_region_scope");
    Cloud tenantCloud = cloudOf(instance, region);
    if (tenantCloud == null || sameCloud(tenantCloud, app.cloud())) {
      return Optional.empty();
    }
    String seen = "cloud_instance_name " + instance + (region == null ? "" : ", tenant_region_scope " + region);
    Diagnosis d = Diagnosis.builder(SetupStep.TENANT, "cloud:" + instance)
        .summary("Tenant " + app.authorityTenant() + " lives in the " + cloudName(tenantCloud) + " cloud (" + seen
            + "), but the configuration uses the " + cloudName(app.cloud()) + " cloud")
        .fix("Configure cloud " + tenantCloud + ": authority host " + tenantCloud.authorityHost() + ", Graph "
            + tenantCloud.graphEndpoint() + "; the app must be registered in that cloud (apps and tokens do not"
            + " cross clouds)")
        .build();
    return Optional.of(DoctorCheck.fail("authority reachable", metadata + " answers for a tenant of "
        + cloudName(tenantCloud) + " (" + seen + ")", d));
  }

  private static Cloud cloudOf(String instance, String region) {
    if (instance == null) {
      return null;
    }
    String i = instance.toLowerCase(Locale.ROOT);
    if (i.equals("microsoftonline.com")) {
      return Cloud.GLOBAL;
    }
    if (i.equals("microsoftonline.us")) {
      return region != null && region.toUpperCase(Locale.ROOT).contains("DOD") ? Cloud.US_GOVERNMENT_DOD
          : Cloud.US_GOVERNMENT;
    }
    if (i.endsWith("microsoftonline.cn") || i.endsWith("chinacloudapi.cn")) {
      return Cloud.CHINA;
    }
    return null;
  }

  private static boolean sameCloud(Cloud a, Cloud b) {
    // GCC High and DoD share login.microsoftonline.us; the metadata does not always tell them apart
    boolean usA = a == Cloud.US_GOVERNMENT || a == Cloud.US_GOVERNMENT_DOD;
    boolean usB = b == Cloud.US_GOVERNMENT || b == Cloud.US_GOVERNMENT_DOD;
    return a == b || (usA && usB);
  }

  private static String cloudName(Cloud cloud) {
    return switch (cloud) {
      case GLOBAL -> "global";
      case US_GOVERNMENT -> "US Government";
      case US_GOVERNMENT_DOD -> "US Government DoD";
      case CHINA -> "China (21Vianet)";
    };
  }

  private DoctorCheck expiryCheck() {
    if (expiry == null) {
      return DoctorCheck.pass("credential expiry", "not checked: no expiry tracker given");
    }
    ExpiryReport report = expiry.check();
    if (report.credentials().isEmpty()) {
      return DoctorCheck.pass("credential expiry", "no client secret or certificate to expire");
    }
    StringBuilder detail = new StringBuilder();
    for (CredentialStatus c : report.credentials()) {
      if (detail.length() > 0) {
        detail.append("; ");
      }
      detail.append(c.label()).append(": ").append(c.status())
          .append(c.daysLeft().map(d -> d >= 0 ? " (" + d + " days left)" : " (expired)").orElse(""));
    }
    ExpiryStatus overall = report.overall();
    if (overall == ExpiryStatus.OK) {
      return DoctorCheck.pass("credential expiry", detail.toString());
    }
    CredentialStatus worst = report.credentials().get(0);
    Diagnosis d = Diagnosis.builder(worst.type() == org.o365mail.expiry.CredentialType.CERTIFICATE
            ? SetupStep.CERTIFICATE : SetupStep.CLIENT_SECRET, "expiry:" + worst.status())
        .summary(worst.label() + " is " + worst.status())
        .fix(worst.advice()).build();
    return overall == ExpiryStatus.EXPIRED || overall == ExpiryStatus.INVALID
        ? DoctorCheck.fail("credential expiry", detail.toString(), d)
        : DoctorCheck.warn("credential expiry", detail.toString(), d);
  }

  private static String describe(AccessToken token) {
    try {
      TokenClaims c = token.claims();
      return "aud " + c.audience() + ", tid " + c.tenantId() + (c.appOnly() ? ", roles " + c.roles()
          : ", scp " + c.scopes() + c.userPrincipalName().map(u -> ", user " + u).orElse(""));
    } catch (IllegalArgumentException e) {
      return "an opaque token";
    }
  }

  private static Diagnosis diagnosis(MailboxException e) {
    return e.diagnosis().orElseGet(() -> Diagnosis.builder(SetupStep.UNKNOWN, e.getClass().getSimpleName())
        .summary(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())
        .fix("See the message").retryable(e.retryable()).build());
  }

  /** Builds a {@link ConnectionDoctor}. */
  public static final class Builder {
    private CredentialStrategy credential;
    private Supplier<MailboxConnector> connector;
    private TokenRequest tokenRequest;
    private TokenRequest mailboxTokenRequest;
    private TokenPreflight.Requirement requirement;
    private FolderRef folder = FolderRef.INBOX;
    private SecretExpiryTracker expiry;
    private final List<DoctorProbe> probes = new ArrayList<>();
    private String mailbox;
    private Set<Use> uses = EnumSet.of(Use.READ);
    private TokenRequest sendTokenRequest;
    private TokenPreflight.Requirement sendRequirement;
    private Supplier<ConnectionCheck> sendPath;

    private Builder() {}

    /**
     * What the connection is for (default {@link Use#READ}): {@code READ} runs the mailbox checks (and needs
     * {@link #connector}); {@code SEND} runs the send checks ({@link #sendToken}, {@link #sendPath}). A send-only
     * connection (delegated {@code Mail.Send} only) is checked without reading any mailbox.
     */
    public Builder use(Use first, Use... more) {
      EnumSet<Use> set = EnumSet.of(requireNonNull(first, "use"));
      for (Use u : more) {
        set.add(requireNonNull(u, "use"));
      }
      this.uses = set;
      return this;
    }

    /**
     * The token sending uses when it is not the {@link #token} one (IMAP reads, SMTP AUTH sends:
     * {@code TokenRequest.smtp()} and {@code Requirement.smtp()}); checked when {@link Use#SEND} is set.
     */
    public Builder sendToken(TokenRequest request, TokenPreflight.Requirement needed) {
      this.sendTokenRequest = requireNonNull(request, "request");
      this.sendRequirement = requireNonNull(needed, "needed");
      return this;
    }

    /**
     * Checks the send path when {@link Use#SEND} is set, e.g. {@code SmtpSender::checkConnection} (STARTTLS,
     * {@code AUTH XOAUTH2}, QUIT); its failure names its setup step (SMTP AUTH disabled, ...). Called once per
     * examination, after the token checks passed.
     */
    public Builder sendPath(Supplier<ConnectionCheck> value) {
      this.sendPath = requireNonNull(value, "sendPath");
      return this;
    }

    /**
     * Adds a probe asked, in the order added and before the doctor's own token probes, about each failed check
     * ({@link DoctorProbe}); the first finding replaces the check's diagnosis.
     */
    public Builder probe(DoctorProbe value) {
      probes.add(requireNonNull(value, "probe"));
      return this;
    }

    /** The mailbox address the connector opens, for the probes. */
    public Builder mailbox(String address) {
      this.mailbox = requireNonNull(address, "mailbox");
      return this;
    }

    public Builder credential(CredentialStrategy value) {
      this.credential = requireNonNull(value, "credential");
      return this;
    }

    /** Makes the connector to check (built lazily so a broken setup is reported, not thrown). */
    public Builder connector(Supplier<MailboxConnector> value) {
      this.connector = requireNonNull(value, "connector");
      return this;
    }

    /** The token the connector uses and what its claims must allow ({@code TokenRequest.imap()} and {@code Requirement.imap()}). */
    public Builder token(TokenRequest request, TokenPreflight.Requirement needed) {
      this.tokenRequest = requireNonNull(request, "request");
      this.requirement = requireNonNull(needed, "needed");
      return this;
    }

    /**
     * The token the connector asks for to open the mailbox, when it is not the {@link #token} one: a user's
     * connector to another user's or a shared mailbox asks Microsoft Graph for {@code Mail.ReadWrite.Shared} where
     * the user's own mailbox needs {@code Mail.ReadWrite}. The probes are asked about a failed mailbox check with this
     * request (Entra ID's AADSTS65001 for it names neither the permission nor the mailbox).
     */
    public Builder mailboxToken(TokenRequest request) {
      this.mailboxTokenRequest = requireNonNull(request, "request");
      return this;
    }

    public Builder folder(FolderRef value) {
      this.folder = requireNonNull(value, "folder");
      return this;
    }

    public Builder expiry(SecretExpiryTracker value) {
      this.expiry = requireNonNull(value, "expiry");
      return this;
    }

    public ConnectionDoctor build() {
      boolean needsConnector = uses.contains(Use.READ);
      if (credential == null || (needsConnector && connector == null) || tokenRequest == null) {
        throw new IllegalStateException("missing required setting(s):" + (credential == null ? " credential()" : "")
            + (needsConnector && connector == null ? " connector()" : "") + (tokenRequest == null ? " token()" : ""));
      }
      return new ConnectionDoctor(this);
    }
  }
}
