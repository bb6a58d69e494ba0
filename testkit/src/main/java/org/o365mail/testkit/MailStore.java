package org.o365mail.testkit;

import com.icegreen.greenmail.Managers;
import com.icegreen.greenmail.imap.AuthorizationException;
import com.icegreen.greenmail.imap.ImapHostManager;
import com.icegreen.greenmail.imap.ImapHostManagerImpl;
import com.icegreen.greenmail.smtp.SmtpManager;
import com.icegreen.greenmail.store.FolderException;
import com.icegreen.greenmail.store.MailFolder;
import com.icegreen.greenmail.store.MailMessageAttributes;
import com.icegreen.greenmail.store.StoredMessage;
import com.icegreen.greenmail.user.GreenMailUser;
import com.icegreen.greenmail.user.UserManager;
import com.icegreen.greenmail.user.UserException;
import com.icegreen.greenmail.util.ServerSetup;
import jakarta.mail.Flags;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The mailbox store behind IMAP, SMTP and the Graph stand-in: GreenMail's in-memory store and its IMAP server
 * (plain, on 127.0.0.1, reached only by the Exchange-like IMAP front), plus the Graph ids of messages.
 *
 * <p>Folder paths are written with {@code /} ({@code Inbox/Invoices}); GreenMail's own names use {@code .}
 * and call the inbox {@code INBOX}. A Graph id belongs to a message for as long as it stays in its folder or is
 * moved through the Graph stand-in; a message moved over IMAP gets a new id.
 */
final class MailStore implements AutoCloseable {
  static final List<String> DEFAULT_FOLDERS =
      List.of("Inbox", "Drafts", "Sent Items", "Deleted Items", "Junk Email", "Archive", "Outbox");
  private static final Map<String, String> WELL_KNOWN =
      Map.of(
          "inbox", "Inbox",
          "drafts", "Drafts",
          "sentitems", "Sent Items",
          "deleteditems", "Deleted Items",
          "junkemail", "Junk Email",
          "archive", "Archive",
          "outbox", "Outbox");

  private static final Session SESSION = Session.getInstance(new Properties());

  private final Managers managers = new IndexedManagers();
  private final BackendImapServer imapServer;
  private final Map<String, String> backendPasswords = new ConcurrentHashMap<>();
  private final Object idLock = new Object();
  private final Map<String, Location> locationsById = new ConcurrentHashMap<>();
  /** Every message id ever handed out, with the mailbox it was handed out for: kept after the message is gone. */
  private final Map<String, String> issuedTo = new ConcurrentHashMap<>();
  private final Map<MailFolder, Map<Long, String>> idsByFolder = new IdentityHashMap<>();
  private final Map<MailFolder, String> folderIds = new IdentityHashMap<>();
  private final Map<String, FolderRef> foldersById = new ConcurrentHashMap<>();

  /** GreenMail's managers over a store whose folders look messages up by UID through an index. */
  private static final class IndexedManagers extends Managers {
    private final ImapHostManager hosts = new ImapHostManagerImpl(new IndexedStore());
    private final UserManager users = new UserManager(hosts);
    private final SmtpManager smtp = new SmtpManager(hosts, users);

    @Override
    public ImapHostManager getImapHostManager() {
      return hosts;
    }

    @Override
    public UserManager getUserManager() {
      return users;
    }

    @Override
    public SmtpManager getSmtpManager() {
      return smtp;
    }
  }

  /** Where a Graph id points now. */
  record Location(String mailbox, MailFolder folder, long uid) {}

  /** A folder known by its Graph id. */
  record FolderRef(String mailbox, String path, MailFolder folder) {}

  MailStore() {
    imapServer = new BackendImapServer(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_IMAP), managers);
    imapServer.setClientSocketTimeout(60 * 60 * 1000);
    imapServer.startService();
    try {
      if (!imapServer.waitTillRunning(10_000)) {
        throw new IllegalStateException("GreenMail IMAP did not start");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting GreenMail", e);
    }
  }

  /** Port of GreenMail's plain IMAP server on 127.0.0.1 (the front's backend). */
  int backendImapPort() {
    return imapServer.getPort();
  }

  String backendPassword(String mailbox) {
    String password = backendPasswords.get(key(mailbox));
    if (password == null) {
      throw new IllegalArgumentException("no mailbox " + mailbox);
    }
    return password;
  }

  private ImapHostManager hosts() {
    return managers.getImapHostManager();
  }

  void createMailbox(String address) {
    String password = Application.randomToken(18);
    try {
      GreenMailUser user = managers.getUserManager().createUser(address, address, password);
      backendPasswords.put(key(address), password);
      for (String folder : DEFAULT_FOLDERS) {
        if (!folder.equals("Inbox")) {
          hosts().createMailbox(user, folder);
        }
      }
    } catch (UserException | FolderException | AuthorizationException e) {
      throw new IllegalStateException("cannot create mailbox " + address, e);
    }
  }

  private GreenMailUser user(String mailbox) {
    GreenMailUser user = managers.getUserManager().getUser(key(mailbox));
    if (user == null) {
      throw new IllegalArgumentException("no mailbox " + mailbox);
    }
    return user;
  }

  /** GreenMail's name for a folder path: {@code Inbox/Invoices} becomes {@code INBOX.Invoices}. */
  static String backendName(String path) {
    String p = path.startsWith("/") ? path.substring(1) : path;
    String[] parts = p.split("/");
    StringBuilder name = new StringBuilder();
    for (int i = 0; i < parts.length; i++) {
      String part = parts[i];
      if (part.isEmpty() || part.indexOf('.') >= 0) {
        throw new IllegalArgumentException(
            "folder path '" + path + "' has an empty name or a '.', which this store cannot hold");
      }
      if (i == 0 && part.equalsIgnoreCase("inbox")) {
        part = "INBOX";
      }
      if (i > 0) {
        name.append('.');
      }
      name.append(part);
    }
    return name.toString();
  }

  /** The path of a GreenMail folder, whose full name is {@code #mail.<user key>.INBOX.Invoices}. */
  String pathOf(String mailbox, MailFolder folder) {
    String full = folder.getFullName();
    String prefix = "#mail." + user(mailbox).getQualifiedMailboxName() + ".";
    String name = full.startsWith(prefix) ? full.substring(prefix.length()) : full;
    String path = name.replace('.', '/');
    return path.startsWith("INBOX") ? "Inbox" + path.substring("INBOX".length()) : path;
  }

  /** Resolves a well-known name ({@code inbox}, {@code sentitems}, ...) or a path to a folder path. */
  static Optional<String> wellKnownPath(String name) {
    return Optional.ofNullable(WELL_KNOWN.get(name.toLowerCase(Locale.ROOT)));
  }

  Optional<MailFolder> findFolder(String mailbox, String path) {
    return Optional.ofNullable(hosts().getFolder(user(mailbox), backendName(path)));
  }

  MailFolder folder(String mailbox, String path) {
    return findFolder(mailbox, path)
        .orElseThrow(() -> new IllegalArgumentException("no folder '" + path + "' in mailbox " + mailbox));
  }

  boolean folderExists(String mailbox, String path) {
    return findFolder(mailbox, path).isPresent();
  }

  MailFolder createFolder(String mailbox, String path) {
    GreenMailUser user = user(mailbox);
    String[] parts = backendName(path).split("\\.");
    StringBuilder name = new StringBuilder();
    MailFolder folder = null;
    for (String part : parts) {
      if (name.length() > 0) {
        name.append('.');
      }
      name.append(part);
      folder = hosts().getFolder(user, name.toString());
      if (folder == null) {
        try {
          folder = hosts().createMailbox(user, name.toString());
        } catch (FolderException | AuthorizationException e) {
          throw new IllegalStateException("cannot create folder " + path + " in " + mailbox, e);
        }
      }
    }
    return folder;
  }

  void deleteFolder(String mailbox, String path) {
    MailFolder folder = folder(mailbox, path);
    folder.deleteAllMessages();
    try {
      hosts().deleteMailbox(user(mailbox), backendName(path));
    } catch (FolderException | AuthorizationException e) {
      throw new IllegalStateException("cannot delete folder " + path + " of " + mailbox + ": " + e.getMessage(), e);
    }
  }

  /** Every folder of a mailbox, parents before children. */
  List<MailFolder> folders(String mailbox) {
    List<MailFolder> result;
    try {
      result = new ArrayList<>(hosts().listMailboxes(user(mailbox), "*"));
    } catch (FolderException e) {
      throw new IllegalStateException(e);
    }
    result.sort((a, b) -> a.getFullName().compareTo(b.getFullName()));
    return result;
  }

  List<String> folderPaths(String mailbox) {
    return folders(mailbox).stream().map(f -> pathOf(mailbox, f)).toList();
  }

  /** The direct children of a folder (or the top-level folders for {@code null}). */
  List<MailFolder> children(String mailbox, MailFolder parent) {
    List<MailFolder> all = folders(mailbox);
    List<MailFolder> result = new ArrayList<>();
    for (MailFolder f : all) {
      String path = pathOf(mailbox, f);
      int slash = path.lastIndexOf('/');
      String parentPath = slash < 0 ? null : path.substring(0, slash);
      if (parent == null ? parentPath == null : pathOf(mailbox, parent).equals(parentPath)) {
        result.add(f);
      }
    }
    return result;
  }

  StoredMail append(String mailbox, String path, byte[] rfc822, boolean seen, Instant received) {
    MailFolder folder = findFolder(mailbox, path).orElseGet(() -> createFolder(mailbox, path));
    MimeMessage message = parse(rfc822);
    Flags flags = new Flags();
    if (seen) {
      flags.add(Flags.Flag.SEEN);
    }
    long uid = folder.appendMessage(message, flags, Date.from(received));
    return describe(mailbox, folder, folder.getMessage(uid));
  }

  static MimeMessage parse(byte[] rfc822) {
    try {
      return new MimeMessage(SESSION, new ByteArrayInputStream(rfc822));
    } catch (MessagingException e) {
      throw new IllegalArgumentException("not an RFC 822 message: " + e.getMessage(), e);
    }
  }

  static MimeMessage parse(InputStream rfc822) {
    try {
      return new MimeMessage(SESSION, rfc822);
    } catch (MessagingException e) {
      throw new IllegalArgumentException("not an RFC 822 message: " + e.getMessage(), e);
    }
  }

  List<StoredMail> messages(String mailbox, String path) {
    MailFolder folder = folder(mailbox, path);
    List<StoredMail> result = new ArrayList<>();
    for (StoredMessage m : folder.getMessages()) {
      result.add(describe(mailbox, folder, m));
    }
    return result;
  }

  StoredMail describe(String mailbox, MailFolder folder, StoredMessage message) {
    MimeMessage mime = message.getMimeMessage();
    String messageId = "";
    String subject = "";
    try {
      messageId = Optional.ofNullable(mime.getMessageID()).orElse("");
      subject = Optional.ofNullable(mime.getSubject()).orElse("");
    } catch (MessagingException e) {
      // headers that do not parse are reported as absent
    }
    return new StoredMail(
        key(mailbox),
        pathOf(mailbox, folder),
        message.getUid(),
        idOf(mailbox, folder, message.getUid()),
        messageId,
        subject,
        message.isSet(Flags.Flag.SEEN),
        size(message),
        message.getReceivedDate().toInstant());
  }

  static long size(StoredMessage message) {
    // RFC822.SIZE as GreenMail counted it once, when the message was stored (the same writeTo, as IMAP reports it);
    // counting again served every listing of a thousand messages by writing out 20 MB
    MailMessageAttributes attributes = message.getAttributes();
    if (attributes != null && attributes.getSize() > 0) {
      return attributes.getSize();
    }
    CountingStream counter = new CountingStream();
    writeTo(message, counter);
    return counter.count;
  }

  static void writeTo(StoredMessage message, OutputStream out) {
    try {
      message.getMimeMessage().writeTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (MessagingException e) {
      throw new IllegalStateException("cannot write message " + message.getUid(), e);
    }
  }

  byte[] mime(String mailbox, String path, long uid) {
    StoredMessage message = folder(mailbox, path).getMessage(uid);
    if (message == null) {
      throw new IllegalArgumentException("no message " + uid + " in " + path + " of " + mailbox);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    writeTo(message, out);
    return out.toByteArray();
  }

  long uidValidity(String mailbox, String path) {
    return folder(mailbox, path).getUidValidity();
  }

  // ----- Graph ids -----

  /** The Graph id of a message, assigned on first use. */
  String idOf(String mailbox, MailFolder folder, long uid) {
    synchronized (idLock) {
      Map<Long, String> ids = idsByFolder.computeIfAbsent(folder, f -> new ConcurrentHashMap<>());
      String id = ids.get(uid);
      if (id == null) {
        id = "AAMkAGT" + Application.randomToken(33);
        ids.put(uid, id);
        locationsById.put(id, new Location(key(mailbox), folder, uid));
        issuedTo.put(id, key(mailbox));
      }
      return id;
    }
  }

  /** The mailbox (as a key) a message id was handed out for, if this store ever handed it out. */
  Optional<String> issuedTo(String id) {
    return Optional.ofNullable(issuedTo.get(id));
  }

  /** The message a Graph id names, if it still exists in that mailbox: {@link #locate} without a second look-up. */
  Optional<StoredMessage> find(String mailbox, String id) {
    Location location = locationsById.get(id);
    if (location == null || !location.mailbox().equals(key(mailbox))) {
      return Optional.empty();
    }
    return Optional.ofNullable(location.folder().getMessage(location.uid()));
  }

  /** Where a Graph id is now, if the message still exists in that mailbox. */
  Optional<Location> locate(String mailbox, String id) {
    Location location = locationsById.get(id);
    if (location == null || !location.mailbox().equals(key(mailbox))) {
      return Optional.empty();
    }
    if (location.folder().getMessage(location.uid()) == null) {
      return Optional.empty();
    }
    return Optional.of(location);
  }

  /** Moves a message to another folder, keeping its Graph id (as Graph immutable ids do). */
  Location move(Location from, MailFolder to) {
    synchronized (idLock) {
      String id = idsByFolder.getOrDefault(from.folder(), Map.of()).get(from.uid());
      long newUid;
      try {
        newUid = from.folder().moveMessage(from.uid(), to);
      } catch (FolderException e) {
        throw new IllegalStateException("cannot move message " + from.uid(), e);
      }
      Location moved = new Location(from.mailbox(), to, newUid);
      if (id != null) {
        idsByFolder.get(from.folder()).remove(from.uid());
        idsByFolder.computeIfAbsent(to, f -> new ConcurrentHashMap<>()).put(newUid, id);
        locationsById.put(id, moved);
      }
      return moved;
    }
  }

  /** Removes a message for good. */
  void expunge(Location location) {
    synchronized (idLock) {
      try {
        location.folder().setFlags(new Flags(Flags.Flag.DELETED), true, location.uid(), null, false);
      } catch (FolderException e) {
        throw new IllegalStateException(e);
      }
      location.folder().expunge(
          new com.icegreen.greenmail.imap.commands.IdRange[] {
            new com.icegreen.greenmail.imap.commands.IdRange(location.uid())
          });
      String id = idsByFolder.getOrDefault(location.folder(), Map.of()).remove(location.uid());
      if (id != null) {
        locationsById.remove(id);
      }
    }
  }

  /** The Graph id of a folder, stable for the folder's life. */
  String folderId(String mailbox, MailFolder folder) {
    synchronized (idLock) {
      String id = folderIds.get(folder);
      if (id == null) {
        id = "AAMkAGF" + Application.randomToken(30);
        folderIds.put(folder, id);
      }
      foldersById.put(id, new FolderRef(key(mailbox), pathOf(mailbox, folder), folder));
      return id;
    }
  }

  /** A folder by Graph id, well-known name or path ({@code Inbox/Invoices}). */
  Optional<MailFolder> resolveFolder(String mailbox, String idOrName) {
    FolderRef ref = foldersById.get(idOrName);
    if (ref != null && ref.mailbox().equals(key(mailbox))) {
      return findFolder(mailbox, pathOf(mailbox, ref.folder()));
    }
    Optional<String> wellKnown = wellKnownPath(idOrName);
    if (wellKnown.isPresent()) {
      return findFolder(mailbox, wellKnown.get());
    }
    try {
      return findFolder(mailbox, idOrName);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /**
   * Gives the folder a new UIDVALIDITY: it is rebuilt with the same messages under new UIDs from 1, flags,
   * received dates and Graph ids kept.
   */
  long resetUidValidity(String mailbox, String path) {
    synchronized (idLock) {
      GreenMailUser user = user(mailbox);
      MailFolder old = folder(mailbox, path);
      if (!hosts().getStore().getChildren(old).isEmpty()) {
        throw new IllegalStateException("resetUidValidity needs a folder without subfolders: " + path);
      }
      long oldValidity = old.getUidValidity();
      List<StoredMessage> messages = new ArrayList<>(old.getMessages());
      Map<Long, String> oldIds = idsByFolder.remove(old);
      String folderId = folderIds.remove(old);
      String name = backendName(path);
      String parked = name + "_uidvalidity_" + oldValidity;
      try {
        hosts().getStore().renameMailbox(old, parked);
        while (System.currentTimeMillis() / 1000L <= oldValidity) {
          Thread.sleep(20);
        }
        MailFolder fresh = hosts().createMailbox(user, name);
        Map<Long, String> newIds = new ConcurrentHashMap<>();
        for (StoredMessage m : messages) {
          long uid = fresh.appendMessage(new MimeMessage(m.getMimeMessage()), m.getFlags(), m.getReceivedDate());
          String id = oldIds == null ? null : oldIds.get(m.getUid());
          if (id != null) {
            newIds.put(uid, id);
            locationsById.put(id, new Location(key(mailbox), fresh, uid));
          }
        }
        idsByFolder.put(fresh, newIds);
        if (folderId != null) {
          folderIds.put(fresh, folderId);
          foldersById.put(folderId, new FolderRef(key(mailbox), path, fresh));
        }
        old.deleteAllMessages();
        hosts().getStore().deleteMailbox(old);
        return fresh.getUidValidity();
      } catch (FolderException | MessagingException | AuthorizationException e) {
        throw new IllegalStateException("cannot reset UIDVALIDITY of " + path, e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
  }

  /** Runs {@code action} on every message of every folder of the mailbox. */
  void forEachMessage(String mailbox, Consumer<StoredMail> action) {
    for (MailFolder folder : folders(mailbox)) {
      for (StoredMessage m : folder.getMessages()) {
        action.accept(describe(mailbox, folder, m));
      }
    }
  }

  // ----- for the Graph stand-in -----

  /**
   * Gives the message at {@code location} a fresh Graph id and retires its old one: what a move does to a
   * regular (not immutable) Graph id.
   */
  String reassignId(Location location) {
    synchronized (idLock) {
      String old = idsByFolder.getOrDefault(location.folder(), Map.of()).remove(location.uid());
      if (old != null) {
        locationsById.remove(old);
      }
      return idOf(location.mailbox(), location.folder(), location.uid());
    }
  }

  /** Copies a message into another folder (flags and received time kept); the copy gets its own Graph id. */
  Location copy(Location from, MailFolder to) {
    try {
      long uid = from.folder().copyMessage(from.uid(), to);
      idOf(from.mailbox(), to, uid);
      return new Location(from.mailbox(), to, uid);
    } catch (FolderException e) {
      throw new IllegalStateException("cannot copy message " + from.uid(), e);
    }
  }

  /** Appends a parsed message with exactly these flags (a Graph draft is {@code \Draft \Seen}). */
  Location append(String mailbox, MailFolder folder, MimeMessage message, Flags flags, Instant received) {
    long uid = folder.appendMessage(message, new Flags(flags), Date.from(received));
    idOf(mailbox, folder, uid);
    return new Location(key(mailbox), folder, uid);
  }

  /**
   * Replaces a message's content (a draft that gained an attachment): the new content takes the old one's
   * folder, flags, received time and Graph id; the old one is expunged.
   */
  Location replace(Location at, MimeMessage message) {
    synchronized (idLock) {
      StoredMessage old = at.folder().getMessage(at.uid());
      if (old == null) {
        throw new IllegalArgumentException("no message " + at.uid() + " to replace");
      }
      Flags flags = new Flags(old.getFlags());
      flags.remove(Flags.Flag.RECENT);
      flags.remove(Flags.Flag.DELETED);
      long uid = at.folder().appendMessage(message, flags, old.getReceivedDate());
      Map<Long, String> ids = idsByFolder.computeIfAbsent(at.folder(), f -> new ConcurrentHashMap<>());
      String id = ids.remove(at.uid());
      try {
        at.folder().setFlags(new Flags(Flags.Flag.DELETED), true, at.uid(), null, false);
      } catch (FolderException e) {
        throw new IllegalStateException(e);
      }
      at.folder().expunge(
          new com.icegreen.greenmail.imap.commands.IdRange[] {
            new com.icegreen.greenmail.imap.commands.IdRange(at.uid())
          });
      Location replaced = new Location(at.mailbox(), at.folder(), uid);
      if (id != null) {
        ids.put(uid, id);
        locationsById.put(id, replaced);
      }
      return replaced;
    }
  }

  /** Sets or clears one flag of a message ({@code \Seen} is Graph's {@code isRead}). */
  void setFlag(Location at, Flags.Flag flag, boolean value) {
    try {
      at.folder().setFlags(new Flags(flag), value, at.uid(), null, false);
    } catch (FolderException e) {
      throw new IllegalStateException("cannot set a flag on message " + at.uid(), e);
    }
  }

  static String key(String mailbox) {
    return mailbox.trim().toLowerCase(Locale.ROOT);
  }

  @Override
  public void close() {
    imapServer.stopService(2_000);
  }

  private static final class CountingStream extends OutputStream {
    long count;

    @Override
    public void write(int b) {
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      count += len;
    }
  }
}
