package org.o365mail.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.o365mail.SyncState;
import org.o365mail.importer.Checkpoint;
import org.o365mail.importer.CheckpointKey;

/**
 * Every read from the database is bounded in time: each statement the stores run (the migration and the token lock
 * included) runs on a connection whose network timeout is the store's, and the connection goes back to the user's
 * pool with its own timeout. Seen at the JDBC interfaces of the user's data source.
 */
class ReadTimeoutTest {
  /** The network timeout in force at each statement preparation, and at each close. */
  private final List<Integer> atStatements = new CopyOnWriteArrayList<>();
  private final List<Integer> atClose = new CopyOnWriteArrayList<>();

  @Test
  void everyStatement_runsUnderTheReadTimeout_andTheConnectionGetsItsOwnTimeoutBack() throws Exception {
    DataSource db = recording(TestDatabase.freshDatabase());
    PostgresCheckpointStore store = PostgresCheckpointStore.builder(db).build();
    CheckpointKey key = new CheckpointKey("graph", "box@contoso.com", "Inbox");
    store.save(key, new Checkpoint(new SyncState("s"), Set.of("k1"), null, List.of(), List.of(),
        Instant.parse("2026-03-01T10:00:00Z")));
    assertThat(store.load(key)).isPresent();
    PostgresTokenStore tokens = PostgresTokenStore.builder(db).encryptionKey(new byte[32]).build();
    tokens.withLock("sign-in", () -> {
      tokens.write("sign-in", new byte[] {1, 2, 3});
      return null;
    });
    assertThat(store.acquireLease("box@contoso.com", "a", Duration.ofMinutes(1))).isPresent();

    assertThat(atStatements).hasSizeGreaterThan(5).containsOnly(Database.READ_TIMEOUT_MILLIS);
    assertThat(atClose).isNotEmpty().containsOnly(0); // PgJDBC's own default: no timeout
  }

  private DataSource recording(DataSource target) {
    return proxy(DataSource.class, target, (p, m, a) -> {
      Object r = invoke(target, m.getName(), m.getParameterTypes(), a);
      if (!(r instanceof Connection c)) {
        return r;
      }
      return proxy(Connection.class, c, (cp, cm, ca) -> {
        if (cm.getName().equals("prepareStatement") || cm.getName().equals("createStatement")) {
          atStatements.add(c.getNetworkTimeout());
        } else if (cm.getName().equals("close")) {
          atClose.add(c.getNetworkTimeout());
        }
        return invoke(c, cm.getName(), cm.getParameterTypes(), ca);
      });
    });
  }

  private static <T> T proxy(Class<T> type, T target, java.lang.reflect.InvocationHandler h) {
    return type.cast(Proxy.newProxyInstance(ReadTimeoutTest.class.getClassLoader(), new Class<?>[] {type}, h));
  }

  private static Object invoke(Object target, String name, Class<?>[] types, Object[] args) throws Throwable {
    try {
      return target.getClass().getMethod(name, types).invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    } catch (IllegalAccessException e) {
      throw new SQLException(e);
    }
  }
}
