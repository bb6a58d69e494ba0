package org.o365mail.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.o365mail.SyncState;
import org.o365mail.importer.Checkpoint;
import org.o365mail.importer.CheckpointKey;
import org.o365mail.importer.Lease;
import org.o365mail.importer.PendingAction;

/**
 * What a write costs on the wire: the statements (each one round trip; a batch is one) and the commit of a fenced
 * checkpoint write and of a seen record, counted at the JDBC interfaces.
 */
class RoundTripsTest {
  private final AtomicInteger roundTrips = new AtomicInteger();
  private final DataSource db = counting(TestDatabase.freshDatabase());
  private final PostgresCheckpointStore store = PostgresCheckpointStore.builder(db).build();
  private final CheckpointKey key = new CheckpointKey("graph", "box@contoso.com", "Inbox");

  @Test
  void aFencedCheckpointWrite_takesThreeRoundTrips_andOneMorePerNonEmptyList_aSeenRecordThree() {
    Lease lease = store.acquireLease("box@contoso.com", "a", Duration.ofMinutes(5)).orElseThrow();
    Instant now = Instant.parse("2026-03-01T10:00:00Z");
    roundTrips.set(0);
    store.save(key, new Checkpoint(new SyncState("s"), Set.of("k1"), "k2", List.of(), List.of(), now), lease);
    int plain = roundTrips.getAndSet(0);
    store.save(key, new Checkpoint(new SyncState("s"), Set.of("k1"), null,
        List.of(new PendingAction("k1", "1")), List.of(), now), lease);
    int withPending = roundTrips.getAndSet(0);
    store.recordSeen(key, List.of("k1", "mid:k1"), lease);
    int seen = roundTrips.getAndSet(0);
    System.out.println("Round trips: fenced checkpoint write " + plain + ", with a pending post-action " + withPending
        + ", fenced seen record " + seen + " (statements and commit)");
    // lease check, checkpoint upsert with the deletes of its lists, commit
    assertThat(plain).isEqualTo(3);
    assertThat(withPending).isEqualTo(4);
    // lease check, insert of all keys, commit
    assertThat(seen).isEqualTo(3);
  }

  /** Counts executions, batches and commits through every connection of {@code target}. */
  private DataSource counting(DataSource target) {
    return proxy(DataSource.class, target, (p, m, a) -> {
      Object r = invoke(target, m, a);
      return r instanceof Connection c ? proxy(Connection.class, c, (cp, cm, ca) -> {
        if (cm.getName().equals("commit")) {
          roundTrips.incrementAndGet();
        }
        Object cr = invoke(c, cm, ca);
        if (cr instanceof PreparedStatement ps) {
          return proxy(PreparedStatement.class, ps, (sp, sm, sa) -> {
            if (sm.getName().startsWith("execute")) {
              roundTrips.incrementAndGet();
            }
            return invoke(ps, sm, sa);
          });
        }
        if (cr instanceof Statement s) {
          return proxy(Statement.class, s, (sp, sm, sa) -> {
            if (sm.getName().startsWith("execute")) {
              roundTrips.incrementAndGet();
            }
            return invoke(s, sm, sa);
          });
        }
        return cr;
      }) : r;
    });
  }

  private static <T> T proxy(Class<T> type, T target, InvocationHandler h) {
    return type.cast(Proxy.newProxyInstance(RoundTripsTest.class.getClassLoader(), new Class<?>[] {type}, h));
  }

  private static Object invoke(Object target, Method m, Object[] args) throws Throwable {
    try {
      return m.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
