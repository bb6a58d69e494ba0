package org.o365mail.jdbc;

import static java.util.Objects.requireNonNull;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import javax.sql.DataSource;
import org.o365mail.Diagnosis;
import org.o365mail.MailboxAuthenticationException;
import org.o365mail.SetupStep;
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
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Database db;
  private final SecretKey key;
  private final Clock clock;
  private final Map<String, ReentrantLock> local = new ConcurrentHashMap<>();

  private PostgresTokenStore(Builder b) {
    this.db = new Database(b.dataSource);
    this.key = b.key;
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
    try {
      byte[] nonce = new byte[NONCE_BYTES];
      RANDOM.nextBytes(nonce);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(tokenKey.getBytes(StandardCharsets.UTF_8));
      byte[] sealed = cipher.doFinal(plain);
      return ByteBuffer.allocate(1 + NONCE_BYTES + sealed.length).put(VERSION).put(nonce).put(sealed).array();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot encrypt the token cache", e);
    }
  }

  private byte[] open(String tokenKey, byte[] data) {
    if (data.length < 1 + NONCE_BYTES + TAG_BITS / 8 || data[0] != VERSION) {
      throw refused(tokenKey, "is not sealed by this store (truncated, or written by something else)");
    }
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, Arrays.copyOfRange(data, 1,
          1 + NONCE_BYTES)));
      cipher.updateAAD(tokenKey.getBytes(StandardCharsets.UTF_8));
      return cipher.doFinal(data, 1 + NONCE_BYTES, data.length - 1 - NONCE_BYTES);
    } catch (GeneralSecurityException e) {
      throw refused(tokenKey, "cannot be decrypted with the configured key (another key, or the row was altered or"
          + " copied from another key)");
    }
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
    private SecretKey key;
    private Clock clock = Clock.systemUTC();

    private Builder(DataSource dataSource) {
      this.dataSource = requireNonNull(dataSource, "dataSource");
    }

    /** Seals the rows with AES-256-GCM under this 32-byte key (required; the same on every instance). */
    public Builder encryptionKey(byte[] aes256Key) {
      requireNonNull(aes256Key, "encryptionKey");
      if (aes256Key.length != 32) {
        throw new IllegalArgumentException("encryptionKey must be 32 bytes (AES-256), was " + aes256Key.length);
      }
      this.key = new SecretKeySpec(aes256Key.clone(), "AES");
      return this;
    }

    public Builder encryptionKey(SecretKey aesKey) {
      requireNonNull(aesKey, "encryptionKey");
      if (!"AES".equalsIgnoreCase(aesKey.getAlgorithm())) {
        throw new IllegalArgumentException("encryptionKey must be an AES key, was " + aesKey.getAlgorithm());
      }
      this.key = aesKey;
      return this;
    }

    /** The clock of the rows' {@code updated_at} (default the system clock). */
    public Builder clock(Clock value) {
      this.clock = requireNonNull(value, "clock");
      return this;
    }

    public PostgresTokenStore build() {
      if (key == null) {
        throw new IllegalStateException("missing required setting(s): encryptionKey()");
      }
      return new PostgresTokenStore(this);
    }
  }
}
