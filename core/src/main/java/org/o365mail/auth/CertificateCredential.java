package org.o365mail.auth;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import org.o365mail.internal.Pem;

/**
 * A certificate credential: the private key and the certificate whose public part is uploaded under
 * Certificates &amp; secrets. Loaded from PKCS#12 or from PEM files (PKCS#8 or PKCS#1 RSA key, unencrypted).
 * {@link #toString()} shows the thumbprint and end date, never key material. Immutable.
 */
public final class CertificateCredential implements AppCredential {
  private final PrivateKey privateKey;
  private final List<X509Certificate> chain;

  private CertificateCredential(PrivateKey privateKey, List<X509Certificate> chain) {
    this.privateKey = requireNonNull(privateKey, "privateKey");
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("a certificate credential needs its certificate");
    }
    this.chain = List.copyOf(chain);
  }

  public static CertificateCredential of(PrivateKey privateKey, X509Certificate certificate) {
    return new CertificateCredential(privateKey, List.of(requireNonNull(certificate, "certificate")));
  }

  /** A PKCS#12 (.pfx/.p12) file holding one private key and its certificate. */
  public static CertificateCredential pkcs12(Path file, char[] password) {
    requireNonNull(file, "file");
    try (InputStream in = Files.newInputStream(file)) {
      return pkcs12(in, password, file.toString());
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the PKCS#12 file " + file + ": " + e.getMessage(), e);
    }
  }

  public static CertificateCredential pkcs12(InputStream in, char[] password) {
    return pkcs12(in, password, "PKCS#12 stream");
  }

  private static CertificateCredential pkcs12(InputStream in, char[] password, String source) {
    requireNonNull(password, "password");
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(in, password);
      for (Enumeration<String> aliases = store.aliases(); aliases.hasMoreElements(); ) {
        String alias = aliases.nextElement();
        if (store.isKeyEntry(alias)) {
          PrivateKey key = (PrivateKey) store.getKey(alias, password);
          List<X509Certificate> chain = new ArrayList<>();
          for (Certificate c : store.getCertificateChain(alias)) {
            chain.add((X509Certificate) c);
          }
          return new CertificateCredential(key, chain);
        }
      }
      throw new IllegalArgumentException(source + " holds no private key: export the certificate with its private key");
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot open " + source + " (wrong password or not PKCS#12): " + e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot read the key of " + source + ": " + e.getMessage(), e);
    }
  }

  /** A PEM private key file (PKCS#8 "PRIVATE KEY" or PKCS#1 "RSA PRIVATE KEY") and a PEM certificate file. */
  public static CertificateCredential pem(Path privateKeyFile, Path certificateFile) {
    requireNonNull(privateKeyFile, "privateKeyFile");
    requireNonNull(certificateFile, "certificateFile");
    PrivateKey key = Pem.readPrivateKey(privateKeyFile);
    List<X509Certificate> chain = Pem.readCertificates(certificateFile);
    return new CertificateCredential(key, chain);
  }

  public PrivateKey privateKey() {
    return privateKey;
  }

  /** The leaf certificate (the one uploaded to the app registration). */
  public X509Certificate certificate() {
    return chain.get(0);
  }

  public List<X509Certificate> chain() {
    return Collections.unmodifiableList(chain);
  }

  /** When the certificate stops being valid ({@code notAfter}). */
  public Instant notAfter() {
    return certificate().getNotAfter().toInstant();
  }

  /** SHA-1 thumbprint in upper-case hex, as the portal's Certificates list shows it. */
  public String thumbprint() {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(certificate().getEncoded()))
          .toUpperCase(Locale.ROOT);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code "certificate <thumbprint>"}. */
  @Override
  public String label() {
    return "certificate " + thumbprint();
  }

  @Override
  public String toString() {
    return "CertificateCredential[subject=" + certificate().getSubjectX500Principal().getName() + ", thumbprint="
        + thumbprint() + ", notAfter=" + notAfter() + "]";
  }
}
