package org.o365mail.auth;

import static java.util.Objects.requireNonNull;

import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.o365mail.Diagnosis;
import org.o365mail.MailboxAuthenticationException;
import org.o365mail.SetupStep;

/**
 * Checks a token's claims against what a connector needs, before any server is called, so that a Graph token
 * headed for IMAP, a missing {@code IMAP.AccessAsApp} role or a token from another tenant is reported with its
 * setup step instead of as a bare {@code AUTHENTICATE failed}. Decodes without validating: the services do that.
 */
public final class TokenPreflight {
  private static final Pattern GUID =
      Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  private static final Set<String> GRAPH_IDS = Set.of("00000003-0000-0000-c000-000000000000");
  private static final Set<String> EXCHANGE_IDS =
      Set.of("00000002-0000-0ff1-ce00-000000000000", "https://outlook.office365.com", "https://outlook.office.com",
          "https://ps.outlook.com");

  private TokenPreflight() {}

  /**
   * What a connector needs: the resource, and any one of the application roles (app-only tokens) or delegated
   * scopes (user tokens) that allow the operation.
   *
   * @param name what the requirement is for, used in messages ("IMAP", "Graph mail read")
   */
  public record Requirement(String name, Resource resource, Set<String> anyRole, Set<String> anyScope) {
    public Requirement {
      requireNonNull(name, "name");
      requireNonNull(resource, "resource");
      anyRole = Set.copyOf(anyRole);
      anyScope = Set.copyOf(anyScope);
    }

    /** IMAP: {@code IMAP.AccessAsApp} or {@code IMAP.AccessAsUser.All} on Exchange Online. */
    public static Requirement imap() {
      return new Requirement("IMAP", Resource.EXCHANGE_ONLINE, Set.of("IMAP.AccessAsApp"), Set.of("IMAP.AccessAsUser.All"));
    }

    /** SMTP AUTH: {@code SMTP.SendAsApp} or {@code SMTP.Send} on Exchange Online. */
    public static Requirement smtp() {
      return new Requirement("SMTP AUTH", Resource.EXCHANGE_ONLINE, Set.of("SMTP.SendAsApp"), Set.of("SMTP.Send"));
    }

    /** Reading mail through Graph in one's own mailbox (or any mailbox, app-only). */
    public static Requirement graphRead() {
      return new Requirement("Graph mail read", Resource.MICROSOFT_GRAPH, Set.of("Mail.Read", "Mail.ReadWrite"),
          Set.of("Mail.Read", "Mail.ReadWrite", "Mail.Read.Shared", "Mail.ReadWrite.Shared"));
    }

    /** Changing mail through Graph (mark read, move, delete). */
    public static Requirement graphReadWrite() {
      return new Requirement("Graph mail read/write", Resource.MICROSOFT_GRAPH, Set.of("Mail.ReadWrite"),
          Set.of("Mail.ReadWrite", "Mail.ReadWrite.Shared"));
    }

    /** Sending mail through Graph. */
    public static Requirement graphSend() {
      return new Requirement("Graph send mail", Resource.MICROSOFT_GRAPH, Set.of("Mail.Send"),
          Set.of("Mail.Send", "Mail.Send.Shared"));
    }
  }

  /**
   * The problem with {@code token} for {@code requirement}, if any. Opaque (non-JWT) tokens pass without a check and
   * without a log line: Microsoft warns that tokens for its services need not be JWTs and may be encrypted for
   * personal Microsoft accounts (entra-docs v2-oauth2-auth-code-flow.md, access-tokens.md), and only the service can
   * judge them.
   */
  public static Optional<Diagnosis> check(AccessToken token, Requirement requirement, AppRegistration app) {
    requireNonNull(token, "token");
    requireNonNull(requirement, "requirement");
    requireNonNull(app, "app");
    TokenClaims claims;
    try {
      claims = token.claims();
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    Optional<Diagnosis> audience = checkAudience(claims, requirement, app);
    if (audience.isPresent()) {
      return audience;
    }
    Optional<String> tenant = app.tenant();
    if (tenant.isPresent() && GUID.matcher(tenant.get()).matches() && !claims.tenantId().isEmpty()
        && !claims.tenantId().equalsIgnoreCase(tenant.get())) {
      return Optional.of(Diagnosis.builder(SetupStep.TENANT, "preflight:tid")
          .summary("The token was issued by tenant " + claims.tenantId() + ", but the configuration names tenant "
              + tenant.get())
          .fix("Use the Directory (tenant) ID of the tenant that holds the mailbox")
          .build());
    }
    if (claims.appOnly()) {
      Set<String> roles = claims.roles();
      if (roles.stream().noneMatch(requirement.anyRole()::contains)) {
        String needed = String.join(" or ", new TreeSet<>(requirement.anyRole()));
        boolean none = roles.isEmpty();
        return Optional.of(Diagnosis.builder(none ? SetupStep.ADMIN_CONSENT : SetupStep.APPLICATION_PERMISSION,
                "preflight:roles")
            .summary("The app-only token has " + (none ? "no application permissions (roles)" : "roles " + new TreeSet<>(roles))
                + " but " + requirement.name() + " needs " + needed)
            .fix("Add " + requirement.resource().displayName() + " > Application permissions > " + needed
                + " under API permissions, then Grant admin consent for the tenant")
            .build());
      }
    } else {
      Set<String> scopes = claims.scopes();
      if (scopes.stream().noneMatch(requirement.anyScope()::contains)) {
        String needed = String.join(" or ", new TreeSet<>(requirement.anyScope()));
        return Optional.of(Diagnosis.builder(SetupStep.DELEGATED_PERMISSION, "preflight:scp")
            .summary("The user token has scopes " + new TreeSet<>(scopes) + " but " + requirement.name() + " needs "
                + needed)
            .fix("Add " + requirement.resource().displayName() + " > Delegated permissions > " + needed
                + " under API permissions and consent to it (Grant admin consent, or sign in again and accept)")
            .build());
      }
    }
    return Optional.empty();
  }

  /** Like {@link #check}, throwing the problem as a {@link MailboxAuthenticationException}. */
  public static void verify(AccessToken token, Requirement requirement, AppRegistration app) {
    Optional<Diagnosis> problem = check(token, requirement, app);
    if (problem.isPresent()) {
      throw new MailboxAuthenticationException(problem.get(), null);
    }
  }

  private static Optional<Diagnosis> checkAudience(TokenClaims claims, Requirement requirement, AppRegistration app) {
    String aud = claims.audience().toLowerCase(Locale.ROOT);
    while (aud.endsWith("/")) {
      aud = aud.substring(0, aud.length() - 1);
    }
    Cloud cloud = app.cloud();
    boolean graph = GRAPH_IDS.contains(aud) || aud.equals(cloud.graphEndpoint().toString().toLowerCase(Locale.ROOT))
        || aud.equals("https://graph.microsoft.com");
    boolean exchange = EXCHANGE_IDS.contains(aud) || aud.equals(cloud.exchangeResource().toLowerCase(Locale.ROOT))
        || aud.equals(cloud.exchangeDelegatedResource().toLowerCase(Locale.ROOT));
    boolean ok = requirement.resource() == Resource.MICROSOFT_GRAPH ? graph : exchange;
    if (ok) {
      return Optional.empty();
    }
    String what = graph ? "Microsoft Graph" : exchange ? "Exchange Online" : "'" + claims.audience() + "'";
    String want = requirement.resource() == Resource.MICROSOFT_GRAPH
        ? Resource.MICROSOFT_GRAPH.appOnlyScope(cloud) + " (app-only) or " + cloud.graphEndpoint() + "/Mail.ReadWrite (delegated)"
        : Resource.EXCHANGE_ONLINE.appOnlyScope(cloud) + " (app-only) or " + cloud.exchangeDelegatedResource()
            + "/IMAP.AccessAsUser.All (delegated)";
    return Optional.of(Diagnosis.builder(SetupStep.SCOPES, "preflight:aud")
        .summary("The token's audience is " + what + " but the connector is " + requirement.name())
        .fix("Ask for a token for " + requirement.resource().displayName() + ": scope " + want)
        .build());
  }

}
