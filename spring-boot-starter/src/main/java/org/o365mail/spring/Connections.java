package org.o365mail.spring;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.o365mail.DeleteMode;
import org.o365mail.FolderRef;
import org.o365mail.MailboxConnector;
import org.o365mail.ProxySettings;
import org.o365mail.auth.AccountTypes;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.CertificateCredential;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.Cloud;
import org.o365mail.auth.CredentialListener;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.FileTokenStore;
import org.o365mail.auth.TokenRequest;
import org.o365mail.auth.TokenStore;
import org.o365mail.graph.GraphMailboxConnector;
import org.o365mail.imap.ImapMailboxConnector;
import org.o365mail.importer.PostAction;
import org.o365mail.setup.SetupGuide;
import org.springframework.util.ClassUtils;

/**
 * Builds a connection's credential and connector from its properties, the way the CLI does from its file. Every
 * mistake names its property ({@code o365mail.connections.<name>.<key>}); no secret appears in a message.
 */
final class Connections {
  static final String PREFIX = "o365mail.connections.";
  /** The {@code tenant} value that means {@link AppRegistration.Builder#consumers()}. */
  static final String CONSUMERS = "consumers";
  private static final int SECRET_FILE_LIMIT = 64 * 1024;

  private Connections() {}

  static String key(String name, String key) {
    return PREFIX + name + "." + key;
  }

  /** Checks what a connection needs, naming the first missing or wrong property. */
  static void validate(String name, O365MailProperties.Connection c) {
    required(name, "client-id", c.getClientId(), "the Application (client) ID from the app registration's Overview");
    required(name, "flow", c.getFlow(), "one of client-secret, client-certificate, username-password, device-code,"
        + " interactive");
    required(name, "protocol", c.getProtocol(), "graph or imap");
    required(name, "mailbox", c.getMailbox(), "the mailbox address, e.g. invoices@contoso.com");
    SetupGuide.Flow flow = flow(name, c);
    protocol(name, c);
    proxy(name, c);
    if (flow.appOnly()) {
      required(name, "tenant", c.getTenant(), "app-only tokens need the Directory (tenant) ID");
    }
    if (consumers(c) && flow != SetupGuide.Flow.DEVICE_CODE && flow != SetupGuide.Flow.INTERACTIVE) {
      // Entra has neither client credentials nor username/password for personal accounts (README, personal accounts)
      throw new IllegalStateException(key(name, "flow") + " is " + c.getFlow() + " but " + key(name, "tenant")
          + " is consumers: personal Microsoft accounts sign in with device-code or interactive only");
    }
    switch (flow) {
      case CLIENT_SECRET -> required(name, "client-secret", c.getClientSecret(), "the client secret's value, given"
          + " through an environment variable or ${...}");
      case CLIENT_CERTIFICATE -> {
        if (c.getCertificate() == null && (c.getCertificateKey() == null || c.getCertificateCert() == null)) {
          throw new IllegalStateException(key(name, "certificate") + " (a PKCS#12 file) or both "
              + key(name, "certificate-key") + " and " + key(name, "certificate-cert") + " (PEM files) are required"
              + " for flow client-certificate");
        }
      }
      case USERNAME_PASSWORD -> {
        required(name, "username", c.getUsername(), "the user's sign-in name");
        required(name, "password", c.getPassword(), "the user's password, given through an environment variable");
      }
      default -> {
        // device code and interactive sign in once (the CLI's login) into the token store
      }
    }
  }

  /** Whether {@code tenant} is {@code consumers}: personal Microsoft accounts through {@code /consumers}. */
  static boolean consumers(O365MailProperties.Connection c) {
    return c.getTenant() != null && c.getTenant().trim().equalsIgnoreCase(CONSUMERS);
  }

  private static void required(String name, String key, Object value, String what) {
    if (value == null || (value instanceof String s && s.isBlank())) {
      throw new IllegalStateException(key(name, key) + " is required: " + what);
    }
  }

  static SetupGuide.Flow flow(String name, O365MailProperties.Connection c) {
    try {
      return SetupGuide.Flow.parse(c.getFlow());
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(key(name, "flow") + ": " + e.getMessage(), e);
    }
  }

  static boolean graph(String name, O365MailProperties.Connection c) {
    return protocol(name, c).equals("graph");
  }

  private static String protocol(String name, O365MailProperties.Connection c) {
    String p = c.getProtocol().trim().toLowerCase(Locale.ROOT);
    if (!p.equals("graph") && !p.equals("imap")) {
      throw new IllegalStateException(key(name, "protocol") + " '" + c.getProtocol() + "' is not one of graph, imap");
    }
    String adapter = p.equals("graph") ? "org.o365mail.graph.GraphMailboxConnector"
        : "org.o365mail.imap.ImapMailboxConnector";
    if (!ClassUtils.isPresent(adapter, Connections.class.getClassLoader())) {
      throw new IllegalStateException(key(name, "protocol") + " is " + p + " but o365-mail-" + p
          + " is not on the class path: add it as a dependency");
    }
    return p;
  }

  static AppRegistration app(String name, O365MailProperties.Connection c) {
    AppRegistration.Builder b = AppRegistration.builder().clientId(c.getClientId());
    AccountTypes accountTypes = c.getAccountTypes() == null ? null
        : enumValue(name, "account-types", AccountTypes.class, c.getAccountTypes());
    if (consumers(c)) {
      // personal Microsoft accounts only, through /consumers: the CLI's rule for <name>.tenant = consumers
      if (accountTypes != null && accountTypes != AccountTypes.MULTI_TENANT_AND_PERSONAL) {
        throw new IllegalStateException(key(name, "account-types") + " is " + accountTypes + " but "
            + key(name, "tenant") + " is consumers, which signs in personal Microsoft accounts and needs"
            + " MULTI_TENANT_AND_PERSONAL (the app registration's \"Accounts in any organizational directory and"
            + " personal Microsoft accounts\"): set it so, or leave it out");
      }
      b.accountTypes(AccountTypes.MULTI_TENANT_AND_PERSONAL).consumers();
    } else {
      if (c.getTenant() != null) {
        b.tenant(c.getTenant());
      }
      if (accountTypes != null) {
        b.accountTypes(accountTypes);
      } else if (c.getTenant() == null) {
        b.accountTypes(AccountTypes.MULTI_TENANT);
      }
    }
    if (c.getCloud() != null) {
      Cloud cloud = enumValue(name, "cloud", Cloud.class, c.getCloud());
      if (consumers(c) && cloud != Cloud.GLOBAL) {
        throw new IllegalStateException(key(name, "cloud") + " is " + cloud + " but " + key(name, "tenant")
            + " is consumers: national clouds have no personal Microsoft accounts");
      }
      b.cloud(cloud);
    }
    if (c.getAuthorityHost() != null) {
      b.authorityHost(c.getAuthorityHost());
    }
    trust(name, c).ifPresent(b::trust);
    // the registration's proxy is the sign-in's and, by default, every connector's built on it (AppRegistration)
    b.proxy(proxy(name, c));
    try {
      return b.build();
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new IllegalStateException(PREFIX + name + ": " + e.getMessage(), e);
    }
  }

  /**
   * The connection's route, from the CLI's proxy keys in Spring's form: {@code proxy} ({@code http://host:port},
   * {@code socks5://host:port}, {@code none}, or {@code system}, the default), {@code proxy-user} with {@code
   * proxy-password} (a plain value, {@code env:NAME} or {@code file:PATH}), {@code proxy-no-proxy} (separated by
   * commas). Each mistake names its key; no message shows the password.
   */
  static ProxySettings proxy(String name, O365MailProperties.Connection c) {
    String user = blankToNull(c.getProxyUser());
    String password = blankToNull(c.getProxyPassword());
    String noProxy = blankToNull(c.getProxyNoProxy());
    if (blankToNull(c.getProxy()) == null) {
      String orphan = user != null ? "proxy-user" : password != null ? "proxy-password"
          : noProxy != null ? "proxy-no-proxy" : null;
      if (orphan != null) {
        throw new IllegalStateException(key(name, orphan) + " is set but " + key(name, "proxy") + " is missing:"
            + " proxy-user, proxy-password and proxy-no-proxy need a proxy (http://host:port or socks5://host:port)");
      }
      return ProxySettings.system();
    }
    ProxySettings p;
    try {
      p = ProxySettings.parse(c.getProxy());
    } catch (IllegalArgumentException e) {
      // parse's own words name the CLI's keys (proxy.user, proxy.password); these are the Spring ones
      throw new IllegalStateException(key(name, "proxy") + ": " + e.getMessage().replace("proxy.user, proxy.password",
          key(name, "proxy-user") + ", " + key(name, "proxy-password")), e);
    }
    if (user != null || password != null) {
      if (user == null || password == null) {
        throw new IllegalStateException(key(name, user == null ? "proxy-user" : "proxy-password") + " is missing:"
            + " the proxy's credentials need both " + key(name, "proxy-user") + " and " + key(name, "proxy-password"));
      }
      if (p.type() != ProxySettings.Type.HTTP) {
        throw new IllegalStateException(key(name, "proxy-user") + ": proxy credentials need an HTTP proxy ("
            + key(name, "proxy") + " = http://host:port); this one is " + p.type());
      }
      // resolved once at start, so that a missing variable or file fails the start; handed out as fresh copies
      char[] kept = secret(name, "proxy-password", password).toCharArray();
      if (kept.length == 0) {
        throw new IllegalStateException(key(name, "proxy-password") + " is empty");
      }
      try {
        p = p.withCredentials(user, kept::clone);
      } catch (IllegalArgumentException e) {
        throw new IllegalStateException(key(name, "proxy-user") + ": " + e.getMessage(), e);
      }
    }
    if (noProxy != null) {
      try {
        p = p.withNoProxy(List.of(noProxy.split(",")));
      } catch (IllegalArgumentException e) {
        throw new IllegalStateException(key(name, "proxy-no-proxy") + ": " + e.getMessage(), e);
      }
    }
    return p;
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value;
  }

  private static <E extends Enum<E>> E enumValue(String name, String key, Class<E> type, String text) {
    try {
      return Enum.valueOf(type, text.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(key(name, key) + " '" + text + "' is not one of "
          + Arrays.toString(type.getEnumConstants()), e);
    }
  }

  static java.util.Optional<SSLContext> trust(String name, O365MailProperties.Connection c) {
    if (c.getTrustStore() == null) {
      return java.util.Optional.empty();
    }
    char[] password = c.getTrustStorePassword() == null ? new char[0]
        : secret(name, "trust-store-password", c.getTrustStorePassword()).toCharArray();
    try (InputStream in = Files.newInputStream(c.getTrustStore())) {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(in, password);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      return java.util.Optional.of(context);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException(key(name, "trust-store") + " cannot be read as a PKCS#12 trust store: "
          + e.getClass().getSimpleName(), e);
    }
  }

  /** A secret's value: the property itself, or what an {@code env:NAME} or {@code file:PATH} reference names. */
  static String secret(String name, String key, String value) {
    if (value.startsWith("env:")) {
      String v = System.getenv(value.substring(4));
      if (v == null) {
        throw new IllegalStateException(key(name, key) + " names the environment variable " + value.substring(4)
            + ", which is not set");
      }
      return v;
    }
    if (value.startsWith("file:")) {
      Path file = Path.of(value.substring(5));
      try {
        if (Files.size(file) > SECRET_FILE_LIMIT) {
          throw new IllegalStateException(key(name, key) + " names a file larger than " + SECRET_FILE_LIMIT
              + " bytes");
        }
        return Files.readString(file).strip();
      } catch (IOException e) {
        throw new IllegalStateException(key(name, key) + " names a file that cannot be read: "
            + e.getClass().getSimpleName(), e);
      }
    }
    return value;
  }

  static CredentialStrategy credential(String name, O365MailProperties.Connection c, CredentialListener listener) {
    validate(name, c);
    AppRegistration app = app(name, c);
    return switch (flow(name, c)) {
      case CLIENT_SECRET -> CredentialStrategy.clientCredentials(app).secret(clientSecret(name, c)).listener(listener)
          .build();
      case CLIENT_CERTIFICATE -> {
        CertificateCredential cert = c.getCertificate() != null
            ? CertificateCredential.pkcs12(c.getCertificate(), c.getCertificatePassword() == null ? new char[0]
                : secret(name, "certificate-password", c.getCertificatePassword()).toCharArray())
            : CertificateCredential.pem(c.getCertificateKey(), c.getCertificateCert());
        yield CredentialStrategy.clientCredentials(app).certificate(cert).listener(listener).build();
      }
      case USERNAME_PASSWORD -> {
        CredentialStrategy.UsernamePasswordBuilder b = CredentialStrategy.usernamePassword(app, c.getUsername(),
            secret(name, "password", c.getPassword()).toCharArray()).tokenStore(tokenStore(name, c))
            .listener(listener);
        if (c.getClientSecret() != null) {
          b.clientSecret(clientSecret(name, c));
        }
        yield b.build();
      }
      case DEVICE_CODE -> CredentialStrategy.deviceCode(app).signInRequest(signInRequest(name, c))
          .tokenStore(tokenStore(name, c)).listener(listener).build();
      case INTERACTIVE -> CredentialStrategy.interactive(app).signInRequest(signInRequest(name, c))
          .tokenStore(tokenStore(name, c)).listener(listener).build();
    };
  }

  private static ClientSecret clientSecret(String name, O365MailProperties.Connection c) {
    ClientSecret s = ClientSecret.of(secret(name, "client-secret", c.getClientSecret()));
    if (c.getClientSecretId() != null) {
      s = s.withKeyId(c.getClientSecretId());
    }
    if (c.getClientSecretExpiresAt() != null) {
      s = s.withExpiresAt(c.getClientSecretExpiresAt().atStartOfDay(ZoneOffset.UTC).toInstant());
    }
    return s;
  }

  private static TokenRequest signInRequest(String name, O365MailProperties.Connection c) {
    return graph(name, c) ? TokenRequest.graph("Mail.ReadWrite") : TokenRequest.imap();
  }

  private static TokenStore tokenStore(String name, O365MailProperties.Connection c) {
    if (c.getTokenStore() == null) {
      return TokenStore.inMemory();
    }
    FileTokenStore.Builder b = FileTokenStore.builder(c.getTokenStore());
    if (c.getTokenStoreKey() != null) {
      try {
        b.encryptionKey(Base64.getDecoder().decode(secret(name, "token-store-key", c.getTokenStoreKey()).trim()));
      } catch (IllegalArgumentException e) {
        throw new IllegalStateException(key(name, "token-store-key") + " must be base64 of 32 random bytes", e);
      }
    }
    return b.build();
  }

  /** A new connector of the connection (each importer of a cluster gets its own and closes it). */
  static MailboxConnector connector(String name, O365MailProperties.Connection c, CredentialStrategy credential) {
    if (graph(name, c)) {
      return GraphConnectors.connector(name, c, credential);
    }
    return ImapConnectors.connector(name, c, credential);
  }

  static FolderRef folder(String name, String key, String path) {
    try {
      return FolderRef.path(path);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(key + ": " + e.getMessage(), e);
    }
  }

  static PostAction postAction(String key, String text) {
    String t = text.trim();
    String lower = t.toLowerCase(Locale.ROOT);
    if (lower.equals("none")) {
      return PostAction.none();
    }
    if (lower.equals("read")) {
      return PostAction.markRead();
    }
    if (lower.equals("delete")) {
      return PostAction.delete(DeleteMode.MOVE_TO_DELETED_ITEMS);
    }
    if (lower.startsWith("move:") && t.length() > 5) {
      return PostAction.moveTo(folder(null, key, t.substring(5)));
    }
    throw new IllegalStateException(key + " '" + text + "' is not one of none, read, delete, move:Folder/Path");
  }

  /** Loaded only when o365-mail-graph is on the class path. */
  private static final class GraphConnectors {
    static MailboxConnector connector(String name, O365MailProperties.Connection c, CredentialStrategy credential) {
      GraphMailboxConnector.Builder b = GraphMailboxConnector.builder().mailbox(c.getMailbox()).credential(credential);
      if (c.getProxy() != null) {
        b.proxy(proxy(name, c)); // also when the application's own credential bean has another registration
      }
      if (c.getGraphBaseUrl() != null) {
        b.baseUrl(c.getGraphBaseUrl()).allowedHosts(URI.create(c.getGraphBaseUrl()).getHost());
      }
      trust(name, c).ifPresent(b::trust);
      return b.build();
    }
  }

  /** Loaded only when o365-mail-imap is on the class path. */
  private static final class ImapConnectors {
    static MailboxConnector connector(String name, O365MailProperties.Connection c, CredentialStrategy credential) {
      ImapMailboxConnector.Builder b = ImapMailboxConnector.builder().mailbox(c.getMailbox()).credential(credential);
      if (c.getProxy() != null) {
        b.proxy(proxy(name, c)); // also when the application's own credential bean has another registration
      }
      if (c.getImapHost() != null) {
        b.host(c.getImapHost());
      }
      if (c.getImapPort() != null) {
        b.port(c.getImapPort());
      }
      if (c.getSmtpHost() != null) {
        b.smtpHost(c.getSmtpHost());
      }
      if (c.getSmtpPort() != null) {
        b.smtpPort(c.getSmtpPort());
      }
      trust(name, c).ifPresent(b::trust);
      return b.build();
    }
  }
}
