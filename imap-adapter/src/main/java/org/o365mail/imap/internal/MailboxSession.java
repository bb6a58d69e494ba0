package org.o365mail.imap.internal;

import static java.util.Objects.requireNonNull;
import static org.o365mail.ServiceText.printable;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.angus.mail.iap.ConnectionException;
import org.eclipse.angus.mail.iap.ProtocolException;
import org.eclipse.angus.mail.iap.Response;
import org.eclipse.angus.mail.imap.protocol.IMAPResponse;
import org.o365mail.Diagnosis;
import org.o365mail.MailboxAuthenticationException;
import org.o365mail.MailboxException;
import org.o365mail.SetupStep;
import org.o365mail.ThrottledException;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.TokenRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one IMAP connection of a mailbox, shared by every thread that uses the connector. Each operation runs with
 * the connection to itself; before it the connection is (re)established: a token from the credential strategy,
 * the pre-flight, the per-mailbox throttling governor, XOAUTH2. A connection is replaced before its token's
 * {@code exp} (with a margin), and an operation whose connection is lost (a drop, {@code BYE ...
 * AccessTokenExpired}) runs again on a fresh one, so operations are written to be safe to repeat. Server answers
 * are turned into the SDK's exceptions here, once.
 *
 * <p>An IDLE in progress gives the connection up as soon as another operation asks for it. The connection holds a
 * place among the {@link OpenConnections} the session shares with others, and is logged out when another session
 * needs the place while this one is idle; the next operation then opens a new one, as after a lost connection.
 */
public final class MailboxSession implements AutoCloseable, OpenConnections.Holder {
  private static final Logger logger = LoggerFactory.getLogger(MailboxSession.class);
  private static final Pattern BACKOFF = Pattern.compile("(?i)Suggested Backoff Time:\\s*(\\d+)\\s*milli");
  private static final String NOT_CONNECTED = "authenticated but not connected";
  private static final TokenRequest IMAP = TokenRequest.imap();

  /** An operation on the connection; must be safe to run again on a new connection. */
  @FunctionalInterface
  public interface Op<T> {
    T run(ImapConnection connection) throws ProtocolException, IOException;
  }

  /**
   * Settings of a session.
   *
   * @param timers where IDLE cycles are timed (not shut down by {@link #close})
   * @param sleeper the throttling and reconnect waits, and the time the throttle budget is measured on
   * @param governor the throttling of mailboxes, shared with the connectors that share it
   * @param logins the logins that sharpen a refusal's diagnosis, shared likewise
   * @param openConnections the cap on connections open at once, shared likewise
   */
  public record Settings(ImapEndpoint endpoint, String mailbox, CredentialStrategy credential, Clock clock,
      Duration reauthMargin, Duration throttleBudget, int maxAttempts, boolean logPii,
      ScheduledExecutorService timers, Sleeper sleeper, MailboxGovernor governor, ExchangeLogins logins,
      OpenConnections openConnections) {
    public Settings {
      requireNonNull(endpoint, "endpoint");
      requireNonNull(mailbox, "mailbox");
      requireNonNull(credential, "credential");
      requireNonNull(clock, "clock");
      requireNonNull(reauthMargin, "reauthMargin");
      requireNonNull(throttleBudget, "throttleBudget");
      requireNonNull(timers, "timers");
      requireNonNull(sleeper, "sleeper");
      requireNonNull(governor, "governor");
      requireNonNull(logins, "logins");
      requireNonNull(openConnections, "openConnections");
    }
  }

  private final Settings settings;
  private final String label;
  private final MailboxGovernor governor;
  private final Sleeper sleeper;
  private final SessionLogin login;
  private final OpenConnections openConnections;
  private final ReentrantLock lock = new ReentrantLock();
  /** Body streams handed out and not read to their end nor closed: their connection is in use. */
  private final AtomicInteger streams = new AtomicInteger();
  private volatile ImapConnection connection;
  private volatile ImapConnection idler;
  private volatile boolean idleBroken;
  private volatile boolean closed;

  public MailboxSession(Settings settings) {
    this.settings = requireNonNull(settings, "settings");
    this.label = Pii.mailbox(settings.mailbox(), settings.logPii());
    this.governor = settings.governor();
    this.sleeper = settings.sleeper();
    this.login = new SessionLogin(settings, label);
    this.openConnections = settings.openConnections();
  }

  /**
   * Runs {@code op} on the mailbox's connection, connecting first if needed, and once more on a new connection
   * (up to the attempts allowed) if the connection is lost on the way.
   *
   * @param what the command class, for logs and messages ({@code "UID FETCH summaries"})
   */
  public <T> T call(String what, Op<T> op) {
    return call(what, op, true);
  }

  /**
   * Like {@link #call(String, Op)}, but leaves a command running on the connection ({@link BodyCursor}) as it is
   * for {@code op} to go on reading; every other operation first drains it.
   */
  public <T> T callKeepingCursor(String what, Op<T> op) {
    return call(what, op, false);
  }

  private <T> T call(String what, Op<T> op, boolean settle) {
    acquire();
    try {
      if (closed) {
        throw new IllegalStateException("the connector for " + settings.mailbox() + " is closed");
      }
      long budgetEnd = sleeper.nanoTime() + settings.throttleBudget().toNanos();
      int lost = 0;
      while (true) {
        ImapConnection c = connected(budgetEnd);
        long start = System.nanoTime();
        c.startOperation();
        try {
          if (settle) {
            c.settle();
          }
          T result = op.run(c);
          // reading on in a running FETCH is not a command of its own: only commands are logged
          if (settle && logger.isDebugEnabled()) {
            logger.debug("imap {}: {} ({} ms)", label, printable(what), (System.nanoTime() - start) / 1_000_000);
          }
          return result;
        } catch (ProtocolException e) {
          String text = ImapConnection.serverText(e);
          if (isThrottled(text)) {
            throttled(what, answer(e, text), budgetEnd);
            continue;
          }
          if (!(e instanceof ConnectionException)) {
            if (text.toLowerCase(Locale.ROOT).contains(NOT_CONNECTED)) {
              drop();
            }
            throw translate(what, e);
          }
          unanswered(e);
          lost = lost(what, e, lost);
        } catch (IOException e) {
          unanswered(e);
          lost = lost(what, e, lost);
        } finally {
          c.endOperation();
        }
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * A command of {@code what} answered as throttled ({@code NO} or {@code BAD Request is throttled. Suggested Backoff
   * Time: N milliseconds}): Exchange did not carry it out, and often ends the session with {@code * BYE Connection
   * closed. 14} after it. The connection is given up (the operation runs again from its start, on a new login, as
   * after a lost connection; operations are written to be safe to repeat), every connector sharing the governor
   * leaves the mailbox alone for the time asked, and then this one goes on. Throttling does not count against the
   * attempts meant for lost connections; it is bounded by the throttle budget instead, past which (or when the wait
   * asked for would pass it) a {@link ThrottledException} carries the wait.
   *
   * @param answer the server's answer with its kind, {@code BAD Request is throttled. ...}
   */
  private void throttled(String what, String answer, long budgetEnd) {
    Duration wait = backoff(answer);
    drop();
    governor.block(settings.mailbox(), wait);
    logger.debug("imap {}: {} throttled; backing off {} ms on a new connection", label, printable(what),
        wait.toMillis());
    if (sleeper.nanoTime() - budgetEnd >= 0) {
      // however short the waits asked for, the budget ends the rounds
      Diagnosis d = ExchangeDiagnoses.throttled(login.identity(Optional.empty()), answer, wait);
      throw new ThrottledException(d.describe(), wait, d, null);
    }
    login.awaitGovernor(budgetEnd, answer);
  }

  /** {@code NO <text>} or {@code BAD <text>}, as the server answered. */
  static String answer(ProtocolException e, String text) {
    boolean bad = e instanceof ImapConnection.ThrottledCommandException t ? t.bad() : ImapConnection.isBad(e);
    return (bad ? "BAD " : "NO ") + text;
  }

  /**
   * Throws at once, giving the connection up, when the server stopped answering or answered past a limit: a new
   * connection would only wait as long again.
   */
  private void unanswered(Exception e) {
    Diagnosis d = ExchangeDiagnoses.unanswered(settings.endpoint(), e);
    if (d != null) {
      drop();
      throw new MailboxException(d.describe(), d, e);
    }
  }

  private int lost(String what, Exception e, int lostBefore) {
    int lost = lostBefore + 1;
    boolean tokenExpired = String.valueOf(e instanceof ProtocolException p ? ImapConnection.serverText(p)
        : e.getMessage()).contains("AccessTokenExpired");
    drop();
    if (tokenExpired) {
      settings.credential().invalidate(IMAP);
    }
    logger.debug("imap {}: connection lost during {} ({}); attempt {} of {} on a new connection", label,
        printable(what),
        tokenExpired ? "access token expired" : e.getClass().getSimpleName(), lost + 1, settings.maxAttempts());
    if (lost >= settings.maxAttempts()) {
      Diagnosis d = ExchangeDiagnoses.connectionLost(settings.endpoint(), lost, e);
      throw new MailboxException(d.describe(), d, e);
    }
    return lost;
  }

  /**
   * Runs {@code op} on a connection of its own, logged in for it and logged out after (the connection check:
   * proves a fresh login). No second attempt.
   */
  public <T> T callDedicated(String what, Op<T> op) {
    if (closed) {
      throw new IllegalStateException("the connector for " + settings.mailbox() + " is closed");
    }
    ImapConnection c = login.login(sleeper.nanoTime() + settings.throttleBudget().toNanos());
    c.startOperation();
    try {
      return op.run(c);
    } catch (ProtocolException e) {
      if (e instanceof ConnectionException && !ImapConnection.serverText(e).toLowerCase(Locale.ROOT)
          .contains(NOT_CONNECTED)) {
        Diagnosis d = Optional.ofNullable(ExchangeDiagnoses.unanswered(settings.endpoint(), e))
            .orElseGet(() -> ExchangeDiagnoses.connectionLost(settings.endpoint(), 1, e));
        throw new MailboxException(d.describe(), d, e);
      }
      throw translate(what, e);
    } catch (IOException e) {
      Diagnosis d = Optional.ofNullable(ExchangeDiagnoses.unanswered(settings.endpoint(), e))
          .orElseGet(() -> ExchangeDiagnoses.connectionLost(settings.endpoint(), 1, e));
      throw new MailboxException(d.describe(), d, e);
    } finally {
      c.endOperation();
      c.logout();
    }
  }

  /** A refused command (not a lost connection) as the SDK's exception. */
  private MailboxException translate(String what, ProtocolException e) {
    String text = ImapConnection.serverText(e);
    if (text.toLowerCase(Locale.ROOT).contains(NOT_CONNECTED)) {
      Diagnosis d = ExchangeDiagnoses.notConnected(login.identity(Optional.empty()), text);
      return new MailboxAuthenticationException(d, e);
    }
    if (isThrottled(text)) {
      Duration wait = backoff(text);
      Diagnosis d = ExchangeDiagnoses.throttled(login.identity(Optional.empty()), answer(e, text), wait);
      return new ThrottledException(d.describe(), wait, d, e);
    }
    return failed(what, e);
  }

  private MailboxException failed(String what, ProtocolException e) {
    String text = ImapConnection.serverText(e);
    String kind = ImapConnection.isBad(e) ? "BAD" : "NO";
    Diagnosis d = Diagnosis.builder(SetupStep.UNKNOWN, "IMAP " + kind + " " + text)
        .summary("Exchange Online refused " + what + " in mailbox " + settings.mailbox() + ": " + text)
        .fix("See the server's answer")
        .build();
    return new MailboxException(d.describe(), d, e);
  }

  /** The connection, logged in and with a token that is not about to expire. */
  private ImapConnection connected(long budgetEnd) {
    ImapConnection c = connection;
    if (c != null && !settings.clock().instant().isBefore(c.reauthAt())) {
      logger.debug("imap {}: token expires at {}; logging in again on a new connection", label, c.expiresAt());
      connection = null;
      c.logout();
      c = null;
    }
    if (c == null) {
      openConnections.take(this, System.nanoTime() + settings.endpoint().readTimeout().toNanos());
      boolean opened = false;
      try {
        c = login.login(budgetEnd);
        opened = true;
      } finally {
        if (!opened) {
          openConnections.give(this);
        }
      }
      connection = c;
    } else {
      openConnections.touch(this);
    }
    return c;
  }

  static boolean isThrottled(String text) {
    return ImapConnection.isThrottled(text);
  }

  static Duration backoff(String text) {
    Matcher m = BACKOFF.matcher(text);
    return m.find() ? Duration.ofMillis(Long.parseLong(m.group(1))) : Duration.ofSeconds(1);
  }

  /** Closes the shared connection without a word (it is broken). */
  private void drop() {
    ImapConnection c = connection;
    connection = null;
    if (c != null) {
      c.close();
      openConnections.give(this);
    }
  }

  /** Notes a body stream handed out that will read more chunks: the connection stays open while it is read. */
  public void streamOpened() {
    streams.incrementAndGet();
  }

  /** Notes that a body stream was read to its end or closed. */
  public void streamReleased() {
    streams.decrementAndGet();
  }

  /**
   * Called by {@link OpenConnections} (never blocks): detaches the connection if no operation, IDLE, streamed FETCH
   * or body stream uses it, for the caller to log out; the next operation opens a new one.
   */
  @Override
  public ImapConnection detachIfIdle() {
    if (!lock.tryLock()) {
      return null; // an operation or an IDLE holds it
    }
    try {
      ImapConnection c = connection;
      if (c == null || streams.get() > 0) {
        return null;
      }
      BodyCursor cursor = c.cursor();
      if (cursor != null && !cursor.done() && !cursor.atEnd()) {
        return null; // messages of a streamed FETCH are still to be read
      }
      connection = null;
      logger.debug("imap {}: idle connection logged out to stay within {} open connections", label,
          openConnections.max());
      return c;
    } finally {
      lock.unlock();
    }
  }

  // ----- IDLE -----

  /**
   * Selects a folder with {@code prepare} and waits in IDLE until the server reports a change or {@code timeout}
   * passes. Gives the connection up early (returning false) when another operation needs it.
   *
   * @param prepare selects the folder and says whether a change is known already (then no IDLE is started)
   * @return whether a change was signalled
   */
  public boolean idle(Op<Boolean> prepare, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Boolean changed = call("IDLE", c -> {
        if (prepare.run(c)) {
          return Boolean.TRUE;
        }
        if (!c.hasCapability("IDLE")) {
          return null;
        }
        return idleOnce(c, deadline);
      });
      if (changed == null) {
        return false;
      }
      if (changed || idleBroken || System.nanoTime() - deadline >= 0) {
        return changed;
      }
    }
  }

  private boolean idleOnce(ImapConnection c, long deadline) throws ProtocolException {
    long untilReauth = Duration.between(settings.clock().instant(), c.reauthAt()).toNanos();
    long cycle = Math.min(deadline - System.nanoTime(),
        Math.min(untilReauth, settings.endpoint().readTimeout().toNanos() * 4 / 5));
    if (cycle <= 0) {
      return false;
    }
    idleBroken = false;
    c.idleStart();
    idler = c;
    ScheduledFuture<?> timer = settings.timers().schedule(c::idleDone, cycle, TimeUnit.NANOSECONDS);
    boolean changed = false;
    try {
      while (true) {
        Response r = c.idleRead();
        if (r == null) {
          break;
        }
        if (r instanceof IMAPResponse u && u.isUnTagged()
            && (u.keyEquals("EXISTS") || u.keyEquals("EXPUNGE") || u.keyEquals("FETCH") || u.keyEquals("RECENT"))) {
          changed = true;
          c.idleDone();
        }
        if (!c.idleProcess(r)) {
          break;
        }
      }
    } finally {
      timer.cancel(false);
      idler = null;
    }
    return changed;
  }

  /** Takes the lock, ending another thread's IDLE if that is what holds it. */
  private void acquire() {
    try {
      while (!lock.tryLock(20, TimeUnit.MILLISECONDS)) {
        ImapConnection c = idler;
        if (c != null) {
          idleBroken = true;
          c.idleDone();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new MailboxException("interrupted while waiting for the IMAP connection of " + settings.mailbox(), e);
    }
  }

  /** Logs out and closes the connection; the session cannot be used afterwards. */
  @Override
  public void close() {
    acquire();
    try {
      closed = true;
      ImapConnection c = connection;
      connection = null;
      if (c != null) {
        c.logout();
        openConnections.give(this);
      }
    } finally {
      lock.unlock();
    }
  }
}
