package org.o365mail.imap;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.o365mail.ConnectionCheck;
import org.o365mail.Diagnosis;
import org.o365mail.EmailAddress;
import org.o365mail.SetupStep;
import org.o365mail.auth.CredentialKind;
import org.o365mail.auth.TokenClaims;
import org.o365mail.doctor.DoctorProbe;
import org.o365mail.imap.internal.Claims;
import org.o365mail.imap.internal.ExchangeDiagnoses;

/**
 * The doctor's second look at an app-only IMAP or SMTP login that Exchange Online refused ({@code NO AUTHENTICATE
 * failed.}, {@code 535 5.7.3}): Exchange gives that one answer for a missing Exchange service principal, one
 * registered with the wrong object id, missing FullAccess and a mailbox that does not exist. The probe logs in, with
 * the same app, to the other mailboxes the administrator configured for it (never to guessed addresses) and logs out
 * again: when one of them opens, the service principal exists and is registered right, so the refused mailbox's
 * FullAccess (or its address) is what is missing; when all of them refuse too, the service principal they share is
 * the likelier step. Either way the diagnosis keeps the other steps as {@link Diagnosis#alternatives()}, each with the
 * PowerShell that checks it. With no other mailbox configured the probe has nothing to add and returns empty, leaving
 * the connector's diagnosis (which already names all the steps) or a later probe to speak.
 *
 * <p>The logins are IMAP logins with the connection's credential, also for a refused SMTP login: an app without
 * {@code IMAP.AccessAsApp} is stopped by the pre-flight before any login, and then the probe has nothing to add.
 *
 * <p>Which mailbox exists is not something IMAP can tell: add the Graph adapter's probe (allowed to read users)
 * before this one so that a mailbox that does not exist is named by it.
 *
 * <p>Immutable and thread-safe. Each login is a connection of its own, closed with {@code LOGOUT}; at most {@link
 * Builder#maxLogins} mailboxes are tried per failure.
 *
 * <pre>{@code
 * ConnectionDoctor doctor = ConnectionDoctor.builder()
 *     .credential(credential)
 *     .token(TokenRequest.imap(), TokenPreflight.Requirement.imap())
 *     .connector(() -> connectorFor("invoices@contoso.com"))
 *     .mailbox("invoices@contoso.com")
 *     .probe(ImapDoctorProbe.builder()
 *         .connectors(address -> connectorFor(address))      // same host, port, trust and credential
 *         .otherMailboxes(List.of("support@contoso.com"))    // configured for the same app, not guessed
 *         .build())
 *     .build();
 * }</pre>
 */
public final class ImapDoctorProbe implements DoctorProbe {
  private final Function<String, ImapMailboxConnector> connectors;
  private final List<String> otherMailboxes;
  private final int maxLogins;

  private ImapDoctorProbe(Builder b) {
    this.connectors = b.connectors;
    this.otherMailboxes = List.copyOf(b.otherMailboxes);
    this.maxLogins = b.maxLogins;
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public Optional<Finding> explain(Diagnosis failure, Context context) {
    requireNonNull(failure, "failure");
    requireNonNull(context, "context");
    String code = failure.serviceCode();
    boolean imap = code.startsWith("IMAP NO");
    boolean smtp = code.startsWith("SMTP 535 5.7.3");
    if (!imap && !smtp || context.credential().kind() != CredentialKind.APP_ONLY || context.mailbox().isEmpty()) {
      return Optional.empty();
    }
    Set<SetupStep> alike = Set.of(SetupStep.EXCHANGE_SERVICE_PRINCIPAL, SetupStep.MAILBOX_PERMISSION,
        SetupStep.MAILBOX);
    if (!alike.contains(failure.setupStep())) {
      return Optional.empty();
    }
    String refused = context.mailbox().get().toLowerCase(Locale.ROOT);
    List<String> tried = new ArrayList<>();
    int refusedToo = 0;
    for (String other : otherMailboxes) {
      if (other.equals(refused)) {
        continue;
      }
      if (tried.size() >= maxLogins) {
        break;
      }
      tried.add(other);
      ConnectionCheck check;
      try (ImapMailboxConnector c = connectors.apply(other)) {
        check = c.checkConnection();
      }
      if (check.ok()) {
        return Optional.of(finding(context, code, smtp, ExchangeDiagnoses.Evidence.PRINCIPAL_WORKS_ELSEWHERE,
            "IMAP login as the same app to " + other + ": OK"));
      }
      if (check.diagnosis().map(d -> d.serviceCode().startsWith("IMAP NO")).orElse(false)) {
        refusedToo++;
      }
    }
    if (refusedToo > 0 && refusedToo == tried.size()) {
      return Optional.of(finding(context, code, smtp, ExchangeDiagnoses.Evidence.REFUSED_ELSEWHERE_TOO,
          "IMAP login as the same app to " + String.join(", ", tried) + ": refused too"));
    }
    return Optional.empty();
  }

  private static Finding finding(Context context, String code, boolean smtp, ExchangeDiagnoses.Evidence evidence,
      String seen) {
    Optional<TokenClaims> claims = context.token().flatMap(Claims::of);
    ExchangeDiagnoses.Login login = new ExchangeDiagnoses.Login(smtp ? "SMTP" : "IMAP",
        context.mailbox().orElseThrow().toLowerCase(Locale.ROOT), CredentialKind.APP_ONLY,
        context.registration().clientId(), claims, Optional.empty());
    return new Finding(seen, ExchangeDiagnoses.authenticateFailed(login, code, evidence));
  }

  @Override
  public String toString() {
    return "ImapDoctorProbe[" + otherMailboxes.size() + " other mailbox(es), at most " + maxLogins + " logins]";
  }

  /** Builds an {@link ImapDoctorProbe}; {@link #build()} needs {@link #connectors}. */
  public static final class Builder {
    private Function<String, ImapMailboxConnector> connectors;
    private final Set<String> otherMailboxes = new LinkedHashSet<>();
    private int maxLogins = 3;

    private Builder() {}

    /**
     * Makes a connector for another mailbox with the checked connection's settings (host, port, trust, the same
     * credential); the probe calls {@link ImapMailboxConnector#checkConnection()} on it and closes it.
     */
    public Builder connectors(Function<String, ImapMailboxConnector> value) {
      this.connectors = requireNonNull(value, "connectors");
      return this;
    }

    /**
     * Other mailboxes configured for the same app, such as the other connections of a product's settings; the probe
     * never tries an address it was not given.
     */
    public Builder otherMailboxes(List<String> addresses) {
      requireNonNull(addresses, "addresses");
      for (String a : addresses) {
        otherMailboxes.add(EmailAddress.of(requireNonNull(a, "address")).address().toLowerCase(Locale.ROOT));
      }
      return this;
    }

    /** How many other mailboxes to log in to per failure, at most (default 3, 1 to 20). */
    public Builder maxLogins(int value) {
      if (value < 1 || value > 20) {
        throw new IllegalArgumentException("maxLogins must be between 1 and 20, not " + value);
      }
      this.maxLogins = value;
      return this;
    }

    public ImapDoctorProbe build() {
      if (connectors == null) {
        throw new IllegalStateException("missing required setting(s): connectors()");
      }
      return new ImapDoctorProbe(this);
    }
  }
}
