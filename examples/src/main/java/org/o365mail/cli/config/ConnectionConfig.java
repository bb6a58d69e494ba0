package org.o365mail.cli.config;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.o365mail.DeleteMode;
import org.o365mail.FolderRef;
import org.o365mail.auth.AccountTypes;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.Cloud;
import org.o365mail.importer.PostAction;
import org.o365mail.setup.SetupGuide;

/**
 * One validated connection of the configuration file. Secret values are resolved from their references and
 * never appear in {@link #toString()}.
 */
public final class ConnectionConfig {
  private static final Pattern GUID =
      Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

  /** The mail protocol of a connection. */
  public enum Protocol {
    GRAPH,
    IMAP
  }

  private String name;
  private String clientId;
  private String tenant;
  private AccountTypes accountTypes = AccountTypes.SINGLE_TENANT;
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
  private char[] trustStorePassword;
  private Path tokenStore;
  private byte[] tokenStoreKey;

  record Parsed(ConnectionConfig config, List<String> problems) {}

  private ConnectionConfig() {}

  static Parsed parse(String name, Map<String, String> values, UnaryOperator<String> env, Path baseDir) {
    ConnectionConfig c = new ConnectionConfig();
    c.name = name;
    List<String> problems = new ArrayList<>();
    Reader r = new Reader(name, values, env, baseDir, problems);

    c.clientId = r.required("clientId", "the Application (client) ID, a GUID from the app's Overview page");
    if (c.clientId != null && !GUID.matcher(c.clientId).matches()) {
      problems.add(name + ".clientId '" + c.clientId + "' is not a GUID: use the Application (client) ID from the"
          + " app registration's Overview page");
    }
    c.tenant = r.optional("tenant");
    c.accountTypes = r.enumValue("accountTypes", AccountTypes.class, AccountTypes.SINGLE_TENANT);
    c.cloud = r.enumValue("cloud", Cloud.class, Cloud.GLOBAL);
    String flowText = r.required("flow", "one of client-secret, client-certificate, username-password, device-code,"
        + " interactive");
    if (flowText != null) {
      try {
        c.flow = SetupGuide.Flow.parse(flowText);
      } catch (IllegalArgumentException e) {
        problems.add(name + ".flow: " + e.getMessage());
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
          problems.add(name + "." + key + ": " + e.getMessage());
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
        problems.add(name + ".protocol '" + protocolText + "' is not one of graph, imap");
      }
    }
    c.mailbox = r.required("mailbox", "the mailbox address, e.g. invoices@contoso.com");
    if (c.mailbox != null && !c.mailbox.matches("[^@\\s]+@[^@\\s]+\\.[^@\\s]+")) {
      problems.add(name + ".mailbox '" + c.mailbox + "' is not an email address");
    }
    String folderText = r.optional("folder");
    if (folderText != null) {
      try {
        c.folder = FolderRef.path(folderText);
      } catch (IllegalArgumentException e) {
        problems.add(name + ".folder: " + e.getMessage());
      }
    }
    String post = r.optional("postAction");
    if (post != null) {
      c.postAction = postAction(name, post, problems);
    }
    String park = r.optional("parkFolder");
    if (park != null) {
      c.parkFolder = FolderRef.path(park);
    }
    String authority = r.optional("authorityHost");
    if (authority != null) {
      try {
        URI uri = URI.create(authority);
        if (!"https".equals(uri.getScheme()) || uri.getHost() == null) {
          problems.add(name + ".authorityHost '" + authority + "' must be an https URL such as https://login.microsoftonline.com");
        } else {
          c.authorityHost = uri;
        }
      } catch (IllegalArgumentException e) {
        problems.add(name + ".authorityHost '" + authority + "' is not a URL");
      }
    }
    c.graphBaseUrl = r.optional("graphBaseUrl");
    if (c.graphBaseUrl != null && !c.graphBaseUrl.startsWith("https://")) {
      problems.add(name + ".graphBaseUrl '" + c.graphBaseUrl + "' must start with https://");
    }
    String window = r.optional("graphRequestWindow");
    if (window != null) {
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\s*(\\d{1,9})\\s*/\\s*(\\d{1,7})\\s*").matcher(window);
      if (!m.matches() || Integer.parseInt(m.group(1)) < 40 || Integer.parseInt(m.group(2)) < 1) {
        problems.add(name + ".graphRequestWindow '" + window + "' must be <requests>/<seconds>, at least 40 requests,"
            + " such as 10000/600 (Exchange's window per app and mailbox)");
      } else {
        c.graphRequestWindow = new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
      }
    }
    c.imapHost = r.optional("imapHost");
    c.imapPort = r.port("imapPort");
    c.smtpHost = r.optional("smtpHost");
    c.smtpPort = r.port("smtpPort");
    c.trustStore = r.file("trustStore");
    c.trustStorePassword = r.secret("trustStore.password").orElse(null);
    String store = r.optional("tokenStore");
    if (store != null) {
      c.tokenStore = r.resolvePath(store);
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
          if (c.certificateFile == null && (c.certificateKey == null || c.certificateCert == null)) {
            problems.add(name + ".certificate (a PKCS#12 file) or both " + name + ".certificate.key and " + name
                + ".certificate.cert (PEM files) are required for flow client-certificate");
          }
          if (c.certificateFile != null && c.certificatePassword == null) {
            problems.add(name + ".certificate.password is required with a PKCS#12 certificate: write env:NAME or file:PATH");
          }
        }
        case USERNAME_PASSWORD -> {
          if (c.username == null) {
            problems.add(name + ".username is required for flow username-password (the user's sign-in name)");
          }
          if (c.password == null && !problems.stream().anyMatch(p -> p.startsWith(name + ".password"))) {
            problems.add(name + ".password is required for flow username-password: write env:NAME or file:PATH");
          }
        }
        default -> {
          // device code and interactive need nothing more
        }
      }
      if (c.flow.appOnly() && c.tenant == null) {
        problems.add(name + ".tenant is required for flow " + flowText + ": app-only tokens need the Directory (tenant) ID");
      }
    }
    if (c.accountTypes == AccountTypes.SINGLE_TENANT && c.tenant == null && c.flow != null && !c.flow.appOnly()) {
      problems.add(name + ".tenant is required when accountTypes is SINGLE_TENANT (or set accountTypes to MULTI_TENANT)");
    }
    return new Parsed(problems.isEmpty() ? c : null, problems);
  }

  private static PostAction postAction(String name, String text, List<String> problems) {
    String t = text.trim();
    String lower = t.toLowerCase(Locale.ROOT);
    if (lower.equals("none")) {
      return PostAction.none();
    }
    if (lower.equals("mark-read")) {
      return PostAction.markRead();
    }
    if (lower.equals("delete")) {
      return PostAction.delete(DeleteMode.MOVE_TO_DELETED_ITEMS);
    }
    if (lower.equals("purge")) {
      return PostAction.delete(DeleteMode.PERMANENT);
    }
    if (lower.startsWith("move:") && t.length() > 5) {
      return PostAction.moveTo(FolderRef.path(t.substring(5)));
    }
    problems.add(name + ".postAction '" + text + "' is not one of none, mark-read, move:<folder path>, delete, purge");
    return PostAction.none();
  }

  /** Reads values, resolving references, collecting problems. */
  private static final class Reader {
    private final String name;
    private final Map<String, String> values;
    private final UnaryOperator<String> env;
    private final Path baseDir;
    private final List<String> problems;

    Reader(String name, Map<String, String> values, UnaryOperator<String> env, Path baseDir, List<String> problems) {
      this.name = name;
      this.values = values;
      this.env = env;
      this.baseDir = baseDir;
      this.problems = problems;
    }

    String optional(String key) {
      String v = values.get(key);
      return v == null || v.isBlank() ? null : v.trim();
    }

    String required(String key, String what) {
      String v = optional(key);
      if (v == null) {
        problems.add(name + "." + key + " is required: " + what);
      }
      return v;
    }

    <E extends Enum<E>> E enumValue(String key, Class<E> type, E fallback) {
      String v = optional(key);
      if (v == null) {
        return fallback;
      }
      try {
        return Enum.valueOf(type, v.toUpperCase(Locale.ROOT).replace('-', '_'));
      } catch (IllegalArgumentException e) {
        List<String> allowed = new ArrayList<>();
        for (E c : type.getEnumConstants()) {
          allowed.add(c.name());
        }
        problems.add(name + "." + key + " '" + v + "' is not one of " + allowed);
        return fallback;
      }
    }

    Integer port(String key) {
      String v = optional(key);
      if (v == null) {
        return null;
      }
      try {
        int p = Integer.parseInt(v);
        if (p < 1 || p > 65535) {
          throw new NumberFormatException();
        }
        return p;
      } catch (NumberFormatException e) {
        problems.add(name + "." + key + " '" + v + "' is not a port number (1 to 65535)");
        return null;
      }
    }

    Instant date(String key) {
      String v = optional(key);
      if (v == null) {
        return null;
      }
      try {
        return v.length() == 10 ? LocalDate.parse(v).atStartOfDay(ZoneOffset.UTC).toInstant() : Instant.parse(v);
      } catch (DateTimeParseException e) {
        problems.add(name + "." + key + " '" + v + "' is not a date: write 2027-05-31 or 2027-05-31T00:00:00Z");
        return null;
      }
    }

    Path resolvePath(String text) {
      Path p = Path.of(text);
      return p.isAbsolute() || baseDir == null ? p : baseDir.resolve(p);
    }

    Path file(String key) {
      String v = optional(key);
      if (v == null) {
        return null;
      }
      String path = v.startsWith("file:") ? v.substring(5) : v;
      Path p = resolvePath(path);
      if (!Files.isReadable(p)) {
        problems.add(name + "." + key + ": file " + p + " does not exist or cannot be read");
        return null;
      }
      return p;
    }

    /** A secret: only env:NAME or file:PATH are accepted. */
    Optional<char[]> secret(String key) {
      String v = values.get(key);
      if (v == null || v.isBlank()) {
        return Optional.empty();
      }
      v = v.trim();
      if (v.startsWith("env:")) {
        String variable = v.substring(4);
        String value = env.apply(variable);
        if (value == null || value.isBlank()) {
          problems.add(name + "." + key + " refers to environment variable " + variable + ", which is not set");
          return Optional.empty();
        }
        return Optional.of(value.toCharArray());
      }
      if (v.startsWith("file:")) {
        Path p = resolvePath(v.substring(5));
        try {
          return Optional.of(Files.readString(p, StandardCharsets.UTF_8).strip().toCharArray());
        } catch (IOException e) {
          problems.add(name + "." + key + " refers to file " + p + ", which cannot be read");
          return Optional.empty();
        }
      }
      problems.add(name + "." + key + " holds a literal secret, which this file may not: put the value in an"
          + " environment variable and write env:NAME, or in a file only this service can read and write file:PATH");
      return Optional.empty();
    }
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

  public Optional<Path> trustStore() {
    return Optional.ofNullable(trustStore);
  }

  public Optional<char[]> trustStorePassword() {
    return Optional.ofNullable(trustStorePassword).map(char[]::clone);
  }

  public Optional<Path> tokenStore() {
    return Optional.ofNullable(tokenStore);
  }

  public Optional<byte[]> tokenStoreKey() {
    return Optional.ofNullable(tokenStoreKey).map(byte[]::clone);
  }

  @Override
  public String toString() {
    return "ConnectionConfig[" + name + ", clientId=" + clientId + ", tenant=" + tenant + ", flow=" + flow
        + ", protocol=" + protocol + ", mailbox=" + mailbox + ", secrets=" + clientSecrets.size() + "]";
  }
}
