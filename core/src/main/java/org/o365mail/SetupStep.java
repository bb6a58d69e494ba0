package org.o365mail;

/**
 * The setup steps of the vendor guides (app registration in Entra ID, Exchange Online PowerShell, user and
 * mailbox administration), one of which every failure is traced back to. {@link #title()} is the step as an
 * admin knows it; {@link #where()} says where it is done.
 */
public enum SetupStep {
  REGISTER_APP("Register the application", "Entra admin center > App registrations: the Application (client) ID on Overview"),
  TENANT("Directory (tenant) ID and cloud", "App registration > Overview > Directory (tenant) ID"),
  SUPPORTED_ACCOUNT_TYPES("Supported account types", "App registration > Authentication > Supported account types"),
  CLIENT_SECRET("Client secret", "App registration > Certificates & secrets > Client secrets"),
  CERTIFICATE("Certificate", "App registration > Certificates & secrets > Certificates"),
  REDIRECT_URI("Platform and redirect URI",
      "App registration > Authentication > Platform configurations > Mobile and desktop applications"),
  ALLOW_PUBLIC_CLIENT_FLOWS("Allow public client flows",
      "App registration > Authentication > Advanced settings > Allow public client flows"),
  DELEGATED_PERMISSION("Delegated permission", "App registration > API permissions > Add a permission > Delegated permissions"),
  APPLICATION_PERMISSION("Application permission",
      "App registration > API permissions > Add a permission > Application permissions"),
  ADMIN_CONSENT("Admin consent", "App registration > API permissions > Grant admin consent for <tenant>"),
  EXCHANGE_SERVICE_PRINCIPAL("Exchange service principal", "Exchange Online PowerShell: New-ServicePrincipal"),
  MAILBOX_PERMISSION("Mailbox permission", "Exchange Online PowerShell: Add-MailboxPermission"),
  APPLICATION_ACCESS_POLICY("Application access policy",
      "Exchange Online PowerShell: Get-ApplicationAccessPolicy / RBAC for Applications"),
  SEND_AS_PERMISSION("Send As permission",
      "Exchange Online PowerShell: Add-RecipientPermission -AccessRights SendAs; Exchange admin center > Recipients >"
          + " Mailboxes > the From address > Delegation > Send as"),
  MAX_SEND_SIZE("Maximum send size",
      "Exchange Online PowerShell: Set-Mailbox -MaxSendSize (35 MB by default, at most 150 MB); Exchange admin center"
          + " > Recipients > Mailboxes > Mail flow settings > Message size restrictions"),
  MAILBOX_PROTOCOL("Mailbox protocol (IMAP, SMTP AUTH) enabled",
      "Microsoft 365 admin center > Users > Mail > Manage email apps; Set-CASMailbox, Set-TransportConfig"),
  MAILBOX("Mailbox address", "the mailbox configured in this SDK; Exchange admin center > Recipients"),
  MAILBOX_FOLDER("Mailbox folder", "the folders configured in this SDK (the folder read, a post-action's move"
      + " destination, parkFolder); create a missing one in Outlook or Outlook on the web"),
  USER_CREDENTIALS("User name and password", "the user name and password configured in this SDK"),
  USER_ACCOUNT("User account state", "Microsoft 365 admin center > Users > Active users"),
  CONDITIONAL_ACCESS("Conditional access and MFA", "Entra admin center > Protection > Conditional Access"),
  SIGN_IN_AGAIN("Sign in again", "run the interactive or device-code sign-in again"),
  TOKEN_STORE("Token store", "the token store directory (tokenStore) and its encryption key configured in this SDK"),
  SCOPES("Requested resource and scopes", "the scopes this SDK asks for (one resource per token)"),
  TRUST("Network and TLS trust", "the network path and the trusted certificates of this JVM or SDK configuration"),
  SERVICE("Microsoft service availability", "nothing to change: retry later"),
  UNKNOWN("Unrecognised failure", "see the service error code");

  private final String title;
  private final String where;

  SetupStep(String title, String where) {
    this.title = title;
    this.where = where;
  }

  /** The step as the guides name it, e.g. "Allow public client flows". */
  public String title() {
    return title;
  }

  /** Where the step is done, e.g. "App registration > Authentication > Advanced settings". */
  public String where() {
    return where;
  }
}
