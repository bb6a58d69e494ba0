package org.o365mail.importer;

import static java.util.Objects.requireNonNull;
import static org.o365mail.internal.Arguments.positive;
import static org.o365mail.internal.ServiceText.printable;

import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.o365mail.AttachmentInfo;
import org.o365mail.Diagnosis;
import org.o365mail.FolderNotFoundException;
import org.o365mail.FolderRef;
import org.o365mail.MailboxAuthenticationException;
import org.o365mail.MailboxConnector;
import org.o365mail.MailboxException;
import org.o365mail.MessageId;
import org.o365mail.MessageNotFoundException;
import org.o365mail.MessageSummary;
import org.o365mail.SetupStep;
import org.o365mail.SyncBatch;
import org.o365mail.SyncState;
import org.o365mail.ThrottledException;
import org.o365mail.expiry.ExpiryStatus;
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
 * expired, ...) is published to {@link ImportListener}s. {@link #close()} finishes the message in hand or, past
 * the timeout, abandons it with the checkpoint consistent. Thread-safe.
 */
public final class MailImporter implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(MailImporter.class);
  /**
   * Health changes, under a logger of their own: a program that reports the health itself (as {@code o365mail import}
   * does) turns it off rather than print every diagnosis twice.
   */
  private static final Logger healthLogger = LoggerFactory.getLogger(MailImporter.class.getName() + ".health");

  private final MailboxConnector connector;
  private final List<FolderRef> folders;
  private final MessageHandler handler;
  private final CheckpointStore store;
  private final PostAction postAction;
  private final SyncState startFrom;
  private final Duration pollInterval;
  private final boolean followChanges;
  private final int batchSize;
  private final int groupMessages;
  private final Duration groupDelay;
  private final int handlerAttempts;
  private final Duration handlerBackoff;
  private final FolderRef parkFolder;
  private final Clock clock;
  private final Sleeper sleeper;
  private final ImportScheduler scheduler;
  private final boolean ownScheduler;
  private final List<ImportListener> listeners = new CopyOnWriteArrayList<>();
  private final SecretExpiryTracker expiry;
  private final String leaseOwner;
  private final Duration closeTimeout;

  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final AtomicReference<HealthState> health;
  /** Set during a pass when the post-action's destination folder is missing; read and reset by the pass. */
  private volatile Diagnosis postActionBlocked;
  private final Object cycleLock = new Object();
  private volatile Thread cycleThread;
  private volatile CountDownLatch idle = new CountDownLatch(0);
  private volatile int consecutiveFailures;

  private MailImporter(Builder b) {
    this.connector = b.connector;
    this.folders = List.copyOf(b.folders);
    this.handler = b.handler;
    this.store = b.store;
    this.postAction = b.postAction;
    this.startFrom = b.startFrom;
    this.pollInterval = b.pollInterval;
    this.followChanges = b.followChanges;
    this.batchSize = b.batchSize;
    this.groupMessages = b.groupMessages;
    this.groupDelay = b.groupDelay;
    this.handlerAttempts = b.handlerAttempts;
    this.handlerBackoff = b.handlerBackoff;
    this.parkFolder = b.parkFolder;
    this.clock = b.clock;
    this.sleeper = b.sleeper;
    this.ownScheduler = b.scheduler == null;
    this.scheduler = ownScheduler ? ImportScheduler.create(1) : b.scheduler;
    this.listeners.addAll(b.listeners);
    this.expiry = b.expiry;
    this.leaseOwner = b.leaseOwner;
    this.closeTimeout = b.closeTimeout;
    this.health = new AtomicReference<>(new HealthState(connector.mailbox(), MailboxHealth.HEALTHY, clock.instant(), null));
  }

  public static Builder builder() {
    return new Builder();
  }

  public String mailbox() {
    return connector.mailbox();
  }

  public HealthState health() {
    return health.get();
  }

  public void addListener(ImportListener listener) {
    listeners.add(requireNonNull(listener, "listener"));
  }

  /** The parked messages of every folder. */
  public List<DeadLetter> deadLetters() {
    List<DeadLetter> all = new ArrayList<>();
    for (FolderRef f : folders) {
      store.load(key(f)).ifPresent(c -> all.addAll(c.deadLetters()));
    }
    return all;
  }

  /** Idempotency key of a message: its Message-ID plus the connector's id. */
  public static String idempotencyKey(String protocol, MessageSummary m) {
    return m.internetMessageId().orElse("") + "|" + protocol + ":" + m.id().value();
  }

  // ------------------------------------------------------------------------------------------
  // running

  /**
   * Imports everything new in every folder now, on the calling thread, and returns what it did. Failures of
   * the connector (token, permission, network) are not thrown: they set the health and end the pass.
   */
  public ImportResult runOnce() {
    synchronized (cycleLock) {
      cycleThread = Thread.currentThread();
      idle = new CountDownLatch(1);
      try {
        return cycle();
      } finally {
        cycleThread = null;
        idle.countDown();
      }
    }
  }

  /** Starts importing on the scheduler: a first pass now, then on change or every poll interval. */
  public MailImporter start() {
    if (stopping.get()) {
      throw new IllegalStateException("this importer is closed");
    }
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("already started");
    }
    scheduler.schedule(this::scheduledCycle, 0);
    return this;
  }

  private void scheduledCycle() {
    if (stopping.get()) {
      return;
    }
    boolean ok;
    try {
      ImportResult result = runOnce();
      ok = result.completed();
    } catch (RuntimeException e) {
      logger.warn("Import cycle for {} failed unexpectedly", connector.mailbox(), e);
      ok = false;
    }
    if (stopping.get()) {
      return;
    }
    long delay = nextDelay(ok);
    // a shared scheduler's threads serve every mailbox: none of them may sit in a mailbox's IMAP IDLE
    if (ok && followChanges && ownScheduler && delay > 0) {
      scheduler.schedule(this::awaitThenCycle, 0);
    } else {
      scheduler.schedule(this::scheduledCycle, delay);
    }
  }

  private void awaitThenCycle() {
    if (stopping.get()) {
      return;
    }
    long begin = System.nanoTime();
    boolean changed;
    try {
      changed = connector.awaitChanges(folders.get(0), pollInterval);
    } catch (RuntimeException e) {
      changed = false;
    }
    long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin);
    long rest = changed ? 0 : Math.max(0, pollInterval.toMillis() - waited);
    scheduler.schedule(this::scheduledCycle, rest);
  }

  private long nextDelay(boolean ok) {
    if (ok) {
      consecutiveFailures = 0;
      return pollInterval.toMillis();
    }
    consecutiveFailures++;
    HealthState h = health.get();
    if (h.health() == MailboxHealth.THROTTLED) {
      // the service's own word on when to come back, however long (Exchange's request window: up to ten minutes);
      // an hour at most, as MSAL caps a Retry-After
      Duration delay = h.until().map(at -> Duration.between(clock.instant(), at)).orElse(Duration.ofSeconds(30));
      return min(max(delay, Duration.ofSeconds(1)), Duration.ofHours(1)).toMillis();
    }
    Duration delay = switch (h.health()) {
      case AUTHENTICATION_REQUIRED, CONSENT_REQUIRED, SECRET_EXPIRED, MAILBOX_ACCESS_DENIED -> Duration.ofMinutes(5);
      default -> pollInterval.multipliedBy(1L << Math.min(consecutiveFailures, 4));
    };
    return min(delay, Duration.ofMinutes(10)).toMillis();
  }

  /** How long after a pass ends the next one starts; for tests. */
  long nextDelayMillis(boolean ok) {
    return nextDelay(ok);
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  private ImportResult cycle() {
    ImportResult total = new ImportResult(0, 0, 0, true);
    if (!store.tryLease(connector.mailbox(), leaseOwner, pollInterval.multipliedBy(2).plusMinutes(5))) {
      logger.debug("Mailbox {} is imported by another instance; skipping this pass", connector.mailbox());
      return total;
    }
    postActionBlocked = null;
    try {
      for (FolderRef folder : folders) {
        if (stopping.get()) {
          return new ImportResult(total.imported(), total.skipped(), total.parked(), false);
        }
        total = total.plus(importFolder(folder));
        if (!total.completed()) {
          break;
        }
      }
      if (total.completed() && postActionBlocked != null) {
        setHealth(MailboxHealth.DEGRADED, postActionBlocked);
      } else if (total.completed()) {
        setHealth(expiringHealth(), null);
      }
    } catch (ThrottledException e) {
      // the place is kept: the checkpoint has every message the handler accepted, and the one whose read was
      // refused is not in flight any more; the next pass starts where this one stopped, when the service said
      Instant retryAt = e.retryAfter().map(clock.instant()::plus).orElse(null);
      setHealth(MailboxHealth.THROTTLED, e.diagnosis().orElse(null), retryAt);
      logger.debug("Import of {} throttled; retrying after {}", connector.mailbox(), e.retryAfter().orElse(null));
      return new ImportResult(total.imported(), total.skipped(), total.parked(), false);
    } catch (MailboxException e) {
      MailboxHealth state = classify(e);
      setHealth(state, e.diagnosis().orElse(null));
      return new ImportResult(total.imported(), total.skipped(), total.parked(), false);
    }
    return total;
  }

  private MailboxHealth expiringHealth() {
    if (expiry == null) {
      return MailboxHealth.HEALTHY;
    }
    ExpiryStatus status = expiry.health();
    return status == ExpiryStatus.WARNING || status == ExpiryStatus.CRITICAL ? MailboxHealth.SECRET_EXPIRING
        : status == ExpiryStatus.EXPIRED || status == ExpiryStatus.INVALID ? MailboxHealth.SECRET_EXPIRING
        : MailboxHealth.HEALTHY;
  }

  static MailboxHealth classify(MailboxException e) {
    if (e instanceof ThrottledException) {
      return MailboxHealth.THROTTLED;
    }
    Optional<Diagnosis> d = e.diagnosis();
    if (!(e instanceof MailboxAuthenticationException) || d.isEmpty()) {
      return MailboxHealth.DEGRADED;
    }
    SetupStep step = d.get().setupStep();
    return switch (step) {
      case CLIENT_SECRET, CERTIFICATE -> MailboxHealth.SECRET_EXPIRED;
      case ADMIN_CONSENT, DELEGATED_PERMISSION, APPLICATION_PERMISSION, SCOPES -> MailboxHealth.CONSENT_REQUIRED;
      case EXCHANGE_SERVICE_PRINCIPAL, MAILBOX_PERMISSION, APPLICATION_ACCESS_POLICY, MAILBOX_PROTOCOL, MAILBOX,
          SEND_AS_PERMISSION -> MailboxHealth.MAILBOX_ACCESS_DENIED;
      case MAX_SEND_SIZE -> MailboxHealth.DEGRADED; // a message too large for the mailbox, not the import's setup
      case SIGN_IN_AGAIN, USER_CREDENTIALS, USER_ACCOUNT, CONDITIONAL_ACCESS -> MailboxHealth.AUTHENTICATION_REQUIRED;
      case SERVICE, TRUST, UNKNOWN -> MailboxHealth.DEGRADED;
      default -> MailboxHealth.AUTHENTICATION_REQUIRED;
    };
  }

  private void setHealth(MailboxHealth next, Diagnosis why) {
    setHealth(next, why, null);
  }

  private void setHealth(MailboxHealth next, Diagnosis why, Instant retryAt) {
    HealthState previous = health.get();
    if (previous.health() == next && (why == null || previous.diagnosis() != null
        && previous.diagnosis().serviceCode().equals(why.serviceCode()))
        && java.util.Objects.equals(previous.retryAt(), retryAt)) {
      return;
    }
    Instant since = previous.health() == next ? previous.since() : clock.instant();
    HealthState current = new HealthState(connector.mailbox(), next, since, why, retryAt);
    health.set(current);
    if (next == MailboxHealth.STOPPED) {
      healthLogger.info("Import of {} stopped", connector.mailbox());
    } else if (next != MailboxHealth.HEALTHY) {
      healthLogger.warn("Import of {} is {}{}{}", connector.mailbox(), next, retryAt == null ? "" : " until " + retryAt,
          why == null ? "" : ": " + printable(why.summary() + " Fix: " + why.fix()));
    } else {
      healthLogger.info("Import of {} is healthy again (was {})", connector.mailbox(), previous.health());
    }
    for (ImportListener l : listeners) {
      try {
        l.healthChanged(previous, current);
      } catch (RuntimeException e) {
        logger.warn("An import listener threw; ignored", e);
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // one folder

  private CheckpointKey key(FolderRef folder) {
    return new CheckpointKey(connector.protocol().id(), connector.mailbox(), folder.toString());
  }

  private ImportResult importFolder(FolderRef folder) {
    CheckpointKey key = key(folder);
    Checkpoint checkpoint = store.load(key).orElseGet(() -> Checkpoint.initial(startFrom, clock.instant()));
    for (String handled : checkpoint.handled()) {
      recordSeen(key, handled); // a crash may have come between the checkpoint and these records
    }
    Checkpoint recovered = checkpoint.afterCrash(clock.instant());
    if (recovered != checkpoint) {
      // a process died with this message (or group) in flight: whenever it comes back, in whatever order, it is flagged
      checkpoint = recovered;
      store.save(key, checkpoint);
    }
    checkpoint = finishPendingActions(key, checkpoint);
    if (handler instanceof BatchingMessageHandler batching) {
      return importGroups(folder, key, checkpoint, batching);
    }
    int imported = 0;
    int skipped = 0;
    int parked = 0;
    while (true) {
      SyncBatch batch = connector.sync(folder, checkpoint.state(), batchSize);
      for (MessageSummary m : batch.messages()) {
        if (stopping.get()) {
          return new ImportResult(imported, skipped, parked, false);
        }
        String messageKey = idempotencyKey(connector.protocol().id(), m);
        if (alreadyHandled(key, checkpoint, m, messageKey, batch.resynced())) {
          skipped++;
          continue;
        }
        boolean redelivery = checkpoint.possiblyDelivered(messageKey);
        checkpoint = checkpoint.withInFlight(messageKey, clock.instant());
        store.save(key, checkpoint);
        Outcome outcome;
        try {
          outcome = deliver(folder, m, messageKey, redelivery);
        } catch (MailboxException e) {
          if (!redelivery) {
            // the service failed the handler's read, so the handler did not take it: it is not in flight any more,
            // and offering it again is not a possible redelivery (one left in flight by a dead process stays one)
            checkpoint = checkpoint.withInFlight(null, clock.instant());
            store.save(key, checkpoint);
          }
          throw e;
        }
        if (outcome.accepted) {
          PendingAction action = postAction.kind() == PostAction.Kind.NONE ? null
              : new PendingAction(messageKey, m.id().value());
          checkpoint = checkpoint.withHandled(messageKey, action, clock.instant());
          store.save(key, checkpoint);
          // after the checkpoint: a crash in between leaves the key in 'handled', which the next pass records;
          // recorded first, the message would count as done while its post-action was never written down
          recordSeen(key, messageKey);
          imported++;
          for (ImportListener l : listeners) {
            try {
              l.imported(outcome.message);
            } catch (RuntimeException e) {
              logger.warn("An import listener threw; ignored", e);
            }
          }
        } else if (outcome.stopped) {
          return new ImportResult(imported, skipped, parked, false);
        } else {
          checkpoint = park(key, checkpoint, m, messageKey, outcome);
          parked++;
        }
      }
      // one command per batch, not one per message: each would be a round trip (and on IMAP a search)
      checkpoint = runPostActions(key, checkpoint, checkpoint.pending());
      checkpoint = checkpoint.advanced(batch.next(), clock.instant());
      store.save(key, checkpoint);
      if (!batch.hasMore()) {
        return new ImportResult(imported, skipped, parked, true);
      }
    }
  }


  // ------------------------------------------------------------------------------------------
  // group commit (a BatchingMessageHandler): see the class comment for the crash windows

  /** The messages of a group accepted by {@code handle} and not yet flushed. */
  private static final class Group {
    final List<String> keys = new ArrayList<>();
    final List<IncomingMessage> messages = new ArrayList<>();
    long startedMillis;
  }

  /** The handler's flush failed: the group is not durable. */
  private static final class GroupNotDurable extends RuntimeException {
    private static final long serialVersionUID = 1L;

    GroupNotDurable(Throwable cause) {
      super(cause);
    }
  }

  /** Where a pass over one folder with group commit stands. */
  private static final class GroupPass {
    final FolderRef folder;
    final CheckpointKey key;
    final BatchingMessageHandler batching;
    Checkpoint checkpoint;
    Group group;
    int imported;
    int skipped;
    int parked;

    GroupPass(FolderRef folder, CheckpointKey key, Checkpoint checkpoint, BatchingMessageHandler batching) {
      this.folder = folder;
      this.key = key;
      this.checkpoint = checkpoint;
      this.batching = batching;
    }

    ImportResult result(boolean completed) {
      return new ImportResult(imported, skipped, parked, completed);
    }
  }

  /** Thrown out of {@code forEachMime}'s consumer when the pass ends early (stopped). */
  private static final class EndOfPass extends RuntimeException {
    private static final long serialVersionUID = 1L;

    EndOfPass() {
      super(null, null, false, false);
    }
  }

  private ImportResult importGroups(FolderRef folder, CheckpointKey key, Checkpoint start,
      BatchingMessageHandler batching) {
    GroupPass p = new GroupPass(folder, key, start, batching);
    try {
      while (true) {
        SyncBatch batch = connector.sync(folder, p.checkpoint.state(), batchSize);
        List<MessageSummary> messages = batch.messages();
        p.group = null;
        int from = 0;
        while (from < messages.size()) {
          List<Integer> todo = new ArrayList<>();
          for (int i = from; i < messages.size(); i++) {
            MessageSummary m = messages.get(i);
            if (alreadyHandled(key, p.checkpoint, m, idempotencyKey(connector.protocol().id(), m), batch.resynced())) {
              p.skipped++;
            } else {
              todo.add(i);
            }
          }
          int[] at = {0};
          boolean[] inStep = {false};
          try {
            // the MIME fetched ahead as the connector does best (Graph: $batch requests, several in flight) while
            // the handler writes; each message's stream is handed to the handler's first attempt
            connector.forEachMime(todo.stream().map(messages::get).toList(), (m, in) -> {
              inStep[0] = true;
              boolean goOn = step(p, batch, messages, todo.get(at[0]), in);
              inStep[0] = false;
              at[0]++;
              if (!goOn) {
                throw new EndOfPass();
              }
            });
            from = messages.size();
          } catch (EndOfPass e) {
            return p.result(false);
          } catch (MessageNotFoundException e) {
            if (inStep[0]) {
              throw e;
            }
            // gone from the mailbox before its turn: handed over without a stream, the handler's read fails and it
            // is parked like any message the handler cannot take; the rest of the batch goes on
            int i = todo.get(at[0]);
            if (!step(p, batch, messages, i, null)) {
              return p.result(false);
            }
            from = i + 1;
          }
        }
        p.checkpoint = commit(key, p.checkpoint, p.group, batching, List.of());
        p.imported += size(p.group);
        p.group = null;
        // after the commit: only messages the checkpoint has as handled are marked, moved or deleted
        p.checkpoint = runPostActions(key, p.checkpoint, p.checkpoint.pending());
        p.checkpoint = p.checkpoint.advanced(batch.next(), clock.instant());
        store.save(key, p.checkpoint);
        if (!batch.hasMore()) {
          return p.result(true);
        }
      }
    } catch (GroupNotDurable e) {
      // as if the process had died before the flush returned: the group is handed out again, flagged
      Checkpoint durable = store.load(key).orElse(start);
      store.save(key, durable.afterCrash(clock.instant()));
      Throwable cause = e.getCause();
      logger.warn("The handler could not make the messages of {} durable ({}); they will be handed out again",
          connector.mailbox(), printable(cause.getClass().getName()
              + (cause.getMessage() == null ? "" : ": " + cause.getMessage())));
      setHealth(MailboxHealth.DEGRADED, null);
      return p.result(false);
    }
  }

  /**
   * One message of a group pass: skipped, handed out (its group's keys written first), committed with its group
   * when the group is full, or parked; false when the pass ends here (stopped).
   *
   * @param mime the message's MIME, fetched ahead, for the handler's first attempt; null to read it on demand
   */
  private boolean step(GroupPass p, SyncBatch batch, List<MessageSummary> messages, int i, InputStream mime) {
    MessageSummary m = messages.get(i);
    if (stopping.get()) {
      p.checkpoint = commit(p.key, p.checkpoint, p.group, p.batching, List.of());
      p.imported += size(p.group);
      p.group = null;
      return false;
    }
    String messageKey = idempotencyKey(connector.protocol().id(), m);
    if (alreadyHandled(p.key, p.checkpoint, m, messageKey, batch.resynced())) {
      p.skipped++; // a repeat within the batch
      return true;
    }
    if (p.group == null) {
      // written before the first of them is handed out: a crash from here on flags each of them
      p.checkpoint = p.checkpoint.withInFlightGroup(upcoming(p.key, p.checkpoint, messages, i, batch.resynced()),
          clock.instant());
      store.save(p.key, p.checkpoint);
      p.group = new Group();
      p.group.startedMillis = clock.millis();
    }
    boolean redelivery = p.checkpoint.possiblyDelivered(messageKey);
    Outcome outcome;
    try {
      outcome = deliver(p.folder, m, messageKey, redelivery, mime);
    } catch (MailboxException e) {
      // the service failed the handler's read: the handler did not take this one; those before it are kept
      p.checkpoint = commit(p.key, p.checkpoint, p.group, p.batching, List.of());
      p.imported += size(p.group);
      p.group = null;
      throw e;
    }
    if (outcome.accepted) {
      PendingAction action = postAction.kind() == PostAction.Kind.NONE ? null
          : new PendingAction(messageKey, m.id().value());
      p.checkpoint = p.checkpoint.withHandled(messageKey, action, clock.instant());
      p.group.keys.add(messageKey);
      p.group.messages.add(outcome.message);
    } else if (outcome.stopped) {
      p.checkpoint = commit(p.key, p.checkpoint, p.group, p.batching, List.of());
      p.imported += size(p.group);
      p.group = null;
      return false;
    } else {
      // the group before it is committed first: a parked message's checkpoint must not claim unflushed ones
      p.checkpoint = commit(p.key, p.checkpoint, p.group, p.batching, List.of());
      p.imported += size(p.group);
      p.group = null;
      p.checkpoint = park(p.key, p.checkpoint, m, messageKey, outcome);
      p.parked++;
      return true;
    }
    boolean last = i == messages.size() - 1;
    if (!last && (p.group.keys.size() >= groupMessages
        || clock.millis() - p.group.startedMillis >= groupDelay.toMillis())) {
      // the next group's keys go into the same write as this one's commit
      List<String> next = upcoming(p.key, p.checkpoint, messages, i + 1, batch.resynced());
      p.checkpoint = commit(p.key, p.checkpoint, p.group, p.batching, next);
      p.imported += p.group.keys.size();
      p.group = null;
      if (!next.isEmpty()) {
        p.group = new Group();
        p.group.startedMillis = clock.millis();
      }
    }
    return true;
  }

  private static int size(Group group) {
    return group == null ? 0 : group.keys.size();
  }

  /** The keys of the next group: from {@code from} on, those not handled yet, at most {@code groupMessages}. */
  private List<String> upcoming(CheckpointKey key, Checkpoint checkpoint, List<MessageSummary> messages, int from,
      boolean resynced) {
    List<String> keys = new ArrayList<>();
    for (int i = from; i < messages.size() && keys.size() < groupMessages; i++) {
      MessageSummary m = messages.get(i);
      String k = idempotencyKey(connector.protocol().id(), m);
      if (!alreadyHandled(key, checkpoint, m, k, resynced)) {
        keys.add(k);
      }
    }
    return keys;
  }

  /**
   * Makes a group durable: the handler's flush, then one checkpoint with its keys handled (and {@code next}, the
   * next group's keys, in flight), then their seen records in one append, then the listeners.
   *
   * @throws GroupNotDurable if the flush failed (the checkpoint is not written)
   */
  private Checkpoint commit(CheckpointKey key, Checkpoint checkpoint, Group group, BatchingMessageHandler batching,
      List<String> next) throws GroupNotDurable {
    if (group == null && next.isEmpty() && checkpoint.inFlightGroup().isEmpty()) {
      return checkpoint;
    }
    if (group != null && !group.keys.isEmpty()) {
      try {
        batching.flush();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new GroupNotDurable(e);
      } catch (Exception e) {
        throw new GroupNotDurable(e);
      }
    }
    Checkpoint committed = checkpoint.withInFlightGroup(next, clock.instant());
    store.save(key, committed);
    if (group == null) {
      return committed;
    }
    List<String> seen = new ArrayList<>(group.keys.size() * 2);
    for (String k : group.keys) {
      seen.add(k);
      int end = k.lastIndexOf('|');
      if (end > 0) {
        seen.add("mid:" + k.substring(0, end));
      }
    }
    store.recordSeen(key, seen);
    for (IncomingMessage message : group.messages) {
      for (ImportListener l : listeners) {
        try {
          l.imported(message);
        } catch (RuntimeException e) {
          logger.warn("An import listener threw; ignored", e);
        }
      }
    }
    return committed;
  }

  /** Records a key, and the Message-ID it starts with, as handed out and accepted for good. */
  private void recordSeen(CheckpointKey key, String messageKey) {
    store.recordSeen(key, messageKey);
    int end = messageKey.lastIndexOf('|');
    if (end > 0) {
      store.recordSeen(key, "mid:" + messageKey.substring(0, end));
    }
  }

  private boolean alreadyHandled(CheckpointKey key, Checkpoint checkpoint, MessageSummary m, String messageKey,
      boolean resynced) {
    if (checkpoint.handled().contains(messageKey) || store.seen(key, messageKey)) {
      return true;
    }
    return resynced && m.internetMessageId().isPresent() && store.seen(key, "mid:" + m.internetMessageId().get());
  }

  private record Outcome(boolean accepted, boolean stopped, IncomingMessage message, int attempts, Throwable error) {}

  private Outcome deliver(FolderRef folder, MessageSummary m, String messageKey, boolean redelivery) {
    return deliver(folder, m, messageKey, redelivery, null);
  }

  /** @param mime the MIME fetched ahead, for the first attempt (null: read on demand) */
  private Outcome deliver(FolderRef folder, MessageSummary m, String messageKey, boolean redelivery,
      InputStream mime) {
    Throwable last = null;
    Duration backoff = handlerBackoff;
    for (int attempt = 1; attempt <= handlerAttempts; attempt++) {
      Incoming incoming = new Incoming(m, messageKey, folder, attempt, redelivery, attempt == 1 ? mime : null);
      try {
        handler.handle(incoming);
        return new Outcome(true, false, incoming, attempt, null);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return new Outcome(false, true, incoming, attempt, e);
      } catch (MailboxException e) {
        // reading the message from the service failed: that is the connector's failure, not the handler's
        if (!(e.getCause() instanceof java.io.UncheckedIOException) && !(e instanceof MessageNotFoundException)) {
          throw e;
        }
        last = e;
      } catch (Exception e) {
        ThrottledException throttled = throttledCause(e);
        if (throttled != null) {
          // the handler wrapped the service's "come back later" in its own exception: still the service's, not a
          // refusal of this message, so the pass ends throttled instead of parking the message
          throw throttled;
        }
        last = e;
      }
      if (stopping.get()) {
        return new Outcome(false, true, incoming, attempt, last);
      }
      if (attempt < handlerAttempts) {
        logger.debug("Handler refused message {} of {} (attempt {} of {}): {}", printable(messageKey),
            connector.mailbox(), attempt, handlerAttempts, last.getClass().getSimpleName());
        try {
          sleeper.sleep(backoff);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return new Outcome(false, true, incoming, attempt, last);
        }
        backoff = backoff.multipliedBy(2);
      }
    }
    return new Outcome(false, false, null, handlerAttempts, last);
  }

  /** The throttling in a handler's failure's causes, if any. */
  private static ThrottledException throttledCause(Throwable e) {
    int depth = 0;
    for (Throwable t = e.getCause(); t != null && depth < 16; t = t.getCause(), depth++) {
      if (t instanceof ThrottledException throttled) {
        return throttled;
      }
    }
    return null;
  }

  private Checkpoint park(CheckpointKey key, Checkpoint checkpoint, MessageSummary m, String messageKey, Outcome outcome) {
    String where = m.id().value();
    if (parkFolder != null) {
      try {
        where = connector.move(m.id(), parkFolder).value();
      } catch (MailboxException e) {
        logger.warn("Could not move refused message {} of {} to {}: {}", printable(messageKey), connector.mailbox(),
            printable(parkFolder.toString()), printable(e.serviceErrorCode().orElse(e.getClass().getSimpleName())));
      }
    }
    Throwable error = outcome.error;
    String lastError = error == null ? "" : error.getClass().getName() + (error.getMessage() == null ? ""
        : ": " + error.getMessage());
    DeadLetter letter = new DeadLetter(messageKey, where, m.subject(), outcome.attempts, lastError, clock.instant());
    Checkpoint next = checkpoint.withDeadLetter(letter, clock.instant());
    store.save(key, next);
    store.recordSeen(key, messageKey);
    // the key (Message-ID) and the subject are the sender's text: escaped, so that a CR/LF or an escape sequence
    // in them can neither forge a log line nor reach a terminal
    logger.warn("Parked message {} of {} ({}) after {} refused attempts{}", printable(messageKey), connector.mailbox(),
        printable(m.subject()), outcome.attempts,
        parkFolder == null ? "" : "; moved to " + printable(parkFolder.toString()));
    for (ImportListener l : listeners) {
      try {
        l.parked(letter);
      } catch (RuntimeException e) {
        logger.warn("An import listener threw; ignored", e);
      }
    }
    return next;
  }

  private Checkpoint finishPendingActions(CheckpointKey key, Checkpoint checkpoint) {
    return runPostActions(key, checkpoint, checkpoint.pending());
  }

  /**
   * Runs the post-action on several messages with one call of the connector ({@code markRead} and {@code move}
   * take many ids); if one of them is gone, or the connector cannot do them together, one by one.
   */
  private Checkpoint runPostActions(CheckpointKey key, Checkpoint checkpoint, List<PendingAction> actions) {
    if (actions.isEmpty() || postActionBlocked != null) {
      return checkpoint;
    }
    PostAction.Kind kind = postAction.kind();
    if (actions.size() > 1 && (kind == PostAction.Kind.MARK_READ || kind == PostAction.Kind.MOVE)) {
      List<MessageId> ids = actions.stream().map(a -> new MessageId(a.messageId())).toList();
      try {
        if (kind == PostAction.Kind.MARK_READ) {
          connector.markRead(ids, true);
        } else {
          connector.move(ids, postAction.destination().orElseThrow());
        }
        Checkpoint next = checkpoint;
        for (PendingAction action : actions) {
          next = next.withActionDone(action.messageKey(), clock.instant());
        }
        store.save(key, next);
        return next;
      } catch (MailboxException e) {
        if (mailboxWide(e)) {
          logger.debug("Post-action '{}' on {} messages failed ({}); they stay pending", postAction, ids.size(),
              printable(e.serviceErrorCode().orElse(e.getClass().getSimpleName())));
          return checkpoint;
        }
        logger.debug("Post-action '{}' on {} messages together failed ({}); one by one", postAction, ids.size(),
            printable(e.serviceErrorCode().orElse(e.getClass().getSimpleName())));
      }
    }
    Checkpoint c = checkpoint;
    for (PendingAction action : actions) {
      try {
        c = runPostAction(key, c, action);
      } catch (MailboxException e) {
        // throttled, signed out or the service down: each further message would wait out the same failure
        logger.debug("Post-action '{}' on {} failed ({}); it and the {} after it stay pending", postAction,
            printable(action.messageKey()), printable(e.serviceErrorCode().orElse(e.getClass().getSimpleName())),
            actions.size() - actions.indexOf(action) - 1);
        break;
      }
    }
    return c;
  }

  /** Whether a failure is the mailbox's or the service's as a whole rather than one message's. */
  private static boolean mailboxWide(MailboxException e) {
    return e instanceof ThrottledException || e instanceof MailboxAuthenticationException || e.retryable();
  }

  private Checkpoint runPostAction(CheckpointKey key, Checkpoint checkpoint, PendingAction action) {
    if (postActionBlocked != null) {
      return checkpoint; // its destination is missing: the rest of this pass would fail the same way
    }
    MessageId id = new MessageId(action.messageId());
    try {
      switch (postAction.kind()) {
        case MARK_READ -> connector.markRead(id, true);
        case MOVE -> connector.move(id, postAction.destination().orElseThrow());
        case DELETE -> connector.delete(id, postAction.deleteMode().orElseThrow());
        default -> {
          // nothing to do
        }
      }
    } catch (MessageNotFoundException e) {
      logger.debug("Message {} is gone; post-action '{}' dropped", printable(action.messageKey()), postAction);
    } catch (FolderNotFoundException e) {
      FolderRef destination = postAction.destination().orElseThrow();
      postActionBlocked = Diagnosis.builder(SetupStep.MAILBOX_FOLDER, e.serviceErrorCode().orElse("folder not found"))
          .summary("The post-action moves imported mail to " + destination + ", which does not exist in "
              + connector.mailbox() + "; the messages are imported and their move waits until the folder exists")
          .fix("Create the folder " + destination + " in " + connector.mailbox() + ", or change the post-action")
          .retryable(true)
          .build();
      return checkpoint;
    } catch (MailboxException e) {
      if (mailboxWide(e)) {
        throw e;
      }
      logger.debug("Post-action '{}' on {} failed ({}); it stays pending", postAction, printable(action.messageKey()),
          printable(e.serviceErrorCode().orElse(e.getClass().getSimpleName())));
      return checkpoint;
    }
    Checkpoint next = checkpoint.withActionDone(action.messageKey(), clock.instant());
    store.save(key, next);
    return next;
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
      cycleThread = Thread.currentThread();
      idle = new CountDownLatch(1);
      try {
        return retry(messageKey);
      } finally {
        cycleThread = null;
        idle.countDown();
      }
    }
  }

  private boolean retry(String messageKey) {
    for (FolderRef folder : folders) {
      CheckpointKey key = key(folder);
      Optional<DeadLetter> letter = store.load(key).flatMap(cp -> cp.deadLetters().stream()
          .filter(d -> d.messageKey().equals(messageKey)).findFirst());
      if (letter.isEmpty()) {
        continue;
      }
      DeadLetter parked = letter.get();
      MessageSummary m = connector.message(new MessageId(parked.messageId()));
      Outcome outcome = deliver(folder, m, messageKey, false);
      if (outcome.accepted && handler instanceof BatchingMessageHandler batching) {
        // accepted once durable: a flush that fails leaves it parked, its failure the last error
        try {
          batching.flush();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          outcome = new Outcome(false, true, outcome.message, outcome.attempts, e);
        } catch (Exception e) {
          outcome = new Outcome(false, false, outcome.message, outcome.attempts, e);
        }
      }
      Checkpoint now = store.load(key).orElseThrow();
      if (outcome.accepted) {
        PendingAction action = postAction.kind() == PostAction.Kind.NONE ? null
            : new PendingAction(messageKey, m.id().value());
        Checkpoint next = now.withoutDeadLetter(messageKey, action, clock.instant());
        store.save(key, next);
        logger.info("Parked message {} of {} accepted on retry", printable(messageKey), connector.mailbox());
        if (action != null) {
          runPostActions(key, next, List.of(action));
        }
        return true;
      }
      if (!outcome.stopped) {
        Throwable error = outcome.error;
        String lastError = error == null ? parked.lastError() : error.getClass().getName()
            + (error.getMessage() == null ? "" : ": " + error.getMessage());
        store.save(key, now.withDeadLetterReplaced(new DeadLetter(messageKey, parked.messageId(), parked.subject(),
            parked.attempts() + outcome.attempts, lastError, parked.parkedAt()), clock.instant()));
        logger.warn("Parked message {} of {} refused again ({} attempts in all); it stays parked",
            printable(messageKey), connector.mailbox(), parked.attempts() + outcome.attempts);
      }
      return false;
    }
    throw new IllegalArgumentException("no dead letter with key " + printable(messageKey));
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
    if (ownScheduler) {
      scheduler.close();
    }
    // the mailbox is free for another instance (or process) at once, not when the lease would expire; a pass
    // that still runs after the timeouts keeps it, so that no one else imports beside it
    if (idle.getCount() == 0) {
      try {
        store.releaseLease(connector.mailbox(), leaseOwner);
      } catch (RuntimeException e) {
        logger.warn("Could not release the lease of {}: {}", connector.mailbox(), e.toString());
      }
    }
    setHealth(MailboxHealth.STOPPED, null);
  }

  /** The message handed to the handler. */
  private final class Incoming implements IncomingMessage {
    private final MessageSummary summary;
    private final String key;
    private final FolderRef folder;
    private final int attempt;
    private final boolean redelivery;
    /** The MIME read ahead, handed out by the first {@link #openMime()}; later calls read it again. */
    private InputStream ahead;

    Incoming(MessageSummary summary, String key, FolderRef folder, int attempt, boolean redelivery,
        InputStream ahead) {
      this.summary = summary;
      this.key = key;
      this.folder = folder;
      this.attempt = attempt;
      this.redelivery = redelivery;
      this.ahead = ahead;
    }

    @Override
    public MessageSummary summary() {
      return summary;
    }

    @Override
    public String idempotencyKey() {
      return key;
    }

    @Override
    public String mailbox() {
      return connector.mailbox();
    }

    @Override
    public FolderRef folder() {
      return folder;
    }

    @Override
    public InputStream openMime() {
      InputStream in = ahead;
      if (in != null) {
        ahead = null;
        return in;
      }
      return connector.openMime(summary.id());
    }

    @Override
    public List<AttachmentInfo> attachments() {
      return connector.listAttachments(summary.id());
    }

    @Override
    public InputStream openAttachment(String attachmentId) {
      return connector.openAttachment(summary.id(), attachmentId);
    }

    @Override
    public int attempt() {
      return attempt;
    }

    @Override
    public boolean possibleRedelivery() {
      return redelivery;
    }

    @Override
    public String toString() {
      return "IncomingMessage[" + key + ", attempt " + attempt + (redelivery ? ", possible redelivery" : "") + "]";
    }
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
    return "MailImporter[" + connector.mailbox() + ", " + folders + ", " + postAction + ", " + health.get().health() + "]";
  }
}
