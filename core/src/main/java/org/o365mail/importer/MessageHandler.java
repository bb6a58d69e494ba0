package org.o365mail.importer;

/**
 * Takes one message into the product. Returning normally means the product has it: only then does the
 * checkpoint advance and the post-action run. Throwing means it has not: the message is offered again with
 * back-off and parked after the last attempt.
 */
@FunctionalInterface
public interface MessageHandler {
  void handle(IncomingMessage message) throws Exception;
}
