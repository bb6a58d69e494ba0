package org.o365mail.importer;

/**
 * Hears an importer's progress and health. Called on the importer's thread; must be quick and must not throw
 * (a throwing listener is logged and ignored).
 */
public interface ImportListener {
  /** The handler accepted a message and its checkpoint is written. */
  default void imported(IncomingMessage message) {}

  /** The handler refused a message on every attempt; it was parked. */
  default void parked(DeadLetter letter) {}

  /** A mailbox's health changed. */
  default void healthChanged(HealthState previous, HealthState current) {}
}
