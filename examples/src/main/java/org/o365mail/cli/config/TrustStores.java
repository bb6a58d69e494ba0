package org.o365mail.cli.config;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Enumeration;
import java.util.List;
import org.o365mail.auth.CertificateCredential;
import org.o365mail.internal.BoundedFiles;
import org.o365mail.internal.Pem;

/**
 * The trust stores and certificates of a connection, read while the configuration is: the CAs of {@code
 * trustStore}, {@code authorityTrustStore} and {@code mailTrustStore} (PKCS#12 or PEM), and the client
 * certificate, opened now so that a wrong password, file or missing key is a problem naming its key.
 *
 * <p>Stateless and thread-safe.
 */
final class TrustStores {
  private TrustStores() {}

  /** Loads the certificate now, so a wrong password, a wrong file or a missing private key is named at once. */
  static void checkCertificate(String name, Path certificateFile, char[] certificatePassword, Path certificateKey,
      Path certificateCert, List<String> problems) {
    if (certificateFile != null && certificatePassword != null) {
      try (InputStream in =
          new ByteArrayInputStream(BoundedFiles.read(certificateFile, ConfigText.MAX_KEY_FILE_BYTES))) {
        CertificateCredential.pkcs12(in, certificatePassword);
      } catch (IOException | IllegalArgumentException e) {
        problems.add(name + ".certificate: " + certificateFile + " cannot be used with " + name
            + ".certificate.password: " + ConfigText.shown(String.valueOf(e.getMessage())));
      }
    } else if (certificateFile == null && certificateKey != null && certificateCert != null) {
      try {
        Pem.readPrivateKey(certificateKey);
      } catch (IllegalArgumentException e) {
        problems.add(name + ".certificate.key: " + ConfigText.message(e.getMessage()));
      }
      try {
        Pem.readCertificates(certificateCert);
      } catch (IllegalArgumentException e) {
        problems.add(name + ".certificate.cert: " + ConfigText.message(e.getMessage()));
      }
    }
  }

  /** The certificates of {@code <name>.<key>} (opened with {@code <name>.<key>.password}), or null. */
  static KeyStore sideAnchors(ConfigReader r, String name, String key, List<String> problems) {
    Path file = r.file(key);
    char[] password = r.secret(key + ".password").orElse(null);
    if (file == null || problems.stream().anyMatch(p -> p.startsWith(name + "." + key + ".password"))) {
      return null;
    }
    return trustAnchors(name + "." + key, file, password, problems);
  }

  /**
   * The certificates a trust store trusts, one or several CAs: a PKCS#12 (or JKS) file opened with its password,
   * or PEM certificates ({@code -----BEGIN CERTIFICATE-----}, as a private CA hands them out, several concatenated).
   * Null and a problem for {@code key} when it holds none.
   */
  static KeyStore trustAnchors(String key, Path file, char[] password, List<String> problems) {
    byte[] bytes;
    try {
      bytes = BoundedFiles.read(file, ConfigText.MAX_KEY_FILE_BYTES);
    } catch (IOException e) {
      problems.add(key + ": cannot read " + file + ": " + ConfigText.shown(String.valueOf(e.getMessage())));
      return null;
    }
    try {
      KeyStore store;
      if (new String(bytes, 0, Math.min(bytes.length, 4096), StandardCharsets.ISO_8859_1).contains("-----BEGIN ")) {
        store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        int i = 0;
        for (Certificate cert : CertificateFactory.getInstance("X.509")
            .generateCertificates(new ByteArrayInputStream(bytes))) {
          store.setCertificateEntry("pem-" + i++, cert);
        }
      } else {
        store = KeyStore.getInstance("PKCS12");
        try {
          store.load(new ByteArrayInputStream(bytes), password == null ? new char[0] : password);
        } catch (IOException e) {
          String why = e.getCause() instanceof UnrecoverableKeyException
              || String.valueOf(e.getMessage()).contains("password")
              ? (password == null ? "it needs a password: set " + key + ".password = env:NAME or file:PATH"
                  : "the password of " + key + ".password is wrong")
              : "it is neither a PKCS#12 (.p12, .pfx) nor a PEM certificate file";
          problems.add(key + ": cannot open " + file + ": " + why);
          return null;
        }
      }
      for (Enumeration<String> aliases = store.aliases(); aliases.hasMoreElements(); ) {
        if (store.isCertificateEntry(aliases.nextElement())) {
          return store;
        }
      }
      problems.add(key + ": " + file + " holds no trusted certificate: export the CA certificate into it");
    } catch (GeneralSecurityException | IOException e) {
      problems.add(key + ": " + file + " holds no certificate that can be read as PEM or PKCS#12: "
          + ConfigText.shown(String.valueOf(e.getMessage())));
    }
    return null;
  }
}
