package org.o365mail.jdbc;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * The user's {@link DataSource}, the schema migrated once before the first statement, and transactions that commit
 * or roll back as a whole. Thread-safe.
 */
final class Database {
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
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        T result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new IllegalStateException("PostgreSQL store: " + e.getMessage() + " (SQLState " + e.getSQLState() + ")",
          e);
    }
  }

  /** A connection of the user's data source, the schema migrated; the caller closes it. */
  Connection connection() throws SQLException {
    migrate();
    return dataSource.getConnection();
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
