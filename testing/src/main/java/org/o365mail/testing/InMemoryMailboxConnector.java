package org.o365mail.testing;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
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
 * flags, moves, deletes, sending (kept in {@link #sent()}, with a copy in Sent Items when asked), incremental sync,
 * attachments (read from the MIME as the IMAP connector reads them) and scripted failures. It passes {@link
 * MailboxConnectorContract} like the SDK's connectors. For tests against the protocols as Microsoft runs them, use
 * the testkit's local tenant.
 *
 * <pre>{@code
 * InMemoryMailboxConnector mailbox = InMemoryMailboxConnector.builder()
 *     .mailbox("invoices@contoso.com")
 *     .clock(testClock)                                   // stamps delivered messages
 *     .build();
 * MessageId id = mailbox.deliver(FolderRef.INBOX, rfc822, receivedAt, false);
 * mailbox.failNextSyncs(1, () -> new MailboxException("service unavailable"));
 * runTheImport(mailbox);
 * assertTrue(mailbox.message(id).read());
 * }</pre>
 *
 * <p>Thread-safe: every method may be called from any thread. Closing it makes the connector's methods throw
 * {@link IllegalStateException}, as the SDK's connectors do; the test controls go on working.
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
  private volatile boolean closed;

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

  /** A builder; {@link Builder#mailbox(String)} is required. */
  public static Builder builder() {
    return new Builder();
  }

  /** An empty mailbox {@code mailbox} on the system clock: {@code builder().mailbox(mailbox).build()}. */
  public static InMemoryMailboxConnector create(String mailbox) {
    return builder().mailbox(mailbox).build();
  }

  // ----- test controls -----

  /** Puts a message into the Inbox, unread. */
  public MessageId deliver(byte[] rfc822) {
    return deliver(FolderRef.INBOX, rfc822);
  }

  /** Puts a message into {@code folder} (created if missing), unread, received now by the builder's clock. */
  public MessageId deliver(FolderRef folder, byte[] rfc822) {
    return deliver(folder, rfc822, clock.instant(), false);
  }

  /**
   * Puts a message into {@code folder} (created if missing) as if it had arrived at {@code receivedAt}, marked read
   * when {@code read}. Works after {@link #close()} too, like a delivery to the mailbox.
   */
  public synchronized MessageId deliver(FolderRef folder, byte[] rfc822, Instant receivedAt, boolean read) {
    requireNonNull(rfc822, "rfc822");
    requireNonNull(receivedAt, "receivedAt");
    String path = pathOf(requireNonNull(folder, "folder"));
    folders.computeIfAbsent(path, p -> new ArrayList<>());
    Stored s = new Stored("mem:" + ids.incrementAndGet(), rfc822.clone(), receivedAt, sequence.incrementAndGet(), read);
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

  /** What {@link #send} was given, in order. */
  public synchronized List<OutgoingMessage> sent() {
    return List.copyOf(sent);
  }

  /** How many times {@link #sync} was called past its argument checks, failed or not. */
  public int syncCalls() {
    return syncCalls;
  }

  // ----- MailboxConnector -----

  @Override
  public String mailbox() {
    return mailbox;
  }

  /** {@code memory}. */
  @Override
  public Protocol protocol() {
    return Protocol.MEMORY;
  }

  @Override
  public synchronized List<MailFolder> listFolders() {
    open();
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
    requireNonNull(folder, "folder");
    open();
    return describe(existing(folder));
  }

  @Override
  public synchronized MailFolder createFolder(FolderRef path) {
    requireNonNull(path, "path");
    open();
    String p = pathOf(path);
    String[] parts = p.split("/");
    StringBuilder sb = new StringBuilder();
    for (String part : parts) {
      sb.append(sb.length() == 0 ? "" : "/").append(part);
      folders.computeIfAbsent(sb.toString(), k -> new ArrayList<>());
    }
    return describe(p);
  }

  /** Pages are cut from the folder as it is when each is fetched, like a service's offset paging. */
  @Override
  public Paged<MessageSummary> listMessages(FolderRef folder, ListOptions options) {
    requireNonNull(folder, "folder");
    requireNonNull(options, "options");
    open();
    return new Paged<>(token -> {
      List<MessageSummary> all = matching(folder, options);
      int from = token.map(Integer::parseInt).orElse(0);
      int to = Math.min(all.size(), from + options.pageSize());
      return new Page<>(all.subList(Math.min(from, to), to),
          to < all.size() ? Optional.of(Integer.toString(to)) : Optional.empty());
    });
  }

  private synchronized List<MessageSummary> matching(FolderRef folder, ListOptions options) {
    open();
    String path = existing(folder);
    List<MessageSummary> all = new ArrayList<>();
    for (Stored s : folders.get(path)) {
      if (options.unreadOnly() && s.read) {
        continue;
      }
      if (options.receivedSince().isPresent() && s.received.isBefore(options.receivedSince().get())) {
        continue;
      }
      all.add(summary(path, s));
    }
    Comparator<MessageSummary> order = Comparator.comparing(MessageSummary::receivedAt);
    all.sort(options.newestFirst() ? order.reversed() : order);
    return all;
  }

  @Override
  public synchronized MessageSummary message(MessageId id) {
    requireNonNull(id, "id");
    open();
    Located l = locate(id);
    return summary(l.path, l.stored);
  }

  @Override
  public synchronized InputStream openMime(MessageId id) {
    requireNonNull(id, "id");
    open();
    return new ByteArrayInputStream(locate(id).stored.mime);
  }

  /**
   * The parts of the message's MIME that the IMAP connector would list as attachments, with their IMAP section
   * numbers as ids.
   */
  @Override
  public synchronized List<AttachmentInfo> listAttachments(MessageId id) {
    requireNonNull(id, "id");
    open();
    return MimeParts.attachments(locate(id).stored.mime).stream().map(MimeParts.Attachment::info).toList();
  }

  /** An attachment's decoded content. */
  @Override
  public synchronized InputStream openAttachment(MessageId id, String attachmentId) {
    requireNonNull(id, "id");
    requireNonNull(attachmentId, "attachmentId");
    open();
    return MimeParts.attachment(locate(id).stored.mime, attachmentId)
        .map(a -> new ByteArrayInputStream(a.content()))
        .orElseThrow(() -> new MessageNotFoundException("no attachment " + attachmentId + " in message " + id, null,
            null));
  }

  @Override
  public synchronized void markRead(MessageId id, boolean read) {
    requireNonNull(id, "id");
    open();
    changing();
    locate(id).stored.read = read;
  }

  @Override
  public synchronized MessageId move(MessageId id, FolderRef destination) {
    requireNonNull(id, "id");
    requireNonNull(destination, "destination");
    open();
    changing();
    Located l = locate(id);
    String to = existing(destination);
    folders.get(l.path).remove(l.stored);
    Stored moved = new Stored("mem:" + ids.incrementAndGet(), l.stored.mime, l.stored.received, sequence.incrementAndGet(),
        l.stored.read);
    folders.get(to).add(moved);
    return new MessageId(moved.id);
  }

  @Override
  public synchronized void delete(MessageId id, DeleteMode mode) {
    requireNonNull(id, "id");
    requireNonNull(mode, "mode");
    open();
    if (mode == DeleteMode.MOVE_TO_DELETED_ITEMS) {
      move(id, FolderRef.DELETED_ITEMS);
    } else {
      changing();
      Located l = locate(id);
      folders.get(l.path).remove(l.stored);
    }
  }

  /**
   * Keeps the message in {@link #sent()} and, when {@link OutgoingMessage#saveToSentItems()}, a copy (read) in Sent
   * Items, as Exchange does. Nothing is delivered, not even to this mailbox.
   */
  @Override
  public synchronized void send(OutgoingMessage message) {
    requireNonNull(message, "message");
    open();
    sent.add(message);
    if (message.saveToSentItems()) {
      String messageId = "<mem-" + ids.incrementAndGet() + "@" + mailbox.substring(mailbox.indexOf('@') + 1) + ">";
      deliver(FolderRef.SENT_ITEMS, MimeText.render(message, mailbox, messageId), clock.instant(), true);
    }
  }

  @Override
  public SyncBatch sync(FolderRef folder, SyncState state, int maxMessages) {
    requireNonNull(folder, "folder");
    requireNonNull(state, "state");
    if (maxMessages < 1) {
      throw new IllegalArgumentException("maxMessages must be at least 1, was " + maxMessages);
    }
    open();
    Supplier<? extends MailboxException> failure;
    synchronized (this) {
      syncCalls++;
      failure = scriptedFailures.poll();
    }
    if (failure != null) {
      throw failure.get();
    }
    synchronized (this) {
      String path = existing(folder);
      List<Stored> list = folders.get(path);
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
    open();
    return ConnectionCheck.ok("in-memory mailbox " + mailbox, java.time.Duration.ZERO);
  }

  /**
   * Closes the connector: later calls of {@link MailboxConnector} methods throw {@link IllegalStateException}, as the
   * SDK's connectors do. The test controls ({@link #deliver}, {@link #contents}, {@link #sent()}) go on working.
   */
  @Override
  public void close() {
    closed = true;
  }

  private void open() {
    if (closed) {
      throw new IllegalStateException("the connector for " + mailbox + " is closed");
    }
  }

  private String existing(FolderRef folder) {
    String path = pathOf(folder);
    if (!folders.containsKey(path)) {
      throw new FolderNotFoundException("no folder " + path + " in " + mailbox, null, null);
    }
    return path;
  }

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
    Map<String, String> headers = MimeText.headers(s.mime);
    EmailAddress from = MimeText.address(headers.get("from")).orElse(null);
    List<EmailAddress> to = new ArrayList<>();
    String toHeader = headers.get("to");
    if (toHeader != null) {
      for (String part : toHeader.split(",")) {
        MimeText.address(part).ifPresent(to::add);
      }
    }
    return MessageSummary.of(new MessageId(s.id), path, headers.get("message-id"), from, to,
        headers.getOrDefault("subject", ""), s.received, s.mime.length, !MimeParts.attachments(s.mime).isEmpty(),
        s.read);
  }

  @Override
  public String toString() {
    return "InMemoryMailboxConnector[" + mailbox + "]";
  }

  /**
   * Builds an {@link InMemoryMailboxConnector}. Required: {@link #mailbox(String)}. Default: the system clock, which
   * stamps delivered messages. Not thread-safe; the connectors it builds are.
   */
  public static final class Builder {
    private String mailbox;
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /** The mailbox's address, such as {@code box@contoso.com}. */
    public Builder mailbox(String value) {
      this.mailbox = EmailAddress.of(requireNonNull(value, "mailbox")).normalized();
      return this;
    }

    /** The clock that stamps {@link #deliver(byte[]) delivered} messages as received. */
    public Builder clock(Clock value) {
      this.clock = requireNonNull(value, "clock");
      return this;
    }

    /** A new, empty mailbox with the well-known folders. */
    public InMemoryMailboxConnector build() {
      if (mailbox == null) {
        throw new IllegalStateException("missing required setting: mailbox()");
      }
      return new InMemoryMailboxConnector(mailbox, clock);
    }
  }
}
