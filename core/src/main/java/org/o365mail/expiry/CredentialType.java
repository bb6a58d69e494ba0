package org.o365mail.expiry;

/** What kind of credential is tracked. */
public enum CredentialType {
  CLIENT_SECRET,
  CERTIFICATE
}
