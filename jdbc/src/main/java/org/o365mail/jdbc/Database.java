package org.o365mail.jdbc;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * The user's {@link DataSource}, the schema migrated once before the first statement, and transactions that commit
 * or roll back as a whole. Every read from the database is bounded in time: each connection gets a network timeout
 * of {@link #READ_TIMEOUT_MILLIS} ms for as long as the store uses it (a client-side socket timeout, no round trip; the
 * connection's own value is put back before it returns to the user's pool), so a database that stops answering, or
 * a lock another instance never lets go of, ends in an error instead of a thread stuck for good. Thread-safe.
 */
final class Database {
  /** The longest the store waits for the database to answer one statement, lock waits included. */
  static final int READ_TIMEOUT_MILLIS = 60_000;


  /** Work on a connection inside a transaction. */
  interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  private final DataSource dataSource;
  private volatile boolean migrated;

  Database(DataSource dataSource) {
    this.dataSource = requireNonNull(dataSource, "dataSource");
  }

  /** Runs {@code work} in one transaction: committed when it returns, rolled back when it throws. */
  <T> T inTransaction(Work<T> work) {
    migrate();
    try {
      return onConnection(dataSource, c -> transaction(c, work));
    } catch (SQLException e) {
      throw new IllegalStateException("PostgreSQL store: " + e.getMessage() + " (SQLState " + e.getSQLState() + ")",
          e);
    }
  }

  /** Runs {@code work} on a connection of the user's data source, the schema migrated, its reads bounded in time. */
  <T> T onConnection(Work<T> work) throws SQLException {
    migrate();
    return onConnection(dataSource, work);
  }

  /** {@code work} in a transaction of {@code c}: committed when it returns, rolled back when it throws. */
  static <T> T transaction(Connection c, Work<T> work) throws SQLException {
    c.setAutoCommit(false);
    try {
      T result = work.run(c);
      c.commit();
      return result;
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    }
  }

  /** A connection of {@code dataSource} for {@code work}, with the store's read timeout while the work runs. */
  static <T> T onConnection(DataSource dataSource, Work<T> work) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      int before = c.getNetworkTimeout();
      // the executor is for aborting a connection that timed out; PgJDBC times out on the socket itself
      c.setNetworkTimeout(Runnable::run, READ_TIMEOUT_MILLIS);
      try {
        return work.run(c);
      } finally {
        if (!c.isClosed()) {
          c.setNetworkTimeout(Runnable::run, before);
        }
      }
    }
  }

  private void migrate() {
    if (migrated) {
      return;
    }
    synchronized (this) {
      if (!migrated) {
        try {
          Migrations.migrate(dataSource);
        } catch (SQLException e) {
          throw new IllegalStateException("cannot create or migrate the o365mail tables: " + e.getMessage()
              + " (SQLState " + e.getSQLState() + ")", e);
        }
        migrated = true;
      }
    }
  }
}
