package org.o365mail.spring;

import org.o365mail.importer.MailImporter;

/**
 * Adjusts each importer's builder before the starter builds it, after the properties were applied: a listener, a
 * batch size, a clock. Every bean of this type is called, in {@code @Order}; the metrics binder adds its listener
 * through one.
 *
 * <p>Implementations are called from the thread that starts the imports (and, in a cluster, from the scheduler's
 * threads as leases are won): they must be thread-safe.
 */
@FunctionalInterface
public interface O365MailImporterCustomizer {
  /**
   * @param connection the connection's name ({@code o365mail.connections.<name>})
   * @param mailbox the mailbox address the importer reads
   * @param builder the importer's builder, its connector, handler and settings already set
   */
  void customize(String connection, String mailbox, MailImporter.Builder builder);
}
