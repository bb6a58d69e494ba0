package org.o365mail.testkit;

import com.icegreen.greenmail.foedus.util.MsgRangeFilter;
import com.icegreen.greenmail.imap.commands.IdRange;
import com.icegreen.greenmail.mail.MovingMessage;
import com.icegreen.greenmail.store.FolderException;
import com.icegreen.greenmail.store.FolderListener;
import com.icegreen.greenmail.store.MailFolder;
import com.icegreen.greenmail.store.StoredMessage;
import jakarta.mail.Flags;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.search.SearchTerm;
import java.util.Arrays;
import java.util.Date;
import java.util.List;

/**
 * A GreenMail folder whose look-ups by UID are indexed. GreenMail keeps a folder's messages in a list: finding a
 * message by UID walks it, and its IMAP FETCH copies every UID of the folder into a new array to find each
 * message's sequence number, so a FETCH of a whole folder of 10,000 messages cost about two seconds before a byte
 * of mail was sent, and tests and benchmarks measured GreenMail rather than the code under test. This view answers
 * {@link #getMessage(long)}, {@link #getMsn(long)} and {@link #getMessageUids()} from a snapshot of the UIDs, taken
 * again whenever a message has been added or removed since (the message count and next UID tell, as UIDs only
 * grow); everything else goes to the folder. A message handed out by UID (as GreenMail's FETCH reads it) has its
 * Message-ID put back first ({@link EnvelopeMessageIds}). Thread-safe as GreenMail's folder is.
 */
final class IndexedFolder implements MailFolder {
  private final MailFolder folder;
  private volatile Index index;

  /** The folder's UIDs in order, their messages, and the state they were read in. */
  private record Index(int count, long uidNext, long[] uids, StoredMessage[] messages) {
    int position(long uid) {
      return Arrays.binarySearch(uids, uid);
    }
  }

  IndexedFolder(MailFolder folder) {
    this.folder = folder;
  }

  /** GreenMail's own folder behind a view, for GreenMail's store, which casts to its folder class. */
  static MailFolder unwrap(MailFolder f) {
    return f instanceof IndexedFolder i ? i.folder : f;
  }

  private Index index() {
    Index current = index;
    int count = folder.getMessageCount();
    long uidNext = folder.getUIDNext();
    if (current != null && current.count() == count && current.uidNext() == uidNext) {
      return current;
    }
    List<StoredMessage> messages = folder.getMessages();
    StoredMessage[] sorted = messages.toArray(new StoredMessage[0]);
    Arrays.sort(sorted, (a, b) -> Long.compare(a.getUid(), b.getUid()));
    long[] uids = new long[sorted.length];
    for (int i = 0; i < sorted.length; i++) {
      uids[i] = sorted[i].getUid();
    }
    Index fresh = new Index(count, uidNext, uids, sorted); // read before the snapshot: a change meanwhile re-reads
    index = fresh;
    return fresh;
  }

  @Override
  public StoredMessage getMessage(long uid) {
    Index i = index();
    int at = i.position(uid);
    // a miss may be a message added since the snapshot was checked: the folder has the last word
    return EnvelopeMessageIds.restore(at >= 0 ? i.messages()[at] : folder.getMessage(uid));
  }

  @Override
  public int getMsn(long uid) throws FolderException {
    Index i = index();
    int at = i.position(uid);
    return at >= 0 ? at + 1 : folder.getMsn(uid);
  }

  @Override
  public long[] getMessageUids() {
    return index().uids().clone();
  }

  @Override
  public long copyMessage(long uid, MailFolder toFolder) throws FolderException {
    return folder.copyMessage(uid, unwrap(toFolder));
  }

  @Override
  public long moveMessage(long uid, MailFolder toFolder) throws FolderException {
    return folder.moveMessage(uid, unwrap(toFolder));
  }

  // ----- the rest as GreenMail's folder answers it

  @Override
  public String getName() {
    return folder.getName();
  }

  @Override
  public String getFullName() {
    return folder.getFullName();
  }

  @Override
  public Flags getAvailableFlags() {
    return folder.getAvailableFlags();
  }

  @Override
  public Flags getPermanentFlags() {
    return folder.getPermanentFlags();
  }

  @Override
  public int getMessageCount() {
    return folder.getMessageCount();
  }

  @Override
  public int getRecentCount(boolean reset) {
    return folder.getRecentCount(reset);
  }

  @Override
  public long getUidValidity() {
    return folder.getUidValidity();
  }

  @Override
  public int getFirstUnseen() {
    return folder.getFirstUnseen();
  }

  @Override
  public int getUnseenCount() {
    return folder.getUnseenCount();
  }

  @Override
  public boolean isSelectable() {
    return folder.isSelectable();
  }

  @Override
  public long getUIDNext() {
    return folder.getUIDNext();
  }

  @Override
  public long appendMessage(MimeMessage message, Flags flags, Date receivedDate) {
    return folder.appendMessage(message, flags, receivedDate);
  }

  @Override
  public void deleteAllMessages() {
    folder.deleteAllMessages();
  }

  @Override
  public void expunge() throws FolderException {
    folder.expunge();
  }

  @Override
  public void expunge(IdRange[] idRanges) {
    folder.expunge(idRanges);
  }

  @Override
  public void addListener(FolderListener listener) {
    folder.addListener(listener);
  }

  @Override
  public void removeListener(FolderListener listener) {
    folder.removeListener(listener);
  }

  @Override
  public void store(MovingMessage mail) throws Exception {
    folder.store(mail);
  }

  @Override
  public void store(MimeMessage mail) throws Exception {
    folder.store(mail);
  }

  @Override
  public long[] search(SearchTerm searchTerm) {
    return folder.search(searchTerm);
  }

  @Override
  public void setFlags(Flags flags, boolean value, long uid, FolderListener silentListener, boolean addUid)
      throws FolderException {
    folder.setFlags(flags, value, uid, silentListener, addUid);
  }

  @Override
  public void replaceFlags(Flags flags, long uid, FolderListener silentListener, boolean addUid)
      throws FolderException {
    folder.replaceFlags(flags, uid, silentListener, addUid);
  }

  @Override
  public void signalDeletion() {
    folder.signalDeletion();
  }

  @Override
  public List<StoredMessage> getMessages(MsgRangeFilter range) {
    return folder.getMessages(range);
  }

  @Override
  public List<StoredMessage> getMessages() {
    return folder.getMessages();
  }

  @Override
  public List<StoredMessage> getNonDeletedMessages() {
    return folder.getNonDeletedMessages();
  }

  @Override
  public String toString() {
    return folder.toString();
  }
}
