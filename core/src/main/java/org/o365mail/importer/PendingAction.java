package org.o365mail.importer;

import static java.util.Objects.requireNonNull;

/**
 * A post-action still to do for a message whose import is already recorded (so a crash between recording and
 * acting does not lose it).
 *
 * @param messageKey the message's idempotency key
 * @param messageId the connector's message id
 */
public record PendingAction(String messageKey, String messageId) {
  public PendingAction {
    requireNonNull(messageKey, "messageKey");
    requireNonNull(messageId, "messageId");
  }
}
