package org.o365mail.cli;

import java.security.GeneralSecurityException;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.CertificateCredential;
import org.o365mail.auth.ClientCredentialsBuilder;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialListener;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.FileTokenStore;
import org.o365mail.auth.TokenRequest;
import org.o365mail.auth.TokenStore;
import org.o365mail.auth.UsernamePasswordBuilder;
import org.o365mail.cli.config.ConnectionConfig;

/** Builds the app registration and credential strategy of a configured connection. */
public final class Credentials {
  private Credentials() {}

  public static AppRegistration app(ConnectionConfig c) {
    AppRegistration.Builder b = AppRegistration.builder().clientId(c.clientId()).accountTypes(c.accountTypes())
        .cloud(c.cloud());
    c.tenant().ifPresent(b::tenant);
    c.authorityHost().ifPresent(b::authorityHost);
    trust(c).ifPresent(b::trust);
    return b.build();
  }

  /**
   * The SSLContext of the configured trust store, if one is configured: its certificates were read (PKCS#12 or PEM)
   * and checked when the configuration was.
   */
  public static Optional<SSLContext> trust(ConnectionConfig c) {
    if (c.trustAnchors().isEmpty()) {
      return Optional.empty();
    }
    try {
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(c.trustAnchors().get());
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      return Optional.of(context);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM cannot build a TLS context for " + c.name() + ".trustStore", e);
    }
  }

  /** The token store of the connection: its configured directory, or memory. */
  public static TokenStore tokenStore(ConnectionConfig c) {
    if (c.tokenStore().isEmpty()) {
      return TokenStore.inMemory();
    }
    FileTokenStore.Builder b = FileTokenStore.builder(c.tokenStore().get());
    c.tokenStoreKey().ifPresent(b::encryptionKey);
    return b.build();
  }

  /** What the connection's connector asks a token for at sign-in. */
  public static TokenRequest signInRequest(ConnectionConfig c) {
    if (c.sendOnly()) {
      // a send-only app (ImageManager: delegated Mail.Send only) is never asked for more than sending needs
      return c.protocol() == ConnectionConfig.Protocol.IMAP ? TokenRequest.smtp() : TokenRequest.graph("Mail.Send");
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
