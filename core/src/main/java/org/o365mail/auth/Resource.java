package org.o365mail.auth;

/** The two APIs a token can be for. One token is for one resource; a request may never mix them. */
public enum Resource {
  /** Microsoft Graph (the Graph connector, secret-expiry lookups). */
  MICROSOFT_GRAPH,
  /** Office 365 Exchange Online (IMAP, POP, SMTP AUTH). */
  EXCHANGE_ONLINE;

  /** The app-only scope, {@code <resource>/.default}, in {@code cloud}. */
  public String appOnlyScope(Cloud cloud) {
    return appOnlyResource(cloud) + "/.default";
  }

  /** The resource identifier used for app-only tokens. */
  public String appOnlyResource(Cloud cloud) {
    return this == MICROSOFT_GRAPH ? cloud.graphEndpoint().toString() : cloud.exchangeResource();
  }

  /** Its name under API permissions in the Entra admin center: "Microsoft Graph", "Office 365 Exchange Online". */
  public String displayName() {
    return this == MICROSOFT_GRAPH ? "Microsoft Graph" : "Office 365 Exchange Online";
  }

  /** The prefix of delegated scopes, e.g. {@code https://outlook.office.com}. */
  public String delegatedResource(Cloud cloud) {
    return this == MICROSOFT_GRAPH ? cloud.graphEndpoint().toString() : cloud.exchangeDelegatedResource();
  }
}
