package org.o365mail.importer;

import static java.util.Objects.requireNonNull;
import static org.o365mail.ServiceText.printable;
import static org.o365mail.internal.Arguments.positive;

import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.o365mail.FolderRef;
import org.o365mail.MailboxConnector;
import org.o365mail.MailboxException;
import org.o365mail.MessageNotFoundException;
import org.o365mail.MessageSummary;
import org.o365mail.SyncState;
import org.o365mail.expiry.SecretExpiryTracker;
import org.o365mail.internal.Sleeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Imports new mail of one mailbox (one or more folders) into a product, losing none. Each new message goes to
 * the {@link MessageHandler} as a stream with a stable idempotency key; only when the handler returns does the
 * checkpoint advance, and only then does the post-action (mark read, move, delete) run. A handler failure is
 * retried with back-off and then parked (moved to a park folder when one is set, and listed as a {@link
 * DeadLetter}), never silently skipped and never blocking the rest.
 *
 * <p><b>The guarantee.</b> No message is lost. A message is handed to the handler again only if the process died
 * after the handler accepted it and before its checkpoint was durable, and then with the same idempotency key
 * (and {@link IncomingMessage#possibleRedelivery()} set).
 *
 * <p><b>Per message or by groups.</b> A plain {@link MessageHandler} has a message when {@code handle} returns: the
 * checkpoint is written before each message (the key in flight) and after it (the key handled). A {@link
 * BatchingMessageHandler} has messages once its {@code flush} returns (group commit): the importer writes the keys of
 * a group about to be handed out ({@link Checkpoint#inFlightGroup()}), hands them out, and when the group is full
 * ({@link Builder#groupCommit}: so many messages or so much time, whichever first) or the sync batch ends, calls
 * {@code flush} and then writes one checkpoint with all of them handled; the seen keys follow in one append. The
 * crash windows of a group, and what the next start does:
 * <ol>
 *   <li>before the group's keys are written: nothing of the group was handed out; the old checkpoint stands;
 *   <li>after they are written, before {@code flush} returned (handing out, or flushing): the keys of the group not
 *       handled join the interrupted ones, and each is handed out again with its key and the flag (those the dead
 *       process had not reached yet are flagged too: a possible redelivery, never a missed one);
 *   <li>after {@code flush}, before the checkpoint is durable: the same; the product has them, and the key tells it;
 *   <li>after the checkpoint, before the seen keys are appended: the checkpoint's handled keys are recorded as seen
 *       on the next start, as after a per-message crash;
 *   <li>post-actions (mark read, move, delete) run only for messages whose handled checkpoint is durable, so a crash
 *       never leaves a message moved or deleted that the product does not have.
 * </ol>
 * A {@code flush} that throws is the second window without the crash: the pass ends (health {@link
 * MailboxHealth#DEGRADED}), nothing of the group is checkpointed as handled, and the next pass hands the group out
 * again flagged. A message the handler refuses is parked after the group before it was flushed and committed.
 *
 * <p>Run one pass with {@link #runOnce()}, or {@link #start()} it on an {@link ImportScheduler}: it polls on an
 * interval, or follows IMAP IDLE where the connector has it. Health (throttled, consent required, secret
 * expired, ...) is published to {@link ImportListener}s.
 *
 * <p><b>Several instances.</b> Each pass first takes the mailbox's lease from the {@link CheckpointStore} ({@link
 * CheckpointStore#acquireLease}; skipped while another instance holds it), fences every checkpoint write and seen
 * record with it, renews it while working ({@link Builder#leaseTtl}) and checks it before post-actions; {@link
 * #close()} releases it. An instance whose lease was taken over ends its pass on {@link LeaseLostException} having
 * written nothing more, and the new holder hands its message out again, flagged. {@link #close()} finishes the message in hand or, past
 * the timeout, abandons it with the checkpoint consistent. Thread-safe.
 */
public final class MailImporter implements AutoCloseable {
  // The facade: configuration, the one pass at a time, close(). The work is done by package-private collaborators,
  // one job each: ImportLoop (when the next pass runs), FolderPass (one folder: recovery, sync batches, per-message
  // checkpoints), GroupPass (the same with group commit), Handoff (the handler's attempts), PostActions, DeadLetters,
  // ImportHealth (health and every listener event) and Ledger (checkpoint and idempotency keys, seen records). They
  // log under this class's logger names, so that log configuration written for MailImporter still applies.
  private static final Logger logger = LoggerFactory.getLogger(MailImporter.class);

  private final MailboxConnector connector;
  private final boolean closesConnector;
  private final List<FolderRef> folders;
  private final FencedStore store;
  private final PostAction postAction;
  private final Duration pollInterval;
  private final Duration closeTimeout;
  private final ImportHealth health;
  private final PostActions postActions;
  private final DeadLetters deadLetters;
  private final FolderPass folderPass;
  private final ImportLoop loop;

  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final Object cycleLock = new Object();
  private volatile Thread cycleThread;
  private volatile CountDownLatch idle = new CountDownLatch(0);

  private MailImporter(Builder b) {
    this.connector = b.connector;
    this.closesConnector = b.closesConnector;
    this.folders = List.copyOf(b.folders);
    this.store = new FencedStore(b.store, b.connector.mailbox(), b.leaseOwner,
        b.leaseTtl != null ? b.leaseTtl : b.pollInterval.multipliedBy(2).plusMinutes(5), b.clock);
    this.postAction = b.postAction;
    this.pollInterval = b.pollInterval;
    this.closeTimeout = b.closeTimeout;
    this.health = new ImportHealth(connector.mailbox(), b.clock, b.expiry, b.listeners);
    Ledger ledger = new Ledger(connector, store);
    Handoff handoff = new Handoff(connector, b.handler, b.handlerAttempts, b.handlerBackoff, b.sleeper, stopping,
        health);
    this.postActions = new PostActions(connector, postAction, store, b.clock);
    this.deadLetters = new DeadLetters(connector, store, b.clock, b.parkFolder, ledger, handoff, postActions, health);
    this.folderPass = new FolderPass(connector, store, b.clock, ledger, handoff, postActions, deadLetters, health,
        stopping, b.startFrom, b.batchSize, b.groupMessages, b.groupDelay);
    boolean ownScheduler = b.scheduler == null;
    this.loop = new ImportLoop(connector, folders.get(0), this::runOnce, health,
        ownScheduler ? ImportScheduler.create(1) : b.scheduler, ownScheduler, pollInterval, b.followChanges, b.clock,
        stopping);
  }

  public static Builder builder() {
    return new Builder();
  }

  public String mailbox() {
    return connector.mailbox();
  }

  public HealthState health() {
    return health.current();
  }

  public void addListener(ImportListener listener) {
    health.addListener(listener);
  }

  /** The parked messages of every folder. */
  public List<DeadLetter> deadLetters() {
    return deadLetters.list(folders);
  }

  /** Idempotency key of a message: its Message-ID plus the connector's id. */
  public static String idempotencyKey(String protocol, MessageSummary m) {
    return m.internetMessageId().orElse("") + "|" + protocol + ":" + m.id().value();
  }

  // ------------------------------------------------------------------------------------------
  // running

  /**
   * Imports everything new in every folder now, on the calling thread, and returns what it did. Failures of
   * the connector (token, permission, network) are not thrown: they set the health and end the pass. A failure of
   * the checkpoint store (its database gone away) ends the pass too, sets the health {@link MailboxHealth#DEGRADED}
   * and is thrown.
   */
  public ImportResult runOnce() {
    return exclusively(this::cycle);
  }

  /** Starts importing on the scheduler: a first pass now, then on change or every poll interval. */
  public MailImporter start() {
    if (stopping.get()) {
      throw new IllegalStateException("this importer is closed");
    }
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("already started");
    }
    loop.start();
    return this;
  }

  /** How long after a pass ends the next one starts; for tests. */
  long nextDelayMillis(boolean ok) {
    return loop.nextDelay(ok);
  }

  /** The health a connector's failure leads to; for tests. */
  static MailboxHealth classify(MailboxException e) {
    return ImportHealth.classify(e);
  }

  /**
   * Runs {@code work} on the calling thread as the one pass (or retry) of this importer, which {@link #close()}
   * waits for and, past its timeout, interrupts.
   */
  private <T> T exclusively(Supplier<T> work) {
    synchronized (cycleLock) {
      cycleThread = Thread.currentThread();
      idle = new CountDownLatch(1);
      try {
        return work.get();
      } finally {
        cycleThread = null;
        idle.countDown();
      }
    }
  }

  private ImportResult cycle() {
    ImportResult total = new ImportResult(0, 0, 0, true);
    try {
      if (!store.acquire()) {
        logger.debug("Mailbox {} is imported by another instance; skipping this pass", connector.mailbox());
        return total;
      }
      postActions.beginPass();
      for (FolderRef folder : folders) {
        if (stopping.get()) {
          return total.unfinished();
        }
        total = total.plus(folderPass.run(folder));
        if (!total.completed()) {
          break;
        }
      }
      if (total.completed()) {
        health.passCompleted(postActions.blocked());
      }
    } catch (MailboxException e) {
      // the place is kept: the checkpoint has every message the handler accepted, and the one whose read was
      // refused is not in flight any more; the next pass starts where this one stopped (throttled: when the
      // service said)
      health.passFailed(e);
      return total.unfinished();
    } catch (LeaseLostException e) {
      // another instance took the mailbox over (this one paused past its lease): what this pass had not made
      // durable stays undone, and the new holder hands it out again
      logger.warn("Lease of {} was taken over by another instance; this pass stops without writing",
          connector.mailbox());
      store.lost();
      return total.unfinished();
    } catch (RuntimeException e) {
      // the checkpoint store failed (a database gone away): nothing more of this pass is durable, the message in
      // hand comes back flagged on the next; the health says the import is not running, and the caller hears why
      health.set(MailboxHealth.DEGRADED, null);
      throw e;
    }
    return total;
  }

  /**
   * Hands a parked message to the handler again now (with the configured attempts and back-off), on the calling
   * thread. Accepted, it leaves the dead letters and its post-action runs (or waits as a pending one, like any
   * imported message's); refused again, it stays parked with its {@link DeadLetter#attempts()} raised by this
   * retry's calls and the new {@link DeadLetter#lastError()}. {@link #close()} stops a retry as it stops a pass.
   *
   * @return whether the handler accepted it
   * @throws IllegalArgumentException if no parked message has this key
   * @throws IllegalStateException if this importer is closed
   * @throws MessageNotFoundException if the message is no longer in the mailbox (it stays parked)
   * @throws MailboxException if reading it from the service failed (it stays parked)
   */
  public boolean retryDeadLetter(String messageKey) {
    requireNonNull(messageKey, "messageKey");
    synchronized (cycleLock) {
      if (stopping.get()) {
        throw new IllegalStateException("this importer is closed");
      }
      return exclusively(() -> {
        if (!store.acquire()) {
          throw new IllegalStateException("mailbox " + connector.mailbox() + " is imported by another instance"
              + " (it holds the lease): retry the dead letter there");
        }
        return deadLetters.retry(folders, messageKey);
      });
    }
  }

  /**
   * Stops: the message in hand is finished, or after the close timeout abandoned (it will be offered again on
   * the next start, with the same key), the checkpoint consistent either way.
   */
  @Override
  public void close() {
    if (!stopping.compareAndSet(false, true)) {
      return;
    }
    try {
      if (!idle.await(closeTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
        Thread t = cycleThread;
        if (t != null) {
          logger.warn("Import of {} did not finish its message within {}; abandoning it (it will be offered again)",
              connector.mailbox(), closeTimeout);
          t.interrupt();
        }
        idle.await(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    loop.close();
    if (closesConnector) {
      // before the lease goes: the next holder never finds this instance's session still open
      try {
        connector.close();
      } catch (RuntimeException e) {
        logger.warn("Could not close the connector of {}: {}", connector.mailbox(), e.toString());
      }
    }
    // the mailbox is free for another instance (or process) at once, not when the lease would expire; a pass
    // that still runs after the timeouts keeps it, so that no one else imports beside it
    if (idle.getCount() == 0) {
      try {
        store.release();
      } catch (RuntimeException e) {
        logger.warn("Could not release the lease of {}: {}", connector.mailbox(), e.toString());
      }
    }
    health.set(MailboxHealth.STOPPED, null);
  }

  /** Builds a {@link MailImporter}; {@link #build()} names what is missing. */
  public static final class Builder {
    private MailboxConnector connector;
    private final List<FolderRef> folders = new ArrayList<>();
    private MessageHandler handler;
    private CheckpointStore store = CheckpointStore.inMemory();
    private PostAction postAction = PostAction.none();
    private SyncState startFrom = SyncState.BEGINNING;
    private Duration pollInterval = Duration.ofSeconds(60);
    private boolean followChanges = true;
    private int batchSize = 50;
    private int groupMessages = 500;
    private Duration groupDelay = Duration.ofSeconds(1);
    private int handlerAttempts = 3;
    private Duration handlerBackoff = Duration.ofSeconds(1);
    private FolderRef parkFolder;
    private Clock clock = Clock.systemUTC();
    private Sleeper sleeper = Sleeper.REAL;
    private ImportScheduler scheduler;
    private final List<ImportListener> listeners = new ArrayList<>();
    private SecretExpiryTracker expiry;
    private String leaseOwner = ManagementFactory.getRuntimeMXBean().getName();
    private Duration leaseTtl;
    private boolean closesConnector;
    private Duration closeTimeout = Duration.ofSeconds(30);

    private Builder() {}

    public Builder connector(MailboxConnector value) {
      this.connector = requireNonNull(value, "connector");
      return this;
    }

    /** A folder to import (default the Inbox); call again for more. */
    public Builder folder(FolderRef value) {
      folders.add(requireNonNull(value, "folder"));
      return this;
    }

    public Builder handler(MessageHandler value) {
      this.handler = requireNonNull(value, "handler");
      return this;
    }

    /** Where checkpoints are kept (default memory: an import starts over after a restart). */
    public Builder checkpointStore(CheckpointStore value) {
      this.store = requireNonNull(value, "checkpointStore");
      return this;
    }

    public Builder postAction(PostAction value) {
      this.postAction = requireNonNull(value, "postAction");
      return this;
    }

    /** {@link SyncState#BEGINNING} (default) imports what is already there; {@link SyncState#NOW} only later mail. */
    public Builder startFrom(SyncState value) {
      if (!requireNonNull(value, "startFrom").isBeginning() && !value.isNow()) {
        throw new IllegalArgumentException("startFrom must be SyncState.BEGINNING or SyncState.NOW");
      }
      this.startFrom = value;
      return this;
    }

    /** How often to look for new mail when not notified (default 60 s). */
    public Builder pollInterval(Duration value) {
      this.pollInterval = positive(value, "pollInterval");
      return this;
    }

    /**
     * Wait on IMAP IDLE between passes where the connector has it (default true). IDLE holds a thread for as long
     * as it waits, so it is used only with the importer's own thread: with a shared {@link #scheduler} the
     * importer polls every {@link #pollInterval} instead.
     */
    public Builder followChanges(boolean value) {
      this.followChanges = value;
      return this;
    }

    /** Messages per sync batch, 1 to 1000 (default 50). */
    public Builder batchSize(int value) {
      if (value < 1 || value > 1000) {
        throw new IllegalArgumentException("batchSize must be 1 to 1000, was " + value);
      }
      this.batchSize = value;
      return this;
    }

    /**
     * With a {@link BatchingMessageHandler}: a group is made durable (the handler's flush, one checkpoint) after at
     * most {@code maxMessages} messages (1 to 1000, default 500) or once {@code maxDelay} (default 1 s) has passed
     * since its first, whichever comes first, and at the end of every sync batch ({@link #batchSize}, which therefore
     * bounds a group too). A crash hands out again at most one group, flagged. Without a batching handler every
     * message is its own group.
     */
    public Builder groupCommit(int maxMessages, Duration maxDelay) {
      if (maxMessages < 1 || maxMessages > 1000) {
        throw new IllegalArgumentException("groupCommit maxMessages must be 1 to 1000, was " + maxMessages);
      }
      this.groupMessages = maxMessages;
      this.groupDelay = positive(maxDelay, "maxDelay");
      return this;
    }

    /** Calls of the handler per message before it is parked, 1 to 20 (default 3), waiting 1 s, 2 s, ... between. */
    public Builder handlerAttempts(int value) {
      if (value < 1 || value > 20) {
        throw new IllegalArgumentException("handlerAttempts must be 1 to 20, was " + value);
      }
      this.handlerAttempts = value;
      return this;
    }

    public Builder handlerBackoff(Duration value) {
      this.handlerBackoff = requireNonNull(value, "handlerBackoff");
      return this;
    }

    /** Where refused messages are moved (a "failed" folder); without it they stay in place, listed as dead letters. */
    public Builder parkFolder(FolderRef value) {
      this.parkFolder = requireNonNull(value, "parkFolder");
      return this;
    }

    public Builder clock(Clock value) {
      this.clock = requireNonNull(value, "clock");
      return this;
    }

    Builder sleeper(Sleeper value) {
      this.sleeper = requireNonNull(value, "sleeper");
      return this;
    }

    /**
     * The shared scheduler for many mailboxes (default a private one-thread scheduler). Its importers poll every
     * {@link #pollInterval}: none holds a thread waiting on IMAP IDLE.
     */
    public Builder scheduler(ImportScheduler value) {
      this.scheduler = requireNonNull(value, "scheduler");
      return this;
    }

    public Builder listener(ImportListener value) {
      listeners.add(requireNonNull(value, "listener"));
      return this;
    }

    /** Reports SECRET_EXPIRING while the tracker warns. */
    public Builder secretExpiry(SecretExpiryTracker value) {
      this.expiry = requireNonNull(value, "secretExpiry");
      return this;
    }

    /** This instance's name for mailbox leases in a shared checkpoint store (default pid@host). */
    public Builder leaseOwner(String value) {
      this.leaseOwner = requireNonNull(value, "leaseOwner");
      return this;
    }

    /**
     * How long a mailbox's lease lasts without renewal (default twice the {@link #pollInterval} plus 5 minutes). A
     * pass renews it on its first write after a third of this has passed, so a handler that takes longer than the
     * whole of it on one message loses the mailbox to another instance, and its writes are refused.
     */
    public Builder leaseTtl(Duration value) {
      this.leaseTtl = positive(value, "leaseTtl");
      return this;
    }

    /**
     * Whether {@link #close()} closes the connector too, before it releases the lease (default false: the caller
     * owns the connector). {@link ImportCoordinator} sets it for the importers it builds.
     */
    public Builder closesConnector(boolean value) {
      this.closesConnector = value;
      return this;
    }

    /** How long {@link #close()} waits for the message in hand (default 30 s). */
    public Builder closeTimeout(Duration value) {
      this.closeTimeout = positive(value, "closeTimeout");
      return this;
    }

    public MailImporter build() {
      if (connector == null || handler == null) {
        throw new IllegalStateException("missing required setting(s):" + (connector == null ? " connector()" : "")
            + (handler == null ? " handler()" : ""));
      }
      if (folders.isEmpty()) {
        folders.add(FolderRef.INBOX);
      }
      if (postAction.kind() == PostAction.Kind.MOVE && parkFolder != null
          && postAction.destination().orElseThrow().equals(parkFolder)) {
        throw new IllegalStateException("postAction moves imported mail into the parkFolder " + parkFolder
            + ": use different folders");
      }
      return new MailImporter(this);
    }
  }

  @Override
  public String toString() {
    return "MailImporter[" + connector.mailbox() + ", " + folders + ", " + postAction + ", " + health.current().health()
        + "]";
  }
}
