package org.o365mail.importer;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.o365mail.FolderRef;
import org.o365mail.MailboxConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The importer's life on an {@link ImportScheduler}: a pass, then the next one after the poll interval, or at once
 * when IMAP IDLE reports a change (only on a scheduler of its own: a shared one's threads serve every mailbox), or
 * later after a failure (back-off by the health: the service's own word when throttled). Thread-safe.
 */
final class ImportLoop {
  private static final Logger logger = LoggerFactory.getLogger(MailImporter.class);

  private final MailboxConnector connector;
  private final FolderRef watched;
  private final Supplier<ImportResult> pass;
  private final ImportHealth health;
  private final ImportScheduler scheduler;
  private final boolean ownScheduler;
  private final Duration pollInterval;
  private final boolean followChanges;
  private final Clock clock;
  private final AtomicBoolean stopping;
  private volatile int consecutiveFailures;

  /**
   * @param watched the folder whose changes IMAP IDLE follows
   * @param pass runs one pass and returns what it did
   * @param ownScheduler whether the scheduler is this importer's alone (it may then wait on IMAP IDLE)
   */
  ImportLoop(MailboxConnector connector, FolderRef watched, Supplier<ImportResult> pass, ImportHealth health,
      ImportScheduler scheduler, boolean ownScheduler, Duration pollInterval, boolean followChanges, Clock clock,
      AtomicBoolean stopping) {
    this.connector = connector;
    this.watched = watched;
    this.pass = pass;
    this.health = health;
    this.scheduler = scheduler;
    this.ownScheduler = ownScheduler;
    this.pollInterval = pollInterval;
    this.followChanges = followChanges;
    this.clock = clock;
    this.stopping = stopping;
  }

  /** Schedules the first pass now. */
  void start() {
    scheduler.schedule(this::scheduledCycle, 0);
  }

  /** Closes the scheduler when it is this importer's own. */
  void close() {
    if (ownScheduler) {
      scheduler.close();
    }
  }

  private void scheduledCycle() {
    if (stopping.get()) {
      return;
    }
    boolean ok;
    try {
      ImportResult result = pass.get();
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
    long begin = clock.millis();
    boolean changed;
    try {
      changed = connector.awaitChanges(watched, pollInterval);
    } catch (RuntimeException e) {
      changed = false;
    }
    long waited = clock.millis() - begin;
    long rest = changed ? 0 : Math.max(0, pollInterval.toMillis() - waited);
    scheduler.schedule(this::scheduledCycle, rest);
  }

  /** How long after a pass ends the next one starts, in milliseconds; counts consecutive failures. */
  long nextDelay(boolean ok) {
    if (ok) {
      consecutiveFailures = 0;
      return pollInterval.toMillis();
    }
    consecutiveFailures++;
    HealthState h = health.current();
    if (h.health() == MailboxHealth.THROTTLED) {
      // the service's own word on when to come back, however long (Exchange's request window: up to ten minutes);
      // an hour at most, as MSAL caps a Retry-After
      Duration delay = h.retryAt().map(at -> Duration.between(clock.instant(), at)).orElse(Duration.ofSeconds(30));
      return min(max(delay, Duration.ofSeconds(1)), Duration.ofHours(1)).toMillis();
    }
    Duration delay = switch (h.health()) {
      case AUTHENTICATION_REQUIRED, CONSENT_REQUIRED, SECRET_EXPIRED, MAILBOX_ACCESS_DENIED -> Duration.ofMinutes(5);
      default -> pollInterval.multipliedBy(1L << Math.min(consecutiveFailures, 4));
    };
    return min(delay, Duration.ofMinutes(10)).toMillis();
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }
}
