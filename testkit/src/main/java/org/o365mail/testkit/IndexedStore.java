package org.o365mail.testkit;

import com.icegreen.greenmail.store.FolderException;
import com.icegreen.greenmail.store.InMemoryStore;
import com.icegreen.greenmail.store.MailFolder;
import com.icegreen.greenmail.store.Store;
import jakarta.mail.Quota;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * GreenMail's in-memory store handing out {@link IndexedFolder} views of its folders, one view per folder (so that
 * a folder compares and hashes the same wherever it comes from), and taking them back as GreenMail's own.
 * Thread-safe.
 */
final class IndexedStore implements Store {
  private final InMemoryStore store = new InMemoryStore();
  private final Map<MailFolder, IndexedFolder> views = new ConcurrentHashMap<>();

  private MailFolder view(MailFolder folder) {
    return folder == null ? null : views.computeIfAbsent(folder, IndexedFolder::new);
  }

  private Collection<MailFolder> views(Collection<MailFolder> folders) {
    List<MailFolder> out = new ArrayList<>(folders.size());
    folders.forEach(f -> out.add(view(f)));
    return out;
  }

  private static MailFolder own(MailFolder folder) {
    return folder == null ? null : IndexedFolder.unwrap(folder);
  }

  @Override
  public MailFolder getMailbox(String absoluteMailboxName) {
    return view(store.getMailbox(absoluteMailboxName));
  }

  @Override
  public MailFolder getMailbox(MailFolder parent, String mailboxName) {
    return view(store.getMailbox(own(parent), mailboxName));
  }

  @Override
  public Collection<MailFolder> getChildren(MailFolder parent) {
    return views(store.getChildren(own(parent)));
  }

  @Override
  public MailFolder createMailbox(MailFolder parent, String mailboxName, boolean selectable) throws FolderException {
    return view(store.createMailbox(own(parent), mailboxName, selectable));
  }

  @Override
  public MailFolder setSelectable(MailFolder folder, boolean selectable) {
    return view(store.setSelectable(own(folder), selectable));
  }

  @Override
  public void deleteMailbox(MailFolder folder) throws FolderException {
    MailFolder own = own(folder);
    store.deleteMailbox(own);
    views.remove(own);
  }

  @Override
  public void renameMailbox(MailFolder existingFolder, String newName) throws FolderException {
    store.renameMailbox(own(existingFolder), newName);
  }

  @Override
  public Collection<MailFolder> listMailboxes(String searchPattern) throws FolderException {
    return views(store.listMailboxes(searchPattern));
  }

  @Override
  public Quota[] getQuota(String root, String qualifiedRootPrefix, boolean quotaSupported) {
    return store.getQuota(root, qualifiedRootPrefix, quotaSupported);
  }

  @Override
  public void setQuota(Quota quota, String qualifiedRootPrefix) {
    store.setQuota(quota, qualifiedRootPrefix);
  }

  @Override
  public void deleteQuota(String qualifiedRootPrefix) {
    store.deleteQuota(qualifiedRootPrefix);
  }

  @Override
  public boolean isQuotaSupported() {
    return store.isQuotaSupported();
  }

  @Override
  public void setQuotaSupported(boolean quotaSupported) {
    store.setQuotaSupported(quotaSupported);
  }
}
