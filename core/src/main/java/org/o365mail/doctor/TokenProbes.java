package org.o365mail.doctor;

import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.o365mail.Diagnosis;
import org.o365mail.MailboxException;
import org.o365mail.SetupStep;
import org.o365mail.auth.AccessToken;
import org.o365mail.auth.CredentialKind;
import org.o365mail.auth.Resource;
import org.o365mail.auth.TokenClaims;
import org.o365mail.auth.TokenPreflight;
import org.o365mail.auth.TokenRequest;

/**
 * The probes the {@link ConnectionDoctor} runs by itself after a failed token check: they ask the connection's own
 * credential for other tokens of the same tenant (never send a token anywhere else) and compare what comes back.
 */
final class TokenProbes {
  /** The code Entra ID answers when the user or admin has not consented (the same for "not added"). */
  static final String CONSENT_CODE = "AADSTS65001";

  private TokenProbes() {}

  /**
   * AADSTS65001 for a delegated token: "permission not added" or "not consented"? Entra ID answers both the same
   * for a sign-in that cannot show a consent prompt. A token for the resource's {@code /.default} scope carries the
   * permissions that are consented for the app (static consent: "will contain all permissions that have been
   * granted", https://learn.microsoft.com/en-us/answers/questions/1188617 and
   * https://learn.microsoft.com/en-us/entra/identity-platform/scopes-oidc#the-default-scope); when that token is
   * refused with AADSTS65001 as well, nothing of that API is consented.
   */
  static DoctorProbe consent() {
    return (failure, context) -> {
      if (!CONSENT_CODE.equals(failure.serviceCode()) || context.credential().kind() != CredentialKind.DELEGATED) {
        return Optional.empty();
      }
      Resource resource = context.tokenRequest().resource();
      String api = resource.displayName();
      String clientId = context.registration().clientId();
      Set<String> needed = new TreeSet<>(context.tokenRequest().permissions());
      String grantsCommand = "Get-MgServicePrincipal -Filter \"appId eq '" + clientId + "'\" | ForEach-Object {"
          + " Get-MgOauth2PermissionGrant -Filter \"clientId eq '$($_.Id)'\" }";
      String addedCommand = "(Get-MgApplication -Filter \"appId eq '" + clientId + "'\").RequiredResourceAccess";
      AccessToken all;
      try {
        all = context.credential().token(TokenRequest.of(resource));
      } catch (MailboxException e) {
        if (!e.diagnosis().map(d -> CONSENT_CODE.equals(d.serviceCode())).orElse(false)) {
          return Optional.empty();
        }
        // nothing of this API is consented. If the other API's .default is (admin consent grants every configured
        // permission at once), consent was given and this API's permission is the one missing from the registration
        Resource other = resource == Resource.MICROSOFT_GRAPH ? Resource.EXCHANGE_ONLINE : Resource.MICROSOFT_GRAPH;
        Optional<Set<String>> otherConsented = consentedScopes(context, other);
        if (otherConsented.isPresent() && !otherConsented.get().isEmpty()) {
          Diagnosis d = Diagnosis.builder(SetupStep.DELEGATED_PERMISSION, CONSENT_CODE)
              .summary("App " + clientId + " is consented for " + other.displayName() + " " + otherConsented.get()
                  + " but for nothing of " + api + ": " + String.join(", ", needed) + " is not among its API"
                  + " permissions")
              .fix("Add " + api + " > Delegated permissions > " + String.join(", ", needed) + " under API"
                  + " permissions, then Grant admin consent for the tenant")
              .command(addedCommand)
              .alternative(Diagnosis.builder(SetupStep.ADMIN_CONSENT, CONSENT_CODE)
                  .summary(String.join(", ", needed) + " was added after admin consent was granted")
                  .fix("Grant admin consent for the tenant again under API permissions")
                  .command(grantsCommand).build())
              .build();
          return Optional.of(new DoctorProbe.Finding("token for " + api + " .default: AADSTS65001; for "
              + other.displayName() + " .default: scp " + otherConsented.get(), d));
        }
        Diagnosis d = Diagnosis.builder(SetupStep.ADMIN_CONSENT, CONSENT_CODE)
            .summary("Nothing of " + api + " is consented for app " + clientId + ": a token for its .default scope"
                + " is refused with AADSTS65001 too")
            .fix("Grant admin consent for the tenant under API permissions (or sign in interactively and accept"
                + " the consent prompt)")
            .command(grantsCommand)
            .alternative(Diagnosis.builder(SetupStep.DELEGATED_PERMISSION, CONSENT_CODE)
                .summary("No delegated permission of " + api + " was added to app " + clientId)
                .fix("Add " + api + " > Delegated permissions > " + String.join(", ", needed)
                    + " under API permissions, then Grant admin consent")
                .command(addedCommand).build())
            .build();
        return Optional.of(new DoctorProbe.Finding("token for " + api + " .default: AADSTS65001 as well", d));
      }
      Set<String> consented;
      try {
        consented = new TreeSet<>(all.claims().scopes());
      } catch (IllegalArgumentException opaque) {
        return Optional.empty();
      }
      Set<String> missing = new TreeSet<>(needed);
      missing.removeAll(consented);
      if (missing.isEmpty()) {
        return Optional.empty();
      }
      String names = String.join(", ", missing);
      Diagnosis.Builder d = Diagnosis.builder(SetupStep.DELEGATED_PERMISSION, CONSENT_CODE)
          .summary("App " + clientId + " is consented for " + api + " " + consented + " but not for " + names
              + ": it is not among the app's API permissions")
          .fix("Add " + api + " > Delegated permissions > " + names + " under API permissions, then Grant admin"
              + " consent for the tenant")
          .command(addedCommand)
          .alternative(Diagnosis.builder(SetupStep.ADMIN_CONSENT, CONSENT_CODE)
              .summary(names + " was added after admin consent was granted (API permissions shows it 'Not granted')")
              .fix("Grant admin consent for the tenant again under API permissions")
              .command(grantsCommand).build());
      if (sendsOnly(consented) && missing.stream().noneMatch(SEND_SCOPES::contains)) {
        // an ImageManager-style app (delegated Mail.Send only) checked as a reader: its guide never asks for more
        d.alternative(Diagnosis.builder(SetupStep.SCOPES, CONSENT_CODE)
            .summary("App " + clientId + " is set up to send only (" + consented + "); a connection that only sends"
                + " needs no " + names)
            .fix("If this connection only sends, check it as one: ConnectionDoctor.Builder.use(SEND) (o365mail:"
                + " <connection>.use = send)")
            .build());
      }
      return Optional.of(new DoctorProbe.Finding("token for " + api + " .default: scp " + consented, d.build()));
    };
  }

  /**
   * An app-only token without the role the connector needs: added under the other API, or not consented? Asks the
   * credential for a token of the other API ({@code .default}) and compares its {@code roles}: Office 365 Exchange
   * Online and Microsoft Graph both list Mail.Read/Mail.Send application permissions, and IMAP/SMTP need theirs
   * under Office 365 Exchange Online ("APIs my organization uses",
   * https://learn.microsoft.com/en-us/exchange/client-developer/legacy-protocols/how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth#add-the-pop-imap-or-smtp-permissions-to-your-microsoft-entra-application).
   *
   * @param requirementOf the requirement of the failed check, by check name (null when the check has none)
   */
  static DoctorProbe wrongApi(Function<String, TokenPreflight.Requirement> requirementOf) {
    return (failure, context) -> {
      TokenPreflight.Requirement requirement = requirementOf.apply(context.check());
      if (requirement == null || !"preflight:roles".equals(failure.serviceCode()) || context.token().isEmpty()) {
        return Optional.empty();
      }
      Set<String> here;
      try {
        TokenClaims claims = context.token().get().claims();
        if (!claims.appOnly()) {
          return Optional.empty();
        }
        here = claims.roles();
      } catch (IllegalArgumentException opaque) {
        return Optional.empty();
      }
      Resource right = requirement.resource();
      Resource wrong = right == Resource.MICROSOFT_GRAPH ? Resource.EXCHANGE_ONLINE : Resource.MICROSOFT_GRAPH;
      Set<String> there;
      try {
        there = new TreeSet<>(context.credential().token(TokenRequest.of(wrong)).claims().roles());
      } catch (MailboxException | IllegalArgumentException e) {
        return Optional.empty();
      }
      String clientId = context.registration().clientId();
      String needed = String.join(" or ", new TreeSet<>(requirement.anyRole()));
      String rolesCommand = "Get-MgServicePrincipal -Filter \"appId eq '" + clientId + "'\" | ForEach-Object {"
          + " Get-MgServicePrincipalAppRoleAssignment -ServicePrincipalId $_.Id }";
      String add = "Add " + where(right) + " > Application permissions > " + needed + " under API permissions, then"
          + " Grant admin consent";
      String evidence = "app-only token for " + wrong.displayName() + ": roles " + there;
      Set<String> misplaced = new TreeSet<>(there);
      misplaced.retainAll(requirement.anyRole());
      boolean mailLike = there.stream().anyMatch(TokenProbes::mailRole);
      if (!misplaced.isEmpty() || (here.isEmpty() && mailLike)) {
        String what = misplaced.isEmpty() ? String.join(", ", there) : String.join(", ", misplaced);
        Diagnosis.Builder d = Diagnosis.builder(SetupStep.APPLICATION_PERMISSION, "preflight:roles")
            .summary("The application permission " + what + " is added under " + wrong.displayName() + ", but "
                + requirement.name() + " needs " + needed + " under " + right.displayName() + " (its token has "
                + (here.isEmpty() ? "no roles" : "roles " + new TreeSet<>(here)) + ")")
            .fix("Added under " + wrong.displayName() + "; add " + needed + " under " + where(right) + " (API permissions"
                + " > Add a permission > Application permissions), then Grant admin consent; remove " + what
                + " under " + wrong.displayName() + " if nothing else needs it")
            .command(rolesCommand);
        if (misplaced.isEmpty()) {
          d.alternative(Diagnosis.builder(SetupStep.ADMIN_CONSENT, "preflight:roles")
              .summary(needed + " is added under " + right.displayName() + " but not consented")
              .fix("Grant admin consent for the tenant under API permissions").command(rolesCommand).build());
        }
        return Optional.of(new DoctorProbe.Finding(evidence, d.build()));
      }
      if (here.isEmpty()) {
        Diagnosis d = Diagnosis.builder(SetupStep.ADMIN_CONSENT, "preflight:roles")
            .summary("No application permission of app " + clientId + " is consented: tokens for " + right.displayName()
                + (there.isEmpty() ? " and " + wrong.displayName() + " both have no roles"
                    : " have no roles (" + wrong.displayName() + ": " + there + ")"))
            .fix("Grant admin consent for the tenant under API permissions")
            .command(rolesCommand)
            .alternative(Diagnosis.builder(SetupStep.APPLICATION_PERMISSION, "preflight:roles")
                .summary(needed + " was never added under " + right.displayName())
                .fix(add)
                .command("(Get-MgApplication -Filter \"appId eq '" + clientId + "'\").RequiredResourceAccess")
                .build())
            .build();
        return Optional.of(new DoctorProbe.Finding(evidence, d));
      }
      return Optional.empty();
    };
  }

  /** The scopes of the API's {@code .default} token (empty: refused with AADSTS65001); empty optional: unknown. */
  private static Optional<Set<String>> consentedScopes(DoctorProbe.Context context, Resource resource) {
    try {
      return Optional.of(new TreeSet<>(context.credential().token(TokenRequest.of(resource)).claims().scopes()));
    } catch (MailboxException e) {
      return e.diagnosis().filter(d -> CONSENT_CODE.equals(d.serviceCode())).map(d -> Set.<String>of());
    } catch (IllegalArgumentException opaque) {
      return Optional.empty();
    }
  }

  private static final Set<String> SEND_SCOPES = Set.of("Mail.Send", "Mail.Send.Shared", "SMTP.Send");

  /** Whether consented delegated scopes allow sending and nothing of reading mail. */
  private static boolean sendsOnly(Set<String> consented) {
    Set<String> harmless = Set.of("User.Read", "openid", "profile", "email", "offline_access");
    return consented.stream().anyMatch(SEND_SCOPES::contains)
        && consented.stream().allMatch(s -> SEND_SCOPES.contains(s) || harmless.contains(s));
  }

  private static boolean mailRole(String role) {
    return role.startsWith("Mail.") || role.startsWith("IMAP.") || role.startsWith("SMTP.") || role.startsWith("POP.")
        || role.equals("full_access_as_app");
  }


  private static String where(Resource resource) {
    return resource == Resource.MICROSOFT_GRAPH ? "Microsoft Graph"
        : "Office 365 Exchange Online (APIs my organization uses)";
  }
}
