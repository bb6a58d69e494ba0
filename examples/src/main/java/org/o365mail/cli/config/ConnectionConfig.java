package org.o365mail.cli.config;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.o365mail.FolderRef;
import org.o365mail.ProxySettings;
import org.o365mail.auth.AccountTypes;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.Cloud;
import org.o365mail.doctor.ConnectionDoctor;
import org.o365mail.importer.PostAction;
import org.o365mail.setup.SetupGuide;

/**
 * One validated connection of the configuration file. Secret values are resolved from their references and
 * never appear in {@link #toString()}.
 */
public final class ConnectionConfig {
  /** The mail protocol of a connection. */
  public enum Protocol {
    GRAPH,
    IMAP
  }

  private String name;
  private String clientId;
  private String tenant;
  private AccountTypes accountTypes = AccountTypes.SINGLE_TENANT;
  /** {@code tenant = consumers}: personal Microsoft accounts only, through {@code /consumers}. */
  private boolean consumers;
  private Cloud cloud = Cloud.GLOBAL;
  private SetupGuide.Flow flow;
  private final List<ClientSecret> clientSecrets = new ArrayList<>();
  private Path certificateFile;
  private char[] certificatePassword;
  private Path certificateKey;
  private Path certificateCert;
  private String username;
  private char[] password;
  private Protocol protocol;
  private Set<ConnectionDoctor.Use> uses = EnumSet.of(ConnectionDoctor.Use.READ, ConnectionDoctor.Use.SEND);
  private boolean useSet;
  private String mailbox;
  private FolderRef folder = FolderRef.INBOX;
  private PostAction postAction = PostAction.none();
  private FolderRef parkFolder;
  private URI authorityHost;
  private String graphBaseUrl;
  private int[] graphRequestWindow;
  private String imapHost;
  private Integer imapPort;
  private String smtpHost;
  private Integer smtpPort;
  private Path trustStore;
  private KeyStore trustAnchors;
  private KeyStore authorityTrustAnchors;
  private KeyStore mailTrustAnchors;
  private Path tokenStore;
  private String tokenStoreUrl;
  private byte[] tokenStoreKey;
  private String storeUser;
  private char[] storePassword;
  private ProxySettings proxy = ProxySettings.system();
  private final List<String> warnings = new ArrayList<>();

  record Parsed(ConnectionConfig config, List<String> problems) {}

  private ConnectionConfig() {}

  static Parsed parse(String name, Map<String, String> values, UnaryOperator<String> env, Path baseDir) {
    ConnectionConfig c = new ConnectionConfig();
    c.name = name;
    List<String> problems = new ArrayList<>();
    ConfigReader r = new ConfigReader(name, values, env, baseDir, problems);

    c.clientId = r.required("clientId", "the Application (client) ID, a GUID from the app's Overview page");
    if (c.clientId != null && !RegistrationChecks.GUID.matcher(c.clientId).matches()) {
      problems.add(name + ".clientId '" + ConfigText.shown(c.clientId) + "' is not a GUID: use the Application"
          + " (client) ID from the"
          + " app registration's Overview page");
    }
    c.tenant = r.optional("tenant");
    c.accountTypes = r.enumValue("accountTypes", AccountTypes.class, AccountTypes.SINGLE_TENANT);
    c.cloud = r.enumValue("cloud", Cloud.class, Cloud.GLOBAL);
    if (c.tenant != null && c.tenant.equalsIgnoreCase("consumers")) {
      // personal Microsoft accounts only: AppRegistration.Builder.consumers(), which Entra serves to apps whose
      // Supported account types include personal accounts (else AADSTS9002332)
      c.tenant = null;
      c.consumers = true;
      if (r.optional("accountTypes") == null) {
        c.accountTypes = AccountTypes.MULTI_TENANT_AND_PERSONAL;
      } else if (c.accountTypes != AccountTypes.MULTI_TENANT_AND_PERSONAL) {
        problems.add(name + ".accountTypes " + c.accountTypes + " cannot sign in through /consumers (" + name
            + ".tenant = consumers): personal accounts need MULTI_TENANT_AND_PERSONAL (\"Accounts in any"
            + " organizational directory and personal Microsoft accounts\")");
      }
      if (c.cloud != Cloud.GLOBAL) {
        problems.add(name + ".cloud " + c.cloud + ": personal Microsoft accounts exist in the global cloud only;"
            + " remove " + name + ".cloud or " + name + ".tenant = consumers");
      }
    }
    String flowText = r.required("flow", "one of client-secret, client-certificate, username-password, device-code,"
        + " interactive");
    if (flowText != null) {
      try {
        c.flow = SetupGuide.Flow.parse(flowText);
      } catch (IllegalArgumentException e) {
        problems.add(name + ".flow: " + ConfigText.message(e.getMessage()));
      }
    }
    for (String key : List.of("clientSecret", "clientSecret2")) {
      r.secret(key).ifPresent(value -> {
        try {
          ClientSecret s = ClientSecret.of(new String(value));
          String id = r.optional(key + ".id");
          if (id != null) {
            s = s.withKeyId(id);
          }
          Instant end = r.date(key + ".expiresAt");
          if (end != null) {
            s = s.withExpiresAt(end);
          }
          c.clientSecrets.add(s);
        } catch (IllegalArgumentException e) {
          problems.add(name + "." + key + ": " + ConfigText.message(e.getMessage()));
        }
      });
    }
    c.certificateFile = r.file("certificate");
    c.certificatePassword = r.secret("certificate.password").orElse(null);
    c.certificateKey = r.file("certificate.key");
    c.certificateCert = r.file("certificate.cert");
    c.username = r.optional("username");
    c.password = r.secret("password").orElse(null);
    String protocolText = r.required("protocol", "graph or imap");
    if (protocolText != null) {
      try {
        c.protocol = Protocol.valueOf(protocolText.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        problems.add(name + ".protocol '" + ConfigText.shown(protocolText) + "' is not one of graph, imap");
      }
    }
    String useText = r.optional("use");
    if (useText != null) {
      c.uses = MailboxValues.uses(name, useText, problems);
      c.useSet = true;
    }
    c.mailbox = r.required("mailbox", "the mailbox address, e.g. invoices@contoso.com");
    if (c.mailbox != null && !c.mailbox.matches("[^@\\s]+@[^@\\s]+\\.[^@\\s]+")) {
      problems.add(name + ".mailbox '" + ConfigText.shown(c.mailbox) + "' is not an email address");
    }
    String folderText = r.optional("folder");
    if (folderText != null) {
      try {
        c.folder = FolderRef.path(folderText);
      } catch (IllegalArgumentException e) {
        problems.add(name + ".folder: " + ConfigText.message(e.getMessage()));
      }
    }
    String post = r.optional("postAction");
    if (post != null) {
      c.postAction = MailboxValues.postAction(name, post, problems);
    }
    String park = r.optional("parkFolder");
    if (park != null) {
      try {
        c.parkFolder = FolderRef.path(park);
      } catch (IllegalArgumentException e) {
        problems.add(name + ".parkFolder '" + ConfigText.shown(park) + "' is not a folder path: write one such as"
            + " Inbox/Unreadable (" + ConfigText.message(e.getMessage()) + ")");
      }
    }
    String authority = r.optional("authorityHost");
    if (authority != null) {
      c.authorityHost = Endpoints.authorityHost(name, authority, problems);
    }
    String graph = r.optional("graphBaseUrl");
    String graphExample = "https://graph.microsoft.com/v1.0";
    if (graph != null && Endpoints.httpsUrl(name + ".graphBaseUrl", graph, graphExample, problems) != null) {
      c.graphBaseUrl = graph;
    }
    String window = r.optional("graphRequestWindow");
    if (window != null) {
      c.graphRequestWindow = Endpoints.graphRequestWindow(name, window, problems);
    }
    c.imapHost = r.host("imapHost");
    c.imapPort = r.port("imapPort");
    c.smtpHost = r.host("smtpHost");
    c.smtpPort = r.port("smtpPort");
    c.proxy = proxy(r, name, problems);
    c.trustStore = r.file("trustStore");
    // the password is needed only to read the store: it is not kept once the certificates are
    char[] trustStorePassword = r.secret("trustStore.password").orElse(null);
    if (c.trustStore != null && !problems.stream().anyMatch(p -> p.startsWith(name + ".trustStore.password"))) {
      c.trustAnchors = TrustStores.trustAnchors(name + ".trustStore", c.trustStore, trustStorePassword, problems);
    }
    // the sign-in endpoint and the mail servers may come from different PKIs (an AD FS or a TLS-inspecting proxy
    // in front of one of them): each side may have its own store, which replaces trustStore for that side
    c.authorityTrustAnchors = TrustStores.sideAnchors(r, name, "authorityTrustStore", problems);
    c.mailTrustAnchors = TrustStores.sideAnchors(r, name, "mailTrustStore", problems);
    // the database of import --store and of a tokenStore in PostgreSQL: the user, and the password by reference
    c.storeUser = r.optional("store.user");
    c.storePassword = r.secret("store.password").orElse(null);
    String store = r.optional("tokenStore");
    if (store != null && JdbcUrls.isJdbc(store)) {
      if (JdbcUrls.check(name + ".tokenStore", store, problems) != null) {
        c.tokenStoreUrl = store;
        if (values.get("tokenStore.key") == null || values.get("tokenStore.key").isBlank()) {
          problems.add(name + ".tokenStore.key is required with a tokenStore in PostgreSQL (its rows are sealed with"
              + " it): write env:NAME or file:PATH, base64 of 32 random bytes");
        }
      }
    } else if (store != null) {
      c.tokenStore = r.resolvePath(store);
      if (c.tokenStore == null) {
        problems.add(name + ".tokenStore '" + ConfigText.shown(store) + "' is not a directory path");
      } else {
        // the directory is created when missing: what exists of the path must be directories
        Path existing = c.tokenStore.toAbsolutePath();
        while (existing != null && !Files.exists(existing)) {
          existing = existing.getParent();
        }
        if (existing != null && !Files.isDirectory(existing)) {
          problems.add(name + ".tokenStore: " + existing + " is not a directory: name the directory that keeps"
              + " the sign-in (it is created when missing)");
        }
      }
    }
    r.secret("tokenStore.key").ifPresent(k -> {
      try {
        byte[] key = Base64.getDecoder().decode(new String(k).trim());
        if (key.length != 32) {
          problems.add(name + ".tokenStore.key must decode (base64) to 32 bytes, it decodes to " + key.length);
        } else {
          c.tokenStoreKey = key;
        }
      } catch (IllegalArgumentException e) {
        problems.add(name + ".tokenStore.key must be base64 of 32 random bytes");
      }
    });

    if (c.flow != null) {
      switch (c.flow) {
        case CLIENT_SECRET -> {
          if (c.clientSecrets.isEmpty() && !problems.stream().anyMatch(p -> p.startsWith(name + ".clientSecret"))) {
            problems.add(name + ".clientSecret is required for flow client-secret: write env:NAME or file:PATH");
          }
        }
        case CLIENT_CERTIFICATE -> {
          if (c.certificateFile == null && (c.certificateKey == null || c.certificateCert == null)
              && !problems.stream().anyMatch(p -> p.startsWith(name + ".certificate"))) {
            problems.add(name + ".certificate (a PKCS#12 file) or both " + name + ".certificate.key and " + name
                + ".certificate.cert (PEM files) are required for flow client-certificate");
          }
          if (c.certificateFile != null && c.certificatePassword == null
              && !problems.stream().anyMatch(p -> p.startsWith(name + ".certificate.password"))) {
            problems.add(name + ".certificate.password is required with a PKCS#12 certificate: write env:NAME or file:PATH");
          }
          TrustStores.checkCertificate(name, c.certificateFile, c.certificatePassword, c.certificateKey,
              c.certificateCert, problems);
        }
        case USERNAME_PASSWORD -> {
          if (c.username == null) {
            problems.add(name + ".username is required for flow username-password (the user's sign-in name)");
          } else if (!c.username.contains("@")) {
            problems.add(name + ".username '" + ConfigText.shown(c.username) + "' is not a sign-in name: write the"
                + " user's UPN such as queue@contoso.com");
          }
          if (c.tenant == null && !c.consumers && c.accountTypes == AccountTypes.MULTI_TENANT_AND_PERSONAL) {
            problems.add(name + ".accountTypes MULTI_TENANT_AND_PERSONAL signs in through /common, where"
                + " username-password cannot: set " + name + ".accountTypes to MULTI_TENANT or set " + name
                + ".tenant");
          }
          if (c.password == null && !problems.stream().anyMatch(p -> p.startsWith(name + ".password"))) {
            problems.add(name + ".password is required for flow username-password: write env:NAME or file:PATH");
          }
        }
        default -> {
          // device code and interactive need nothing more
        }
      }
      if (c.consumers && (c.flow.appOnly() || c.flow == SetupGuide.Flow.USERNAME_PASSWORD)) {
        problems.add(name + ".flow " + flowText + " cannot sign in personal Microsoft accounts (" + name
            + ".tenant = consumers): Entra has no client credentials or username/password for them; use"
            + " device-code or interactive");
      } else if (c.flow.appOnly() && c.tenant == null) {
        problems.add(name + ".tenant is required for flow " + flowText + ": app-only tokens need the Directory (tenant) ID");
      }
    }
    if (c.accountTypes == AccountTypes.SINGLE_TENANT && c.tenant == null && !c.consumers && c.flow != null
        && !c.flow.appOnly()) {
      problems.add(name + ".tenant is required when accountTypes is SINGLE_TENANT (or set accountTypes to MULTI_TENANT)");
    }
    if (!c.consumers) {
      RegistrationChecks.checkRegistration(name, c.clientId, c.tenant, c.accountTypes, c.cloud, problems);
    }
    if (c.flow != null && !c.flow.appOnly() && c.tokenStore != null && c.tokenStoreKey == null
        && !problems.stream().anyMatch(p -> p.startsWith(name + ".tokenStore.key"))) {
      c.warn(name + ".tokenStore: refresh tokens will be stored unencrypted in " + c.tokenStore + "; set " + name
          + ".tokenStore.key = env:NAME (base64 of 32 random bytes) to encrypt them");
    }
    c.warnings.addAll(r.warnings());
    return new Parsed(problems.isEmpty() ? c : null, problems);
  }

  // ----- accessors -----

  public String name() {
    return name;
  }

  public String clientId() {
    return clientId;
  }

  public Optional<String> tenant() {
    return Optional.ofNullable(tenant);
  }

  /** {@code tenant = consumers}: the app signs in through {@code /consumers}, personal accounts only. */
  public boolean consumers() {
    return consumers;
  }

  public AccountTypes accountTypes() {
    return accountTypes;
  }

  public Cloud cloud() {
    return cloud;
  }

  public SetupGuide.Flow flow() {
    return flow;
  }

  public List<ClientSecret> clientSecrets() {
    return List.copyOf(clientSecrets);
  }

  public Optional<Path> certificateFile() {
    return Optional.ofNullable(certificateFile);
  }

  public Optional<char[]> certificatePassword() {
    return Optional.ofNullable(certificatePassword).map(char[]::clone);
  }

  public Optional<Path> certificateKey() {
    return Optional.ofNullable(certificateKey);
  }

  public Optional<Path> certificateCert() {
    return Optional.ofNullable(certificateCert);
  }

  public Optional<String> username() {
    return Optional.ofNullable(username);
  }

  public Optional<char[]> password() {
    return Optional.ofNullable(password).map(char[]::clone);
  }

  public Protocol protocol() {
    return protocol;
  }

  public String mailbox() {
    return mailbox;
  }

  /**
   * What the connection is for ({@code <name>.use = read | send | read,send}, default read,send): a send-only
   * connection (delegated Mail.Send only) is checked by the doctor without reading its mailbox.
   */
  public Set<ConnectionDoctor.Use> uses() {
    return Set.copyOf(uses);
  }

  /** Whether {@code <name>.use} was set (the doctor only warns about sending when it was not). */
  public boolean useSet() {
    return useSet;
  }

  /** Whether the connection only sends. */
  public boolean sendOnly() {
    return !uses.contains(ConnectionDoctor.Use.READ);
  }

  public FolderRef folder() {
    return folder;
  }

  public PostAction postAction() {
    return postAction;
  }

  public Optional<FolderRef> parkFolder() {
    return Optional.ofNullable(parkFolder);
  }

  public Optional<URI> authorityHost() {
    return Optional.ofNullable(authorityHost);
  }

  public Optional<String> graphBaseUrl() {
    return Optional.ofNullable(graphBaseUrl);
  }

  public Optional<String> imapHost() {
    return Optional.ofNullable(imapHost);
  }

  /**
   * The request window the Graph connector paces under, as {@code {requests, seconds}}, when configured (default
   * Exchange's 10,000 per 600 s); a smaller share when several processes use one app on one mailbox.
   */
  public Optional<int[]> graphRequestWindow() {
    return Optional.ofNullable(graphRequestWindow).map(int[]::clone);
  }

  public Optional<Integer> imapPort() {
    return Optional.ofNullable(imapPort);
  }

  public Optional<String> smtpHost() {
    return Optional.ofNullable(smtpHost);
  }

  public Optional<Integer> smtpPort() {
    return Optional.ofNullable(smtpPort);
  }

  /**
   * {@code proxy} ({@code http://host:port}, {@code socks5://host:port}, {@code none} or {@code system}, the
   * default), {@code proxy.user} with {@code proxy.password} (env:NAME or file:PATH only), and {@code proxy.noProxy}
   * (host names, *.suffix, IP addresses, separated by commas).
   */
  private static ProxySettings proxy(ConfigReader r, String name, List<String> problems) {
    String text = r.optional("proxy");
    String user = r.optional("proxy.user");
    char[] password = r.secret("proxy.password").orElse(null);
    String noProxy = r.optional("proxy.noProxy");
    if (text == null) {
      if (user != null || password != null || noProxy != null) {
        problems.add(name + ".proxy is missing: proxy.user, proxy.password and proxy.noProxy need a proxy ="
            + " http://host:port (or socks5://host:port)");
      }
      return ProxySettings.system();
    }
    ProxySettings p;
    try {
      p = ProxySettings.parse(text);
    } catch (IllegalArgumentException e) {
      problems.add(name + ".proxy: " + ConfigText.message(e.getMessage()));
      return ProxySettings.system();
    }
    if (user != null || password != null) {
      if (user == null || password == null) {
        problems.add(name + (user == null ? ".proxy.user" : ".proxy.password") + " is missing: the proxy's"
            + " credentials need both proxy.user and proxy.password (env:NAME or file:PATH)");
      } else if (p.type() != ProxySettings.Type.HTTP) {
        problems.add(name + ".proxy.user: proxy credentials need an HTTP proxy (proxy = http://host:port)");
      } else {
        try {
          char[] kept = password.clone();
          p = p.withCredentials(user, kept::clone);
        } catch (IllegalArgumentException e) {
          problems.add(name + ".proxy.user: " + ConfigText.message(e.getMessage()));
        }
      }
      if (password != null) {
        java.util.Arrays.fill(password, '\0');
      }
    }
    if (noProxy != null) {
      try {
        p = p.withNoProxy(List.of(noProxy.split(",")));
      } catch (IllegalArgumentException e) {
        problems.add(name + ".proxy.noProxy: " + ConfigText.message(e.getMessage()));
      }
    }
    return p;
  }

  /** How every connection of this configuration is reached: {@code <name>.proxy} and its keys. */
  public ProxySettings proxy() {
    return proxy;
  }

  public Optional<Path> trustStore() {
    return Optional.ofNullable(trustStore);
  }

  /** The certificates of {@link #trustStore()}, read and checked when the file was (PKCS#12 or PEM). */
  public Optional<KeyStore> trustAnchors() {
    return Optional.ofNullable(trustAnchors);
  }

  /**
   * What the sign-in endpoint's certificate is checked against: {@code authorityTrustStore} when set, else {@code
   * trustStore}; empty for the JVM's trusted CAs.
   */
  public Optional<KeyStore> authorityTrustAnchors() {
    return Optional.ofNullable(authorityTrustAnchors != null ? authorityTrustAnchors : trustAnchors);
  }

  /**
   * What the certificates of Graph, IMAP and SMTP are checked against: {@code mailTrustStore} when set, else {@code
   * trustStore}; empty for the JVM's trusted CAs.
   */
  public Optional<KeyStore> mailTrustAnchors() {
    return Optional.ofNullable(mailTrustAnchors != null ? mailTrustAnchors : trustAnchors);
  }

  /** The key that sets the sign-in side's trust: {@code <name>.authorityTrustStore} or {@code <name>.trustStore}. */
  public String authorityTrustKey() {
    return name + (authorityTrustAnchors != null ? ".authorityTrustStore" : ".trustStore");
  }

  /** The key that sets the mail side's trust: {@code <name>.mailTrustStore} or {@code <name>.trustStore}. */
  public String mailTrustKey() {
    return name + (mailTrustAnchors != null ? ".mailTrustStore" : ".trustStore");
  }

  /**
   * What the operator should know but that does not stop the connection: a secret file others can read, refresh
   * tokens stored unencrypted, a mailbox another connection imports too. One line each.
   */
  public List<String> warnings() {
    return List.copyOf(warnings);
  }

  void warn(String warning) {
    warnings.add(warning);
  }

  public Optional<Path> tokenStore() {
    return Optional.ofNullable(tokenStore);
  }

  /** The PostgreSQL JDBC URL of {@code <name>.tokenStore} when the sign-in is kept in a database. */
  public Optional<String> tokenStoreUrl() {
    return Optional.ofNullable(tokenStoreUrl);
  }

  /** {@code <name>.store.user}: the database user of {@code import --store} and of a tokenStore in PostgreSQL. */
  public Optional<String> storeUser() {
    return Optional.ofNullable(storeUser);
  }

  /** {@code <name>.store.password}, resolved from its reference. */
  public Optional<char[]> storePassword() {
    return Optional.ofNullable(storePassword).map(char[]::clone);
  }

  public Optional<byte[]> tokenStoreKey() {
    return Optional.ofNullable(tokenStoreKey).map(byte[]::clone);
  }

  @Override
  public String toString() {
    return "ConnectionConfig[" + name + ", clientId=" + clientId + ", tenant=" + (consumers ? "consumers" : tenant) + ", flow=" + flow
        + ", protocol=" + protocol + ", use=" + uses + ", mailbox=" + mailbox + ", secrets=" + clientSecrets.size()
        + "]";
  }
}
