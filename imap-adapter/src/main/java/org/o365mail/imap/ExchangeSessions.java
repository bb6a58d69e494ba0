package org.o365mail.imap;

import static java.util.Objects.requireNonNull;

import org.o365mail.imap.internal.ExchangeLogins;
import org.o365mail.imap.internal.MailboxGovernor;
import org.o365mail.imap.internal.OpenConnections;
import org.o365mail.imap.internal.Sleeper;

/**
 * What IMAP connectors and SMTP senders learn from Exchange Online and pass on to each other, like OkHttp's
 * {@code ConnectionPool}: which mailboxes Exchange asked to be left alone for a while ({@code Suggested Backoff
 * Time}, honoured by every connector sharing this object, for that mailbox only), and which mailboxes each app has
 * logged in to (so that a refusal by another mailbox is diagnosed as that mailbox's permission rather than the
 * app's service principal). Holds ids, addresses and times, never tokens or mail.
 *
 * <p>Share one among the connectors and senders of an application, per tenant or for all, with {@link
 * ImapMailboxConnector.Builder#sessions} and {@link SmtpSender.Builder#sessions}. A connector given none has one of
 * its own, shared only with the {@link ImapMailboxConnector#smtpSender() sender} it builds: connectors built apart
 * then throttle and diagnose apart, and nothing is kept for the whole JVM.
 *
 * <p>Bounded: at most {@link #maxMailboxes()} mailboxes are remembered for each kind, the least recently used
 * forgotten first. Forgetting costs at most a less specific diagnosis, or one more login Exchange throttles.
 * Immutable configuration over thread-safe state; needs no closing.
 *
 * <p><b>Ids handed out.</b> The ids the IMAP connectors sharing this object handed out, remembered to find their
 * messages again after a renumbering, are bounded by {@link #maxKnownMessageIds()} among them all, not per
 * connector, however many connectors share it.
 *
 * <p><b>Open connections.</b> The IMAP connectors sharing this object keep at most {@link #maxOpenConnections()}
 * connections open at once (default 1,000; each holds about 35 KB of heap, mostly TLS buffers, and a socket). A
 * connector keeps its connection open between operations; when another needs one past the cap, the least recently used
 * idle connection is logged out ({@code LOGOUT}, socket closed) and its connector opens a new one on its next use, with
 * a new token check and login, reading on where it was (ids and checkpoints do not depend on the connection). A
 * connection in use is never taken: one running a command, waiting in IDLE, or with a streamed FETCH or a body stream
 * still being read. When every connection is in use, an operation waits for one up to the connector's {@link
 * ImapMailboxConnector.Builder#timeout}, then fails; so the cap should exceed the threads using the connectors at once
 * plus the body streams they keep open. Connection checks ({@link ImapMailboxConnector#checkConnection()}) open a short
 * connection of their own outside the cap.
 *
 * <pre>{@code
 * ExchangeSessions exchange = ExchangeSessions.builder().build();
 * ImapMailboxConnector invoices = ImapMailboxConnector.builder().mailbox("invoices@contoso.com")
 *     .credential(credential).sessions(exchange).build();
 * ImapMailboxConnector orders = ImapMailboxConnector.builder().mailbox("orders@contoso.com")
 *     .credential(credential).sessions(exchange).build();
 * }</pre>
 */
public final class ExchangeSessions {
  private final int maxMailboxes;
  private final MailboxGovernor governor;
  private final ExchangeLogins logins;
  private final OpenConnections openConnections;
  private final KnownMessageIds.Shared knownMessageIds;

  private ExchangeSessions(Builder b) {
    this.knownMessageIds = new KnownMessageIds.Shared(b.maxKnownMessageIds);
    this.maxMailboxes = b.maxMailboxes;
    this.openConnections = new OpenConnections(b.maxOpenConnections);
    this.governor = new MailboxGovernor(b.maxMailboxes, b.sleeper::nanoTime);
    this.logins = new ExchangeLogins(b.maxMailboxes);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The most mailboxes remembered for throttling, and the most (app, mailbox) logins remembered. */
  public int maxMailboxes() {
    return maxMailboxes;
  }

  /** The most IMAP connections the connectors sharing this object keep open at once. */
  public int maxOpenConnections() {
    return openConnections.max();
  }

  /** The most ids handed out that the connectors sharing this object remember, among them all. */
  public int maxKnownMessageIds() {
    return knownMessageIds.capacity();
  }

  KnownMessageIds.Shared knownMessageIds() {
    return knownMessageIds;
  }

  OpenConnections openConnections() {
    return openConnections;
  }

  MailboxGovernor governor() {
    return governor;
  }

  ExchangeLogins logins() {
    return logins;
  }

  @Override
  public String toString() {
    return "ExchangeSessions[" + governor.size() + " throttled mailbox(es), " + logins.size() + " login(s), at most "
        + maxMailboxes + ", " + openConnections.size() + " of at most " + openConnections.max()
        + " IMAP connection(s) open]";
  }

  /** Builds {@link ExchangeSessions}; every setting has a default. */
  public static final class Builder {
    private int maxMailboxes = 10_000;
    private int maxOpenConnections = 1_000;
    private int maxKnownMessageIds = 100_000;
    private Sleeper sleeper = Sleeper.SYSTEM;

    private Builder() {}

    /** The most mailboxes remembered for each kind (default 10,000), 1 to 1,000,000. */
    public Builder maxMailboxes(int value) {
      if (value < 1 || value > 1_000_000) {
        throw new IllegalArgumentException("maxMailboxes must be 1 to 1000000, was " + value);
      }
      this.maxMailboxes = value;
      return this;
    }

    /**
     * The most IMAP connections the connectors sharing this object keep open at once (default 1,000), 1 to 100,000:
     * past it the least recently used idle one is logged out, and opened again on its next use. See {@link
     * ExchangeSessions}.
     */
    public Builder maxOpenConnections(int value) {
      if (value < 1 || value > 100_000) {
        throw new IllegalArgumentException("maxOpenConnections must be 1 to 100000, was " + value);
      }
      this.maxOpenConnections = value;
      return this;
    }

    /**
     * The most message ids handed out by the IMAP connectors sharing this object that are remembered, among them all
     * (default 100,000, about 17 MB; 1,000 to 10,000,000), to find a message again when Exchange renumbers its
     * folder while a caller still holds its id: see {@link ImapMailboxConnector}. Should exceed the messages
     * handed out by all connectors while one caller holds a batch.
     */
    public Builder maxKnownMessageIds(int value) {
      if (value < 1_000 || value > 10_000_000) {
        throw new IllegalArgumentException("maxKnownMessageIds must be 1000 to 10000000, was " + value);
      }
      this.maxKnownMessageIds = value;
      return this;
    }

    /** The clock throttling is measured on (tests: the same recording sleeper the connector waits on). */
    Builder sleeper(Sleeper value) {
      this.sleeper = requireNonNull(value, "sleeper");
      return this;
    }

    public ExchangeSessions build() {
      return new ExchangeSessions(this);
    }
  }
}
