package org.o365mail.testkit;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A Microsoft Entra ID tenant with its Exchange Online organization: app registrations and enterprise
 * applications, users, mailboxes, the Exchange service principals registered with {@code New-ServicePrincipal},
 * and mailbox permissions. Known by its id (a GUID) and by its domains. Thread-safe.
 */
public final class Tenant {
  private final Directory directory;
  private final String id;
  private final String primaryDomain;
  private final Set<String> domains = ConcurrentHashMap.newKeySet();
  private final Map<String, Application> applications = new ConcurrentHashMap<>();
  private final Map<String, ServicePrincipal> servicePrincipals = new ConcurrentHashMap<>();
  private final Map<String, User> users = new ConcurrentHashMap<>();
  private final Map<String, Mailbox> mailboxes = new ConcurrentHashMap<>();
  private final Map<String, ExchangeServicePrincipal> exchangePrincipals = new ConcurrentHashMap<>();
  private volatile boolean smtpClientAuthenticationDisabled;
  private volatile NationalCloud nationalCloud = NationalCloud.GLOBAL;

  Tenant(Directory directory, String id, String primaryDomain) {
    this.directory = directory;
    this.id = Objects.requireNonNull(id, "id");
    this.primaryDomain = lower(primaryDomain);
    domains.add(this.primaryDomain);
  }

  Directory directory() {
    return directory;
  }

  /** Whether this is the consumers tenant of personal Microsoft accounts ({@link LocalTenant#consumers()}). */
  public boolean isConsumers() {
    return LocalTenant.CONSUMERS_TENANT_ID.equals(id);
  }

  /** Directory (tenant) ID. */
  public String id() {
    return id;
  }

  public String primaryDomain() {
    return primaryDomain;
  }

  public Set<String> domains() {
    return Set.copyOf(domains);
  }

  /** The cloud the tenant lives in (global unless set). */
  public NationalCloud nationalCloud() {
    return nationalCloud;
  }

  /**
   * Places the tenant in another cloud. The local identity endpoint plays the global authority: its OpenID metadata
   * for the tenant names the tenant's cloud ({@code cloud_instance_name}, {@code tenant_region_scope}, {@code
   * msgraph_host}), and it answers the tenant's token requests as the global authority does for a tenant of another
   * cloud: AADSTS900432 for a confidential client, AADSTS90038 for a user's sign-in (see {@link NationalCloud}).
   */
  public Tenant nationalCloud(NationalCloud cloud) {
    this.nationalCloud = Objects.requireNonNull(cloud, "cloud");
    return this;
  }

  /** Adds a verified domain (users and mailboxes may use it; the tenant can be named by it). */
  public Tenant addDomain(String domain) {
    String d = lower(domain);
    directory.claimDomain(this, d);
    domains.add(d);
    return this;
  }

  // ----- app registrations and enterprise applications -----

  /** New app registration with a fresh client id; its enterprise application is created here too. */
  public Application registerApp(String displayName) {
    return registerApp(displayName, Application.newClientId());
  }

  public Application registerApp(String displayName, String clientId) {
    Application app = new Application(this, displayName, clientId);
    directory.registerApplication(app);
    applications.put(clientId, app);
    servicePrincipalOrCreate(app);
    return app;
  }

  public Collection<Application> applications() {
    return List.copyOf(applications.values());
  }

  /** The app's enterprise application in this tenant, if the app is registered or consented here. */
  public Optional<ServicePrincipal> servicePrincipal(Application app) {
    return Optional.ofNullable(servicePrincipals.get(app.clientId()));
  }

  Optional<ServicePrincipal> servicePrincipal(String clientId) {
    return Optional.ofNullable(servicePrincipals.get(clientId));
  }

  ServicePrincipal servicePrincipalOrCreate(Application app) {
    return servicePrincipals.computeIfAbsent(app.clientId(), k -> new ServicePrincipal(this, app));
  }

  /**
   * "Grant admin consent for (tenant)": consents to every permission the app lists today, delegated and
   * application, creating the enterprise application first when the app comes from another tenant.
   */
  public ServicePrincipal grantAdminConsent(Application app) {
    ServicePrincipal sp = servicePrincipalOrCreate(app);
    sp.grantAll(app.applicationPermissions(), app.delegatedPermissions());
    return sp;
  }

  /** Deletes the app's enterprise application from this tenant (consent and Exchange matching go with it). */
  public Tenant deleteServicePrincipal(Application app) {
    servicePrincipals.remove(app.clientId());
    return this;
  }

  // ----- users and mailboxes -----

  /** A user with a mailbox whose address is the UPN. */
  public User addUser(String userPrincipalName, String password) {
    String upn = lower(userPrincipalName);
    requireOwnDomain(upn);
    User user = new User(this, upn, password, displayNameOf(upn));
    if (users.putIfAbsent(upn, user) != null) {
      throw new IllegalArgumentException("user " + upn + " exists already");
    }
    addMailbox(upn, MailboxType.USER_MAILBOX, user);
    return user;
  }

  /**
   * A user with no mailbox: no Exchange Online licence assigned (or the mailbox not yet provisioned). The user signs
   * in and gets tokens; Graph answers {@code 404 MailboxNotEnabledForRESTAPI} for its mail and IMAP and SMTP refuse
   * the login. Graph's answer: microsoftgraph/msgraph-sdk-javascript#1756 and iyear/E5SubBot#39 (code and text,
   * a licence missing), O365/python-o365#438 (404, the older text "REST API is not yet supported for this mailbox"),
   * MicrosoftDocs/OfficeDocs-Support rest-api-is-not-yet-supported-for-this-mailbox-error.md (licence the user).
   */
  public User addUserWithoutMailbox(String userPrincipalName, String password) {
    String upn = lower(userPrincipalName);
    requireOwnDomain(upn);
    User user = new User(this, upn, password, displayNameOf(upn));
    if (users.putIfAbsent(upn, user) != null) {
      throw new IllegalArgumentException("user " + upn + " exists already");
    }
    return user;
  }

  /** A shared mailbox (no password, no sign-in); users or apps reach it through FullAccess. */
  public Mailbox addSharedMailbox(String address) {
    String a = lower(address);
    requireOwnDomain(a);
    return addMailbox(a, MailboxType.SHARED_MAILBOX, null);
  }

  private Mailbox addMailbox(String address, MailboxType type, User owner) {
    Mailbox mailbox = new Mailbox(this, address, type, owner, displayNameOf(address));
    if (mailboxes.putIfAbsent(address, mailbox) != null) {
      throw new IllegalArgumentException("mailbox " + address + " exists already");
    }
    directory.registerMailbox(mailbox);
    directory.mailStore().createMailbox(address);
    return mailbox;
  }

  public User user(String userPrincipalName) {
    User user = users.get(lower(userPrincipalName));
    if (user == null) {
      throw new IllegalArgumentException("no user " + userPrincipalName + " in " + primaryDomain);
    }
    return user;
  }

  Optional<User> findUser(String userPrincipalName) {
    return Optional.ofNullable(users.get(lower(userPrincipalName)));
  }

  Optional<User> findUserByObjectId(String objectId) {
    return users.values().stream().filter(u -> u.objectId().equals(objectId)).findFirst();
  }

  public Collection<User> users() {
    return List.copyOf(users.values());
  }

  public Mailbox mailbox(String address) {
    Mailbox mailbox = mailboxes.get(lower(address));
    if (mailbox == null) {
      throw new IllegalArgumentException("no mailbox " + address + " in " + primaryDomain);
    }
    return mailbox;
  }

  Optional<Mailbox> findMailbox(String address) {
    return Optional.ofNullable(mailboxes.get(lower(address)));
  }

  public Collection<Mailbox> mailboxes() {
    return List.copyOf(mailboxes.values());
  }

  // ----- Exchange Online PowerShell -----

  /**
   * {@code New-ServicePrincipal -AppId <appId> -ObjectId <objectId>}, taking the ids exactly as given, so a
   * test can register the app registration's object id by mistake, as admins do.
   */
  public ExchangeServicePrincipal newExchangeServicePrincipal(String appId, String objectId) {
    ExchangeServicePrincipal principal =
        new ExchangeServicePrincipal(
            lower(appId),
            lower(objectId),
            Optional.ofNullable(directory.application(appId)).map(Application::displayName).orElse(appId));
    exchangePrincipals.put(principal.objectId(), principal);
    return principal;
  }

  /** {@code New-ServicePrincipal} done right: the client id and the enterprise application's object id. */
  public ExchangeServicePrincipal registerExchangeServicePrincipal(Application app) {
    return newExchangeServicePrincipal(app.clientId(), servicePrincipalOrCreate(app).objectId());
  }

  /** {@code Remove-ServicePrincipal}. */
  public Tenant removeExchangeServicePrincipal(String objectId) {
    exchangePrincipals.remove(lower(objectId));
    return this;
  }

  public Collection<ExchangeServicePrincipal> exchangeServicePrincipals() {
    return List.copyOf(exchangePrincipals.values());
  }

  /** The Exchange service principal app-only access by this app and enterprise-app object id matches. */
  Optional<ExchangeServicePrincipal> exchangeServicePrincipal(String appId, String objectId) {
    ExchangeServicePrincipal principal = exchangePrincipals.get(lower(objectId));
    return principal != null && principal.appId().equals(lower(appId)) ? Optional.of(principal) : Optional.empty();
  }

  /**
   * {@code Add-MailboxPermission -Identity <mailbox> -User <user> -AccessRights FullAccess}, where {@code user}
   * is a UPN of this tenant or the object id of an Exchange service principal.
   */
  public Tenant addMailboxPermission(String mailbox, String user, String accessRights) {
    if (!"FullAccess".equalsIgnoreCase(accessRights)) {
      throw new IllegalArgumentException("only FullAccess is modelled, not " + accessRights);
    }
    mailbox(mailbox).grantFullAccess(principalId(user));
    return this;
  }

  /** {@code Remove-MailboxPermission}. */
  public Tenant removeMailboxPermission(String mailbox, String user) {
    mailbox(mailbox).revokeFullAccess(principalId(user));
    return this;
  }

  /**
   * {@code Add-RecipientPermission -Identity <mailbox> -Trustee <trustee> -AccessRights SendAs}: {@code trustee} may
   * send mail that appears to come from {@code mailbox} (over SMTP and Graph; without it Exchange answers SendAsDenied).
   * The trustee is a UPN of this tenant, the object id of an Exchange service principal, or a shared mailbox.
   */
  public Tenant addRecipientPermission(String mailbox, String trustee, String accessRights) {
    if (!"SendAs".equalsIgnoreCase(accessRights)) {
      throw new IllegalArgumentException("only SendAs is modelled, not " + accessRights);
    }
    mailbox(mailbox).grantSendAs(trusteeId(trustee));
    return this;
  }

  /** {@code Remove-RecipientPermission -AccessRights SendAs}. */
  public Tenant removeRecipientPermission(String mailbox, String trustee) {
    mailbox(mailbox).revokeSendAs(trusteeId(trustee));
    return this;
  }

  private String trusteeId(String trustee) {
    Optional<Mailbox> shared = mailboxes().stream()
        .filter(m -> m.owner().isEmpty() && m.address().equalsIgnoreCase(trustee.trim())).findFirst();
    return shared.isPresent() ? sendAsKey(shared.get()) : principalId(trustee);
  }

  /**
   * Whether mail submitted through {@code through} by the identity with object id {@code identityObjectId} (a user,
   * or an Exchange service principal for app-only tokens; blank when unknown) may carry {@code from}: its own address
   * always; another mailbox of this tenant when that mailbox gave Send As to the owner of {@code through}, to {@code
   * through} itself when it is shared, or to the identity ({@code Add-RecipientPermission}); any other address never.
   */
  boolean maySendAs(Mailbox through, String identityObjectId, String from) {
    if (lower(from).equals(lower(through.address()))) {
      return true;
    }
    Optional<Mailbox> target = findMailbox(from);
    if (target.isEmpty()) {
      return false;
    }
    List<String> trustees = new ArrayList<>();
    through.owner().ifPresentOrElse(u -> trustees.add(u.objectId()), () -> trustees.add(sendAsKey(through)));
    if (identityObjectId != null && !identityObjectId.isBlank()) {
      trustees.add(identityObjectId);
      trustees.add(lower(identityObjectId));
    }
    return target.get().sendAsGrantedToAny(trustees);
  }

  /** How a shared mailbox is stored as a Send As trustee. */
  static String sendAsKey(Mailbox shared) {
    return "mailbox:" + lower(shared.address());
  }

  private String principalId(String user) {
    Optional<User> byUpn = findUser(user);
    if (byUpn.isPresent()) {
      return byUpn.get().objectId();
    }
    String id = lower(user);
    if (exchangePrincipals.containsKey(id)) {
      return id;
    }
    throw new IllegalArgumentException(
        "'" + user + "' is neither a user of " + primaryDomain + " nor a registered Exchange service principal"
            + " (run newExchangeServicePrincipal first)");
  }

  public boolean smtpClientAuthenticationDisabled() {
    return smtpClientAuthenticationDisabled;
  }

  /** {@code Set-TransportConfig -SmtpClientAuthenticationDisabled}: SMTP AUTH for the whole tenant. */
  public Tenant smtpClientAuthenticationDisabled(boolean disabled) {
    this.smtpClientAuthenticationDisabled = disabled;
    return this;
  }

  boolean ownsDomainOf(String address) {
    int at = address.lastIndexOf('@');
    return at > 0 && domains.contains(lower(address.substring(at + 1)));
  }

  private void requireOwnDomain(String address) {
    if (!ownsDomainOf(address)) {
      throw new IllegalArgumentException(
          address + " is not in a domain of tenant " + primaryDomain + " " + domains + "; addDomain first");
    }
  }

  private static String displayNameOf(String address) {
    String local = address.substring(0, address.indexOf('@') < 0 ? address.length() : address.indexOf('@'));
    return local.isEmpty() ? address : Character.toUpperCase(local.charAt(0)) + local.substring(1);
  }

  static String lower(String s) {
    return Objects.requireNonNull(s).trim().toLowerCase(Locale.ROOT);
  }

  @Override
  public String toString() {
    return "Tenant[" + primaryDomain + ", id=" + id + "]";
  }

  // ----- application access policies (Graph) -----

  private final Map<String, Set<String>> applicationAccessPolicies = new ConcurrentHashMap<>();

  /**
   * {@code New-ApplicationAccessPolicy -AppId <appId> -PolicyScopeGroupId <group> -AccessRight RestrictAccess}:
   * from now on the app's app-only Graph requests reach only {@code allowedMailboxes} (addresses); every other
   * mailbox answers {@code 403 ErrorAccessDenied}. Delegated requests and IMAP/SMTP are not affected, as in
   * Exchange Online. A second policy for the same app replaces the first.
   */
  public Tenant newApplicationAccessPolicy(String appId, Set<String> allowedMailboxes) {
    Objects.requireNonNull(allowedMailboxes, "allowedMailboxes");
    Set<String> allowed = ConcurrentHashMap.newKeySet();
    for (String address : allowedMailboxes) {
      allowed.add(lower(address));
    }
    applicationAccessPolicies.put(lower(appId), allowed);
    return this;
  }

  /** {@code Remove-ApplicationAccessPolicy}: the app reaches every mailbox of the tenant again. */
  public Tenant removeApplicationAccessPolicy(String appId) {
    applicationAccessPolicies.remove(lower(appId));
    return this;
  }

  /** Whether an application access policy lets the app reach the mailbox over Graph (true without a policy). */
  boolean applicationAccessAllowed(String appId, String mailbox) {
    Set<String> allowed = applicationAccessPolicies.get(lower(appId));
    return allowed == null || allowed.contains(lower(mailbox));
  }
}
