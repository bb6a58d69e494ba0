package org.o365mail.importer;

import static java.util.Objects.requireNonNull;

/**
 * A claim on one mailbox by one importer, handed out by {@link CheckpointStore#acquireLease}. The epoch grows with
 * every new holder of the mailbox (a renewal by the same holder keeps it), so a store shared by several instances can
 * refuse a write fenced with an older epoch: the instance that paused past its lease cannot overwrite the work of
 * the one that took over. Stores that grant every claim (in memory, a file) hand out epoch 0. Immutable.
 *
 * @param mailbox the mailbox address
 * @param owner the holder's name ({@link MailImporter.Builder#leaseOwner})
 * @param epoch the fencing token: larger for every new holder
 */
public record Lease(String mailbox, String owner, long epoch) {
  public Lease {
    requireNonNull(mailbox, "mailbox");
    requireNonNull(owner, "owner");
    if (epoch < 0) {
      throw new IllegalArgumentException("epoch must not be negative, was " + epoch);
    }
  }
}
