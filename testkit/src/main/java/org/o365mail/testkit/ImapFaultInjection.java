package org.o365mail.testkit;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The faults of one {@link ImapSession} as {@link Faults} asks for them: latency before each command, connections
 * dropped at random or after a number of FETCH responses, and throttling answered as Exchange Online does
 * ({@code NO} or {@code BAD Request is throttled. Suggested Backoff Time: N milliseconds}, sometimes followed by
 * {@code * BYE Connection closed. 14}).
 *
 * <p>Thread-safety: {@link #countFetch} and {@link #fetchLimitReached} are for the relay's backend thread only;
 * the rest may be called from the client thread.
 */
final class ImapFaultInjection {
  /** The session's log: tests count some of its lines under this name. */
  private static final Logger logger = LoggerFactory.getLogger(ImapSession.class);

  /** What follows a throttled command's answer when Exchange ends the session (email-oauth2-proxy#191). */
  static final String BYE_THROTTLED = "* BYE Connection closed. 14";
  private static final String THROTTLED = "Request is throttled. Suggested Backoff Time: ";

  private final ImapConnection connection;
  private final LocalTenant tenant;
  private final Faults faults;

  /** Drop after this many FETCH responses (0: never), drawn for the knob value in {@link #fetchLimitFor}. */
  private int fetchLimit;
  private int fetchLimitFor;
  /** FETCH responses relayed since login; only the backend thread counts. */
  private int fetches;

  ImapFaultInjection(ImapConnection connection) {
    this.connection = connection;
    this.tenant = connection.tenant;
    this.faults = connection.faults;
  }

  /** Whether to drop the connection after the command being answered ({@link Faults#imapDropRate}). */
  boolean rollDrop() {
    return faults.roll(faults.imapDropRate());
  }

  /** Counts a response relayed to the client if it is a FETCH response. */
  void countFetch(byte[] line, int n) {
    if (isFetch(line, n)) {
      fetches++;
      updateFetchLimit();
    }
  }

  /** Whether the connection has relayed as many FETCH responses as {@link Faults#imapDropAfterFetches} allows. */
  boolean fetchLimitReached() {
    return fetchLimit > 0 && fetches >= fetchLimit;
  }

  /** A login refused as throttled, to retry after {@code backoff}. */
  static String throttled(String tag, Duration backoff) {
    return tag + " NO " + THROTTLED + backoff.toMillis() + " milliseconds";
  }

  /**
   * Refuses a command of a logged-in session as throttled ({@link Faults#imapThrottleCommands}, {@link
   * Faults#imapThrottleCommand}) without carrying it out; returns whether the connection was ended with a BYE.
   */
  boolean throttled(String tag, String command, Faults.ImapCommandThrottle throttle) throws IOException {
    Faults.ImapThrottleAnswer answer = throttle.answer();
    tenant.record(new RecordedRequest("imap", command, connection.mailbox,
        Map.of("outcome", "THROTTLED", "answer", answer.name(), "backoff", Long.toString(throttle.backoff().toMillis())),
        1, "", tenant.clock().instant()));
    String refusal = tag + (answer.bad() ? " BAD " : " NO ") + THROTTLED + throttle.backoff().toMillis()
        + " milliseconds";
    if (!answer.bye()) {
      connection.sendLocal(refusal);
      return false;
    }
    connection.sendLocal(refusal, BYE_THROTTLED);
    logger.debug("imap#{}: {} throttled; session ended with a BYE", connection.id, command);
    connection.closeGracefully();
    return true;
  }

  /**
   * Follows {@link Faults#imapDropAfterFetches(int)}: when the knob changes, this connection draws its own limit
   * within 20% of it (0 turns dropping off).
   */
  private void updateFetchLimit() {
    int every = faults.imapDropAfterFetches();
    if (every != fetchLimitFor) {
      fetchLimitFor = every;
      int spread = every / 5;
      fetchLimit = every == 0 ? 0 : Math.max(1, every - spread + faults.nextInt(2 * spread + 1));
    }
  }

  /** {@code * <n> FETCH}. */
  private static boolean isFetch(byte[] line, int n) {
    int i = 2;
    if (n < 9 || line[1] != ' ' || line[i] < '0' || line[i] > '9') {
      return false;
    }
    while (i < n && line[i] >= '0' && line[i] <= '9') {
      i++;
    }
    return LineInput.startsWithIgnoreCase(line, n, i, " FETCH");
  }

  /** Waits as long as {@link Faults#imapLatency} asks before a command is answered. */
  void pause() throws InterruptedException {
    Duration latency = faults.imapLatency();
    if (!latency.isZero()) {
      Thread.sleep(latency.toMillis());
    }
  }
}
