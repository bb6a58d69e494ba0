package org.o365mail.testkit;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An Exchange Online mailbox of the local tenant, a user's or a shared one. IMAP, SMTP and the Graph
 * stand-in all work on the same store, so a message delivered here is seen by every protocol. Folder paths
 * use {@code /} ({@code Inbox/Invoices}); the default folders are Inbox, Drafts, Sent Items, Deleted Items,
 * Junk Email, Archive and Outbox. Thread-safe.
 */
public final class Mailbox {
  private final Tenant tenant;
  private final String address;
  private final MailboxType type;
  private final User owner;
  private volatile String displayName;
  private volatile boolean imapEnabled = true;
  private volatile Boolean smtpClientAuthenticationDisabled;
  private final Set<String> fullAccess = ConcurrentHashMap.newKeySet();
  private final Set<String> sendAs = ConcurrentHashMap.newKeySet();
  private volatile long maxSendSize = DEFAULT_MAX_SEND_SIZE;

  /**
   * Exchange Online's default {@code MaxSendSize} of a mailbox: 35 MB (the Exchange Online limits page; the
   * MicrosoftDocs/OfficeDocs-O365ServiceDescriptions issues #14 and #264 settle the 25 MB figure older revisions
   * gave).
   */
  public static final long DEFAULT_MAX_SEND_SIZE = 35L * 1024 * 1024;

  /** The largest {@code MaxSendSize} Exchange Online allows: 150 MB. */
  public static final long LARGEST_MAX_SEND_SIZE = 150L * 1024 * 1024;

  Mailbox(Tenant tenant, String address, MailboxType type, User owner, String displayName) {
    this.tenant = tenant;
    this.address = Objects.requireNonNull(address, "address");
    this.type = type;
    this.owner = owner;
    this.displayName = displayName;
  }

  public String address() {
    return address;
  }

  public MailboxType type() {
    return type;
  }

  public String displayName() {
    return displayName;
  }

  public Tenant tenant() {
    return tenant;
  }

  /** The user whose mailbox this is; empty for a shared mailbox. */
  public Optional<User> owner() {
    return Optional.ofNullable(owner);
  }

  public boolean imapEnabled() {
    return imapEnabled;
  }

  /** {@code Set-CASMailbox -ImapEnabled}: when off, IMAP logins to this mailbox fail. */
  public Mailbox imapEnabled(boolean enabled) {
    this.imapEnabled = enabled;
    return this;
  }

  /**
   * {@code Set-CASMailbox -SmtpClientAuthenticationDisabled}: {@code true} or {@code false} override the
   * tenant's setting for this mailbox, {@code null} follows the tenant.
   */
  public Mailbox smtpClientAuthenticationDisabled(Boolean disabled) {
    this.smtpClientAuthenticationDisabled = disabled;
    return this;
  }

  /** Whether SMTP AUTH is off for this mailbox, after the tenant's setting is applied. */
  public boolean smtpClientAuthenticationDisabled() {
    Boolean own = smtpClientAuthenticationDisabled;
    return own != null ? own : tenant.smtpClientAuthenticationDisabled();
  }

  void grantFullAccess(String principalId) {
    fullAccess.add(principalId);
  }

  boolean revokeFullAccess(String principalId) {
    return fullAccess.remove(principalId);
  }

  /** Whether the user or Exchange service principal with this object id holds FullAccess. */
  public boolean hasFullAccess(String principalId) {
    return fullAccess.contains(principalId);
  }

  /** Object ids holding FullAccess ({@code Get-MailboxPermission}). */
  public Set<String> fullAccessPrincipals() {
    return Set.copyOf(fullAccess);
  }

  /**
   * {@code Set-Mailbox -MaxSendSize}: the largest message, in bytes, this mailbox may send (default {@link
   * #DEFAULT_MAX_SEND_SIZE}, at most {@link #LARGEST_MAX_SEND_SIZE}). Over SMTP a larger message is refused after
   * DATA, over Graph by {@code sendMail} and by the send of a draft; tests may set a small limit.
   */
  public Mailbox maxSendSize(long bytes) {
    if (bytes < 1 || bytes > LARGEST_MAX_SEND_SIZE) {
      throw new IllegalArgumentException("MaxSendSize must be 1 byte to 150 MB, was " + bytes);
    }
    this.maxSendSize = bytes;
    return this;
  }

  public long maxSendSize() {
    return maxSendSize;
  }

  void grantSendAs(String trustee) {
    sendAs.add(trustee);
  }

  boolean revokeSendAs(String trustee) {
    return sendAs.remove(trustee);
  }

  /**
   * Whether any of {@code trustees} (object ids of users or Exchange service principals, or addresses of shared
   * mailboxes, as {@link Tenant#addRecipientPermission} stores them) holds Send As on this mailbox.
   */
  boolean sendAsGrantedToAny(java.util.Collection<String> trustees) {
    return trustees.stream().anyMatch(sendAs::contains);
  }

  /** The trustees holding Send As on this mailbox ({@code Get-RecipientPermission}). */
  public Set<String> sendAsTrustees() {
    return Set.copyOf(sendAs);
  }

  private MailStore store() {
    return tenant.directory().mailStore();
  }

  /** Delivers an RFC 822 message into the Inbox, unread. */
  public StoredMail deliver(byte[] rfc822) {
    return deliver("Inbox", rfc822, false);
  }

  /** Delivers an RFC 822 message (text with CRLF or LF line ends) into the Inbox, unread. */
  public StoredMail deliver(String rfc822) {
    return deliver("Inbox", TestMessages.bytes(rfc822), false);
  }

  /** Delivers into {@code folder}, marked read when {@code seen}. */
  public StoredMail deliver(String folder, byte[] rfc822, boolean seen) {
    return store().append(address, folder, rfc822, seen, tenant.directory().clock().instant());
  }

  /** Delivers with an explicit received time (Graph {@code receivedDateTime}, IMAP INTERNALDATE). */
  public StoredMail deliver(String folder, byte[] rfc822, boolean seen, Instant received) {
    return store().append(address, folder, rfc822, seen, received);
  }

  /** Creates a folder and any missing parents, such as {@code Inbox/Invoices/2026}. */
  public Mailbox createFolder(String path) {
    store().createFolder(address, path);
    return this;
  }

  public boolean hasFolder(String path) {
    return store().folderExists(address, path);
  }

  /** Every folder path of the mailbox. */
  public List<String> folderPaths() {
    return store().folderPaths(address);
  }

  /** The messages of a folder in UID order. */
  public List<StoredMail> messages(String folder) {
    return store().messages(address, folder);
  }

  /** The raw MIME of a stored message, as IMAP {@code BODY[]} and Graph {@code $value} serve it. */
  public byte[] mime(StoredMail mail) {
    return store().mime(address, mail.folder(), mail.uid());
  }

  public int count(String folder) {
    return store().messages(address, folder).size();
  }

  public long uidValidity(String folder) {
    return store().uidValidity(address, folder);
  }

  /**
   * Changes the folder's UIDVALIDITY, as Exchange sometimes does: the folder is rebuilt with the same
   * messages (flags, dates and Graph ids kept) under new UIDs starting at 1. Takes up to a second, since
   * UIDVALIDITY counts seconds.
   */
  public long resetUidValidity(String folder) {
    return store().resetUidValidity(address, folder);
  }

  @Override
  public String toString() {
    return "Mailbox[" + address + ", " + type + "]";
  }
}
