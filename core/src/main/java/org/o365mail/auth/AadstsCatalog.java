package org.o365mail.auth;

import java.util.Map;
import java.util.Optional;
import org.o365mail.SetupStep;
import org.o365mail.internal.Retry;

/**
 * The AADSTS codes of the flows this SDK uses, each with the setup step that was missed, what to do, and
 * whether a retry can help. Microsoft says codes and texts change; unknown codes fall back to the OAuth error.
 */
final class AadstsCatalog {
  record Entry(SetupStep step, String summary, String fix, boolean retryable) {}

  private static final Map<Integer, Entry> ENTRIES = Map.ofEntries(
      e(7000215, SetupStep.CLIENT_SECRET, "The client secret is not a valid secret of this app",
          "Configure the secret's Value (shown once when it was created), not its Secret ID; create a new client"
              + " secret if the value is lost", false),
      e(7000222, SetupStep.CLIENT_SECRET, "The client secret has expired",
          "Create a new client secret (Certificates & secrets > New client secret) and configure it, or move to a"
              + " certificate", false),
      e(700016, SetupStep.REGISTER_APP, "No application with this client id exists in the tenant",
          "Check the Application (client) ID and the tenant; a multitenant app must first be consented to by an"
              + " admin of the customer's tenant", false),
      e(700011, SetupStep.REGISTER_APP, "No application with this client id exists in the tenant",
          "Check the Application (client) ID and the tenant", false),
      e(7000112, SetupStep.REGISTER_APP, "The application is disabled in this tenant",
          "Enable it: Enterprise applications > (app) > Properties > Enabled for users to sign-in = Yes", false),
      e(70001, SetupStep.REGISTER_APP, "The application is disabled", "Enable the enterprise application", false),
      e(90002, SetupStep.TENANT, "The tenant was not found",
          "Check the Directory (tenant) ID or domain, and that the cloud (global, US Government, China) is right", false),
      e(900023, SetupStep.TENANT, "The tenant identifier is malformed",
          "Use the Directory (tenant) ID (a GUID) or a verified domain such as contoso.onmicrosoft.com", false),
      e(50128, SetupStep.TENANT, "The domain is not a tenant's", "Check the tenant domain", false),
      e(50059, SetupStep.TENANT, "No tenant could be identified from the request",
          "Set the Directory (tenant) ID", false),
      // https://github.com/psignoret/aad-sso-wordpress/issues/244: a US Government tenant at the global endpoint
      e(900432, SetupStep.TENANT, "The tenant lives in another national cloud than the authority asked",
          "Configure the cloud the tenant lives in (its authority host, e.g. https://login.microsoftonline.us for US"
              + " Government); register the app in that cloud", false),
      e(90038, SetupStep.TENANT, "The tenant belongs to another cloud",
          "Configure the cloud the tenant lives in (global, US Government, China)", false),
      e(65001, SetupStep.ADMIN_CONSENT, "The user or an admin has not consented to the app's permissions",
          "Add the delegated permissions under API permissions and Grant admin consent for the tenant (a"
              + " non-interactive sign-in cannot show the consent prompt)", false),
      e(65004, SetupStep.ADMIN_CONSENT, "The user declined to consent",
          "Sign in again and accept the permissions, or have an admin grant consent", false),
      e(90094, SetupStep.ADMIN_CONSENT, "The permissions need an admin's consent",
          "Have an admin Grant admin consent under API permissions", false),
      e(90095, SetupStep.ADMIN_CONSENT, "The permissions need an admin's consent",
          "Have an admin Grant admin consent under API permissions", false),
      e(650056, SetupStep.DELEGATED_PERMISSION, "The app does not list the permission it asks for",
          "Add the permission under API permissions and grant admin consent", false),
      e(650057, SetupStep.DELEGATED_PERMISSION, "The resource is not among the app's API permissions",
          "Add the permission for that API under API permissions and grant admin consent", false),
      e(50126, SetupStep.USER_CREDENTIALS, "The user name or password is wrong",
          "Check the configured user name and password; repeated failures lock the account (AADSTS50053)", false),
      e(50053, SetupStep.USER_ACCOUNT, "The account is locked after too many failed sign-ins",
          "Wait, or have an admin unlock it, then correct the configured password", true),
      e(50076, SetupStep.CONDITIONAL_ACCESS, "Multi-factor authentication is required for this user",
          "A password sign-in cannot do MFA: use device code or interactive sign-in, or client credentials, or"
              + " exclude this account from the policy", false),
      e(50079, SetupStep.CONDITIONAL_ACCESS, "The user must register for multi-factor authentication",
          "Have the user register security info, then use device code or interactive sign-in", false),
      e(50072, SetupStep.CONDITIONAL_ACCESS, "The user must register for multi-factor authentication",
          "Have the user register security info, then use device code or interactive sign-in", false),
      e(50158, SetupStep.CONDITIONAL_ACCESS, "An external security challenge was not satisfied",
          "Sign in interactively", false),
      e(53003, SetupStep.CONDITIONAL_ACCESS, "Conditional Access blocked the sign-in",
          "Have an admin review the Conditional Access policies (location, device, app) that apply", false),
      e(530035, SetupStep.CONDITIONAL_ACCESS, "Security defaults block this kind of sign-in",
          "Use a modern flow (device code, interactive, client credentials) or have an admin adjust security defaults", false),
      e(53000, SetupStep.CONDITIONAL_ACCESS, "The device is not compliant", "Enrol the device or adjust the policy", false),
      e(53001, SetupStep.CONDITIONAL_ACCESS, "The device is not domain-joined", "Enrol the device or adjust the policy", false),
      e(50034, SetupStep.USER_ACCOUNT, "The user does not exist in this tenant",
          "Check the user name and the tenant (a guest signs in through its host tenant)", false),
      // a personal account (identity provider live.com) through /organizations, a tenant, or /common for an app of
      // organizational accounts only (entra-docs reference-error-codes.md; the ImageManager guide: personal accounts
      // need "any organizational directory and personal Microsoft accounts" and the tenant left blank)
      e(50020, SetupStep.SUPPORTED_ACCOUNT_TYPES, "The user's account type or tenant is not allowed for this app"
              + " (a personal Microsoft account, such as outlook.com, needs an app that accepts personal accounts)",
          "Check Supported account types and sign in with an account of the app's tenant; for outlook.com, hotmail.com"
              + " or live.com users choose \"Accounts in any organizational directory and personal Microsoft"
              + " accounts\", leave the tenant blank and use accountTypes MULTI_TENANT_AND_PERSONAL (through /common"
              + " or /consumers)", false),
      e(50057, SetupStep.USER_ACCOUNT, "The user account is disabled", "Unblock sign-in for the user", false),
      e(50055, SetupStep.USER_ACCOUNT, "The user's password has expired",
          "Have the user set a new password, then update the configuration", false),
      e(50144, SetupStep.USER_ACCOUNT, "The user's on-premises password has expired",
          "Have the user set a new password, then update the configuration", false),
      e(7000218, SetupStep.ALLOW_PUBLIC_CLIENT_FLOWS, "Entra ID expected a client secret or certificate",
          "Set Authentication > Allow public client flows = Yes for this sign-in, or configure the app's client"
              + " secret", false),
      e(700025, SetupStep.CLIENT_SECRET, "The app is a public client and must not send a secret",
          "Remove the client secret from the configuration, or make the app confidential by adding that secret to"
              + " the app registration", false),
      e(700024, SetupStep.CERTIFICATE, "The client assertion is outside its valid time range",
          "Check the clock of this machine (assertions are valid for minutes)", true),
      e(700027, SetupStep.CERTIFICATE, "The certificate that signed the client assertion is not registered on the"
              + " app, or its signature does not verify",
          "Upload the certificate's public part under Certificates & secrets > Certificates and configure the"
              + " matching private key", false),
      e(50012, SetupStep.CERTIFICATE, "The client assertion was rejected",
          "Check the certificate and private key configured, and the machine's clock", false),
      e(700021, SetupStep.CERTIFICATE, "The client assertion names another application",
          "Configure the certificate of this app", false),
      e(700212, SetupStep.CERTIFICATE, "The client assertion's audience does not match the token endpoint",
          "Use the authority of the tenant the token is requested from", false),
      e(500011, SetupStep.SCOPES, "The resource of the requested scope was not found in the tenant",
          "Check the resource (https://graph.microsoft.com or https://outlook.office365.com) and that the tenant"
              + " has Exchange Online", false),
      e(70011, SetupStep.SCOPES, "A requested scope is not valid",
          "Ask for existing permissions of one resource, e.g. https://outlook.office.com/IMAP.AccessAsUser.All", false),
      e(1002012, SetupStep.SCOPES, "Client credentials need a /.default scope",
          "Ask for <resource>/.default, e.g. https://outlook.office365.com/.default", false),
      e(700022, SetupStep.SCOPES, "One token was asked for scopes of more than one resource (one resource per token)",
          "Ask for Microsoft Graph scopes and Exchange Online (IMAP/SMTP) scopes in separate token requests", false),
      // the same mistake as Entra answers it today at the token endpoint (see the testkit's Faults.MixedResourceAnswer)
      e(28000, SetupStep.SCOPES, "One token was asked for scopes of more than one resource (one resource per token)",
          "Ask for Microsoft Graph scopes and Exchange Online (IMAP/SMTP) scopes in separate token requests", false),
      e(9001023, SetupStep.SUPPORTED_ACCOUNT_TYPES, "This grant cannot be used with the /common or /consumers authority",
          "Configure the tenant id (or use a MULTI_TENANT registration, which signs in through /organizations)", false),
      e(50194, SetupStep.SUPPORTED_ACCOUNT_TYPES, "The app is single-tenant but signed in through a multi-tenant"
              + " authority",
          "Configure the tenant id, or change Supported account types to multitenant", false),
      e(90130, SetupStep.SUPPORTED_ACCOUNT_TYPES, "The app cannot sign in through this authority",
          "Match the authority with Supported account types", false),
      e(9002331, SetupStep.SUPPORTED_ACCOUNT_TYPES, "The app accepts personal Microsoft accounts only",
          "Register the app for organizational accounts", false),
      e(9002332, SetupStep.SUPPORTED_ACCOUNT_TYPES, "The app accepts organizational accounts only but was used"
              + " through /consumers",
          "To sign in personal Microsoft accounts, change Supported account types to \"Accounts in any"
              + " organizational directory and personal Microsoft accounts\"; otherwise configure the tenant or use"
              + " the organizations authority", false),
      e(500208, SetupStep.SUPPORTED_ACCOUNT_TYPES, "The account type is not allowed for this app",
          "Check Supported account types", false),
      e(50011, SetupStep.REDIRECT_URI, "The redirect URI is not registered for the app",
          "Add http://localhost under Authentication > Mobile and desktop applications", false),
      // interactive sign-in with no redirect URI on any platform (entra-docs reference-error-codes.md AADSTS500113)
      e(500113, SetupStep.REDIRECT_URI, "No redirect URI is registered for the app",
          "Add the platform Mobile and desktop applications with redirect URI http://localhost under Authentication",
          false),
      e(70004, SetupStep.REDIRECT_URI, "The redirect URI is not valid for the app",
          "Add http://localhost under Authentication > Mobile and desktop applications", false),
      e(50173, SetupStep.SIGN_IN_AGAIN, "The stored sign-in was revoked (password change or admin action)",
          "Sign in again (device code or interactive)", false),
      e(70043, SetupStep.SIGN_IN_AGAIN, "The stored sign-in expired under a sign-in frequency policy",
          "Sign in again (device code or interactive)", false),
      e(700082, SetupStep.SIGN_IN_AGAIN, "The stored sign-in (refresh token) expired after long inactivity",
          "Sign in again (device code or interactive); use the mailbox at least every 90 days", false),
      e(70008, SetupStep.SIGN_IN_AGAIN, "The authorization code or refresh token has expired",
          "Sign in again", false),
      e(54005, SetupStep.SIGN_IN_AGAIN, "The code was already redeemed", "Start a new sign-in", false),
      e(70000, SetupStep.SIGN_IN_AGAIN, "The sign-in was declined or the grant is not valid",
          "Start a new sign-in and approve it", false),
      e(70019, SetupStep.SIGN_IN_AGAIN, "The device code expired before the user signed in",
          "Start a new device-code sign-in and enter the code within 15 minutes", false),
      e(70018, SetupStep.SIGN_IN_AGAIN, "The device code is not recognised", "Start a new device-code sign-in", false),
      e(90120, SetupStep.SIGN_IN_AGAIN, "The device code was already used or declined", "Start a new sign-in", false),
      e(501481, SetupStep.UNKNOWN, "The PKCE code verifier did not match", "Start a new interactive sign-in", false),
      e(50196, SetupStep.SERVICE, "Entra ID detected a request loop",
          "Cache tokens instead of asking again; retry later", true),
      e(50033, SetupStep.SERVICE, "A transient error occurred", "Retry", true),
      e(50087, SetupStep.SERVICE, "A transient error occurred", "Retry", true),
      e(90006, SetupStep.SERVICE, "A transient error occurred", "Retry", true),
      e(90024, SetupStep.SERVICE, "A transient error occurred", "Retry", true),
      e(90090, SetupStep.SERVICE, "A transient error occurred", "Retry", true),
      e(90033, SetupStep.SERVICE, "Entra ID is temporarily unavailable", "Retry with back-off", true),
      e(90055, SetupStep.SERVICE, "The tenant is being throttled", "Back off and retry later", true),
      e(9002313, SetupStep.UNKNOWN, "The request was malformed or the grant invalid", "Sign in again", false));

  private static Map.Entry<Integer, Entry> e(int code, SetupStep step, String summary, String fix, boolean retry) {
    return Map.entry(code, new Entry(step, summary, fix, retry));
  }

  private AadstsCatalog() {}

  static Optional<Entry> lookup(int code) {
    return Optional.ofNullable(ENTRIES.get(code));
  }

  /** Every code the catalogue knows (for tests and documentation). */
  static java.util.Set<Integer> codes() {
    return ENTRIES.keySet();
  }
}
