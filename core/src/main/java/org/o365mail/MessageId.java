package org.o365mail;

import static java.util.Objects.requireNonNull;

/**
 * A connector's stable id of one message, opaque to callers and safe to store (checkpoints, dead letters):
 * Graph's immutable id, or for IMAP the folder, UIDVALIDITY and UID. A message moved to another folder gets the
 * id the move returns.
 *
 * @param value the serialized id
 */
public record MessageId(String value) {
  public MessageId {
    requireNonNull(value, "value");
    if (value.isBlank()) {
      throw new IllegalArgumentException("message id must not be blank");
    }
  }

  @Override
  public String toString() {
    return value;
  }
}
