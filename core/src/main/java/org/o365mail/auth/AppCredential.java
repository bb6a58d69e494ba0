package org.o365mail.auth;

/**
 * A credential an app registration signs in with: a {@link ClientSecret} or a {@link CertificateCredential}.
 * Instances are immutable and thread-safe.
 */
public sealed interface AppCredential permits ClientSecret, CertificateCredential {
  /**
   * How this credential is named in listener events, logs and reports ({@code "client secret abc..."},
   * {@code "certificate 3F2A..."}); never secret material.
   */
  String label();
}
