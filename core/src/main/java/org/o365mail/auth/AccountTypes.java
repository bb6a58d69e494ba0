package org.o365mail.auth;

/**
 * "Supported account types" of the app registration. It decides the authority, as the ImageManager guide
 * states it: single tenant needs the tenant id; multitenant may name a tenant (otherwise {@code
 * organizations}); multitenant with personal accounts must leave the tenant blank ({@code common}); personal
 * accounts only cannot reach Microsoft 365 business mailboxes and is refused.
 */
public enum AccountTypes {
  /** Accounts in this organizational directory only. */
  SINGLE_TENANT,
  /** Accounts in any organizational directory. */
  MULTI_TENANT,
  /** Accounts in any organizational directory and personal Microsoft accounts. */
  MULTI_TENANT_AND_PERSONAL,
  /** Personal Microsoft accounts only: not supported by this SDK. */
  PERSONAL_ONLY
}
