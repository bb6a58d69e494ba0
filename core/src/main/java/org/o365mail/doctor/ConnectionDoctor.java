package org.o365mail.doctor;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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
import org.o365mail.auth.AccessToken;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.TokenClaims;
import org.o365mail.auth.TokenPreflight;
import org.o365mail.auth.TokenRequest;
import org.o365mail.expiry.CredentialStatus;
import org.o365mail.expiry.ExpiryReport;
import org.o365mail.expiry.ExpiryStatus;
import org.o365mail.expiry.SecretExpiryTracker;
import org.o365mail.internal.SignInHttp;
import org.o365mail.internal.TlsFailures;

/**
 * "Save and test the mailbox connection", done properly: checks one connection step by step (authority
 * reachable, token acquired, token claims fit the connector, mailbox opened, folder listed, one message header
 * fetched, credential expiry) and reports each as passed, warning or failed, a failure with the setup step to
 * fix. Never throws for what it checks. For admin consoles and {@code o365mail doctor}.
 */
public final class ConnectionDoctor {
  private final AppRegistration app;
  private final CredentialStrategy credential;
  private final Supplier<MailboxConnector> connector;
  private final TokenRequest tokenRequest;
  private final TokenPreflight.Requirement requirement;
  private final FolderRef folder;
  private final SecretExpiryTracker expiry;
  private final List<DoctorProbe> probes;
  private final String mailbox;

  private ConnectionDoctor(Builder b) {
    this.app = b.credential.registration();
    this.credential = b.credential;
    this.connector = b.connector;
    this.tokenRequest = b.tokenRequest;
    this.requirement = b.requirement;
    this.folder = b.folder;
    this.expiry = b.expiry;
    this.probes = List.copyOf(b.probes);
    this.mailbox = b.mailbox;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Runs every check in order; a failed check skips those that depend on it. */
  public DoctorReport examine() {
    List<DoctorCheck> checks = new ArrayList<>();
    long start = System.nanoTime();
    checks.add(authorityReachable());
    AccessToken token = null;
    if (checks.get(0).status() != DoctorCheck.Status.FAIL) {
      try {
        token = credential.token(tokenRequest);
        checks.add(DoctorCheck.pass("token acquired", "token for " + tokenRequest.resource() + " valid until "
            + token.expiresAt() + " (" + credential.kind() + ")"));
      } catch (MailboxException e) {
        checks.add(DoctorCheck.fail("token acquired", "Entra ID issued no token", diagnosis(e)));
      }
    } else {
      checks.add(DoctorCheck.skipped("token acquired"));
    }
    if (token != null) {
      Optional<Diagnosis> problem = TokenPreflight.check(token, requirement, app);
      String claims = describe(token);
      checks.add(problem.map(d -> DoctorCheck.fail("claims fit the connector", claims, d))
          .orElseGet(() -> DoctorCheck.pass("claims fit the connector", claims)));
    } else {
      checks.add(DoctorCheck.skipped("claims fit the connector"));
    }
    boolean tokenOk = checks.stream().noneMatch(c -> c.status() == DoctorCheck.Status.FAIL);
    if (tokenOk) {
      runMailboxChecks(checks);
    } else {
      checks.add(DoctorCheck.skipped("mailbox opened"));
      checks.add(DoctorCheck.skipped("folder listed"));
      checks.add(DoctorCheck.skipped("message header fetched"));
    }
    checks.add(expiryCheck());
    if (!probes.isEmpty()) {
      for (int i = 0; i < checks.size(); i++) {
        checks.set(i, probed(checks.get(i), token));
      }
    }
    return new DoctorReport(checks, Duration.ofNanos(System.nanoTime() - start));
  }

  /** A failed check as the first probe that can tell more sees it; the check unchanged otherwise. */
  private DoctorCheck probed(DoctorCheck check, AccessToken token) {
    if (check.status() != DoctorCheck.Status.FAIL || check.diagnosis() == null) {
      return check;
    }
    DoctorProbe.Context context = new DoctorProbe.Context(check.name(), credential, app, tokenRequest,
        Optional.ofNullable(token), Optional.ofNullable(mailbox));
    for (DoctorProbe probe : probes) {
      Optional<DoctorProbe.Finding> finding;
      try {
        finding = probe.explain(check.diagnosis(), context);
      } catch (RuntimeException e) {
        // a probe that breaks tells nothing more; the check's own diagnosis stands
        continue;
      }
      if (finding.isPresent()) {
        return new DoctorCheck(check.name(), check.status(), check.detail() + " (probe: "
            + finding.get().evidence() + ")", finding.get().diagnosis());
      }
    }
    return check;
  }

  private void runMailboxChecks(List<DoctorCheck> checks) {
    try (MailboxConnector c = connector.get()) {
      ConnectionCheck check = c.checkConnection();
      if (!check.ok()) {
        checks.add(DoctorCheck.fail("mailbox opened", check.detail(), check.problem()));
        checks.add(DoctorCheck.skipped("folder listed"));
        checks.add(DoctorCheck.skipped("message header fetched"));
        return;
      }
      checks.add(DoctorCheck.pass("mailbox opened", check.detail() + " (" + c.protocol() + ", "
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
                + m.sender().map(Object::toString).orElse("(no sender)") + " at " + m.receivedAt()))
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
    SignInHttp http = new SignInHttp(app.trust().orElse(null), null, Duration.ofSeconds(15));
    try {
      SignInHttp.Answer r = http.send(HttpRequest.newBuilder(metadata).timeout(Duration.ofSeconds(15)).GET().build());
      if (r.status() == 200) {
        return DoctorCheck.pass("authority reachable", app.authority() + " answers");
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
        URI host = app.authorityHost();
        int port = host.getPort() == -1 ? 443 : host.getPort();
        Diagnosis d = TlsFailures.diagnosis(TlsFailures.SIGN_IN_CODE, "the sign-in endpoint", host.getHost(), port,
            refusal.get(), TlsFailures.presented(host.getHost(), port, Duration.ofSeconds(5)),
            "AppRegistration.trust(...)");
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

  private DoctorCheck expiryCheck() {
    if (expiry == null) {
      return DoctorCheck.pass("credential expiry", "no client secret or certificate to expire");
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
    private TokenPreflight.Requirement requirement;
    private FolderRef folder = FolderRef.INBOX;
    private SecretExpiryTracker expiry;
    private final List<DoctorProbe> probes = new ArrayList<>();
    private String mailbox;

    private Builder() {}

    /**
     * Adds a probe asked, in the order added, about each failed check ({@link DoctorProbe}); the first finding
     * replaces the check's diagnosis.
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

    public Builder folder(FolderRef value) {
      this.folder = requireNonNull(value, "folder");
      return this;
    }

    public Builder expiry(SecretExpiryTracker value) {
      this.expiry = requireNonNull(value, "expiry");
      return this;
    }

    public ConnectionDoctor build() {
      if (credential == null || connector == null || tokenRequest == null) {
        throw new IllegalStateException("missing required setting(s):" + (credential == null ? " credential()" : "")
            + (connector == null ? " connector()" : "") + (tokenRequest == null ? " token()" : ""));
      }
      return new ConnectionDoctor(this);
    }
  }
}
