/**
 * Crash-safe import of new mail into a product: {@link org.o365mail.importer.MailImporter} polls one mailbox's
 * folders through a {@link org.o365mail.MailboxConnector}, hands each new message to a {@link
 * org.o365mail.importer.MessageHandler} (or a {@link org.o365mail.importer.BatchingMessageHandler}) with a stable
 * idempotency key, and advances a {@link org.o365mail.importer.Checkpoint} in a {@link
 * org.o365mail.importer.CheckpointStore} only once the handler has it, so no message is lost; failures are
 * retried, then parked as {@link org.o365mail.importer.DeadLetter}s. {@link org.o365mail.importer.ImportScheduler}
 * runs many importers on a bounded pool.
 *
 * <p>Importers and the shipped stores are thread-safe and run on an injected clock; results and checkpoints are
 * immutable.
 */
package org.o365mail.importer;
