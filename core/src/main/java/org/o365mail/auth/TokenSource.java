package org.o365mail.auth;

import java.util.List;

/**
 * Fetches access tokens from something other than this SDK's sign-in flows: a managed identity, a workload
 * identity, another library's credential. Give one to {@link CredentialStrategy#tokenSource} and it gets the
 * SDK's token cache in front of it (renewal ahead of expiry, one request however many threads ask), its retries
 * of transient failures, listener events and diagnoses.
 *
 * <p>Called at most once at a time per resource, from the strategy's threads or the caller's; implementations
 * must be thread-safe.
 */
@FunctionalInterface
public interface TokenSource {
  /**
   * A fresh token for {@code scopes}.
   *
   * @param scopes the scopes to ask for, such as {@code https://graph.microsoft.com/.default}; never {@code
   *     offline_access}
   * @throws RuntimeException any failure: a {@link org.o365mail.MailboxException} is passed on as it is, an
   *     Entra ID refusal found in the cause chain is diagnosed like the SDK's own sign-ins
   */
  AccessToken fetch(List<String> scopes);
}
