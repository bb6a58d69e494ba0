package org.o365mail.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates or migrates the stores' schema on first use. A few plain SQL files in this package, applied in order and
 * recorded in {@code o365mail_schema_version}, rather than Flyway or Liquibase: the schema is six tables, and a
 * migration library would become a dependency of every user's service (with its own version to converge with theirs)
 * for what is a loop over two or three files. Each run takes a transaction-scoped advisory lock first, so two
 * instances starting together apply a migration once: the second waits, then finds it recorded. Thread-safe.
 */
final class Migrations {
  private static final Logger logger = LoggerFactory.getLogger(Migrations.class);

  /** The migrations, in order; version n is the n-th. Never edit a released one: append. */
  static final List<String> FILES = List.of("V1__stores.sql", "V2__instances.sql");

  /** The advisory lock key of migrations ("o365mail" in ASCII), apart from the token store's hashed keys. */
  private static final long LOCK = 0x6f3336356d61696cL;

  private Migrations() {}

  /** Brings the schema up to date; returns the version it is at. */
  static int migrate(DataSource dataSource) throws SQLException {
    return Database.onConnection(dataSource, connection -> Database.transaction(connection, c -> {
      try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
        lock.setLong(1, LOCK);
        lock.execute();
      }
      try (Statement s = c.createStatement()) {
        s.execute("CREATE TABLE IF NOT EXISTS o365mail_schema_version (version integer PRIMARY KEY,"
            + " file text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
      }
      int current;
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT coalesce(max(version), 0) FROM o365mail_schema_version")) {
        rs.next();
        current = rs.getInt(1);
      }
      if (current > FILES.size()) {
        throw new IllegalStateException("the database schema is at version " + current + ", newer than this"
            + " o365-mail-jdbc knows (" + FILES.size() + "): upgrade the library");
      }
      for (int v = current + 1; v <= FILES.size(); v++) {
        String file = FILES.get(v - 1);
        try (Statement s = c.createStatement()) {
          s.execute(read(file));
        }
        try (PreparedStatement p = c.prepareStatement(
            "INSERT INTO o365mail_schema_version (version, file) VALUES (?, ?)")) {
          p.setInt(1, v);
          p.setString(2, file);
          p.executeUpdate();
        }
        logger.info("Applied schema migration {} ({})", v, file);
      }
      return FILES.size();
    }));
  }

  private static String read(String file) {
    try (InputStream in = Migrations.class.getResourceAsStream(file)) {
      if (in == null) {
        throw new IllegalStateException("migration " + file + " is missing from the jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
