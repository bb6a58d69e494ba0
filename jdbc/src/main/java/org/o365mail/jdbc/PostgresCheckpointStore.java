package org.o365mail.jdbc;

import static java.util.Objects.requireNonNull;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.o365mail.SyncState;
import org.o365mail.importer.Checkpoint;
import org.o365mail.importer.CheckpointKey;
import org.o365mail.importer.CheckpointStore;
import org.o365mail.importer.DeadLetter;
import org.o365mail.importer.Lease;
import org.o365mail.importer.LeaseLostException;
import org.o365mail.importer.PendingAction;

/**
 * Checkpoints in PostgreSQL, for several service instances sharing many mailboxes: one row per folder
 * ({@code o365mail_checkpoint}), its pending post-actions and dead letters in their own tables, the seen records in
 * {@code o365mail_seen}, and one lease per mailbox ({@code o365mail_lease}). The tables are created or migrated on
 * first use. Every write is one transaction, durable when it commits (as durable as the server's
 * {@code synchronous_commit} makes it).
 *
 * <p><b>Leases and fencing.</b> A lease has an owner, an expiry and an epoch that grows with every new holder and is
 * never reset (a released lease keeps its row). {@link #acquireLease} grants a free, released or expired lease (a
 * new epoch) or renews the owner's own (the same epoch), in one statement. The fenced writes ({@link
 * #save(CheckpointKey, Checkpoint, Lease)}, {@link #recordSeen(CheckpointKey, Collection, Lease)}) first lock the
 * lease row in share mode and check that the epoch and owner are still theirs, so a takeover waits for a write in
 * progress, and a write of an instance that paused past its lease is refused with {@link LeaseLostException} and
 * changes nothing. {@link #checkLease} asks the same before a post-action; that check and the action are not one
 * transaction (the action is the mail service's), so a takeover in between may see the action done twice, which
 * the post-actions tolerate (a message already read, moved or gone). Expiry is judged by this store's clock: give
 * every instance a synchronized clock.
 *
 * <pre>{@code
 * CheckpointStore store = PostgresCheckpointStore.builder(dataSource).build();
 * MailImporter importer = MailImporter.builder().connector(inbox).handler(product).checkpointStore(store)
 *     .leaseOwner(instanceName).build();
 * }</pre>
 *
 * <p>Thread-safe; it holds no connection between calls (use a pool such as HikariCP as the data source).
 */
public final class PostgresCheckpointStore implements CheckpointStore {
  private final Database db;
  private final Clock clock;
  /** Seen keys last found or written (a seen record is never taken back), bounded: 10,000 mailboxes add up. */
  private final SeenCache seenCache;
  /** Mailboxes whose lease row this store knows to exist (rows are never deleted). */
  private final Set<String> leaseRows = ConcurrentHashMap.newKeySet();

  private PostgresCheckpointStore(Builder b) {
    this.db = new Database(b.dataSource);
    this.clock = b.clock;
    this.seenCache = new SeenCache(b.seenCacheCapacity);
  }

  /** A builder of a store on {@code dataSource} (its connections must reach a PostgreSQL 12 or later). */
  public static Builder builder(DataSource dataSource) {
    return new Builder(dataSource);
  }

  @Override
  public Optional<Checkpoint> load(CheckpointKey key) {
    return db.inTransaction(c -> {
      String state;
      Set<String> handled;
      String inFlight;
      List<String> interrupted;
      List<String> group;
      Instant updatedAt;
      try (PreparedStatement p = c.prepareStatement("SELECT sync_state, handled, in_flight, interrupted,"
          + " in_flight_group, updated_at FROM o365mail_checkpoint WHERE protocol = ? AND mailbox = ? AND folder = ?")) {
        bind(p, key);
        try (ResultSet rs = p.executeQuery()) {
          if (!rs.next()) {
            return Optional.empty();
          }
          state = rs.getString(1);
          handled = new LinkedHashSet<>(strings(rs.getArray(2)));
          inFlight = rs.getString(3);
          interrupted = strings(rs.getArray(4));
          group = strings(rs.getArray(5));
          updatedAt = rs.getTimestamp(6).toInstant();
        }
      }
      List<PendingAction> pending = new ArrayList<>();
      try (PreparedStatement p = c.prepareStatement("SELECT message_key, message_id FROM o365mail_pending_action"
          + " WHERE protocol = ? AND mailbox = ? AND folder = ? ORDER BY position")) {
        bind(p, key);
        try (ResultSet rs = p.executeQuery()) {
          while (rs.next()) {
            pending.add(new PendingAction(rs.getString(1), rs.getString(2)));
          }
        }
      }
      List<DeadLetter> dead = new ArrayList<>();
      try (PreparedStatement p = c.prepareStatement("SELECT message_key, message_id, subject, attempts, last_error,"
          + " parked_at FROM o365mail_dead_letter WHERE protocol = ? AND mailbox = ? AND folder = ? ORDER BY position")) {
        bind(p, key);
        try (ResultSet rs = p.executeQuery()) {
          while (rs.next()) {
            dead.add(new DeadLetter(rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4), rs.getString(5),
                rs.getTimestamp(6).toInstant()));
          }
        }
      }
      return Optional.of(new Checkpoint(new SyncState(state), handled, inFlight, pending, dead, updatedAt,
          interrupted, group));
    });
  }

  /** Writes the checkpoint without a lease (a single instance, or tools). */
  @Override
  public void save(CheckpointKey key, Checkpoint checkpoint) {
    db.inTransaction(c -> {
      write(c, key, checkpoint);
      return null;
    });
  }

  @Override
  public void save(CheckpointKey key, Checkpoint checkpoint, Lease fence) {
    requireNonNull(fence, "fence");
    db.inTransaction(c -> {
      fence(c, fence);
      write(c, key, checkpoint);
      return null;
    });
  }

  @Override
  public void recordSeen(CheckpointKey key, String messageKey) {
    recordSeen(key, List.of(messageKey));
  }

  /** One statement for all of them; keys already recorded are left as they are. */
  @Override
  public void recordSeen(CheckpointKey key, Collection<String> messageKeys) {
    if (messageKeys.isEmpty()) {
      return;
    }
    db.inTransaction(c -> {
      insertSeen(c, key, messageKeys);
      return null;
    });
    seenCache.addAll(key, messageKeys);
  }

  @Override
  public void recordSeen(CheckpointKey key, Collection<String> messageKeys, Lease fence) {
    requireNonNull(fence, "fence");
    if (messageKeys.isEmpty()) {
      return;
    }
    db.inTransaction(c -> {
      fence(c, fence);
      insertSeen(c, key, messageKeys);
      return null;
    });
    seenCache.addAll(key, messageKeys);
  }

  @Override
  public boolean seen(CheckpointKey key, String messageKey) {
    if (seenCache.contains(key, messageKey)) {
      return true;
    }
    boolean found = db.inTransaction(c -> {
      try (PreparedStatement p = c.prepareStatement("SELECT 1 FROM o365mail_seen WHERE protocol = ? AND mailbox = ?"
          + " AND folder = ? AND message_key = ?")) {
        bind(p, key);
        p.setString(4, messageKey);
        try (ResultSet rs = p.executeQuery()) {
          return rs.next();
        }
      }
    });
    if (found) {
      seenCache.addAll(key, List.of(messageKey));
    }
    return found;
  }

  /** Grants a lease to {@code owner} unless another owner's has not expired; see {@link #acquireLease}. */
  @Override
  public boolean tryLease(String mailbox, String owner, Duration ttl) {
    return acquireLease(mailbox, owner, ttl).isPresent();
  }

  @Override
  public Optional<Lease> acquireLease(String mailbox, String owner, Duration ttl) {
    String m = normalized(mailbox);
    requireNonNull(owner, "owner");
    Instant now = clock.instant();
    Timestamp expires = Timestamp.from(now.plus(requireNonNull(ttl, "ttl")));
    return db.inTransaction(c -> {
      // one statement, atomic under the row lock: a new row (epoch 1), the owner's own live lease renewed (same
      // epoch), or a free one taken (epoch + 1); no row back when another owner's lease is live
      try (PreparedStatement p = c.prepareStatement("INSERT INTO o365mail_lease AS l (mailbox, owner, epoch,"
          + " expires_at) VALUES (?, ?, 1, ?) ON CONFLICT (mailbox) DO UPDATE SET"
          + " epoch = CASE WHEN l.owner = excluded.owner AND l.expires_at > ? THEN l.epoch ELSE l.epoch + 1 END,"
          + " owner = excluded.owner, expires_at = excluded.expires_at"
          + " WHERE l.owner = excluded.owner OR l.expires_at <= ? RETURNING epoch")) {
        p.setString(1, m);
        p.setString(2, owner);
        p.setTimestamp(3, expires);
        p.setTimestamp(4, Timestamp.from(now));
        p.setTimestamp(5, Timestamp.from(now));
        try (ResultSet rs = p.executeQuery()) {
          return rs.next() ? Optional.of(new Lease(m, owner, rs.getLong(1))) : Optional.empty();
        }
      }
    });
  }

  /** Extends the lease while its epoch is still the mailbox's (even past its expiry, if no one took it over). */
  @Override
  public Optional<Lease> renewLease(Lease lease, Duration ttl) {
    Timestamp expires = Timestamp.from(clock.instant().plus(requireNonNull(ttl, "ttl")));
    return db.inTransaction(c -> {
      try (PreparedStatement p = c.prepareStatement("UPDATE o365mail_lease SET expires_at = ? WHERE mailbox = ?"
          + " AND owner = ? AND epoch = ?")) {
        p.setTimestamp(1, expires);
        p.setString(2, normalized(lease.mailbox()));
        p.setString(3, lease.owner());
        p.setLong(4, lease.epoch());
        return p.executeUpdate() == 1 ? Optional.of(lease) : Optional.empty();
      }
    });
  }

  /** Frees the lease at once; the row (and so the epoch) stays, and the next holder takes epoch + 1. */
  @Override
  public void releaseLease(Lease lease) {
    db.inTransaction(c -> {
      try (PreparedStatement p = c.prepareStatement("UPDATE o365mail_lease SET expires_at = '-infinity'"
          + " WHERE mailbox = ? AND owner = ? AND epoch = ?")) {
        p.setString(1, normalized(lease.mailbox()));
        p.setString(2, lease.owner());
        p.setLong(3, lease.epoch());
        p.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public void releaseLease(String mailbox, String owner) {
    db.inTransaction(c -> {
      try (PreparedStatement p = c.prepareStatement("UPDATE o365mail_lease SET expires_at = '-infinity'"
          + " WHERE mailbox = ? AND owner = ?")) {
        p.setString(1, normalized(mailbox));
        p.setString(2, requireNonNull(owner, "owner"));
        p.executeUpdate();
      }
      return null;
    });
  }

  /**
   * One transaction: rows for mailboxes never seen are added (free, epoch 0), then up to {@code max} free, released
   * or expired ones are locked with {@code FOR UPDATE SKIP LOCKED} and given to {@code owner} with epoch + 1, in one
   * statement. A row another instance is claiming or writing under is skipped, not waited for.
   */
  @Override
  public List<Lease> claimLeases(Collection<String> mailboxes, String owner, int max, Duration ttl) {
    requireNonNull(owner, "owner");
    requireNonNull(ttl, "ttl");
    if (max <= 0 || mailboxes.isEmpty()) {
      return List.of();
    }
    Set<String> wanted = new LinkedHashSet<>();
    for (String mailbox : mailboxes) {
      wanted.add(normalized(mailbox));
    }
    List<String> unknown = wanted.stream().filter(m -> !leaseRows.contains(m)).toList();
    Instant now = clock.instant();
    List<Lease> claimed = db.inTransaction(c -> {
      if (!unknown.isEmpty()) {
        try (PreparedStatement p = c.prepareStatement("INSERT INTO o365mail_lease (mailbox, owner, epoch, expires_at)"
            + " SELECT unnest(?), '', 0, '-infinity' ON CONFLICT DO NOTHING")) {
          p.setArray(1, c.createArrayOf("text", unknown.toArray()));
          p.executeUpdate();
        }
      }
      List<Lease> got = new ArrayList<>();
      try (PreparedStatement p = c.prepareStatement("WITH free AS (SELECT mailbox FROM o365mail_lease"
          + " WHERE mailbox = ANY(?) AND expires_at <= ? ORDER BY expires_at, mailbox LIMIT ? FOR UPDATE SKIP LOCKED)"
          + " UPDATE o365mail_lease l SET owner = ?, epoch = l.epoch + 1, expires_at = ? FROM free"
          + " WHERE l.mailbox = free.mailbox RETURNING l.mailbox, l.epoch")) {
        p.setArray(1, c.createArrayOf("text", wanted.toArray()));
        p.setTimestamp(2, Timestamp.from(now));
        p.setInt(3, max);
        p.setString(4, owner);
        p.setTimestamp(5, Timestamp.from(now.plus(ttl)));
        try (ResultSet rs = p.executeQuery()) {
          while (rs.next()) {
            got.add(new Lease(rs.getString(1), owner, rs.getLong(2)));
          }
        }
      }
      return got;
    });
    leaseRows.addAll(unknown);
    return claimed;
  }

  /** One statement for all of them: each keeps its epoch, and those taken over meanwhile are left out. */
  @Override
  public List<Lease> renewLeases(Collection<Lease> leases, Duration ttl) {
    requireNonNull(ttl, "ttl");
    if (leases.isEmpty()) {
      return List.of();
    }
    Map<String, Lease> byMailbox = new HashMap<>();
    Map<String, List<Lease>> byOwner = new HashMap<>();
    for (Lease lease : leases) {
      byOwner.computeIfAbsent(lease.owner(), o -> new ArrayList<>()).add(lease);
    }
    Timestamp expires = Timestamp.from(clock.instant().plus(ttl));
    List<Lease> kept = new ArrayList<>();
    db.inTransaction(c -> {
      for (Map.Entry<String, List<Lease>> e : byOwner.entrySet()) {
        byMailbox.clear();
        String[] names = new String[e.getValue().size()];
        Long[] epochs = new Long[names.length];
        int i = 0;
        for (Lease lease : e.getValue()) {
          names[i] = normalized(lease.mailbox());
          epochs[i++] = lease.epoch();
          byMailbox.put(normalized(lease.mailbox()), lease);
        }
        try (PreparedStatement p = c.prepareStatement("UPDATE o365mail_lease l SET expires_at = ?"
            + " FROM unnest(?, ?) AS h(mailbox, epoch) WHERE l.mailbox = h.mailbox AND l.epoch = h.epoch"
            + " AND l.owner = ? RETURNING l.mailbox")) {
          p.setTimestamp(1, expires);
          p.setArray(2, c.createArrayOf("text", names));
          p.setArray(3, c.createArrayOf("bigint", epochs));
          p.setString(4, e.getKey());
          try (ResultSet rs = p.executeQuery()) {
            while (rs.next()) {
              kept.add(byMailbox.get(rs.getString(1)));
            }
          }
        }
      }
      return null;
    });
    return kept;
  }

  /**
   * Upserts {@code owner}'s row in {@code o365mail_instance} and counts the rows not expired, in one transaction;
   * rows of instances dead for more than an hour are removed on the way.
   */
  @Override
  public int heartbeat(String owner, Duration ttl) {
    requireNonNull(owner, "owner");
    Instant now = clock.instant();
    Timestamp expires = Timestamp.from(now.plus(requireNonNull(ttl, "ttl")));
    return db.inTransaction(c -> {
      try (PreparedStatement p = c.prepareStatement("WITH gone AS (DELETE FROM o365mail_instance"
          + " WHERE expires_at < ? AND owner <> ?) INSERT INTO o365mail_instance AS i (owner, expires_at)"
          + " VALUES (?, ?) ON CONFLICT (owner) DO UPDATE SET expires_at = excluded.expires_at")) {
        p.setTimestamp(1, Timestamp.from(now.minus(Duration.ofHours(1))));
        p.setString(2, owner);
        p.setString(3, owner);
        p.setTimestamp(4, expires);
        p.executeUpdate();
      }
      try (PreparedStatement p = c.prepareStatement("SELECT count(*) FROM o365mail_instance WHERE expires_at > ?")) {
        p.setTimestamp(1, Timestamp.from(now));
        try (ResultSet rs = p.executeQuery()) {
          rs.next();
          return Math.max(1, rs.getInt(1));
        }
      }
    });
  }

  @Override
  public void leave(String owner) {
    requireNonNull(owner, "owner");
    db.inTransaction(c -> {
      try (PreparedStatement p = c.prepareStatement("DELETE FROM o365mail_instance WHERE owner = ?")) {
        p.setString(1, owner);
        p.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public void checkLease(Lease fence) {
    requireNonNull(fence, "fence");
    db.inTransaction(c -> {
      fence(c, fence);
      return null;
    });
  }

  /** Locks the lease row in share mode and throws unless {@code fence} is still its owner and epoch. */
  private static void fence(Connection c, Lease fence) throws SQLException {
    try (PreparedStatement p = c.prepareStatement("SELECT 1 FROM o365mail_lease WHERE mailbox = ? AND owner = ?"
        + " AND epoch = ? FOR SHARE")) {
      p.setString(1, normalized(fence.mailbox()));
      p.setString(2, fence.owner());
      p.setLong(3, fence.epoch());
      try (ResultSet rs = p.executeQuery()) {
        if (!rs.next()) {
          throw new LeaseLostException(fence);
        }
      }
    }
  }

  private static void write(Connection c, CheckpointKey key, Checkpoint cp) throws SQLException {
    // the row and the removal of its old lists in one statement (one round trip); the lists follow as batches
    try (PreparedStatement p = c.prepareStatement("WITH pending AS (DELETE FROM o365mail_pending_action"
        + " WHERE protocol = ? AND mailbox = ? AND folder = ?), dead AS (DELETE FROM o365mail_dead_letter"
        + " WHERE protocol = ? AND mailbox = ? AND folder = ?) INSERT INTO o365mail_checkpoint (protocol, mailbox,"
        + " folder, sync_state, handled, in_flight, interrupted, in_flight_group, updated_at)"
        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        + " ON CONFLICT (protocol, mailbox, folder) DO UPDATE SET sync_state = excluded.sync_state,"
        + " handled = excluded.handled, in_flight = excluded.in_flight, interrupted = excluded.interrupted,"
        + " in_flight_group = excluded.in_flight_group, updated_at = excluded.updated_at")) {
      for (int i = 0; i < 9; i += 3) {
        p.setString(i + 1, key.protocol());
        p.setString(i + 2, key.mailbox());
        p.setString(i + 3, key.folder());
      }
      p.setString(10, cp.state().value());
      p.setArray(11, c.createArrayOf("text", cp.handled().toArray()));
      p.setString(12, cp.inFlight());
      p.setArray(13, c.createArrayOf("text", cp.interrupted().toArray()));
      p.setArray(14, c.createArrayOf("text", cp.inFlightGroup().toArray()));
      p.setTimestamp(15, Timestamp.from(cp.updatedAt()));
      p.executeUpdate();
    }
    if (!cp.pending().isEmpty()) {
      try (PreparedStatement p = c.prepareStatement("INSERT INTO o365mail_pending_action (protocol, mailbox, folder,"
          + " position, message_key, message_id) VALUES (?, ?, ?, ?, ?, ?)")) {
        int i = 0;
        for (PendingAction a : cp.pending()) {
          bind(p, key);
          p.setInt(4, i++);
          p.setString(5, a.messageKey());
          p.setString(6, a.messageId());
          p.addBatch();
        }
        p.executeBatch();
      }
    }
    if (!cp.deadLetters().isEmpty()) {
      try (PreparedStatement p = c.prepareStatement("INSERT INTO o365mail_dead_letter (protocol, mailbox, folder,"
          + " position, message_key, message_id, subject, attempts, last_error, parked_at)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
        int i = 0;
        for (DeadLetter d : cp.deadLetters()) {
          bind(p, key);
          p.setInt(4, i++);
          p.setString(5, d.messageKey());
          p.setString(6, d.messageId());
          p.setString(7, d.subject());
          p.setInt(8, d.attempts());
          p.setString(9, d.lastError());
          p.setTimestamp(10, Timestamp.from(d.parkedAt()));
          p.addBatch();
        }
        p.executeBatch();
      }
    }
  }

  private static void insertSeen(Connection c, CheckpointKey key, Collection<String> messageKeys)
      throws SQLException {
    try (PreparedStatement p = c.prepareStatement("INSERT INTO o365mail_seen (protocol, mailbox, folder, message_key)"
        + " SELECT ?, ?, ?, unnest(?) ON CONFLICT DO NOTHING")) {
      bind(p, key);
      p.setArray(4, c.createArrayOf("text", new LinkedHashSet<>(messageKeys).toArray()));
      p.executeUpdate();
    }
  }

  private static void bind(PreparedStatement p, CheckpointKey key) throws SQLException {
    p.setString(1, key.protocol());
    p.setString(2, key.mailbox());
    p.setString(3, key.folder());
  }

  private static List<String> strings(Array array) throws SQLException {
    try {
      return Arrays.asList((String[]) array.getArray());
    } finally {
      array.free();
    }
  }

  /** Mailboxes as {@link CheckpointKey} keeps them: lower case. */
  private static String normalized(String mailbox) {
    return requireNonNull(mailbox, "mailbox").toLowerCase(Locale.ROOT);
  }

  @Override
  public String toString() {
    return "PostgresCheckpointStore";
  }

  /** Builds a {@link PostgresCheckpointStore}. */
  public static final class Builder {
    private final DataSource dataSource;
    private Clock clock = Clock.systemUTC();
    private int seenCacheCapacity = SeenCache.DEFAULT_CAPACITY;

    private Builder(DataSource dataSource) {
      this.dataSource = requireNonNull(dataSource, "dataSource");
    }

    /** The clock that sets and judges lease expiry (default the system clock; the same on every instance). */
    public Builder clock(Clock value) {
      this.clock = requireNonNull(value, "clock");
      return this;
    }

    /** How many seen records the store keeps in memory (default 10,000); for tests. */
    Builder seenCacheCapacity(int value) {
      this.seenCacheCapacity = value;
      return this;
    }

    public PostgresCheckpointStore build() {
      return new PostgresCheckpointStore(this);
    }
  }
}
