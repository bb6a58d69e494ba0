package org.o365mail.fake;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.o365mail.AttachmentInfo;
import org.o365mail.ConnectionCheck;
import org.o365mail.DeleteMode;
import org.o365mail.EmailAddress;
import org.o365mail.FolderNotFoundException;
import org.o365mail.FolderRef;
import org.o365mail.ListOptions;
import org.o365mail.MailFolder;
import org.o365mail.MailboxConnector;
import org.o365mail.MailboxException;
import org.o365mail.MessageId;
import org.o365mail.MessageNotFoundException;
import org.o365mail.MessageSummary;
import org.o365mail.OutgoingMessage;
import org.o365mail.Page;
import org.o365mail.Paged;
import org.o365mail.Protocol;
import org.o365mail.SyncBatch;
import org.o365mail.SyncState;
import org.o365mail.WellKnownFolder;

/**
 * A mailbox in memory behind the {@link MailboxConnector} interface, for unit tests of code that uses a
 * connector: deliver RFC 822 messages, run the code, look at what it did. Supports folders, listing, MIME,
 * flags, moves, deletes, sending (kept in {@link #sent()}), incremental sync, and scripted failures. Thread-safe.
 * For tests against protocols as Microsoft runs them, use the testkit's local tenant.
 */
public final class InMemoryMailboxConnector implements MailboxConnector {
  private final String mailbox;
  private final Clock clock;
  private final Map<String, List<Stored>> folders = new LinkedHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  private final AtomicLong sequence = new AtomicLong();
  private final List<OutgoingMessage> sent = new ArrayList<>();
  private final Deque<Supplier<? extends MailboxException>> scriptedFailures = new ArrayDeque<>();
  private volatile long generation = 1;
  private volatile int syncCalls;
  private final Deque<Supplier<? extends MailboxException>> changeFailures = new ArrayDeque<>();
  private volatile int changeCalls;

  private static final class Stored {
    final String id;
    final byte[] mime;
    final Instant received;
    final long seq;
    volatile boolean read;

    Stored(String id, byte[] mime, Instant received, long seq, boolean read) {
      this.id = id;
      this.mime = mime;
      this.received = received;
      this.seq = seq;
      this.read = read;
    }
  }

  private InMemoryMailboxConnector(String mailbox, Clock clock) {
    this.mailbox = mailbox;
    this.clock = clock;
    for (WellKnownFolder w : WellKnownFolder.values()) {
      folders.put(w.displayName(), new ArrayList<>());
    }
  }

  public static InMemoryMailboxConnector create(String mailbox) {
    return new InMemoryMailboxConnector(EmailAddress.of(mailbox).normalized(), Clock.systemUTC());
  }

  public static InMemoryMailboxConnector create(String mailbox, Clock clock) {
    return new InMemoryMailboxConnector(EmailAddress.of(mailbox).normalized(), requireNonNull(clock, "clock"));
  }

  // ----- test controls -----

  /** Puts a message into the Inbox, unread. */
  public MessageId deliver(byte[] rfc822) {
    return deliver(FolderRef.INBOX, rfc822);
  }

  public synchronized MessageId deliver(FolderRef folder, byte[] rfc822) {
    String path = pathOf(folder);
    folders.computeIfAbsent(path, p -> new ArrayList<>());
    Stored s = new Stored("mem:" + ids.incrementAndGet(), rfc822.clone(), clock.instant(), sequence.incrementAndGet(), false);
    folders.get(path).add(s);
    return new MessageId(s.id);
  }

  /** Makes the next {@code times} calls to {@link #sync} throw what {@code failure} supplies. */
  public synchronized InMemoryMailboxConnector failNextSyncs(int times, Supplier<? extends MailboxException> failure) {
    for (int i = 0; i < times; i++) {
      scriptedFailures.add(failure);
    }
    return this;
  }

  /**
   * Makes the next {@code times} changes of a message (mark read, move, delete; each message of a bulk call counts)
   * throw what {@code failure} supplies.
   */
  public synchronized InMemoryMailboxConnector failNextChanges(int times,
      Supplier<? extends MailboxException> failure) {
    for (int i = 0; i < times; i++) {
      changeFailures.add(failure);
    }
    return this;
  }

  /** How many times a message was asked to change (mark read, move, delete), failed or not. */
  public int changeCalls() {
    return changeCalls;
  }

  private void changing() {
    changeCalls++;
    Supplier<? extends MailboxException> failure = changeFailures.poll();
    if (failure != null) {
      throw failure.get();
    }
  }

  /** Invalidates every sync state handed out (like an IMAP UIDVALIDITY change): the next sync starts over. */
  public void invalidateSyncStates() {
    generation++;
  }

  /** The messages of a folder, oldest first. */
  public synchronized List<MessageSummary> contents(FolderRef folder) {
    String path = pathOf(folder);
    List<MessageSummary> result = new ArrayList<>();
    for (Stored s : folders.getOrDefault(path, List.of())) {
      result.add(summary(path, s));
    }
    return result;
  }

  public synchronized List<OutgoingMessage> sent() {
    return List.copyOf(sent);
  }

  public int syncCalls() {
    return syncCalls;
  }

  // ----- MailboxConnector -----

  @Override
  public String mailbox() {
    return mailbox;
  }

  @Override
  public Protocol protocol() {
    return Protocol.MEMORY;
  }

  @Override
  public synchronized List<MailFolder> listFolders() {
    List<MailFolder> top = new ArrayList<>();
    for (String path : folders.keySet()) {
      if (!path.contains("/")) {
        top.add(describe(path));
      }
    }
    return top;
  }

  private MailFolder describe(String path) {
    List<MailFolder> children = new ArrayList<>();
    for (String p : folders.keySet()) {
      if (p.startsWith(path + "/") && !p.substring(path.length() + 1).contains("/")) {
        children.add(describe(p));
      }
    }
    List<Stored> messages = folders.get(path);
    WellKnownFolder wellKnown = null;
    for (WellKnownFolder w : WellKnownFolder.values()) {
      if (w.displayName().equals(path)) {
        wellKnown = w;
      }
    }
    return MailFolder.of(path, path, path.substring(path.lastIndexOf('/') + 1), wellKnown, messages.size(),
        messages.stream().filter(m -> !m.read).count(), children);
  }

  @Override
  public synchronized MailFolder folder(FolderRef folder) {
    String path = pathOf(folder);
    if (!folders.containsKey(path)) {
      throw new FolderNotFoundException("no folder " + path + " in " + mailbox, null, null);
    }
    return describe(path);
  }

  @Override
  public synchronized MailFolder createFolder(FolderRef path) {
    String p = pathOf(path);
    String[] parts = p.split("/");
    StringBuilder sb = new StringBuilder();
    for (String part : parts) {
      sb.append(sb.length() == 0 ? "" : "/").append(part);
      folders.computeIfAbsent(sb.toString(), k -> new ArrayList<>());
    }
    return describe(p);
  }

  @Override
  public Paged<MessageSummary> listMessages(FolderRef folder, ListOptions options) {
    List<MessageSummary> all;
    synchronized (this) {
      String path = pathOf(folder);
      if (!folders.containsKey(path)) {
        throw new FolderNotFoundException("no folder " + path + " in " + mailbox, null, null);
      }
      all = new ArrayList<>();
      for (Stored s : folders.get(path)) {
        if (options.unreadOnly() && s.read) {
          continue;
        }
        if (options.receivedSince().isPresent() && s.received.isBefore(options.receivedSince().get())) {
          continue;
        }
        all.add(summary(path, s));
      }
    }
    Comparator<MessageSummary> order = Comparator.comparing(MessageSummary::receivedAt);
    all.sort(options.newestFirst() ? order.reversed() : order);
    int size = options.pageSize();
    return new Paged<>(token -> {
      int from = token.map(Integer::parseInt).orElse(0);
      int to = Math.min(all.size(), from + size);
      return new Page<>(all.subList(from, to), to < all.size() ? Optional.of(Integer.toString(to)) : Optional.empty());
    });
  }

  @Override
  public synchronized MessageSummary message(MessageId id) {
    Located l = locate(id);
    return summary(l.path, l.stored);
  }

  @Override
  public synchronized InputStream openMime(MessageId id) {
    return new ByteArrayInputStream(locate(id).stored.mime);
  }

  @Override
  public List<AttachmentInfo> listAttachments(MessageId id) {
    locate(id);
    return List.of();
  }

  @Override
  public InputStream openAttachment(MessageId id, String attachmentId) {
    throw new MessageNotFoundException("the in-memory connector keeps no attachments apart: " + attachmentId, null, null);
  }

  @Override
  public synchronized void markRead(MessageId id, boolean read) {
    changing();
    locate(id).stored.read = read;
  }

  @Override
  public synchronized MessageId move(MessageId id, FolderRef destination) {
    changing();
    Located l = locate(id);
    String to = pathOf(destination);
    if (!folders.containsKey(to)) {
      throw new FolderNotFoundException("no folder " + to + " in " + mailbox, null, null);
    }
    folders.get(l.path).remove(l.stored);
    Stored moved = new Stored("mem:" + ids.incrementAndGet(), l.stored.mime, l.stored.received, sequence.incrementAndGet(),
        l.stored.read);
    folders.get(to).add(moved);
    return new MessageId(moved.id);
  }

  @Override
  public synchronized void delete(MessageId id, DeleteMode mode) {
    if (mode == DeleteMode.MOVE_TO_DELETED_ITEMS) {
      move(id, FolderRef.DELETED_ITEMS);
    } else {
      changing();
      Located l = locate(id);
      folders.get(l.path).remove(l.stored);
    }
  }

  @Override
  public synchronized void send(OutgoingMessage message) {
    sent.add(requireNonNull(message, "message"));
  }

  @Override
  public SyncBatch sync(FolderRef folder, SyncState state, int maxMessages) {
    syncCalls++;
    Supplier<? extends MailboxException> failure;
    synchronized (this) {
      failure = scriptedFailures.poll();
    }
    if (failure != null) {
      throw failure.get();
    }
    synchronized (this) {
      String path = pathOf(folder);
      List<Stored> list = folders.get(path);
      if (list == null) {
        throw new FolderNotFoundException("no folder " + path + " in " + mailbox, null, null);
      }
      long after;
      boolean resynced = false;
      if (state.isNow()) {
        return new SyncBatch(List.of(), state(sequence.get()), false, false);
      } else if (state.isBeginning()) {
        after = 0;
      } else {
        String[] parts = state.value().split(":");
        if (parts.length != 3 || !parts[0].equals("mem") || Long.parseLong(parts[1]) != generation) {
          after = 0;
          resynced = true;
        } else {
          after = Long.parseLong(parts[2]);
        }
      }
      List<MessageSummary> batch = new ArrayList<>();
      long last = after;
      boolean more = false;
      for (Stored s : list.stream().sorted(Comparator.comparingLong((Stored x) -> x.seq)).toList()) {
        if (s.seq <= after) {
          continue;
        }
        if (batch.size() == maxMessages) {
          more = true;
          break;
        }
        batch.add(summary(path, s));
        last = s.seq;
      }
      return new SyncBatch(batch, state(last), resynced, more);
    }
  }

  private SyncState state(long last) {
    return new SyncState("mem:" + generation + ":" + last);
  }

  @Override
  public ConnectionCheck checkConnection() {
    return ConnectionCheck.ok("in-memory mailbox " + mailbox, java.time.Duration.ZERO);
  }

  @Override
  public void close() {}

  // ----- helpers -----

  private record Located(String path, Stored stored) {}

  private Located locate(MessageId id) {
    for (Map.Entry<String, List<Stored>> f : folders.entrySet()) {
      for (Stored s : f.getValue()) {
        if (s.id.equals(id.value())) {
          return new Located(f.getKey(), s);
        }
      }
    }
    throw new MessageNotFoundException("no message " + id + " in " + mailbox, null, null);
  }

  private static String pathOf(FolderRef folder) {
    if (folder.wellKnown().isPresent()) {
      return folder.wellKnown().get().displayName();
    }
    return folder.path().or(folder::id).orElseThrow();
  }

  private static MessageSummary summary(String path, Stored s) {
    Map<String, String> headers = headers(s.mime);
    EmailAddress from = parseAddress(headers.get("from")).orElse(null);
    List<EmailAddress> to = new ArrayList<>();
    String toHeader = headers.get("to");
    if (toHeader != null) {
      for (String part : toHeader.split(",")) {
        parseAddress(part).ifPresent(to::add);
      }
    }
    return MessageSummary.of(new MessageId(s.id), path, headers.get("message-id"), from, to,
        headers.getOrDefault("subject", ""), s.received, s.mime.length, false, s.read);
  }

  private static Map<String, String> headers(byte[] mime) {
    Map<String, String> headers = new LinkedHashMap<>();
    String text = new String(mime, StandardCharsets.UTF_8);
    String name = null;
    StringBuilder value = new StringBuilder();
    for (String line : text.split("\r?\n", -1)) {
      if (line.isEmpty()) {
        break;
      }
      if ((line.startsWith(" ") || line.startsWith("\t")) && name != null) {
        value.append(' ').append(line.trim());
        continue;
      }
      if (name != null) {
        headers.putIfAbsent(name, value.toString());
      }
      int colon = line.indexOf(':');
      if (colon <= 0) {
        name = null;
        continue;
      }
      name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      value = new StringBuilder(line.substring(colon + 1).trim());
    }
    if (name != null) {
      headers.putIfAbsent(name, value.toString());
    }
    return headers;
  }

  private static Optional<EmailAddress> parseAddress(String text) {
    if (text == null || text.isBlank()) {
      return Optional.empty();
    }
    String t = text.trim();
    int lt = t.indexOf('<');
    int gt = t.indexOf('>');
    try {
      if (lt >= 0 && gt > lt) {
        String name = t.substring(0, lt).trim().replaceAll("^\"|\"$", "");
        return Optional.of(EmailAddress.of(t.substring(lt + 1, gt), name.isEmpty() ? null : name));
      }
      return Optional.of(EmailAddress.of(t));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  @Override
  public String toString() {
    return "InMemoryMailboxConnector[" + mailbox + "]";
  }
}
