package org.o365mail.setup;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.o365mail.SetupStep;
import org.o365mail.auth.AccountTypes;

/**
 * The portal and Exchange steps an admin must do for a sign-in flow and a protocol, in the order of the vendor
 * guides, with the permissions (delegated or application, on which API), whether admin consent is needed, and
 * the Exchange Online PowerShell where it applies. For an admin console's "how to set this up" page and for
 * {@code o365mail setup}.
 */
public final class SetupGuide {
  /** The sign-in flow. */
  public enum Flow {
    CLIENT_SECRET,
    CLIENT_CERTIFICATE,
    USERNAME_PASSWORD,
    DEVICE_CODE,
    INTERACTIVE;

    public boolean appOnly() {
      return this == CLIENT_SECRET || this == CLIENT_CERTIFICATE;
    }

    public static Flow parse(String text) {
      String t = requireNonNull(text, "flow").trim().toLowerCase(Locale.ROOT).replace('_', '-');
      return switch (t) {
        case "client-secret", "client-credentials", "secret" -> CLIENT_SECRET;
        case "client-certificate", "certificate" -> CLIENT_CERTIFICATE;
        case "username-password", "password", "ropc" -> USERNAME_PASSWORD;
        case "device-code", "device" -> DEVICE_CODE;
        case "interactive", "browser" -> INTERACTIVE;
        default -> throw new IllegalArgumentException("flow '" + text + "' is not one of client-secret,"
            + " client-certificate, username-password, device-code, interactive");
      };
    }
  }

  /** How the mailbox is reached. */
  public enum Protocol {
    /** Microsoft Graph: read and write mail. */
    GRAPH,
    /** IMAP to read, SMTP AUTH to send. */
    IMAP,
    /** Sending only, through Graph {@code sendMail}. */
    GRAPH_SEND,
    /** Sending only, through SMTP AUTH. */
    SMTP;

    public static Protocol parse(String text) {
      String t = requireNonNull(text, "protocol").trim().toLowerCase(Locale.ROOT).replace('_', '-');
      return switch (t) {
        case "graph" -> GRAPH;
        case "imap" -> IMAP;
        case "graph-send", "send" -> GRAPH_SEND;
        case "smtp" -> SMTP;
        default -> throw new IllegalArgumentException("protocol '" + text + "' is not one of graph, imap, graph-send, smtp");
      };
    }
  }

  /**
   * One thing to do.
   *
   * @param step the setup step it belongs to
   * @param title its heading: the step's title, or a narrower one where a step has several instructions, so that no
   *     two instructions of a guide share a heading
   * @param text what to do, in the portal's words
   * @param command the PowerShell to run, when there is one
   */
  public record Instruction(SetupStep step, String title, String text, Optional<String> command) {
    public Instruction {
      requireNonNull(step, "step");
      requireNonNull(title, "title");
      requireNonNull(text, "text");
      requireNonNull(command, "command");
    }

    @Override
    public String toString() {
      return "Instruction[step=" + step + ", title=" + title + ", text=" + text + ", command=" + command.orElse(null)
          + "]";
    }
  }

  /** An instruction headed by its step's title; {@code command} {@code null} when there is none. */
  private static Instruction instruction(SetupStep step, String text, String command) {
    return instruction(step, step.title(), text, command);
  }

  private static Instruction instruction(SetupStep step, String title, String text, String command) {
    return new Instruction(step, title, text, Optional.ofNullable(command));
  }

  private SetupGuide() {}

  /** The instructions for {@code flow} and {@code protocol} with these supported account types. */
  public static List<Instruction> instructions(Flow flow, Protocol protocol, AccountTypes accountTypes) {
    requireNonNull(flow, "flow");
    requireNonNull(protocol, "protocol");
    requireNonNull(accountTypes, "accountTypes");
    if (accountTypes == AccountTypes.PERSONAL_ONLY) {
      throw new IllegalArgumentException("personal Microsoft accounts only cannot reach Microsoft 365 mailboxes;"
          + " choose single tenant or multitenant");
    }
    if (flow.appOnly() && accountTypes == AccountTypes.MULTI_TENANT_AND_PERSONAL) {
      throw new IllegalArgumentException("app-only access needs a tenant id, which an app for personal accounts"
          + " leaves blank: register it for organizational accounts (single tenant or multitenant)");
    }
    List<Instruction> list = new ArrayList<>();
    list.add(instruction(SetupStep.REGISTER_APP, "Entra admin center > App registrations > New registration."
        + " Name it after the product. Copy the Application (client) ID from Overview.", null));
    list.add(instruction(SetupStep.SUPPORTED_ACCOUNT_TYPES, accountTypesText(accountTypes, flow), null));
    if (flow == Flow.INTERACTIVE) {
      list.add(instruction(SetupStep.REDIRECT_URI, "Authentication > Add a platform > Mobile and desktop"
          + " applications > redirect URI http://localhost (any port matches; do not register it under Web, or Entra"
          + " ID will ask for a secret).", null));
    }
    // only device code, username/password and integrated Windows auth need it, not the interactive (auth code +
    // PKCE) sign-in: https://learn.microsoft.com/en-us/entra/identity-platform/scenario-desktop-app-registration
    // ("To distinguish device code flow, integrated Windows authentication, and a username and a password from a
    // confidential client application ... Allow public client flows")
    if (flow == Flow.DEVICE_CODE || flow == Flow.USERNAME_PASSWORD) {
      list.add(instruction(SetupStep.ALLOW_PUBLIC_CLIENT_FLOWS, "Authentication > Advanced settings > Allow"
          + " public client flows = Yes > Save" + (flow == Flow.USERNAME_PASSWORD ? " (username/password is"
          + " deprecated by Microsoft and fails for users with MFA; prefer device code)." : "."), null));
    }
    if (flow == Flow.CLIENT_SECRET) {
      list.add(instruction(SetupStep.CLIENT_SECRET, "Certificates & secrets > Client secrets > New client secret:"
          + " choose Expires (at most 24 months), then copy the Value at once (not the Secret ID); note the end date"
          + " so its expiry can be tracked, and create the next one before it ends.", null));
    }
    if (flow == Flow.CLIENT_CERTIFICATE) {
      list.add(instruction(SetupStep.CERTIFICATE, "Certificates & secrets > Certificates > Upload certificate:"
          + " the public part (.cer/.pem) of the key pair the product holds (PKCS#12 or PEM).", null));
    }
    boolean graph = protocol == Protocol.GRAPH || protocol == Protocol.GRAPH_SEND;
    String api = graph ? "Microsoft Graph" : "APIs my organization uses > Office 365 Exchange Online";
    String permissions = permissions(flow, protocol);
    SetupStep permissionStep = flow.appOnly() ? SetupStep.APPLICATION_PERMISSION : SetupStep.DELEGATED_PERMISSION;
    list.add(instruction(permissionStep, permissionStep.title() + (graph ? "" : " on Office 365 Exchange Online"),
        "API permissions > Add a permission > " + api + " > " + (flow.appOnly() ? "Application" : "Delegated")
            + " permissions: " + permissions + ".", null));
    if (!flow.appOnly() && !graph) {
      // offline_access is an OpenID Connect scope: the portal lists it under Microsoft Graph > Delegated
      // permissions > OpenId permissions, not under the Exchange Online API
      // (https://learn.microsoft.com/en-us/entra/identity-platform/scopes-oidc#openid-connect-scopes)
      list.add(instruction(SetupStep.DELEGATED_PERMISSION, "Delegated permission offline_access (Microsoft Graph)",
          "API permissions > Add a permission > Microsoft Graph > Delegated permissions > OpenId permissions:"
              + " offline_access, so the sign-in keeps a refresh token.", null));
    }
    boolean adminConsent = flow.appOnly() || flow == Flow.USERNAME_PASSWORD || permissions.contains(".Shared");
    list.add(instruction(SetupStep.ADMIN_CONSENT, adminConsent
        ? "API permissions > Grant admin consent for <tenant> (needed: "
            + (flow.appOnly() ? "application permissions always need an admin" : "a non-interactive sign-in cannot"
            + " show the consent prompt") + ")."
        : "Consent: each user accepts at first sign-in, or an admin uses Grant admin consent for <tenant> to spare"
            + " them the prompt.", null));
    if (flow.appOnly() && (protocol == Protocol.IMAP || protocol == Protocol.SMTP)) {
      list.add(instruction(SetupStep.EXCHANGE_SERVICE_PRINCIPAL, "Exchange Online PowerShell: register the app's"
          + " service principal, using the Object ID shown under Enterprise applications (not the app registration's"
          + " Object ID).", "Connect-ExchangeOnline; New-ServicePrincipal -AppId <Application (client) ID> -ObjectId"
          + " <Enterprise application Object ID>"));
      list.add(instruction(SetupStep.MAILBOX_PERMISSION, "Exchange Online PowerShell: give the service principal"
          + " access to each mailbox it reads.", "Add-MailboxPermission -Identity <mailbox> -User <service principal"
          + " Object ID> -AccessRights FullAccess"));
    }
    if (flow.appOnly() && (protocol == Protocol.GRAPH || protocol == Protocol.GRAPH_SEND)) {
      list.add(instruction(SetupStep.APPLICATION_ACCESS_POLICY, "Optional but advised: application permissions"
          + " reach every mailbox of the tenant; limit the app to the mailboxes it needs with RBAC for Applications"
          + " (or an application access policy).", "New-ApplicationAccessPolicy -AppId <Application (client) ID>"
          + " -PolicyScopeGroupId <mail-enabled security group> -AccessRight RestrictAccess"));
    }
    if (protocol == Protocol.IMAP) {
      list.add(instruction(SetupStep.MAILBOX_PROTOCOL, "IMAP enabled for the mailbox", "Make sure IMAP is enabled for the mailbox (Microsoft 365"
          + " admin center > Users > Mail > Manage email apps).", "Set-CASMailbox -Identity <mailbox> -ImapEnabled $true"));
    }
    if (protocol == Protocol.IMAP || protocol == Protocol.SMTP) {
      list.add(instruction(SetupStep.MAILBOX_PROTOCOL, "SMTP AUTH enabled for the mailbox", "For sending over SMTP, SMTP AUTH must be on for the"
          + " mailbox (it is off by default in new tenants).",
          "Set-CASMailbox -Identity <mailbox> -SmtpClientAuthenticationDisabled $false"));
    }
    // every protocol sends: over IMAP's connector through SMTP
    list.add(instruction(SetupStep.SEND_AS_PERMISSION, "Only to send with a From address other than the"
        + " mailbox's own: give the " + (flow.appOnly() ? "mailbox the app sends through" : "signing-in user")
        + " Send As on that address (Exchange admin center > Recipients > Mailboxes > Delegation > Send as).",
        "Add-RecipientPermission -Identity <From address> -Trustee <" + (flow.appOnly()
            ? "sending mailbox" : "user") + "> -AccessRights SendAs"));
    list.add(instruction(SetupStep.MAX_SEND_SIZE, "Exchange Online refuses a message larger than the sending"
        + " mailbox's MaxSendSize (35 MB by default, at most 150 MB); raise it if the product sends larger mail.",
        "Set-Mailbox -Identity <mailbox> -MaxSendSize 150MB"));
    if (!flow.appOnly() && (protocol == Protocol.GRAPH || protocol == Protocol.IMAP)) {
      list.add(instruction(SetupStep.MAILBOX_PERMISSION, "For a shared mailbox, the signing-in user needs Full"
          + " Access to it" + (protocol == Protocol.GRAPH ? " and the app the .Shared permissions" : "") + ".",
          "Add-MailboxPermission -Identity <shared mailbox> -User <user> -AccessRights FullAccess"));
    }
    return List.copyOf(list);
  }

  static String permissions(Flow flow, Protocol protocol) {
    boolean app = flow.appOnly();
    return switch (protocol) {
      case GRAPH -> app ? "Mail.ReadWrite, Mail.Send" : "Mail.ReadWrite, Mail.Send, User.Read, offline_access"
          + " (Mail.ReadWrite.Shared and Mail.Send.Shared for shared mailboxes)";
      case GRAPH_SEND -> app ? "Mail.Send" : "Mail.Send, User.Read, offline_access";
      case IMAP -> app ? "IMAP.AccessAsApp, SMTP.SendAsApp" : "IMAP.AccessAsUser.All, SMTP.Send";
      case SMTP -> app ? "SMTP.SendAsApp" : "SMTP.Send";
    };
  }

  private static String accountTypesText(AccountTypes types, Flow flow) {
    String base = switch (types) {
      case SINGLE_TENANT -> "Supported account types: Accounts in this organizational directory only. Configure both"
          + " the Client ID and the Directory (tenant) ID.";
      case MULTI_TENANT -> "Supported account types: Accounts in any organizational directory. The tenant ID is"
          + " optional for user sign-ins (they go through /organizations).";
      case MULTI_TENANT_AND_PERSONAL -> "Supported account types: Accounts in any organizational directory and"
          + " personal Microsoft accounts. Leave the tenant ID blank (sign-ins go through /common, or through"
          + " /consumers for personal accounts only).";
      case PERSONAL_ONLY -> "Personal Microsoft accounts only is not supported.";
    };
    if (flow.appOnly() && types != AccountTypes.SINGLE_TENANT) {
      base += " App-only access still needs the customer's tenant ID, and an admin of that tenant must consent.";
    }
    return base;
  }
}
