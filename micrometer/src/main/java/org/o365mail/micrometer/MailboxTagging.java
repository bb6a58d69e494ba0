package org.o365mail.micrometer;

/**
 * Whether per-mailbox meters carry a {@code mailbox} tag, and what it holds. Every value is a tag on each meter of
 * every mailbox (one time series per mailbox and meter), so a tag is for a few hundred mailboxes at most.
 */
public enum MailboxTagging {
  /**
   * No mailbox tag (the default): the meters of all mailboxes are one, counted together. Which mailbox is unwell is
   * then told by the importer's health and its log, not by the metrics.
   */
  NONE,
  /**
   * The first 16 hex digits of the SHA-256 of the lower-cased address: stable across restarts and instances, and no
   * address in the monitoring system. A pseudonym, not anonymity: whoever has a list of addresses can hash them.
   */
  HASHED,
  /** The address itself: for monitoring systems that may hold personal data. */
  ADDRESS
}
