package org.o365mail.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.o365mail.contract.CheckpointStoreContract;
import org.o365mail.importer.CheckpointStore;
import org.o365mail.importer.Lease;

/** The checkpoint store contract on {@link PostgresCheckpointStore}, and what its schema migration guarantees. */
class PostgresCheckpointStoreContractTest extends CheckpointStoreContract {
  private DataSource db;

  @Override
  protected CheckpointStore newStore() {
    db = TestDatabase.freshDatabase();
    return PostgresCheckpointStore.builder(db).build();
  }

  @Override
  protected CheckpointStore sameStorage(CheckpointStore s) {
    return PostgresCheckpointStore.builder(db).build();
  }

  @Override
  protected boolean leasesExclude() {
    return true;
  }

  @Test
  void aNewHolder_getsALargerEpoch_andAReleasedLeaseKeepsItsEpoch() {
    Lease a = store.acquireLease("box@contoso.com", "a", TTL).orElseThrow();
    store.releaseLease(a);
    Lease b = store.acquireLease("box@contoso.com", "b", TTL).orElseThrow();
    store.releaseLease(b);
    Lease again = store.acquireLease("box@contoso.com", "a", TTL).orElseThrow();
    assertThat(List.of(a.epoch(), b.epoch(), again.epoch())).containsExactly(1L, 2L, 3L);
  }

  @Test
  void instancesStartingTogether_migrateTheSchemaOnce() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Callable<Boolean>> starts = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        starts.add(() -> PostgresCheckpointStore.builder(db).build().load(key).isEmpty());
      }
      for (Future<Boolean> f : pool.invokeAll(starts)) {
        assertThat(f.get()).isTrue();
      }
    } finally {
      pool.shutdownNow();
    }
    try (Connection c = db.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT version, file FROM o365mail_schema_version ORDER BY version")) {
      List<String> rows = new ArrayList<>();
      while (rs.next()) {
        rows.add(rs.getInt(1) + " " + rs.getString(2));
      }
      List<String> expected = new ArrayList<>();
      for (int v = 1; v <= Migrations.FILES.size(); v++) {
        expected.add(v + " " + Migrations.FILES.get(v - 1));
      }
      assertThat(rows).as("each migration applied once, in order").containsExactlyElementsOf(expected);
    }
  }
}
