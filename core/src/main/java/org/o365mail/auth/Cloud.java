package org.o365mail.auth;

import java.net.URI;

/**
 * The Microsoft cloud a tenant lives in. Apps are registered separately in each cloud and tokens do not
 * cross clouds. Graph and Entra hosts follow Microsoft's national-cloud documentation; the IMAP/SMTP hosts and
 * Exchange resource of the sovereign clouds are published less clearly, so verify them for your tenant.
 */
public enum Cloud {
  /** Worldwide, including Microsoft 365 GCC. */
  GLOBAL(
      "https://login.microsoftonline.com",
      "https://graph.microsoft.com",
      "https://outlook.office365.com",
      "https://outlook.office.com",
      "outlook.office365.com",
      "smtp.office365.com"),
  /** US Government (GCC High). */
  US_GOVERNMENT(
      "https://login.microsoftonline.us",
      "https://graph.microsoft.us",
      "https://outlook.office365.us",
      "https://outlook.office365.us",
      "outlook.office365.us",
      "smtp.office365.us"),
  /** US Government DoD. */
  US_GOVERNMENT_DOD(
      "https://login.microsoftonline.us",
      "https://dod-graph.microsoft.us",
      "https://outlook-dod.office365.us",
      "https://outlook-dod.office365.us",
      "outlook-dod.office365.us",
      "smtp-dod.office365.us"),
  /** China, operated by 21Vianet. */
  CHINA(
      "https://login.partner.microsoftonline.cn",
      "https://microsoftgraph.chinacloudapi.cn",
      "https://partner.outlook.cn",
      "https://partner.outlook.cn",
      "partner.outlook.cn",
      "smtp.partner.outlook.cn");

  private final URI authorityHost;
  private final URI graphEndpoint;
  private final String exchangeResource;
  private final String exchangeDelegatedResource;
  private final String imapHost;
  private final String smtpHost;

  Cloud(String authorityHost, String graphEndpoint, String exchangeResource, String exchangeDelegatedResource,
      String imapHost, String smtpHost) {
    this.authorityHost = URI.create(authorityHost);
    this.graphEndpoint = URI.create(graphEndpoint);
    this.exchangeResource = exchangeResource;
    this.exchangeDelegatedResource = exchangeDelegatedResource;
    this.imapHost = imapHost;
    this.smtpHost = smtpHost;
  }

  /** Entra ID sign-in host, e.g. {@code https://login.microsoftonline.com}. */
  public URI authorityHost() {
    return authorityHost;
  }

  /** Graph root, e.g. {@code https://graph.microsoft.com} (the API version is added by the Graph connector). */
  public URI graphEndpoint() {
    return graphEndpoint;
  }

  /** Exchange Online resource for app-only tokens ({@code <resource>/.default}). */
  public String exchangeResource() {
    return exchangeResource;
  }

  /** Exchange Online prefix of delegated scopes, e.g. {@code https://outlook.office.com/IMAP.AccessAsUser.All}. */
  public String exchangeDelegatedResource() {
    return exchangeDelegatedResource;
  }

  /** IMAP host (port 993, implicit TLS). */
  public String imapHost() {
    return imapHost;
  }

  /** SMTP submission host (port 587, STARTTLS). */
  public String smtpHost() {
    return smtpHost;
  }
}
