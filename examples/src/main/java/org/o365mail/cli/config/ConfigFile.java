package org.o365mail.cli.config;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

/**
 * The o365mail configuration file: Java properties, one or more named connections, each key prefixed by the
 * connection's name. Secrets are only ever references ({@code env:NAME} or {@code file:PATH}); a literal
 * secret is refused. Every problem names its key and what is allowed, and all problems are reported at once.
 *
 * <pre>
 * # which connections this file has (optional: by default every prefix)
 * connections = invoices
 *
 * invoices.clientId      = 1b2c3d4e-0000-1111-2222-333344445555
 * invoices.tenant        = contoso.onmicrosoft.com
 * invoices.flow          = client-secret
 * invoices.clientSecret  = env:INVOICES_CLIENT_SECRET
 * invoices.clientSecret.expiresAt = 2027-05-31
 * invoices.protocol      = imap
 * invoices.mailbox       = invoices@contoso.com
 * invoices.postAction    = move:Inbox/Imported
 * </pre>
 */
public final class ConfigFile {
  /** Every key a connection may have, after its prefix. */
  static final Set<String> KEYS = new TreeSet<>(List.of(
      "clientId", "tenant", "accountTypes", "cloud", "flow",
      "clientSecret", "clientSecret.id", "clientSecret.expiresAt",
      "clientSecret2", "clientSecret2.id", "clientSecret2.expiresAt",
      "certificate", "certificate.password", "certificate.key", "certificate.cert",
      "username", "password",
      "protocol", "mailbox", "folder", "postAction", "parkFolder",
      "authorityHost", "graphBaseUrl", "graphRequestWindow", "imapHost", "imapPort", "smtpHost", "smtpPort",
      "trustStore", "trustStore.password", "tokenStore", "tokenStore.key"));

  private final Map<String, ConnectionConfig> connections;
  private final Path source;

  private ConfigFile(Map<String, ConnectionConfig> connections, Path source) {
    this.connections = connections;
    this.source = source;
  }

  /** Reads and validates a file; environment variables come from the process. */
  public static ConfigFile load(Path file) {
    return load(file, System::getenv);
  }

  /** Reads and validates a file, resolving {@code env:} references with {@code environment}. */
  public static ConfigFile load(Path file, UnaryOperator<String> environment) {
    requireNonNull(file, "file");
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException(file, List.of("cannot read " + file + ": " + e.getMessage()));
    }
    return parse(text, file, environment);
  }

  public static ConfigFile parse(String text, Path source, UnaryOperator<String> environment) {
    Properties properties = new Properties();
    try (Reader reader = new StringReader(text)) {
      properties.load(reader);
    } catch (IOException | IllegalArgumentException e) {
      throw new ConfigException(source, List.of("the file is not in Java properties format: " + e.getMessage()));
    }
    Map<String, String> all = new LinkedHashMap<>();
    for (String name : properties.stringPropertyNames()) {
      all.put(name.trim(), properties.getProperty(name).trim());
    }
    List<String> problems = new ArrayList<>();
    Set<String> names = new LinkedHashSet<>();
    String declared = all.remove("connections");
    if (declared != null) {
      for (String n : declared.split(",")) {
        if (!n.isBlank()) {
          names.add(n.trim());
        }
      }
    }
    Set<String> prefixes = new TreeSet<>();
    for (String key : all.keySet()) {
      int dot = key.indexOf('.');
      if (dot <= 0) {
        problems.add("key '" + key + "' has no connection prefix: write <connection>." + key + " (keys: " + KEYS + ")");
        continue;
      }
      prefixes.add(key.substring(0, dot));
    }
    if (names.isEmpty()) {
      names.addAll(prefixes);
    } else {
      for (String p : prefixes) {
        if (!names.contains(p)) {
          problems.add("keys start with '" + p + ".' but 'connections' does not list " + p);
        }
      }
    }
    if (names.isEmpty() && problems.isEmpty()) {
      problems.add("the file defines no connection: add keys such as myconnection.clientId");
    }
    Map<String, ConnectionConfig> connections = new LinkedHashMap<>();
    for (String name : names) {
      Map<String, String> values = new LinkedHashMap<>();
      for (Map.Entry<String, String> e : all.entrySet()) {
        if (e.getKey().startsWith(name + ".")) {
          String key = e.getKey().substring(name.length() + 1);
          if (!KEYS.contains(key)) {
            problems.add(name + "." + key + " is not a known key; known keys: " + KEYS);
            continue;
          }
          values.put(key, e.getValue());
        }
      }
      ConnectionConfig.Parsed parsed = ConnectionConfig.parse(name, values, environment,
          source == null ? null : source.toAbsolutePath().getParent());
      problems.addAll(parsed.problems());
      if (parsed.config() != null) {
        connections.put(name, parsed.config());
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(source, problems);
    }
    return new ConfigFile(connections, source);
  }

  public Map<String, ConnectionConfig> connections() {
    return connections;
  }

  /** The named connection, or the only one when {@code name} is null. */
  public ConnectionConfig connection(String name) {
    if (name == null) {
      if (connections.size() != 1) {
        throw new ConfigException(source, List.of("the file has " + connections.size() + " connections "
            + connections.keySet() + ": choose one with --connection"));
      }
      return connections.values().iterator().next();
    }
    ConnectionConfig c = connections.get(name);
    if (c == null) {
      throw new ConfigException(source, List.of("no connection '" + name + "' in the file; it has " + connections.keySet()));
    }
    return c;
  }

  public Path source() {
    return source;
  }
}
