package org.o365mail.jdbc;

import static java.util.Objects.requireNonNull;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import javax.crypto.SecretKey;
import javax.sql.DataSource;
import org.o365mail.Diagnosis;
import org.o365mail.MailboxAuthenticationException;
import org.o365mail.SetupStep;
import org.o365mail.auth.TokenSealing;
import org.o365mail.auth.TokenStore;

/**
 * Delegated sign-ins' token caches in PostgreSQL ({@code o365mail_token}, created on first use), shared by every
 * instance of a service: a refresh token rotated by one is read by the others. The bytes are sealed with AES-256-GCM
 * under the key the user supplies, bound to their row's key (a row copied under another key does not open), so the
 * table never holds a plaintext token; a row that does not open is refused, not used.
 *
 * <p>{@link #withLock} holds a transaction-scoped PostgreSQL advisory lock on the key for as long as the action runs
 * (on a connection of its own), so one refresh at a time happens per sign-in across the cluster; threads of this
 * instance queue on a local lock first, and a thread that holds the lock may take it again.
 *
 * <pre>{@code
 * TokenStore tokens = PostgresTokenStore.builder(dataSource).encryptionKey(aes256Key).build();
 * }</pre>
 *
 * <p>Thread-safe; it holds no connection between calls but while {@link #withLock} runs.
 */
public final class PostgresTokenStore implements TokenStore {
  private static final byte VERSION = 1;

  private final Database db;
  private final TokenSealing sealing;
  private final Clock clock;
  private final Map<String, ReentrantLock> local = new ConcurrentHashMap<>();

  private PostgresTokenStore(Builder b) {
    this.db = new Database(b.dataSource);
    this.sealing = b.sealing;
    this.clock = b.clock;
  }

  /** A builder of a store on {@code dataSource}; {@link Builder#encryptionKey} is required. */
  public static Builder builder(DataSource dataSource) {
    return new Builder(dataSource);
  }

  @Override
  public Optional<byte[]> read(String tokenKey) {
    requireNonNull(tokenKey, "key");
    Optional<byte[]> sealed = db.inTransaction(c -> {
      try (PreparedStatement p = c.prepareStatement("SELECT sealed FROM o365mail_token WHERE token_key = ?")) {
        p.setString(1, tokenKey);
        try (ResultSet rs = p.executeQuery()) {
          return rs.next() ? Optional.of(rs.getBytes(1)) : Optional.<byte[]>empty();
        }
      }
    });
    return sealed.map(s -> open(tokenKey, s));
  }

  @Override
  public void write(String tokenKey, byte[] value) {
    requireNonNull(tokenKey, "key");
    byte[] sealed = seal(tokenKey, requireNonNull(value, "value"));
    db.inTransaction(c -> {
      try (PreparedStatement p = c.prepareStatement("INSERT INTO o365mail_token (token_key, sealed, updated_at)"
          + " VALUES (?, ?, ?) ON CONFLICT (token_key) DO UPDATE SET sealed = excluded.sealed,"
          + " updated_at = excluded.updated_at")) {
        p.setString(1, tokenKey);
        p.setBytes(2, sealed);
        p.setTimestamp(3, Timestamp.from(clock.instant()));
        p.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public void delete(String tokenKey) {
    requireNonNull(tokenKey, "key");
    db.inTransaction(c -> {
      try (PreparedStatement p = c.prepareStatement("DELETE FROM o365mail_token WHERE token_key = ?")) {
        p.setString(1, tokenKey);
        p.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public String location(String tokenKey) {
    return "the o365mail_token row of key " + tokenKey;
  }

  /**
   * Runs {@code action} holding the key's lock in this JVM and, on a connection of its own, PostgreSQL's
   * transaction-scoped advisory lock on the key, which every instance sharing the database takes; both are released
   * when the action returns or throws.
   */
  @Override
  public <T> T withLock(String tokenKey, Supplier<T> action) {
    requireNonNull(tokenKey, "key");
    requireNonNull(action, "action");
    ReentrantLock lock = local.computeIfAbsent(tokenKey, k -> new ReentrantLock());
    if (lock.isHeldByCurrentThread()) {
      return action.get(); // the cluster-wide lock is held further up this thread's stack
    }
    lock.lock();
    try {
      return db.onConnection(c -> Database.transaction(c, tx -> {
        try (PreparedStatement p = tx.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
          p.setLong(1, lockId(tokenKey));
          p.execute();
        }
        return action.get();
      }));
    } catch (SQLException e) {
      throw new IllegalStateException("PostgreSQL token store: cannot take the lock of " + location(tokenKey) + ": "
          + e.getMessage() + " (SQLState " + e.getSQLState() + ")", e);
    } finally {
      lock.unlock();
    }
  }

  /** The advisory lock of a key: 64 bits of its SHA-256, under a prefix of its own. */
  static long lockId(String tokenKey) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256")
          .digest(("o365mail.token:" + tokenKey).getBytes(StandardCharsets.UTF_8));
      return ByteBuffer.wrap(d, 0, Long.BYTES).getLong();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private byte[] seal(String tokenKey, byte[] plain) {
    byte[] sealed = sealing.seal(tokenKey, plain);
    byte[] out = new byte[1 + sealed.length];
    out[0] = VERSION;
    System.arraycopy(sealed, 0, out, 1, sealed.length);
    return out;
  }

  private byte[] open(String tokenKey, byte[] data) {
    if (data.length < 1 + TokenSealing.OVERHEAD || data[0] != VERSION) {
      throw refused(tokenKey, "is not sealed by this store (truncated, or written by something else)");
    }
    return sealing.open(tokenKey, data, 1).orElseThrow(() -> refused(tokenKey, "cannot be decrypted with the"
        + " configured key (another key, or the row was altered or copied from another key)"));
  }

  private MailboxAuthenticationException refused(String tokenKey, String what) {
    Diagnosis d = Diagnosis.builder(SetupStep.TOKEN_STORE, "token_store_refused")
        .summary("Token store " + location(tokenKey) + " " + what + "; it was not used")
        .fix("Configure the encryptionKey() it was written with, or delete the row and sign in again")
        .build();
    return new MailboxAuthenticationException(d, null);
  }

  @Override
  public String toString() {
    return "PostgresTokenStore[encrypted]";
  }

  /** Builds a {@link PostgresTokenStore}. */
  public static final class Builder {
    private final DataSource dataSource;
    private TokenSealing sealing;
    private Clock clock = Clock.systemUTC();

    private Builder(DataSource dataSource) {
      this.dataSource = requireNonNull(dataSource, "dataSource");
    }

    /** Seals the rows with AES-256-GCM under this 32-byte key (required; the same on every instance). */
    public Builder encryptionKey(byte[] aes256Key) {
      this.sealing = TokenSealing.withKey(aes256Key);
      return this;
    }

    public Builder encryptionKey(SecretKey aesKey) {
      this.sealing = TokenSealing.withKey(aesKey);
      return this;
    }

    /** The clock of the rows' {@code updated_at} (default the system clock). */
    public Builder clock(Clock value) {
      this.clock = requireNonNull(value, "clock");
      return this;
    }

    public PostgresTokenStore build() {
      if (sealing == null) {
        throw new IllegalStateException("missing required setting(s): encryptionKey()");
      }
      return new PostgresTokenStore(this);
    }
  }
}
