package org.o365mail.importer;

import static java.util.Objects.requireNonNull;
import static org.o365mail.ServiceText.printable;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.o365mail.Diagnosis;
import org.o365mail.MailboxAuthenticationException;
import org.o365mail.MailboxException;
import org.o365mail.SetupStep;
import org.o365mail.ThrottledException;
import org.o365mail.expiry.SecretExpiryTracker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The health of one mailbox's import and the {@link ImportListener}s that hear of it: the {@link MailboxHealth} a
 * failure or a finished pass leads to, its log line, and every listener event (a throwing listener is logged and
 * ignored). Thread-safe: passes, {@code close()} and listeners may come from different threads.
 */
final class ImportHealth {
  private static final Logger logger = LoggerFactory.getLogger(MailImporter.class);
  /**
   * Health changes, under a logger of their own: a program that reports the health itself (as {@code o365mail import}
   * does) turns it off rather than print every diagnosis twice.
   */
  private static final Logger healthLogger = LoggerFactory.getLogger(MailImporter.class.getName() + ".health");

  private final String mailbox;
  private final Clock clock;
  private final SecretExpiryTracker expiry;
  private final List<ImportListener> listeners;
  private final AtomicReference<HealthState> state;

  /** @param expiry null when no secret expiry is tracked */
  ImportHealth(String mailbox, Clock clock, SecretExpiryTracker expiry, List<ImportListener> listeners) {
    this.mailbox = requireNonNull(mailbox, "mailbox");
    this.clock = requireNonNull(clock, "clock");
    this.expiry = expiry;
    this.listeners = new CopyOnWriteArrayList<>(listeners);
    this.state = new AtomicReference<>(new HealthState(mailbox, MailboxHealth.HEALTHY, clock.instant(), null, null));
  }

  HealthState current() {
    return state.get();
  }

  void addListener(ImportListener listener) {
    listeners.add(requireNonNull(listener, "listener"));
  }

  /**
   * A pass read every folder to its end: healthy (or secret expiring), or degraded when a post-action waits for its
   * missing destination folder.
   *
   * @param postActionBlocked why post-actions wait, or null
   */
  void passCompleted(Diagnosis postActionBlocked) {
    if (postActionBlocked != null) {
      set(MailboxHealth.DEGRADED, postActionBlocked);
    } else {
      set(expiringHealth(), null);
    }
  }

  /** A pass ended on a failure of the connector (token, permission, network, throttling). */
  void passFailed(MailboxException e) {
    if (e instanceof ThrottledException throttled) {
      Instant retryAt = throttled.retryAfter().map(clock.instant()::plus).orElse(null);
      set(MailboxHealth.THROTTLED, e.diagnosis().orElse(null), retryAt);
      logger.debug("Import of {} throttled; retrying after {}", mailbox, throttled.retryAfter().orElse(null));
    } else {
      set(classify(e), e.diagnosis().orElse(null));
    }
  }

  private MailboxHealth expiringHealth() {
    if (expiry == null) {
      return MailboxHealth.HEALTHY;
    }
    return switch (expiry.health()) {
      case WARNING, CRITICAL, EXPIRED, INVALID -> MailboxHealth.SECRET_EXPIRING;
      case OK, UNKNOWN -> MailboxHealth.HEALTHY;
    };
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

  void set(MailboxHealth next, Diagnosis why) {
    set(next, why, null);
  }

  /**
   * Moves to {@code next}, logs it and tells the listeners; nothing when it is the state already (same health,
   * service code and time to come back).
   */
  void set(MailboxHealth next, Diagnosis why, Instant retryAt) {
    HealthState previous = state.get();
    Diagnosis was = previous.diagnosis().orElse(null);
    if (previous.health() == next && (why == null || was != null && was.serviceCode().equals(why.serviceCode()))
        && Objects.equals(previous.retryAt().orElse(null), retryAt)) {
      return;
    }
    Instant since = previous.health() == next ? previous.since() : clock.instant();
    HealthState current = new HealthState(mailbox, next, since, why, retryAt);
    state.set(current);
    if (next == MailboxHealth.STOPPED) {
      healthLogger.info("Import of {} stopped", mailbox);
    } else if (next != MailboxHealth.HEALTHY) {
      healthLogger.warn("Import of {} is {}{}{}", mailbox, next, retryAt == null ? "" : " until " + retryAt,
          why == null ? "" : ": " + printable(why.summary() + " Fix: " + why.fix()));
    } else {
      healthLogger.info("Import of {} is healthy again (was {})", mailbox, previous.health());
    }
    tell(l -> l.healthChanged(previous, current));
  }

  /** The handler accepted {@code message} and its checkpoint is durable. */
  void imported(IncomingMessage message) {
    tell(l -> l.imported(message));
  }

  /** One call of the handler failed. */
  void handlerFailed(IncomingMessage message, Throwable failure) {
    tell(l -> l.handlerFailed(message, failure));
  }

  /** A message was parked. */
  void parked(DeadLetter letter) {
    tell(l -> l.parked(letter));
  }

  private void tell(Consumer<ImportListener> event) {
    for (ImportListener l : listeners) {
      try {
        event.accept(l);
      } catch (RuntimeException e) {
        logger.warn("An import listener threw; ignored", e);
      }
    }
  }
}
