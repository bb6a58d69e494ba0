package org.o365mail.cli;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import javax.sql.DataSource;
import org.o365mail.ServiceText;
import org.o365mail.cli.config.ConfigException;
import org.o365mail.cli.config.ConnectionConfig;
import org.o365mail.cli.config.JdbcUrls;

/**
 * The PostgreSQL database of {@code import --store} or of a {@code tokenStore} in PostgreSQL: a small HikariCP pool
 * (the import uses two or three connections at once), its user from {@code <connection>.store.user} or the URL and
 * its password from {@code <connection>.store.password} (a reference, never in the URL). {@link #open} connects once
 * before the command starts its work, so that a mistake is said at once and names its key: a refused user or
 * password, or a database that does not exist, is a configuration mistake (exit 64); a server that does not answer
 * within {@link #CONNECT_TIMEOUT} is {@link Unreachable} (exit 2, like a mail service that does not answer). Every
 * statement's read is bounded by {@link #SOCKET_TIMEOUT}. The password appears in no message.
 *
 * <p>Thread-safe (the pool is); close it when the command ends.
 */
final class StoreDatabase implements AutoCloseable {
  /** Connections the pool keeps at most: an import's pass, its lease renewal and a spare. */
  static final int POOL_SIZE = 3;

  /** How long a connection attempt may take: an unreachable database fails within seconds, not minutes. */
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

  /** The longest wait for one answer of the server (the stores bound their own statements by a minute too). */
  static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(90);

  private final HikariDataSource pool;
  private final String key;
  private final String url;

  private StoreDatabase(HikariDataSource pool, String key, String url) {
    this.pool = pool;
    this.key = key;
    this.url = url;
  }

  /** The database cannot be reached (refused, no route, no answer in time); exit 2 with the key named. */
  static final class Unreachable extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Unreachable(String message) {
      super(message);
    }
  }

  /**
   * Checks {@code url} (set by {@code key}), connects once and opens the pool.
   *
   * @throws ConfigException naming {@code key} or the connection's {@code store.*} keys (exit 64)
   * @throws Unreachable when the server does not answer (exit 2)
   */
  static StoreDatabase open(String key, String url, ConnectionConfig c, String applicationName) {
    List<String> problems = new ArrayList<>();
    String address = JdbcUrls.check(key, url, problems);
    if (address == null) {
      throw new ConfigException(null, problems);
    }
    Properties p = new Properties();
    c.storeUser().ifPresent(u -> p.setProperty("user", u));
    c.storePassword().ifPresent(pw -> p.setProperty("password", new String(pw)));
    p.setProperty("connectTimeout", String.valueOf(CONNECT_TIMEOUT.toSeconds()));
    p.setProperty("loginTimeout", String.valueOf(CONNECT_TIMEOUT.toSeconds() * 2));
    p.setProperty("socketTimeout", String.valueOf(SOCKET_TIMEOUT.toSeconds()));
    p.setProperty("tcpKeepAlive", "true");
    p.setProperty("ApplicationName", applicationName);
    // one connection first, outside the pool: its failure is classified here, without the pool's stack trace
    try (Connection probe = DriverManager.getConnection(url.trim(), p)) {
      probe.isValid((int) CONNECT_TIMEOUT.toSeconds());
    } catch (SQLException e) {
      throw classified(key, url, address, c.name(), e);
    }
    HikariConfig config = new HikariConfig();
    config.setPoolName("o365mail-store");
    config.setJdbcUrl(url.trim());
    config.setDataSourceProperties(p);
    config.setMaximumPoolSize(POOL_SIZE);
    config.setMinimumIdle(1);
    config.setConnectionTimeout(CONNECT_TIMEOUT.toMillis() * 2);
    config.setValidationTimeout(CONNECT_TIMEOUT.toMillis());
    config.setInitializationFailTimeout(-1); // checked above
    return new StoreDatabase(new HikariDataSource(config), key, url.trim());
  }

  private static RuntimeException classified(String key, String url, String address, String name,
      SQLException e) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    String why = ServiceText.printable(String.valueOf(e.getMessage()));
    if (state.startsWith("28")) { // invalid_authorization_specification, invalid_password
      return new ConfigException(null, List.of(name + ".store.user / " + name + ".store.password: the PostgreSQL"
          + " server at " + address + " refused them (" + why + ")"));
    }
    if (state.equals("3D000")) { // invalid_catalog_name
      return new ConfigException(null, List.of(key + " '" + JdbcUrls.shown(url) + "': " + why));
    }
    if (state.startsWith("08") || causedBy(e, ConnectException.class) || causedBy(e, SocketTimeoutException.class)
        || causedBy(e, UnknownHostException.class) || causedBy(e, NoRouteToHostException.class)) {
      return new Unreachable(key + ": the PostgreSQL server at " + address + " does not answer (" + why + ");"
          + " nothing was done. Check that it runs and that this machine may reach it.");
    }
    return new Unreachable(key + ": the PostgreSQL server at " + address + " failed the connection (" + why
        + ", SQLState " + state + "); nothing was done.");
  }

  private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  DataSource dataSource() {
    return pool;
  }

  /** The key that named this database, for messages. */
  String key() {
    return key;
  }

  /** The URL without its parameters, for messages. */
  String shownUrl() {
    return JdbcUrls.shown(url);
  }

  /** Who holds the lease of {@code mailbox} and until when, if the lease table has it. */
  Optional<String> leaseHolder(String mailbox) {
    try (Connection c = pool.getConnection();
        PreparedStatement p = c.prepareStatement("SELECT owner, expires_at FROM o365mail_lease WHERE mailbox = ?")) {
      p.setString(1, mailbox.toLowerCase(Locale.ROOT));
      try (ResultSet rs = p.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        Instant until = rs.getTimestamp(2).toInstant();
        return Optional.of("instance " + ServiceText.printable(rs.getString(1)) + " holds its lease until " + until);
      }
    } catch (SQLException e) {
      return Optional.empty(); // said without the holder
    }
  }

  @Override
  public void close() {
    pool.close();
  }
}
