package org.o365mail.auth;

/** Whose identity a token carries. */
public enum CredentialKind {
  /** The app itself (client credentials, managed identity): tokens carry {@code roles}. */
  APP_ONLY,
  /** A signed-in user (password, device code, interactive): tokens carry {@code scp}. */
  DELEGATED
}
