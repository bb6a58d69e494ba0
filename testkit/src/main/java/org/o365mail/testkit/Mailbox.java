package org.o365mail.testkit;

import jakarta.mail.internet.MimeMessage;
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

  public StoredMail deliver(MimeMessage message) {
    return deliver("Inbox", TestMessages.bytes(message), false);
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
