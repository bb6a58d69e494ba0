package org.o365mail.importer;

/**
 * Hears an importer's progress and health. Called on the importer's thread; must be quick and must not throw
 * (a throwing listener is logged and ignored).
 */
public interface ImportListener {
  /** The handler accepted a message and its checkpoint is written. */
  default void imported(IncomingMessage message) {}

  /**
   * One call of the handler failed: it threw, or reading the message it asked for failed. Called for every failed
   * attempt, before the back-off and the next attempt; the last one is followed by {@link #parked}. {@code failure}
   * is what the handler threw: describe it by its class, as its message may hold anything the handler put there.
   */
  default void handlerFailed(IncomingMessage message, Throwable failure) {}

  /** The handler refused a message on every attempt; it was parked. */
  default void parked(DeadLetter letter) {}

  /** A mailbox's health changed. */
  default void healthChanged(HealthState previous, HealthState current) {}
}
