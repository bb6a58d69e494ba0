package org.o365mail.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.o365mail.testkit.internal.Pki;

/**
 * A certificate under Certificates &amp; secrets. When the testkit generated it, it also holds the private key,
 * which tests write out as PKCS#12 or PEM to configure a certificate credential.
 */
public final class KeyCredential {
  private final String keyId;
  private final String displayName;
  private final X509Certificate certificate;
  private final PrivateKey privateKey;

  KeyCredential(String keyId, String displayName, X509Certificate certificate, PrivateKey privateKey) {
    this.keyId = Objects.requireNonNull(keyId, "keyId");
    this.displayName = Objects.requireNonNull(displayName, "displayName");
    this.certificate = Objects.requireNonNull(certificate, "certificate");
    this.privateKey = privateKey;
  }

  public String keyId() {
    return keyId;
  }

  public String displayName() {
    return displayName;
  }

  public X509Certificate certificate() {
    return certificate;
  }

  /** The private key, if the testkit generated this certificate. */
  public Optional<PrivateKey> privateKey() {
    return Optional.ofNullable(privateKey);
  }

  /** SHA-1 thumbprint in upper-case hex, as the portal shows it. */
  public String thumbprint() {
    return Pki.thumbprintHex(certificate);
  }

  public Instant startDateTime() {
    return certificate.getNotBefore().toInstant();
  }

  public Instant endDateTime() {
    return certificate.getNotAfter().toInstant();
  }

  /** Writes the key and certificate as one PKCS#12 file protected by {@code password}. */
  public Path writePkcs12(Path file, char[] password) {
    Pki.writePkcs12(file, "app", requireKey(), certificate, password);
    return file;
  }

  /** Writes the private key (PKCS#8 PEM) and the certificate (PEM) to two files. */
  public void writePem(Path keyFile, Path certificateFile) {
    try {
      Files.writeString(keyFile, Pki.privateKeyPem(requireKey()), StandardCharsets.US_ASCII);
      Files.writeString(certificateFile, Pki.certificatePem(certificate), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private PrivateKey requireKey() {
    if (privateKey == null) {
      throw new IllegalStateException("certificate " + keyId + " was uploaded without its private key");
    }
    return privateKey;
  }

  @Override
  public String toString() {
    return "KeyCredential[keyId=" + keyId + ", displayName=" + displayName + ", thumbprint=" + thumbprint()
        + ", endDateTime=" + endDateTime() + "]";
  }
}
