package org.o365mail.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** PEM reading: PKCS#8 and PKCS#1 RSA private keys, X.509 certificates. */
public final class Pem {
  private static final Pattern BLOCK = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \\1-----");

  private Pem() {}

  public static PrivateKey readPrivateKey(Path file) {
    String text = read(file);
    Matcher m = BLOCK.matcher(text);
    while (m.find()) {
      String type = m.group(1);
      byte[] der = Base64.getMimeDecoder().decode(m.group(2));
      switch (type) {
        case "PRIVATE KEY" -> {
          return pkcs8(der, file);
        }
        case "RSA PRIVATE KEY" -> {
          return pkcs8(wrapPkcs1(der), file);
        }
        case "ENCRYPTED PRIVATE KEY" -> throw new IllegalArgumentException("the private key in " + file
            + " is encrypted; give an unencrypted PKCS#8 key (openssl pkcs8 -topk8 -nocrypt) or use PKCS#12");
        default -> {
          // skip certificates and other blocks in the same file
        }
      }
    }
    throw new IllegalArgumentException(file + " holds no PEM private key (-----BEGIN PRIVATE KEY----- or"
        + " -----BEGIN RSA PRIVATE KEY-----)");
  }

  public static List<X509Certificate> readCertificates(Path file) {
    String text = read(file);
    List<X509Certificate> result = new ArrayList<>();
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      Matcher m = BLOCK.matcher(text);
      while (m.find()) {
        if (m.group(1).equals("CERTIFICATE")) {
          byte[] der = Base64.getMimeDecoder().decode(m.group(2));
          try (InputStream in = new ByteArrayInputStream(der)) {
            Certificate c = factory.generateCertificate(in);
            result.add((X509Certificate) c);
          }
        }
      }
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalArgumentException("cannot read the certificate in " + file + ": " + e.getMessage(), e);
    }
    if (result.isEmpty()) {
      throw new IllegalArgumentException(file + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
    }
    return result;
  }

  private static PrivateKey pkcs8(byte[] der, Path file) {
    try {
      return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("the private key in " + file + " is not an RSA key this JVM can read: "
          + e.getMessage(), e);
    }
  }

  /** Wraps a PKCS#1 RSAPrivateKey in a PKCS#8 PrivateKeyInfo. */
  static byte[] wrapPkcs1(byte[] pkcs1) {
    byte[] algorithm = {
      0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00
    };
    byte[] version = {0x02, 0x01, 0x00};
    byte[] octet = tlv(0x04, pkcs1);
    byte[] body = new byte[version.length + algorithm.length + octet.length];
    System.arraycopy(version, 0, body, 0, version.length);
    System.arraycopy(algorithm, 0, body, version.length, algorithm.length);
    System.arraycopy(octet, 0, body, version.length + algorithm.length, octet.length);
    return tlv(0x30, body);
  }

  private static byte[] tlv(int tag, byte[] value) {
    byte[] length;
    int n = value.length;
    if (n < 0x80) {
      length = new byte[] {(byte) n};
    } else if (n < 0x100) {
      length = new byte[] {(byte) 0x81, (byte) n};
    } else if (n < 0x10000) {
      length = new byte[] {(byte) 0x82, (byte) (n >> 8), (byte) n};
    } else {
      length = new byte[] {(byte) 0x83, (byte) (n >> 16), (byte) (n >> 8), (byte) n};
    }
    byte[] out = new byte[1 + length.length + n];
    out[0] = (byte) tag;
    System.arraycopy(length, 0, out, 1, length.length);
    System.arraycopy(value, 0, out, 1 + length.length, n);
    return out;
  }

  private static String read(Path file) {
    try {
      // a key or a certificate chain is a few KB; 4 MiB refuses a wrong file before reading it
      return new String(BoundedFiles.read(file, 4 << 20), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }
}
