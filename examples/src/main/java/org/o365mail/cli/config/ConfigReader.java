package org.o365mail.cli.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.o365mail.internal.BoundedFiles;

/**
 * Reads the values of one connection, collecting problems that name their key: plain values, ports, dates, hosts,
 * files, and secrets, which may only be references ({@code env:NAME} or {@code file:PATH}) and are resolved here.
 * Warns of secret files others can read.
 *
 * <p>Not thread-safe: one reader per connection being parsed.
 */
final class ConfigReader {
/** A host name, an IPv4 address or an IPv6 address (in brackets or not); no scheme, port or path. */
private static final Pattern HOST = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\\[?[0-9A-Fa-f:.]+]?");

  private final String name;
  private final Map<String, String> values;
  private final UnaryOperator<String> env;
  private final Path baseDir;
  private final List<String> problems;
  private final List<String> warnings = new ArrayList<>();

  ConfigReader(String name, Map<String, String> values, UnaryOperator<String> env, Path baseDir, List<String> problems) {
    this.name = name;
    this.values = values;
    this.env = env;
    this.baseDir = baseDir;
    this.problems = problems;
  }

  /** What was found worth a warning while reading (secret files others can read). */
  List<String> warnings() {
    return warnings;
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
      problems.add(name + "." + key + " '" + ConfigText.shown(v) + "' is not one of " + allowed);
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
      problems.add(name + "." + key + " '" + ConfigText.shown(v) + "' is not a port number (1 to 65535)");
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
      problems.add(name + "." + key + " '" + ConfigText.shown(v) + "' is not a date: write 2027-05-31 or"
          + " 2027-05-31T00:00:00Z");
      return null;
    }
  }

  /** A host name or IP address, without scheme, port or path. */
  String host(String key) {
    String v = optional(key);
    if (v != null && !HOST.matcher(v).matches()) {
      problems.add(name + "." + key + " '" + ConfigText.shown(v) + "' is not a host name: write only the host,"
          + " such as outlook.office365.com (the port has its own key)");
      return null;
    }
    return v;
  }

  Path resolvePath(String text) {
    Path p;
    try {
      p = Path.of(text);
    } catch (InvalidPathException e) {
      return null;
    }
    return p.isAbsolute() || baseDir == null ? p : baseDir.resolve(p);
  }

  /** A file the connection reads (trust store, certificate): a regular file of at most 4 MiB. */
  Path file(String key) {
    String v = optional(key);
    if (v == null) {
      return null;
    }
    String path = v.startsWith("file:") ? v.substring(5) : v;
    Path p = resolvePath(path);
    String why = p == null ? "'" + ConfigText.shown(path) + "' is not a file path"
        : ConfigText.unusable(p, ConfigText.MAX_KEY_FILE_BYTES);
    if (why != null) {
      problems.add(name + "." + key + ": file " + why);
      return null;
    }
    if (key.equals("certificate.key")) {
      warnIfReadableByOthers(key, p);
    }
    return p;
  }

  private void warnIfReadableByOthers(String key, Path p) {
    String who = ConfigText.readableByOthers(p);
    if (who != null) {
      warnings.add(name + "." + key + ": " + p + " holds a secret and is readable by " + who + ": chmod 600 it so"
          + " only the user of this service can read it");
    }
  }

  /** A secret: only env:NAME or file:PATH are accepted. */
  Optional<char[]> secret(String key) {
    String v = values.get(key);
    if (v == null || v.isBlank()) {
      return Optional.empty();
    }
    v = v.trim();
    if (v.startsWith("env:")) {
      String variable = v.substring(4).trim();
      if (variable.isEmpty()) {
        problems.add(name + "." + key + " = env: names no environment variable: write env:NAME");
        return Optional.empty();
      }
      String value = env.apply(variable);
      if (value == null || value.isBlank()) {
        problems.add(name + "." + key + " refers to environment variable " + ConfigText.shown(variable)
            + ", which is not set");
        return Optional.empty();
      }
      return Optional.of(value.toCharArray());
    }
    if (v.startsWith("file:")) {
      Path p = resolvePath(v.substring(5).trim());
      String why = p == null ? "'" + ConfigText.shown(v.substring(5)) + "' is not a file path"
          : ConfigText.unusable(p, ConfigText.MAX_SECRET_BYTES);
      if (why != null) {
        problems.add(name + "." + key + " refers to file " + why);
        return Optional.empty();
      }
      String text;
      try {
        text = new String(BoundedFiles.read(p, ConfigText.MAX_SECRET_BYTES), StandardCharsets.UTF_8).strip();
      } catch (IOException e) {
        problems.add(name + "." + key + " refers to file " + p + ", which cannot be read: "
            + ConfigText.shown(String.valueOf(e.getMessage())));
        return Optional.empty();
      }
      if (text.isEmpty()) {
        problems.add(name + "." + key + " refers to file " + p + ", which is empty");
        return Optional.empty();
      }
      warnIfReadableByOthers(key, p);
      return Optional.of(text.toCharArray());
    }
    problems.add(name + "." + key + " holds a literal secret, which this file may not: put the value in an"
        + " environment variable and write env:NAME, or in a file only this service can read and write file:PATH");
    return Optional.empty();
  }
}
