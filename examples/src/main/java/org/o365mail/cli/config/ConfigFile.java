package org.o365mail.cli.config;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.o365mail.internal.BoundedFiles;

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
      "protocol", "use", "mailbox", "folder", "postAction", "parkFolder",
      "authorityHost", "graphBaseUrl", "graphRequestWindow", "imapHost", "imapPort", "smtpHost", "smtpPort",
      "trustStore", "trustStore.password", "authorityTrustStore", "authorityTrustStore.password",
      "mailTrustStore", "mailTrustStore.password", "tokenStore", "tokenStore.key", "store.user", "store.password"));

  /** How many unknown keys, duplicated keys and the like a problem names before it counts the rest. */
  static final int LISTED = 10;

  /** A connection's name: what may come before the first dot of its keys. */
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  /** What a key looks like (a connection name, dots, a known key's letters); anything else is not echoed. */
  private static final Pattern KEY_LIKE = Pattern.compile("[A-Za-z0-9_-]{1,64}(\\.[A-Za-z0-9_-]{1,64}){0,3}");

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

  /**
   * Reads and validates a file, resolving {@code env:} references with {@code environment}. Only a regular file of
   * at most 1 MiB is read: a directory, a FIFO or a device is refused without opening it.
   */
  public static ConfigFile load(Path file, UnaryOperator<String> environment) {
    requireNonNull(file, "file");
    String why = ConfigText.unusable(file, ConfigText.MAX_CONFIG_BYTES);
    if (why != null) {
      throw new ConfigException(file, List.of("--config: " + why));
    }
    String text;
    try {
      byte[] bytes = BoundedFiles.read(file, ConfigText.MAX_CONFIG_BYTES);
      text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new ConfigException(file, List.of("--config: " + file + " is not UTF-8 text"));
    } catch (IOException e) {
      throw new ConfigException(file, List.of("--config: cannot read " + file + ": "
          + ConfigText.shown(String.valueOf(e.getMessage()))));
    }
    return parse(text, file, environment);
  }

  public static ConfigFile parse(String text, Path source, UnaryOperator<String> environment) {
    List<String> problems = new ArrayList<>();
    Map<String, Integer> firstLines = new LinkedHashMap<>();
    Map<String, String> all = entries(text, problems, firstLines);
    Function<String, String> display = key -> shownKey(key, firstLines);
    Set<String> names = new LinkedHashSet<>();
    String declared = all.remove("connections");
    if (declared != null) {
      for (String n : declared.split(",")) {
        if (!n.isBlank()) {
          if (NAME.matcher(n.trim()).matches()) {
            names.add(n.trim());
          } else {
            problems.add("connections: '" + ConfigText.shown(n.trim()) + "' is not a connection name (letters,"
                + " digits, - and _)");
          }
        }
      }
    }
    Set<String> prefixes = new TreeSet<>();
    List<String> unprefixed = new ArrayList<>();
    for (String key : all.keySet()) {
      int dot = key.indexOf('.');
      if (dot <= 0 || !NAME.matcher(key.substring(0, dot)).matches()) {
        unprefixed.add(key);
        continue;
      }
      prefixes.add(key.substring(0, dot));
    }
    if (!unprefixed.isEmpty()) {
      problems.add(listed(unprefixed, display, " does not start with a connection name",
          " do not start with a connection name") + ": write <connection>.<key>, the connection's name made of"
          + " letters, digits, - and _ (keys: " + KEYS + ")");
    }
    if (names.isEmpty()) {
      names.addAll(prefixes);
    } else {
      List<String> unlisted = new ArrayList<>();
      for (String p : prefixes) {
        if (!names.contains(p)) {
          unlisted.add(p);
        }
      }
      if (!unlisted.isEmpty()) {
        problems.add(listed(unlisted, ConfigText::shown, " is a key prefix that 'connections' does not list",
            " are key prefixes that 'connections' does not list") + ": add to connections or remove their keys");
      }
    }
    if (names.isEmpty() && problems.isEmpty()) {
      problems.add("the file defines no connection: add keys such as myconnection.clientId");
    }
    List<String> unknown = new ArrayList<>();
    Map<String, Map<String, String>> byConnection = new LinkedHashMap<>();
    for (String name : names) {
      byConnection.put(name, new LinkedHashMap<>());
    }
    for (Map.Entry<String, String> e : all.entrySet()) {
      int dot = e.getKey().indexOf('.');
      Map<String, String> values = dot <= 0 ? null : byConnection.get(e.getKey().substring(0, dot));
      if (values == null) {
        continue;
      }
      String key = e.getKey().substring(dot + 1);
      if (KEYS.contains(key)) {
        values.put(key, e.getValue());
      } else {
        unknown.add(e.getKey());
      }
    }
    if (!unknown.isEmpty()) {
      problems.add(listed(unknown, display, " is not a known key", " are not known keys")
          + "; known keys after the connection's name: " + KEYS);
    }
    Map<String, ConnectionConfig> connections = new LinkedHashMap<>();
    for (Map.Entry<String, Map<String, String>> e : byConnection.entrySet()) {
      ConnectionConfig.Parsed parsed = ConnectionConfig.parse(e.getKey(), e.getValue(), environment,
          source == null ? null : source.toAbsolutePath().getParent());
      problems.addAll(parsed.problems());
      if (parsed.config() != null) {
        connections.put(e.getKey(), parsed.config());
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(source, problems);
    }
    warnSharedMailboxes(connections);
    return new ConfigFile(connections, source);
  }

  /**
   * Two connections that import the same folder of the same mailbox: each keeps its own checkpoint, so both would
   * import every message, and their post-actions (move, delete) would race. Not an error: one of them may only
   * ever send, or be a spare for the other.
   */
  private static void warnSharedMailboxes(Map<String, ConnectionConfig> connections) {
    List<ConnectionConfig> list = new ArrayList<>(connections.values());
    for (int i = 0; i < list.size(); i++) {
      for (int j = i + 1; j < list.size(); j++) {
        ConnectionConfig a = list.get(i);
        ConnectionConfig b = list.get(j);
        if (a.mailbox().equalsIgnoreCase(b.mailbox()) && a.folder().equals(b.folder())) {
          String warning = a.name() + ".mailbox and " + b.name() + ".mailbox are both " + ConfigText.shown(a.mailbox())
              + " (folder " + ConfigText.shown(a.folder().toString()) + "): imports through both would each take"
              + " every message and race on the post-action; keep one connection per mailbox and folder";
          a.warn(warning);
          b.warn(warning);
        }
      }
    }
  }

  /**
   * The file's keys and values, in file order, keys and values trimmed. Unlike {@link Properties#load}, which
   * keeps the last of two equal keys without a word, a key set twice is a problem naming its lines.
   */
  private static Map<String, String> entries(String text, List<String> problems, Map<String, Integer> firstLines) {
    Map<String, String> values = new LinkedHashMap<>();
    Map<String, List<Integer>> lines = new LinkedHashMap<>();
    for (LogicalLine line : logicalLines(text)) {
      Map<String, String> one = new LinkedHashMap<>();
      Properties reader = new Properties() {
        private static final long serialVersionUID = 1L;

        @Override
        public synchronized Object put(Object key, Object value) {
          one.put((String) key, (String) value);
          return null;
        }
      };
      try {
        reader.load(new StringReader(line.text()));
      } catch (IOException | IllegalArgumentException e) {
        problems.add("line " + line.number() + " is not in Java properties format: "
            + ConfigText.shown(String.valueOf(e.getMessage())));
        continue;
      }
      for (Map.Entry<String, String> e : one.entrySet()) {
        String key = e.getKey().trim();
        lines.computeIfAbsent(key, k -> new ArrayList<>()).add(line.number());
        values.putIfAbsent(key, e.getValue().trim());
      }
    }
    lines.forEach((key, at) -> firstLines.put(key, at.get(0)));
    int duplicated = 0;
    for (Map.Entry<String, List<Integer>> e : lines.entrySet()) {
      List<Integer> at = e.getValue();
      if (at.size() > 1) {
        duplicated++;
        if (duplicated <= LISTED) {
          problems.add(shownKey(e.getKey(), firstLines) + " is set " + (at.size() == 2 ? "twice" : at.size() + " times")
              + ", on lines " + joinLines(at) + ": keep one");
        }
      }
    }
    if (duplicated > LISTED) {
      problems.add("... and " + (duplicated - LISTED) + " more keys set more than once");
    }
    return values;
  }

  private static String joinLines(List<Integer> at) {
    List<String> shown = new ArrayList<>();
    for (int i = 0; i < Math.min(at.size(), LISTED); i++) {
      shown.add(String.valueOf(at.get(i)));
    }
    String text = String.join(", ", shown.subList(0, shown.size() - 1)) + " and " + shown.get(shown.size() - 1);
    return at.size() > LISTED ? text + " and " + (at.size() - LISTED) + " more" : text;
  }

  /** "a.x, a.y (and 5 more) are not known keys": at most {@value #LISTED} named, each shortened. */
  private static String listed(List<String> items, Function<String, String> display, String one, String many) {
    List<String> shown = new ArrayList<>();
    for (int i = 0; i < Math.min(items.size(), LISTED); i++) {
      shown.add(display.apply(items.get(i)));
    }
    return String.join(", ", shown) + (items.size() > LISTED ? " (and " + (items.size() - LISTED) + " more)" : "")
        + (items.size() == 1 ? one : many);
  }

  /**
   * A key as a message shows it: itself when it looks like a key, else "the key on line 7". A secret pasted on a
   * line of its own becomes a key without value; this keeps it out of the error output (and CI logs).
   */
  private static String shownKey(String key, Map<String, Integer> firstLines) {
    return KEY_LIKE.matcher(key).matches() ? key : "the key on line " + firstLines.get(key);
  }

  /** One entry of a properties file: its text, with continuation lines, and the number of its first line. */
  private record LogicalLine(int number, String text) {}

  /**
   * Splits properties text into entries as {@link Properties#load(java.io.Reader)} reads it: lines end at \n, \r
   * or \r\n; blank lines and lines starting with # or ! are comments; a line ending in an odd number of
   * backslashes continues on the next.
   */
  private static List<LogicalLine> logicalLines(String text) {
    List<LogicalLine> result = new ArrayList<>();
    StringBuilder current = null;
    int start = 0;
    int number = 0;
    int i = 0;
    int n = text.length();
    while (i < n || (i == n && current != null)) {
      int end = i;
      while (end < n && text.charAt(end) != '\n' && text.charAt(end) != '\r') {
        end++;
      }
      String line = text.substring(i, end);
      number++;
      if (end < n && text.charAt(end) == '\r' && end + 1 < n && text.charAt(end + 1) == '\n') {
        end++;
      }
      i = end + 1;
      if (current == null) {
        String lead = line.stripLeading();
        if (lead.isEmpty() || lead.charAt(0) == '#' || lead.charAt(0) == '!') {
          continue;
        }
        current = new StringBuilder(line);
        start = number;
      } else {
        current.append('\n').append(line);
      }
      int backslashes = 0;
      for (int k = line.length() - 1; k >= 0 && line.charAt(k) == '\\'; k--) {
        backslashes++;
      }
      if (backslashes % 2 == 0 || i > n) {
        result.add(new LogicalLine(start, current.toString()));
        current = null;
      }
    }
    return result;
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
