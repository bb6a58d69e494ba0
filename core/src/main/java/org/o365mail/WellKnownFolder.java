package org.o365mail;

/** Folders every Exchange mailbox has, with Graph's well-known names and their default display names. */
public enum WellKnownFolder {
  INBOX("inbox", "Inbox"),
  DRAFTS("drafts", "Drafts"),
  SENT_ITEMS("sentitems", "Sent Items"),
  DELETED_ITEMS("deleteditems", "Deleted Items"),
  JUNK_EMAIL("junkemail", "Junk Email"),
  ARCHIVE("archive", "Archive"),
  OUTBOX("outbox", "Outbox");

  private final String graphName;
  private final String displayName;

  WellKnownFolder(String graphName, String displayName) {
    this.graphName = graphName;
    this.displayName = displayName;
  }

  /** Graph's well-known folder name, such as {@code sentitems}. */
  public String graphName() {
    return graphName;
  }

  /** The folder's English display name, which is also its IMAP name in Exchange Online. */
  public String displayName() {
    return displayName;
  }
}
