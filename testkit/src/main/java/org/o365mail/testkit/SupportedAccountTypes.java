package org.o365mail.testkit;

/** "Supported account types" of an app registration, with the manifest's {@code signInAudience} value. */
public enum SupportedAccountTypes {
  /** Accounts in this organizational directory only (single tenant). */
  SINGLE_TENANT("AzureADMyOrg"),
  /** Accounts in any organizational directory (multitenant). */
  MULTI_TENANT("AzureADMultipleOrgs"),
  /** Accounts in any organizational directory and personal Microsoft accounts. */
  MULTI_TENANT_AND_PERSONAL("AzureADandPersonalMicrosoftAccount"),
  /** Personal Microsoft accounts only. */
  PERSONAL_ONLY("PersonalMicrosoftAccount");

  private final String signInAudience;

  SupportedAccountTypes(String signInAudience) {
    this.signInAudience = signInAudience;
  }

  public String signInAudience() {
    return signInAudience;
  }

  boolean allowsOtherTenants() {
    return this != SINGLE_TENANT;
  }
}
