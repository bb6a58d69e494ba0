package org.o365mail.cli;

import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.CertificateCredential;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialListener;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.CredentialStrategy.ClientCredentialsBuilder;
import org.o365mail.auth.CredentialStrategy.UsernamePasswordBuilder;
import org.o365mail.auth.FileTokenStore;
import org.o365mail.auth.TokenRequest;
import org.o365mail.auth.TokenStore;
import org.o365mail.cli.config.ConnectionConfig;
import org.o365mail.jdbc.PostgresTokenStore;

/** Builds the app registration and credential strategy of a configured connection. */
public final class Credentials {
  private Credentials() {}

  public static AppRegistration app(ConnectionConfig c) {
    AppRegistration.Builder b = AppRegistration.builder().clientId(c.clientId()).accountTypes(c.accountTypes())
        .cloud(c.cloud());
    c.tenant().ifPresent(b::tenant);
    if (c.consumers()) {
      b.consumers();
    }
    c.authorityHost().ifPresent(b::authorityHost);
    authorityTrust(c).ifPresent(b::trust);
    b.proxy(c.proxy()); // the connectors built on the credential take it from the registration
    return b.build();
  }

  /**
   * The trust of the sign-in side (token endpoint, metadata): {@code authorityTrustStore}, else {@code trustStore},
   * else empty for the JVM's CAs. The certificates were read (PKCS#12 or PEM) and checked with the configuration.
   */
  public static Optional<SSLContext> authorityTrust(ConnectionConfig c) {
    return c.authorityTrustAnchors().map(anchors -> context(anchors, c.authorityTrustKey()));
  }

  /**
   * The trust of the mail side (Graph, IMAP, SMTP): {@code mailTrustStore}, else {@code trustStore}. Empty when
   * neither side has a store; the JVM's own trust when only the sign-in side has one, so that the connectors, which
   * otherwise take the registration's trust, do not trust the sign-in side's CA for mail.
   */
  public static Optional<SSLContext> mailTrust(ConnectionConfig c) {
    if (c.mailTrustAnchors().isPresent()) {
      return Optional.of(context(c.mailTrustAnchors().get(), c.mailTrustKey()));
    }
    if (c.authorityTrustAnchors().isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(SSLContext.getDefault());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM has no default TLS context for the mail servers of " + c.name(), e);
    }
  }

  private static SSLContext context(KeyStore anchors, String key) {
    try {
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(anchors);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM cannot build a TLS context for " + key, e);
    }
  }

  /** The databases of tokenStores in PostgreSQL this process opened, by URL; closed by {@link #closeDatabases}. */
  private static final Map<String, StoreDatabase> DATABASES = new HashMap<>();

  /**
   * The token store of the connection: its configured directory, its PostgreSQL database (shared by every instance
   * that signs in with this configuration, rows sealed with {@code tokenStore.key}), or memory.
   *
   * @throws org.o365mail.cli.config.ConfigException when the database refuses the user or has no such database
   * @throws StoreDatabase.Unreachable when the database does not answer
   */
  public static TokenStore tokenStore(ConnectionConfig c) {
    if (c.tokenStoreUrl().isPresent()) {
      StoreDatabase db;
      synchronized (DATABASES) {
        db = DATABASES.get(c.tokenStoreUrl().get());
        if (db == null) {
          db = StoreDatabase.open(c.name() + ".tokenStore", c.tokenStoreUrl().get(), c, "o365mail");
          DATABASES.put(c.tokenStoreUrl().get(), db);
        }
      }
      // the configuration refuses a tokenStore in PostgreSQL without tokenStore.key
      return PostgresTokenStore.builder(db.dataSource()).encryptionKey(c.tokenStoreKey().orElseThrow()).build();
    }
    if (c.tokenStore().isEmpty()) {
      return TokenStore.inMemory();
    }
    FileTokenStore.Builder b = FileTokenStore.builder(c.tokenStore().get());
    c.tokenStoreKey().ifPresent(b::encryptionKey);
    return b.build();
  }

  /** Closes the pools of the tokenStores in PostgreSQL opened so far; when a command has ended. */
  static void closeDatabases() {
    synchronized (DATABASES) {
      DATABASES.values().forEach(StoreDatabase::close);
      DATABASES.clear();
    }
  }

  /** What the connection's connector asks a token for at sign-in. */
  public static TokenRequest signInRequest(ConnectionConfig c) {
    if (c.sendOnly()) {
      // a send-only app (ImageManager: delegated Mail.Send only) is never asked for more than sending needs
      return Connectors.sendTokenRequest(c);
    }
    return c.protocol() == ConnectionConfig.Protocol.IMAP ? TokenRequest.imap() : TokenRequest.graph("Mail.ReadWrite");
  }

  public static CredentialStrategy strategy(ConnectionConfig c, CredentialListener listener) {
    AppRegistration app = app(c);
    return switch (c.flow()) {
      case CLIENT_SECRET -> {
        ClientCredentialsBuilder b = CredentialStrategy.clientCredentials(app).listener(listener);
        for (ClientSecret s : c.clientSecrets()) {
          b.secret(s);
        }
        yield b.build();
      }
      case CLIENT_CERTIFICATE -> {
        CertificateCredential cert = c.certificateFile().isPresent()
            ? CertificateCredential.pkcs12(c.certificateFile().get(), c.certificatePassword().orElse(new char[0]))
            : CertificateCredential.pem(c.certificateKey().orElseThrow(), c.certificateCert().orElseThrow());
        ClientCredentialsBuilder b = CredentialStrategy.clientCredentials(app).certificate(cert).listener(listener);
        for (ClientSecret s : c.clientSecrets()) {
          b.secret(s);
        }
        yield b.build();
      }
      case USERNAME_PASSWORD -> {
        UsernamePasswordBuilder b = CredentialStrategy.usernamePassword(app, c.username().orElseThrow(),
            c.password().orElseThrow()).tokenStore(tokenStore(c)).listener(listener);
        if (!c.clientSecrets().isEmpty()) {
          b.clientSecret(c.clientSecrets().get(0));
        }
        yield b.build();
      }
      case DEVICE_CODE -> CredentialStrategy.deviceCode(app).signInRequest(signInRequest(c))
          .tokenStore(tokenStore(c)).listener(listener).build();
      case INTERACTIVE -> CredentialStrategy.interactive(app).signInRequest(signInRequest(c))
          .tokenStore(tokenStore(c)).listener(listener).build();
    };
  }
}
