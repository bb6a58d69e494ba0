package org.o365mail.graph;

import org.o365mail.graph.internal.MailboxStates;

/**
 * What Exchange counts per app and mailbox, kept for the connectors that share this object: each mailbox's request
 * slots (at most {@link GraphMailboxConnector.Builder#maxConcurrentRequests(int) four} in flight, however many
 * connectors), the pause a {@code Retry-After} put on it and its {@link
 * GraphMailboxConnector.Builder#requestWindow(int, java.time.Duration) request window}. The role OkHttp's {@code
 * ConnectionPool} plays for connections.
 *
 * <p>A connector built without {@link GraphMailboxConnector.Builder#mailboxes(GraphMailboxes)} has one of its own,
 * shared with the connectors {@link GraphMailboxConnector#forMailbox} makes from it; nothing is kept JVM-wide, so two
 * independent connectors (two tenants, two tests) never wait for each other. Give one instance to every connector
 * that reaches the same mailboxes with the same app, so that together they keep Exchange's limits: a mailbox's state
 * is made with the settings and clock of the first connector that needs it.
 *
 * <p>Bounded: a mailbox's state is kept while an open connector uses it; once none does, it is kept (so that a
 * pause Graph asked for outlives the connector) among at most {@link Builder#maxIdleMailboxes(int) 1,000} others,
 * the least recently used dropped first, and dropped at once when it holds nothing a new one would not know (no
 * pause pending, the request window refilled). Thread-safe.
 */
public final class GraphMailboxes {
  private final MailboxStates states;

  private GraphMailboxes(Builder b) {
    this.states = new MailboxStates(b.maxIdle);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Mailboxes whose state is kept now: used by an open connector, or idle and not yet settled. */
  public int size() {
    return states.size();
  }

  MailboxStates states() {
    return states;
  }

  @Override
  public String toString() {
    return "GraphMailboxes[" + size() + " mailboxes]";
  }

  /** Builds {@link GraphMailboxes}. Default: at most 1,000 mailboxes kept that no open connector uses. */
  public static final class Builder {
    private int maxIdle = 1_000;

    private Builder() {}

    /** The most mailboxes kept that no open connector uses (default 1,000; 0 keeps none once closed). */
    public Builder maxIdleMailboxes(int value) {
      if (value < 0) {
        throw new IllegalArgumentException("maxIdleMailboxes must not be negative, was " + value);
      }
      this.maxIdle = value;
      return this;
    }

    public GraphMailboxes build() {
      return new GraphMailboxes(this);
    }
  }
}
