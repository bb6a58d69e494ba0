package org.o365mail.jdbc;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * One real PostgreSQL for the module's tests, started once per JVM from the embedded binaries and listening on
 * loopback only; each test gets a database of its own. Thread-safe.
 */
final class TestDatabase {
  private static final AtomicInteger DATABASES = new AtomicInteger();
  private static EmbeddedPostgres server;
  private static Duration startup;

  private TestDatabase() {}

  static synchronized EmbeddedPostgres server() {
    if (server == null) {
      long t0 = System.nanoTime();
      try {
        server = EmbeddedPostgres.builder().setServerConfig("listen_addresses", "127.0.0.1").start();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start the embedded PostgreSQL", e);
      }
      startup = Duration.ofNanos(System.nanoTime() - t0);
      try (Connection c = server.getPostgresDatabase().getConnection(); Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SHOW listen_addresses")) {
        rs.next();
        if (!rs.getString(1).equals("127.0.0.1")) {
          throw new IllegalStateException("the embedded PostgreSQL listens on " + rs.getString(1) + ", not loopback");
        }
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
      System.out.println("Embedded PostgreSQL started in " + startup.toMillis() + " ms on port " + server.getPort());
    }
    return server;
  }

  /** A new, empty database on the server. */
  static DataSource freshDatabase() {
    String name = "o365mail_test_" + DATABASES.incrementAndGet();
    try (Connection c = server().getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return server().getDatabase("postgres", name);
  }
}
