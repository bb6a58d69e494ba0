package org.o365mail.cli.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;

/**
 * PostgreSQL JDBC URLs of the stores ({@code import --store}, a {@code tokenStore} in PostgreSQL): {@code
 * jdbc:postgresql://host[:port]/database}, with parameters but never a password among them (the password is a
 * reference, {@code <name>.store.password = env:NAME}).
 *
 * <p>Stateless and thread-safe.
 */
public final class JdbcUrls {
  /** What every accepted URL starts with. */
  public static final String PREFIX = "jdbc:postgresql:";

  private static final String EXAMPLE = "jdbc:postgresql://db.contoso.com:5432/o365mail";

  private JdbcUrls() {}

  /** Whether {@code text} is meant as a database (it starts with {@code jdbc:}) rather than a directory. */
  public static boolean isJdbc(String text) {
    return text != null && text.trim().regionMatches(true, 0, "jdbc:", 0, 5);
  }

  /**
   * The host and port {@code url} names ({@code host:port}, 5432 when not given), or null after adding a problem
   * naming {@code key} to {@code problems}.
   */
  public static String check(String key, String url, List<String> problems) {
    String text = url.trim();
    if (!text.startsWith(PREFIX)) {
      problems.add(key + " '" + shown(text) + "' is not a PostgreSQL JDBC URL: write one such as " + EXAMPLE);
      return null;
    }
    URI uri;
    try {
      uri = new URI(text.substring(5));
    } catch (URISyntaxException e) {
      problems.add(key + " '" + shown(text) + "' is not a URL: write one such as " + EXAMPLE);
      return null;
    }
    if (uri.getHost() == null || uri.getHost().isEmpty() || uri.getPath() == null || uri.getPath().length() < 2) {
      problems.add(key + " '" + shown(text) + "' must name a host and a database, such as " + EXAMPLE);
      return null;
    }
    if (uri.getRawUserInfo() != null) {
      problems.add(key + " must have no user part before the host: set the user with <connection>.store.user");
      return null;
    }
    String query = uri.getRawQuery();
    if (query != null) {
      for (String parameter : query.split("&")) {
        if (parameter.toLowerCase(Locale.ROOT).contains("password")) {
          // the value is not shown: it is the secret this rule keeps out of the file and the command line
          problems.add(key + " holds a password parameter, which it may not: put the password in an environment"
              + " variable and set <connection>.store.password = env:NAME (or file:PATH)");
          return null;
        }
      }
    }
    return uri.getHost() + ":" + (uri.getPort() > 0 ? uri.getPort() : 5432);
  }

  /** The URL for a message: up to the query, which may hold parameters not meant for a log. */
  public static String shown(String url) {
    int q = url.indexOf('?');
    return ConfigText.shown(q < 0 ? url : url.substring(0, q));
  }
}
