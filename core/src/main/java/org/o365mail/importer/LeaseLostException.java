package org.o365mail.importer;

/**
 * A fenced write refused: another instance took the mailbox's lease over (a newer epoch), so this one may not write
 * a checkpoint, record a message as seen or run a post-action. Nothing of what it tried is lost: its checkpoint did
 * not advance, so the new holder hands the message out again. {@link MailImporter} ends the pass when it gets one.
 */
public final class LeaseLostException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient Lease lease;

  /** The lease {@code fence} is no longer held: another holder took it over, or it was released. */
  public LeaseLostException(Lease fence) {
    super("the lease of " + fence.mailbox() + " (owner " + fence.owner() + ", epoch " + fence.epoch()
        + ") was taken over by another instance; this one may not write");
    this.lease = fence;
  }

  /** The lease the refused write was fenced with. */
  public Lease lease() {
    return lease;
  }
}
