package org.o365mail.graph;

import com.microsoft.graph.models.AssignedPlan;
import com.microsoft.graph.models.MailboxSettings;
import com.microsoft.graph.models.User;
import com.microsoft.graph.models.UserPurpose;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.o365mail.Diagnosis;
import org.o365mail.SetupStep;
import org.o365mail.auth.Resource;
import org.o365mail.auth.TokenRequest;
import org.o365mail.graph.DirectoryReads.Answer;
import org.o365mail.doctor.DoctorProbe.Finding;
import org.o365mail.graph.internal.GraphCall;

/**
 * The {@link GraphDoctorProbe}'s look at the mailbox: whether the address is a user or mailbox of the tenant at all
 * (by user principal name, then by mail and proxy addresses), whether that user has an Exchange Online mailbox, whether
 * it is a shared one, and for a signed-in user whether they may open it. One per look, used by one thread.
 */
final class MailboxLook {
  private final DirectoryReads reads;
  /** Graph's code for the mailbox settings, once read ("" when read or not refused with a code). */
  private String settingsCode = "";

  MailboxLook(DirectoryReads reads) {
    this.reads = reads;
  }

  Optional<Finding> mailbox(Diagnosis failure, String address) {
    // a user may read their own profile, assignedPlans included, with User.Read, which new registrations carry by
    // default (https://learn.microsoft.com/en-us/graph/permissions-reference#userread,
    // https://learn.microsoft.com/en-us/entra/identity-platform/quickstart-configure-app-access-web-apis); anyone
    // else's needs User.Read.All
    boolean ownAddress = !reads.appOnly() && reads.signedInUser().map(address::equalsIgnoreCase).orElse(false);
    Answer<User> user = reads.read("GET /users/" + address,
        TokenRequest.graph(ownAddress ? "User.Read" : "User.Read.All"),
        t -> t.client().users().byUserId(address).get(rc -> {
          rc.queryParameters.select = new String[] {"id", "userPrincipalName", "mail", "accountEnabled",
              "assignedPlans"};
          rc.options.add(GraphCall.DIRECTORY);
        }));
    User u = user.value();
    if (user.status() == 404) {
      // /users/{id} takes an object id or user principal name only
      // (https://learn.microsoft.com/en-us/graph/api/user-get); a mailbox's SMTP address or alias that is not
      // also a UPN is looked for among mail and proxyAddresses
      // (https://learn.microsoft.com/en-us/graph/aad-advanced-queries: both filter with eq by default)
      String quoted = address.replace("'", "''");
      Answer<List<User>> byAddress = reads.read(
          "GET /users?$filter=mail eq '" + address + "' or proxyAddresses/any",
          TokenRequest.graph("User.Read.All"), t -> t.client().users().get(rc -> {
            rc.queryParameters.filter = "mail eq '" + quoted + "' or proxyAddresses/any(p:p eq 'smtp:" + quoted
                + "')";
            rc.queryParameters.select = new String[] {"id", "userPrincipalName", "mail", "accountEnabled",
                "assignedPlans"};
            rc.options.add(GraphCall.DIRECTORY);
          }).getValue());
      if (byAddress.value() != null && !byAddress.value().isEmpty()) {
        u = byAddress.value().get(0);
      } else {
        return Optional.of(new Finding(reads.evidence(), Diagnosis.builder(SetupStep.MAILBOX, user.code())
            .summary("No user or mailbox '" + address + "' exists in this tenant, so the failure is the address,"
                + " not a permission")
            .fix("Correct the mailbox address: the user principal name or primary SMTP address of a mailbox of"
                + " this tenant")
            .command("Get-Recipient -Identity " + address).build()));
      }
    }
    if (u == null) {
      return ownTokenLook(failure, address);
    }
    List<AssignedPlan> plans = u.getAssignedPlans();
    boolean exchangePlan = plans != null && plans.stream().anyMatch(p -> "exchange".equalsIgnoreCase(p.getService())
        && "Enabled".equalsIgnoreCase(p.getCapabilityStatus()));
    Optional<Boolean> shared = sharedMailbox(address, u);
    boolean noMailbox = u.getMail() == null && plans != null && !exchangePlan && !shared.orElse(false)
        || "MailboxNotEnabledForRESTAPI".equals(settingsCode);
    if (noMailbox) {
      // assignedPlans lists the services a user is licensed for; no enabled "exchange" plan and no mail address:
      // no Exchange Online mailbox (https://learn.microsoft.com/en-us/graph/api/resources/assignedplan); and
      // Exchange answers MailboxNotEnabledForRESTAPI for the mailbox settings of a user without one
      // (https://github.com/microsoftgraph/msgraph-sdk-javascript/issues/1756)
      return Optional.of(new Finding(reads.evidence(), Diagnosis.builder(SetupStep.MAILBOX, "NoExchangeLicence")
          .summary("User " + address + " exists but has no Exchange Online licence, so no mailbox")
          .fix("Assign the user a licence that includes Exchange Online (Microsoft 365 admin center > Users >"
              + " Active users > Licenses and apps), then wait for the mailbox to be provisioned")
          .command("Get-Mailbox -Identity " + address).build()));
    }
    boolean mailboxStep = failure.setupStep() == SetupStep.MAILBOX
        || failure.setupStep() == SetupStep.MAILBOX_PERMISSION;
    if (!reads.appOnly() && mailboxStep) {
      String who = reads.signedInUser().orElse("<user>");
      String kind = shared.orElse(false) ? "the shared mailbox " : "the mailbox ";
      return Optional.of(new Finding(reads.evidence(), Diagnosis.builder(SetupStep.MAILBOX_PERMISSION,
              failure.serviceCode())
          .summary(kind + address + " exists; the signed-in user " + who + " has no access to it")
          .fix("Give " + who + " FullAccess to " + address + (shared.orElse(false) ? " (a shared mailbox is"
              + " opened through FullAccess)" : "") + "; permission changes can take up to an hour to apply")
          .command("Add-MailboxPermission -Identity " + address + " -User " + who + " -AccessRights FullAccess")
          .build()));
    }
    return Optional.empty();
  }

  /**
   * Whether the mailbox is a shared one: {@code mailboxSettings.userPurpose} says so
   * (https://learn.microsoft.com/en-us/graph/api/resources/mailboxsettings); without permission to read it, a
   * disabled account with a mail address is the shape Exchange gives a shared mailbox's user object
   * (https://learn.microsoft.com/en-us/microsoft-365/admin/email/about-shared-mailboxes).
   */
  private Optional<Boolean> sharedMailbox(String address, User u) {
    Answer<MailboxSettings> settings = reads.read("GET /users/" + address + "/mailboxSettings",
        TokenRequest.graph("MailboxSettings.Read"), t -> t.client().users().byUserId(address).mailboxSettings()
            .get(rc -> {
              rc.queryParameters.select = new String[] {"userPurpose"};
              rc.options.add(GraphCall.DIRECTORY);
            }));
    settingsCode = settings.code();
    if (settings.value() != null && settings.value().getUserPurpose() != null) {
      return Optional.of(settings.value().getUserPurpose() == UserPurpose.Shared);
    }
    if (u.getAccountEnabled() != null && u.getMail() != null) {
      return Optional.of(!u.getAccountEnabled());
    }
    return Optional.empty();
  }

  /**
   * When the directory may not be read with a user's token: the mailbox asked for with the user's own mail
   * permission (no {@code .Shared}). Another user's existing mailbox then answers 403 {@code ErrorAccessDenied}
   * (https://github.com/microsoftgraph/microsoft-graph-explorer-v4/issues/3786,
   * https://github.com/microsoftgraph/microsoft-graph-docs/issues/9429) and an address no mailbox has the store's
   * 404 {@code ErrorItemNotFound} (https://github.com/O365/python-o365/issues/170): so a 404 here is the address,
   * and a failed {@code .Shared} token or a not-found with one was never the permission.
   */
  private Optional<Finding> ownTokenLook(Diagnosis failure, String address) {
    if (reads.appOnly()) {
      return Optional.empty();
    }
    Set<String> own = new LinkedHashSet<>();
    for (String p : reads.context().tokenRequest().permissions()) {
      own.add(p.endsWith(".Shared") ? p.substring(0, p.length() - ".Shared".length()) : p);
    }
    boolean sharedAsked = !own.equals(reads.context().tokenRequest().permissions());
    if (reads.context().tokenRequest().resource() != Resource.MICROSOFT_GRAPH
        || !(sharedAsked || failure.setupStep() == SetupStep.MAILBOX)) {
      return Optional.empty();
    }
    if (own.isEmpty()) {
      own.add("Mail.Read");
    }
    Answer<com.microsoft.graph.models.MailFolder> inbox = reads.read("GET /users/" + address
            + "/mailFolders/inbox with the user's own " + String.join(" ", own),
        TokenRequest.graph(own.toArray(String[]::new)), t -> t.client().users().byUserId(address).mailFolders()
            .byMailFolderId("inbox").get(rc -> {
              rc.queryParameters.select = new String[] {"id"};
              rc.options.add(GraphCall.DIRECTORY);
            }));
    if (inbox.status() == 404) {
      return Optional.of(new Finding(reads.evidence(), Diagnosis.builder(SetupStep.MAILBOX, inbox.code())
          .summary("Graph finds no mailbox '" + address + "' for the signed-in user even with their own"
              + " permission (another user's mailbox answers 403 there): the address is wrong, not a permission")
          .fix("Correct the mailbox address (the signed-in user's own is " + reads.signedInUser().orElse("unknown")
              + "); no .Shared permission is needed for one's own mailbox")
          .command("Get-Recipient -Identity " + address).build()));
    }
    if (inbox.status() == 403 && failure.setupStep() == SetupStep.MAILBOX) {
      String who = reads.signedInUser().orElse("<user>");
      return Optional.of(new Finding(reads.evidence(), Diagnosis.builder(SetupStep.MAILBOX_PERMISSION,
              failure.serviceCode())
          .summary("Mailbox " + address + " exists (it answers 403, not 404, to the user's own permission); the"
              + " signed-in user " + who + " may not open it")
          .fix("Give " + who + " FullAccess to " + address + "; permission changes can take up to an hour")
          .command("Add-MailboxPermission -Identity " + address + " -User " + who + " -AccessRights FullAccess")
          .build()));
    }
    return Optional.empty();
  }
}
