package org.o365mail.importer;

/**
 * A {@link MessageHandler} that makes messages durable by batches (group commit): {@link #handle} takes a message
 * in (write it, queue its fsync), and {@link #flush} makes every message taken in since the last flush durable
 * together. One fsync of a disk costs milliseconds; a batch of them issued together costs about as much as one.
 *
 * <p>{@link MailImporter} calls {@link #flush} before it writes the checkpoint of a batch (at most {@link
 * MailImporter.Builder#groupCommit its group} of messages, or its time slice, and at the end of each sync batch, before
 * a message is parked, and before a pass ends or stops), and counts a message as accepted only once a flush after its
 * {@code handle} returned. If {@code flush} throws, none of the messages since the last successful flush counts as
 * accepted: no checkpoint covers them, the pass ends, and the next pass hands them out again with the same keys and
 * {@link IncomingMessage#possibleRedelivery()} set. So {@code handle} must be idempotent by key, as for any handler.
 *
 * <p>Calls come from one thread at a time (the importer's pass).
 */
public interface BatchingMessageHandler extends MessageHandler {
  /**
   * Makes every message {@link #handle handled} since the last flush durable: returning normally means the product
   * has them all, across a crash or a power cut.
   *
   * @throws Exception if any of them may not be durable; they are all handed out again
   */
  void flush() throws Exception;
}
