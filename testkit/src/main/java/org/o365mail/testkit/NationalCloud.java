package org.o365mail.testkit;

/**
 * The cloud instance a tenant lives in, with what the global authority's OpenID metadata says of it. The local tenant
 * plays the global cloud: a tenant placed in another cloud ({@link Tenant#nationalCloud(NationalCloud)}) is reached
 * only the way a misconfigured app reaches it, through the global authority, which answers its token requests with
 * the cross-cloud errors.
 *
 * <p>Sources: the hosts from MicrosoftDocs/entra-docs {@code authentication-national-cloud.md} and
 * microsoftgraph/microsoft-graph-docs-contrib {@code concepts/sdks/national-clouds.md}; a tenant of the China cloud
 * discovered at the global host gets that cloud's endpoints (smallstep/certificates PR #1309, a recorded answer). The
 * {@code cloud_instance_name} values are the instance names Microsoft's key documents and MSAL use ({@code
 * microsoftonline.us}, {@code partner.microsoftonline.cn}); {@code tenant_region_scope} is {@code "WW"} for global
 * tenants in recorded answers, and the national values {@code "USGov"} and {@code "AS"} are assumed: Microsoft
 * documents the field, not its values per cloud.
 */
public enum NationalCloud {
  /** The global cloud (login.microsoftonline.com, graph.microsoft.com, outlook.office365.com). */
  GLOBAL("microsoftonline.com", "WW", "login.microsoftonline.com", "graph.microsoft.com", "outlook.office365.com"),
  /** Azure Government / GCC High and DoD (login.microsoftonline.us, graph.microsoft.us, outlook.office365.us). */
  US_GOVERNMENT("microsoftonline.us", "USGov", "login.microsoftonline.us", "graph.microsoft.us",
      "outlook.office365.us"),
  /** Microsoft Azure operated by 21Vianet (login.partner.microsoftonline.cn, microsoftgraph.chinacloudapi.cn). */
  CHINA("partner.microsoftonline.cn", "AS", "login.partner.microsoftonline.cn", "microsoftgraph.chinacloudapi.cn",
      "partner.outlook.cn");

  private final String cloudInstanceName;
  private final String tenantRegionScope;
  private final String loginHost;
  private final String graphHost;
  private final String outlookHost;

  NationalCloud(String cloudInstanceName, String tenantRegionScope, String loginHost, String graphHost,
      String outlookHost) {
    this.cloudInstanceName = cloudInstanceName;
    this.tenantRegionScope = tenantRegionScope;
    this.loginHost = loginHost;
    this.graphHost = graphHost;
    this.outlookHost = outlookHost;
  }

  /** {@code cloud_instance_name} of the OpenID metadata. */
  public String cloudInstanceName() {
    return cloudInstanceName;
  }

  /** {@code tenant_region_scope} of the OpenID metadata. */
  public String tenantRegionScope() {
    return tenantRegionScope;
  }

  /** The cloud's authority host. */
  public String loginHost() {
    return loginHost;
  }

  /** The cloud's Graph host ({@code msgraph_host} of the OpenID metadata). */
  public String graphHost() {
    return graphHost;
  }

  /** The cloud's Exchange Online host (IMAP, SMTP, the resource of Outlook scopes). */
  public String outlookHost() {
    return outlookHost;
  }
}
