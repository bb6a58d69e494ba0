package org.o365mail.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.o365mail.MailboxAuthenticationException;

/** Two instances of the token store on one database, as two service instances share it. */
@Timeout(120)
class PostgresTokenStoreTest {
  private static final byte[] KEY = new byte[32];

  static {
    Arrays.fill(KEY, (byte) 7);
  }

  private final DataSource db = TestDatabase.freshDatabase();
  private final PostgresTokenStore one = PostgresTokenStore.builder(db).encryptionKey(KEY).build();
  private final PostgresTokenStore two = PostgresTokenStore.builder(db).encryptionKey(KEY).build();

  @Test
  void concurrentWithLockOnOneKey_acrossTwoInstances_neverOverlaps() throws Exception {
    AtomicInteger inside = new AtomicInteger();
    AtomicInteger overlaps = new AtomicInteger();
    AtomicInteger runs = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(6);
    try {
      List<Callable<Void>> tasks = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        PostgresTokenStore store = i % 2 == 0 ? one : two;
        tasks.add(() -> {
          for (int n = 0; n < 10; n++) {
            store.withLock("client|tenant|user", () -> {
              if (inside.incrementAndGet() > 1) {
                overlaps.incrementAndGet();
              }
              // a refresh: read, rotate, write
              byte[] old = store.read("client|tenant|user").orElse(new byte[] {'0'});
              store.write("client|tenant|user", (Integer.parseInt(new String(old, StandardCharsets.UTF_8)) + 1 + "")
                  .getBytes(StandardCharsets.UTF_8));
              runs.incrementAndGet();
              inside.decrementAndGet();
              return null;
            });
          }
          return null;
        });
      }
      for (Future<Void> f : pool.invokeAll(tasks)) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(overlaps).hasValue(0);
    assertThat(runs).hasValue(60);
    assertThat(new String(two.read("client|tenant|user").orElseThrow(), StandardCharsets.UTF_8))
        .as("no rotation lost").isEqualTo("60");
  }

  @Test
  void aTokenRotatedByOneInstance_isReadByTheOther_andIsNotPlaintextAtRest() throws Exception {
    byte[] first = "{\"refresh_token\":\"rt-first-0123456789\"}".getBytes(StandardCharsets.UTF_8);
    byte[] rotated = "{\"refresh_token\":\"rt-rotated-9876543210\"}".getBytes(StandardCharsets.UTF_8);
    one.write("k", first);
    assertThat(two.read("k")).hasValueSatisfying(v -> assertThat(v).isEqualTo(first));
    two.withLock("k", () -> {
      two.write("k", rotated);
      return null;
    });
    assertThat(one.read("k")).hasValueSatisfying(v -> assertThat(v).isEqualTo(rotated));

    byte[] atRest = rowOf("k");
    assertThat(new String(atRest, StandardCharsets.ISO_8859_1)).doesNotContain("rt-rotated").doesNotContain("refresh");
    one.delete("k");
    assertThat(two.read("k")).isEmpty();
  }

  @Test
  void aRowSealedUnderAnotherKey_orCopiedToAnotherKey_isRefused() throws Exception {
    one.write("k", "secret".getBytes(StandardCharsets.UTF_8));
    byte[] other = new byte[32];
    PostgresTokenStore wrongKey = PostgresTokenStore.builder(db).encryptionKey(other).build();
    assertThatThrownBy(() -> wrongKey.read("k")).isInstanceOf(MailboxAuthenticationException.class)
        .hasMessageNotContaining("secret");
    try (Connection c = db.getConnection(); PreparedStatement p = c.prepareStatement(
        "INSERT INTO o365mail_token (token_key, sealed, updated_at) SELECT 'copy', sealed, updated_at"
            + " FROM o365mail_token WHERE token_key = 'k'")) {
      p.executeUpdate();
    }
    assertThatThrownBy(() -> one.read("copy")).isInstanceOf(MailboxAuthenticationException.class);
  }

  @Test
  void build_withoutAKey_namesTheSetter() {
    assertThatThrownBy(() -> PostgresTokenStore.builder(db).build()).hasMessageContaining("encryptionKey()");
  }

  private byte[] rowOf(String key) throws Exception {
    try (Connection c = db.getConnection();
        PreparedStatement p = c.prepareStatement("SELECT sealed FROM o365mail_token WHERE token_key = ?")) {
      p.setString(1, key);
      try (ResultSet rs = p.executeQuery()) {
        assertThat(rs.next()).isTrue();
        return rs.getBytes(1);
      }
    }
  }
}
