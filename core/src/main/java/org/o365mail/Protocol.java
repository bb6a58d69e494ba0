package org.o365mail;

import java.util.Locale;

/**
 * The protocol a {@link MailboxConnector} speaks. Its {@link #id()} is the lower-case name ({@code graph}, {@code
 * imap}, {@code memory}) that output prints and that checkpoints store, so it never changes for a constant.
 * Immutable and thread-safe.
 */
public enum Protocol {
  /** Microsoft Graph (REST over HTTPS). */
  GRAPH,
  /** IMAP with SASL XOAUTH2 (sending over SMTP). */
  IMAP,
  /** The in-memory fake for tests, which reaches no service. */
  MEMORY;

  /** The lower-case name: {@code graph}, {@code imap} or {@code memory}. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Same as {@link #id()}, so that messages read as before this was an enum. */
  @Override
  public String toString() {
    return id();
  }
}
