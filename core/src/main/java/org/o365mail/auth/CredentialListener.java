package org.o365mail.auth;

import java.time.Instant;
import org.o365mail.MailboxException;

/**
 * Hears what a strategy does: tokens acquired and failures (with their diagnosis). For health checks,
 * metrics and the secret-expiry tracker. Called on the thread that acquired; must be quick and must not
 * throw (a throwing listener is logged and ignored).
 */
public interface CredentialListener {
  /** A token was acquired from Entra ID (not served from cache). {@code credential} names the credential used. */
  default void tokenAcquired(TokenRequest request, Instant expiresAt, String credential) {}

  /** Acquiring a token failed after retries. */
  default void acquisitionFailed(TokenRequest request, MailboxException failure, String credential) {}

  /** The strategy moved from one configured credential to the next (a secret was rejected or expired). */
  default void credentialFailover(String from, String to, MailboxException cause) {}

  CredentialListener NONE = new CredentialListener() {};
}
