package org.o365mail.expiry;

/** Hears a credential's status change (OK to WARNING, WARNING to CRITICAL, any to EXPIRED...). */
@FunctionalInterface
public interface ExpiryListener {
  /**
   * @param previous the status before, or {@code null} the first time the credential is seen
   * @param current the status now
   */
  void statusChanged(CredentialStatus previous, CredentialStatus current);
}
