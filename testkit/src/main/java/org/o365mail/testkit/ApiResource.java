package org.o365mail.testkit;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The two APIs a mail product asks permissions of, as the portal lists them under "API permissions".
 * Each has its application id, its identifier URIs (the scope prefixes), and the delegated and
 * application permissions the local tenant knows.
 */
public enum ApiResource {
  /** Microsoft Graph. Its delegated list also holds the IMAP/POP/SMTP permissions, as the portal shows: a
   * token asked for with the Graph prefix is still a Graph token, which IMAP rejects. */
  MICROSOFT_GRAPH(
      "Microsoft Graph",
      "00000003-0000-0000-c000-000000000000",
      List.of("https://graph.microsoft.com"),
      Set.of(
          "User.Read", "User.ReadBasic.All", "User.Read.All",
          "Mail.Read", "Mail.ReadBasic", "Mail.ReadWrite", "Mail.Send",
          "Mail.Read.Shared", "Mail.ReadWrite.Shared", "Mail.Send.Shared",
          "MailboxSettings.Read", "MailboxSettings.ReadWrite",
          "IMAP.AccessAsUser.All", "POP.AccessAsUser.All", "SMTP.Send",
          "Application.Read.All", "Directory.Read.All", "DelegatedPermissionGrant.Read.All", "offline_access",
          "openid", "profile", "email"),
      Set.of(
          "Mail.Read", "Mail.ReadBasic", "Mail.ReadBasic.All", "Mail.ReadWrite", "Mail.Send",
          "MailboxSettings.Read", "MailboxSettings.ReadWrite", "User.Read.All",
          "Application.Read.All", "Application.ReadWrite.OwnedBy", "Application.ReadWrite.All",
          "Directory.Read.All", "DelegatedPermissionGrant.Read.All")),

  /** Office 365 Exchange Online, the resource of IMAP, POP and SMTP AUTH (under "APIs my organization uses"). */
  EXCHANGE_ONLINE(
      "Office 365 Exchange Online",
      "00000002-0000-0ff1-ce00-000000000000",
      List.of("https://outlook.office365.com", "https://outlook.office.com", "https://ps.outlook.com"),
      Set.of(
          "IMAP.AccessAsUser.All", "POP.AccessAsUser.All", "SMTP.Send", "EWS.AccessAsUser.All",
          "Mail.Read", "Mail.ReadWrite", "Mail.Send"),
      Set.of(
          "IMAP.AccessAsApp", "POP.AccessAsApp", "SMTP.SendAsApp", "full_access_as_app",
          "Mail.Read", "Mail.ReadWrite", "Mail.Send"));

  private final String displayName;
  private final String appId;
  private final List<String> identifierUris;
  private final Set<String> delegatedPermissions;
  private final Set<String> applicationPermissions;

  ApiResource(
      String displayName,
      String appId,
      List<String> identifierUris,
      Set<String> delegatedPermissions,
      Set<String> applicationPermissions) {
    this.displayName = displayName;
    this.appId = appId;
    this.identifierUris = identifierUris;
    this.delegatedPermissions = delegatedPermissions;
    this.applicationPermissions = applicationPermissions;
  }

  public String displayName() {
    return displayName;
  }

  /** The resource's application id, which v1 tokens may carry as their {@code aud}. */
  public String appId() {
    return appId;
  }

  /** Identifier URIs; the first is the one used for {@code /.default}. */
  public List<String> identifierUris() {
    return identifierUris;
  }

  public String primaryUri() {
    return identifierUris.get(0);
  }

  public Set<String> delegatedPermissions() {
    return delegatedPermissions;
  }

  public Set<String> applicationPermissions() {
    return applicationPermissions;
  }

  /** The resource an identifier URI (any case, with or without trailing slash) or app id names. */
  public static Optional<ApiResource> byIdentifier(String identifier) {
    String id = identifier.toLowerCase(Locale.ROOT);
    while (id.endsWith("/")) {
      id = id.substring(0, id.length() - 1);
    }
    for (ApiResource resource : values()) {
      if (resource.appId.equals(id)) {
        return Optional.of(resource);
      }
      for (String uri : resource.identifierUris) {
        if (uri.equals(id)) {
          return Optional.of(resource);
        }
      }
    }
    return Optional.empty();
  }
}
