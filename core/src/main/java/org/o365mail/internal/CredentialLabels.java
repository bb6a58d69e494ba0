package org.o365mail.internal;

import org.o365mail.auth.CertificateCredential;
import org.o365mail.auth.ClientSecret;

/** How credentials are named in events, logs and reports: never with secret material. */
public final class CredentialLabels {
  private CredentialLabels() {}

  public static String of(ClientSecret secret) {
    return "client secret " + secret.hint() + "..." + secret.keyId().map(id -> " (" + id + ")").orElse("");
  }

  public static String of(CertificateCredential certificate) {
    return "certificate " + certificate.thumbprint();
  }
}
