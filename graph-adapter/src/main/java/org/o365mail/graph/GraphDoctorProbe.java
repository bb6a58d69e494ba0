package org.o365mail.graph;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLContext;
import org.o365mail.Diagnosis;
import org.o365mail.SetupStep;
import org.o365mail.doctor.DoctorProbe;
import org.o365mail.graph.internal.Paths;
import org.o365mail.ServiceText;

/**
 * The doctor's second look through Microsoft Graph after a failed check ({@link DoctorProbe}): it reads, where the
 * app may read them, the mailbox ({@code GET /users/{address}}: no such user, a user without an Exchange Online
 * mailbox, so no licence, a shared mailbox), the app's registration ({@code GET /applications?$filter=appId eq '..'}: which
 * permission is added under which API) and its enterprise application ({@code GET
 * /servicePrincipals?$filter=appId eq '..'}, its {@code appRoleAssignments} and {@code oauth2PermissionGrants}: which
 * are consented), and tells apart the steps Microsoft's answers do not: a permission not added, added under the wrong
 * API, or added and not consented; a mistyped mailbox address, a user without a licence, and missing FullAccess;
 * and it names the enterprise application's object id that {@code New-ServicePrincipal} wants.
 *
 * <p>It asks for tokens with the connection's own credential (app-only: {@code .default}, whatever roles the app
 * has; delegated: silently, the permission each read needs) and sends them only to the configured Graph base URL's
 * exact origin (scheme, host and port) and the origins added with {@link Builder#allowedHosts(String...)}, like
 * {@link GraphMailboxConnector}. A read the app may not do (403), a token Entra ID will not issue, or a network
 * failure means "cannot tell": the probe then returns empty and the check's own diagnosis stands. It never throws
 * for what it probes, and never changes anything in the tenant.
 *
 * <p>Instances are immutable and thread-safe; each {@link #explain} opens its own connections and closes them
 * before it returns.
 *
 * <pre>{@code
 * ConnectionDoctor doctor = ConnectionDoctor.builder()
 *     ...
 *     .mailbox("invoices@contoso.com")
 *     .probe(GraphDoctorProbe.builder().build())
 *     .build();
 * }</pre>
 */
public final class GraphDoctorProbe implements DoctorProbe {
  /** The steps whose answers look alike and that a look through Graph can tell apart. */
  private static final Set<SetupStep> PROBED = Set.of(SetupStep.MAILBOX, SetupStep.MAILBOX_PERMISSION,
      SetupStep.ADMIN_CONSENT, SetupStep.DELEGATED_PERMISSION, SetupStep.APPLICATION_PERMISSION,
      SetupStep.EXCHANGE_SERVICE_PRINCIPAL, SetupStep.USER_ACCOUNT, SetupStep.SCOPES, SetupStep.UNKNOWN,
      SetupStep.MAILBOX_PROTOCOL);
  private static final Set<SetupStep> PERMISSION_STEPS = Set.of(SetupStep.ADMIN_CONSENT,
      SetupStep.DELEGATED_PERMISSION, SetupStep.APPLICATION_PERMISSION, SetupStep.SCOPES,
      SetupStep.EXCHANGE_SERVICE_PRINCIPAL);
  /** The application ids of the two APIs, the same in every cloud. */
  static final String GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";
  static final String EXCHANGE_APP_ID = "00000002-0000-0ff1-ce00-000000000000";

  private final URI baseUrl;
  private final SSLContext trust;
  private final Set<String> allowedHosts;
  private final Duration timeout;

  private GraphDoctorProbe(Builder b) {
    this.baseUrl = b.baseUrl;
    this.trust = b.trust;
    this.allowedHosts = Set.copyOf(b.allowedHosts);
    this.timeout = b.timeout;
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public Optional<Finding> explain(Diagnosis failure, Context context) {
    requireNonNull(failure, "failure");
    requireNonNull(context, "context");
    if (!PROBED.contains(failure.setupStep())) {
      return Optional.empty();
    }
    try (DirectoryReads reads = new DirectoryReads(context, baseUrl, trust, allowedHosts, timeout)) {
      MailboxLook mailbox = new MailboxLook(reads);
      PermissionLook app = new PermissionLook(reads);
      boolean permissionStep = PERMISSION_STEPS.contains(failure.setupStep());
      if (reads.appOnly() && permissionStep) {
        // an app's token names its roles, so its permissions are looked at first; a user's failed token for a
        // .Shared permission may be a mistyped address, so for users the mailbox comes first
        Optional<Finding> finding = app.permissions(failure);
        finding = finding.isPresent() ? finding : context.mailbox().flatMap(m -> mailbox.mailbox(failure, m));
        return finding.isPresent() ? finding : app.exchangePrincipal(failure);
      }
      Optional<Finding> finding = context.mailbox().flatMap(m -> mailbox.mailbox(failure, m));
      if (finding.isPresent() || !permissionStep) {
        return finding;
      }
      finding = app.permissions(failure);
      return finding.isPresent() ? finding : app.exchangePrincipal(failure);
    } catch (RuntimeException e) {
      return Optional.empty(); // a probe that breaks tells nothing more
    }
  }

  @Override
  public String toString() {
    return "GraphDoctorProbe[" + (baseUrl == null ? "the credential's cloud" : baseUrl.getHost()) + "]";
  }

  /** Graph's code as the report shows it: the server's text, kept printable and short. */
  static String reportedCode(String code) {
    String printable = ServiceText.printable(code);
    return printable.length() > 80 ? printable.substring(0, 80) : printable;
  }

  /**
   * Builds a {@link GraphDoctorProbe}. Nothing is required. Defaults: the Graph endpoint of the credential's cloud
   * with {@code /v1.0}, the credential's registration's trust (else the JVM's), 30 s socket timeouts.
   */
  public static final class Builder {
    private URI baseUrl;
    private SSLContext trust;
    private final Set<String> allowedHosts = new LinkedHashSet<>();
    private Duration timeout = Duration.ofSeconds(30);

    private Builder() {}

    /** The Graph base URL, {@code https://host[:port]/v1.0} (national clouds, test tenants); HTTPS only. */
    public Builder baseUrl(String value) {
      this.baseUrl = Paths.httpsBase(requireNonNull(value, "baseUrl"));
      return this;
    }

    /** The TLS trust for the Graph host (default: the credential's registration's, else the JVM's). */
    public Builder trust(SSLContext value) {
      this.trust = requireNonNull(value, "trust");
      return this;
    }

    /**
     * More origins that may receive the token, besides the base URL's: {@code host} means HTTPS on port 443 only,
     * {@code host:port} or {@code https://host:port} another port. Only HTTPS origins are accepted.
     */
    public Builder allowedHosts(String... hosts) {
      for (String h : hosts) {
        allowedHosts.add(requireNonNull(h, "host").toLowerCase(Locale.ROOT));
      }
      return this;
    }

    /**
     * How long one read may take (default 30 s): the bound on Graph's silence and on the whole answer; each read is
     * tried at most twice.
     */
    public Builder timeout(Duration value) {
      requireNonNull(value, "timeout");
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException("timeout must be positive, was " + value);
      }
      this.timeout = value;
      return this;
    }

    public GraphDoctorProbe build() {
      return new GraphDoctorProbe(this);
    }
  }
}
