package org.o365mail.importer;

import static java.util.Objects.requireNonNull;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.o365mail.internal.SdkThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shares a list of mailboxes among the service instances that use one {@link CheckpointStore}, each mailbox imported
 * by one instance at a time, with no process in charge: the store's leases are the only coordination. Every instance
 * runs a coordinator over the same list; each poll interval it
 *
 * <ol>
 *   <li>announces itself and learns how many instances are live ({@link CheckpointStore#heartbeat}); its fair share
 *       is the list's size divided by that, rounded up;
 *   <li>renews the leases it holds ({@link CheckpointStore#renewLeases}) and closes the importer of each lease that was
 *       taken over;
 *   <li>gives back the leases above its fair share (their importers closed, the leases released, so a new instance
 *       gets its share within one poll of each older one), or claims free, released or expired leases up to it
 *       ({@link CheckpointStore#claimLeases}: with PostgreSQL one {@code SELECT ... FOR UPDATE SKIP LOCKED}, so two
 *       instances claiming at once never wait for or take the same mailbox);
 *   <li>builds and starts an importer for each new lease, with this coordinator's store, scheduler, owner and lease
 *       time; the importer fences its writes with the lease and closes its connector when closed.
 * </ol>
 *
 * <p>An instance that dies keeps its leases until they expire: the others take its mailboxes over within one lease
 * time plus one poll interval. One that is {@link #close() closed} releases them at once and leaves; the others take
 * them over at their next poll. One that pauses past its leases (a long GC, a network partition) finds its writes
 * refused ({@link LeaseLostException}) and its importers closed at its next poll; what it had not committed is handed
 * out again by the new holder, flagged {@link IncomingMessage#possibleRedelivery()}.
 *
 * <pre>{@code
 * ImportCoordinator coordinator = ImportCoordinator.builder()
 *     .checkpointStore(PostgresCheckpointStore.builder(dataSource).build())
 *     .scheduler(ImportScheduler.create(16))
 *     .owner(instanceName)
 *     .mailboxes(mailboxes)
 *     .importers(mailbox -> MailImporter.builder().connector(connectorFor(mailbox)).handler(product))
 *     .build()
 *     .start();
 * }</pre>
 *
 * <p>Thread-safe. A cycle runs on a thread of its own (not behind the import passes), one at a time; {@link
 * #rebalance()} runs one now.
 */
public final class ImportCoordinator implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(ImportCoordinator.class);

  private final CheckpointStore store;
  private final ImportScheduler scheduler;
  private final boolean ownScheduler;
  /**
   * The cycle's own thread: on the importers' scheduler it waited behind every pass due before it (hundreds after a
   * claim), renewed late, and let the leases of a live instance expire (seen in the examples' ClusterIT).
   */
  private final ImportScheduler cycles = ImportScheduler.create(1);
  private final String owner;
  private final Duration leaseTtl;
  private final Duration pollInterval;
  /** The mailboxes as the caller named them, by their lower-case form (as leases and checkpoint keys keep them). */
  private final Map<String, String> mailboxes;
  private final Function<String, MailImporter.Builder> importers;
  private final Map<String, Held> held = new ConcurrentHashMap<>();
  private final Object cycleLock = new Object();
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile int liveInstances = 1;

  /** A lease in hand and the importer that works under it. */
  private record Held(Lease lease, MailImporter importer) {}

  private ImportCoordinator(Builder b) {
    this.store = b.store;
    this.ownScheduler = b.scheduler == null;
    this.scheduler = ownScheduler ? ImportScheduler.create(4) : b.scheduler;
    this.owner = b.owner;
    this.leaseTtl = b.leaseTtl;
    this.pollInterval = b.pollInterval != null ? b.pollInterval : b.leaseTtl.dividedBy(3);
    this.mailboxes = b.mailboxes;
    this.importers = b.importers;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Runs a first cycle now and then one every poll interval, on the scheduler. */
  public ImportCoordinator start() {
    if (closed.get()) {
      throw new IllegalStateException("this coordinator is closed");
    }
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("already started");
    }
    cycles.schedule(this::cycle, 0);
    return this;
  }

  private void cycle() {
    try {
      rebalance();
    } catch (RuntimeException e) {
      // the store did not answer (or refused): the leases held stay held until they expire, and the next poll
      // tries again; importers fence their own writes meanwhile
      logger.warn("Import coordinator {} could not rebalance: {}", owner, e.toString());
    } finally {
      if (!closed.get()) {
        cycles.schedule(this::cycle, pollInterval.toMillis());
      }
    }
  }

  /**
   * One cycle now, on the calling thread: heartbeat, renew, give back or claim, start and stop importers. {@link
   * #start()} runs it every poll interval; tests and tools may call it directly.
   *
   * @throws RuntimeException what the store threw (nothing held is given up for it)
   */
  public void rebalance() {
    synchronized (cycleLock) {
      if (closed.get()) {
        return;
      }
      liveInstances = Math.max(1, store.heartbeat(owner, leaseTtl));
      renew();
      int share = fairShare();
      if (held.size() > share) {
        giveBack(held.size() - share);
        // the closes waited for passes in hand: the leases kept are renewed again, so that a long give-back never
        // lets them run out while this instance is alive
        renew();
      } else if (held.size() < share) {
        claim(share - held.size());
      }
    }
  }

  private void renew() {
    if (held.isEmpty()) {
      return;
    }
    List<Lease> leases = held.values().stream().map(Held::lease).toList();
    Set<Lease> kept = new HashSet<>(store.renewLeases(leases, leaseTtl));
    List<MailImporter> lost = new ArrayList<>();
    for (Held h : List.copyOf(held.values())) {
      if (!kept.contains(h.lease())) {
        logger.warn("Lease of {} was taken over by another instance; {} stops importing it", h.lease().mailbox(),
            owner);
        held.remove(h.lease().mailbox().toLowerCase(Locale.ROOT));
        lost.add(h.importer());
      }
    }
    closeAll(lost);
  }

  /**
   * Closes importers side by side (each waits for its pass in hand to finish, up to its close timeout) and returns
   * when all are closed, their leases released: one after another, hundreds of them could outlast the lease time
   * of the mailboxes this instance keeps (seen in the examples' ClusterBenchmark at 1,000 mailboxes).
   */
  private static void closeAll(List<MailImporter> importers) {
    if (importers.size() <= 1) {
      importers.forEach(MailImporter::close);
      return;
    }
    ExecutorService closers = Executors.newFixedThreadPool(Math.min(16, importers.size()),
        SdkThreads.factory("import-close"));
    try {
      List<Future<?>> done = new ArrayList<>();
      for (MailImporter importer : importers) {
        done.add(closers.submit(importer::close));
      }
      for (Future<?> f : done) {
        try {
          f.get();
        } catch (ExecutionException e) {
          logger.warn("Closing an importer failed: {}", e.getCause().toString());
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      closers.shutdown();
    }
  }

  private void giveBack(int count) {
    // the last ones in the list's order: which ones does not matter for correctness, a stable choice keeps the
    // mailboxes an instance holds from churning
    List<String> order = new ArrayList<>(held.keySet());
    order.sort(Comparator.reverseOrder());
    List<MailImporter> going = new ArrayList<>();
    for (String mailbox : order.subList(0, count)) {
      Held h = held.remove(mailbox);
      if (h != null) {
        going.add(h.importer());
      }
    }
    closeAll(going);
    logger.info("Import coordinator {} gave back {} mailbox(es) for its fair share of {} ({} live instances)", owner,
        count, fairShare(), liveInstances);
  }

  private void claim(int count) {
    List<String> free = new ArrayList<>();
    for (String mailbox : mailboxes.keySet()) {
      if (!held.containsKey(mailbox)) {
        free.add(mailbox);
      }
    }
    List<Lease> claimed = store.claimLeases(free, owner, count, leaseTtl);
    for (Lease lease : claimed) {
      String key = lease.mailbox().toLowerCase(Locale.ROOT);
      String mailbox = mailboxes.getOrDefault(key, lease.mailbox());
      MailImporter importer;
      try {
        importer = importers.apply(mailbox).checkpointStore(store).scheduler(scheduler).leaseOwner(owner)
            .leaseTtl(leaseTtl).closesConnector(true).build();
      } catch (RuntimeException e) {
        // a mailbox whose importer cannot be built is left for the next poll (or another instance) rather than held
        // unserved for a whole lease time
        logger.warn("Import coordinator {} could not build the importer of {}: {}", owner, mailbox, e.toString());
        store.releaseLease(lease);
        continue;
      }
      held.put(key, new Held(lease, importer));
      importer.start();
    }
    if (!claimed.isEmpty()) {
      logger.info("Import coordinator {} took {} mailbox(es); it holds {} of {} (fair share {}, {} live instances)",
          owner, claimed.size(), held.size(), mailboxes.size(), fairShare(), liveInstances);
    }
  }

  private int fairShare() {
    int live = liveInstances;
    return (mailboxes.size() + live - 1) / live;
  }

  /** The mailboxes this instance imports now (lower case), as of the last cycle. */
  public Set<String> held() {
    return Set.copyOf(held.keySet());
  }

  /** The importer of {@code mailbox}, while this instance holds it. */
  public Optional<MailImporter> importer(String mailbox) {
    Held h = held.get(requireNonNull(mailbox, "mailbox").toLowerCase(Locale.ROOT));
    return h == null ? Optional.empty() : Optional.of(h.importer());
  }

  /** How many instances were live at the last cycle, this one included. */
  public int liveInstances() {
    return liveInstances;
  }

  public String owner() {
    return owner;
  }

  /**
   * Stops: every importer is closed (its message in hand finished, its lease released), then this instance leaves,
   * so the others take its mailboxes over at their next poll. A scheduler the caller gave is not closed.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    synchronized (cycleLock) {
      List<MailImporter> all = held.values().stream().map(Held::importer).toList();
      held.clear();
      closeAll(all);
    }
    try {
      store.leave(owner);
    } catch (RuntimeException e) {
      logger.warn("Import coordinator {} could not leave: {}", owner, e.toString());
    }
    cycles.close();
    if (ownScheduler) {
      scheduler.close();
    }
  }

  @Override
  public String toString() {
    return "ImportCoordinator[" + owner + ", " + held.size() + " of " + mailboxes.size() + " mailboxes, "
        + liveInstances + " live instances]";
  }

  /** Builds an {@link ImportCoordinator}; {@link #build()} names what is missing. */
  public static final class Builder {
    private CheckpointStore store;
    private ImportScheduler scheduler;
    private String owner = ManagementFactory.getRuntimeMXBean().getName();
    private Duration leaseTtl = Duration.ofMinutes(1);
    private Duration pollInterval;
    private Map<String, String> mailboxes;
    private Function<String, MailImporter.Builder> importers;

    private Builder() {}

    /** The store every instance shares (for several instances, one that shares leases, such as PostgreSQL's). */
    public Builder checkpointStore(CheckpointStore value) {
      this.store = requireNonNull(value, "checkpointStore");
      return this;
    }

    /**
     * The scheduler that runs this coordinator's importers' passes (default a private one of 4 threads, closed with
     * the coordinator); the cycles run on a thread of the coordinator's own.
     */
    public Builder scheduler(ImportScheduler value) {
      this.scheduler = requireNonNull(value, "scheduler");
      return this;
    }

    /** This instance's name, unique among the instances (default pid@host). */
    public Builder owner(String value) {
      requireNonNull(value, "owner");
      if (value.isBlank()) {
        throw new IllegalArgumentException("owner must not be blank");
      }
      this.owner = value;
      return this;
    }

    /**
     * How long a lease lasts without renewal (default 1 minute): the longest a dead instance's mailboxes wait, less
     * one poll interval. Each importer gets it too, so a handler stuck longer than this on one message loses its
     * mailbox.
     */
    public Builder leaseTtl(Duration value) {
      this.leaseTtl = positive(value, "leaseTtl");
      return this;
    }

    /** How often a cycle runs (default a third of the lease time); it must be shorter than the lease time. */
    public Builder pollInterval(Duration value) {
      this.pollInterval = positive(value, "pollInterval");
      return this;
    }

    /** The mailboxes every instance shares (the same list on each); at most 100,000. */
    public Builder mailboxes(Collection<String> value) {
      requireNonNull(value, "mailboxes");
      if (value.size() > 100_000) {
        throw new IllegalArgumentException("mailboxes: at most 100,000, was " + value.size());
      }
      Map<String, String> byKey = new LinkedHashMap<>();
      for (String mailbox : value) {
        requireNonNull(mailbox, "a mailbox in mailboxes");
        if (mailbox.isBlank()) {
          throw new IllegalArgumentException("mailboxes: a blank mailbox");
        }
        byKey.putIfAbsent(mailbox.toLowerCase(Locale.ROOT), mailbox);
      }
      this.mailboxes = byKey;
      return this;
    }

    /**
     * The importer of a mailbox this instance takes: a builder with at least its connector and handler. The
     * coordinator sets the checkpoint store, scheduler, lease owner, lease time and {@link
     * MailImporter.Builder#closesConnector} on it, then builds and starts it; a new connector each time, since the
     * importer closes it when the mailbox goes.
     */
    public Builder importers(Function<String, MailImporter.Builder> value) {
      this.importers = requireNonNull(value, "importers");
      return this;
    }

    public ImportCoordinator build() {
      if (store == null || mailboxes == null || importers == null) {
        throw new IllegalStateException("missing required setting(s):" + (store == null ? " checkpointStore()" : "")
            + (mailboxes == null ? " mailboxes()" : "") + (importers == null ? " importers()" : ""));
      }
      if (pollInterval != null && pollInterval.compareTo(leaseTtl) >= 0) {
        throw new IllegalStateException("pollInterval (" + pollInterval + ") must be shorter than leaseTtl ("
            + leaseTtl + "): leases would expire between two renewals");
      }
      return new ImportCoordinator(this);
    }

    private static Duration positive(Duration value, String name) {
      requireNonNull(value, name);
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, was " + value);
      }
      return value;
    }
  }
}
