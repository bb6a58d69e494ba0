package org.o365mail.micrometer;

import io.micrometer.core.instrument.Tags;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.o365mail.AttachmentInfo;
import org.o365mail.ConnectionCheck;
import org.o365mail.DeleteMode;
import org.o365mail.FolderRef;
import org.o365mail.ListOptions;
import org.o365mail.MailFolder;
import org.o365mail.MailboxConnector;
import org.o365mail.MessageId;
import org.o365mail.MessageSummary;
import org.o365mail.OutgoingMessage;
import org.o365mail.Paged;
import org.o365mail.Protocol;
import org.o365mail.SyncBatch;
import org.o365mail.SyncState;

/**
 * A connector whose calls are timed by {@link O365MailMetrics#recordRequest}, each under its method's name, on the
 * registry's clock. Every call goes to the wrapped connector, including those the interface has defaults for (the
 * wrapped one may do them in fewer requests). Thread-safe as the wrapped connector is.
 */
final class TimedConnector implements MailboxConnector {
  private final MailboxConnector delegate;
  private final O365MailMetrics metrics;
  /** The protocol and mailbox tags, the same for every call. */
  private final Tags tags;

  TimedConnector(MailboxConnector delegate, O365MailMetrics metrics) {
    this.delegate = delegate;
    this.metrics = metrics;
    this.tags = Tags.of("protocol", delegate.protocol().id()).and(metrics.mailboxTags(delegate.mailbox()));
  }

  private <T> T timed(String operation, Supplier<T> call) {
    if (!metrics.bound()) {
      return call.get();
    }
    long start = metrics.registry().config().clock().monotonicTime();
    try {
      T result = call.get();
      metrics.recordRequest(tags, operation, elapsed(start), null);
      return result;
    } catch (RuntimeException | Error e) {
      metrics.recordRequest(tags, operation, elapsed(start), e);
      throw e;
    }
  }

  private void timedVoid(String operation, Runnable call) {
    timed(operation, () -> {
      call.run();
      return null;
    });
  }

  private long elapsed(long start) {
    var r = metrics.registry();
    return r == null ? 0 : r.config().clock().monotonicTime() - start;
  }

  @Override
  public String mailbox() {
    return delegate.mailbox();
  }

  @Override
  public Protocol protocol() {
    return delegate.protocol();
  }

  @Override
  public List<MailFolder> listFolders() {
    return timed("listFolders", delegate::listFolders);
  }

  @Override
  public MailFolder folder(FolderRef folder) {
    return timed("folder", () -> delegate.folder(folder));
  }

  @Override
  public MailFolder createFolder(FolderRef path) {
    return timed("createFolder", () -> delegate.createFolder(path));
  }

  @Override
  public Paged<MessageSummary> listMessages(FolderRef folder) {
    return timed("listMessages", () -> delegate.listMessages(folder));
  }

  @Override
  public Paged<MessageSummary> listMessages(FolderRef folder, ListOptions options) {
    return timed("listMessages", () -> delegate.listMessages(folder, options));
  }

  @Override
  public MessageSummary message(MessageId id) {
    return timed("message", () -> delegate.message(id));
  }

  @Override
  public Map<MessageId, MessageSummary> messages(Collection<MessageId> ids) {
    return timed("messages", () -> delegate.messages(ids));
  }

  @Override
  public InputStream openMime(MessageId id) {
    return timed("openMime", () -> delegate.openMime(id));
  }

  @Override
  public long writeMime(MessageId id, OutputStream out) {
    return timed("writeMime", () -> delegate.writeMime(id, out));
  }

  @Override
  public void forEachMime(Iterable<MessageSummary> messages, MimeConsumer consumer) {
    timedVoid("forEachMime", () -> delegate.forEachMime(messages, consumer));
  }

  @Override
  public List<AttachmentInfo> listAttachments(MessageId id) {
    return timed("listAttachments", () -> delegate.listAttachments(id));
  }

  @Override
  public InputStream openAttachment(MessageId id, String attachmentId) {
    return timed("openAttachment", () -> delegate.openAttachment(id, attachmentId));
  }

  @Override
  public void markRead(MessageId id, boolean read) {
    timedVoid("markRead", () -> delegate.markRead(id, read));
  }

  @Override
  public void markRead(Collection<MessageId> ids, boolean read) {
    timedVoid("markRead", () -> delegate.markRead(ids, read));
  }

  @Override
  public MessageId move(MessageId id, FolderRef destination) {
    return timed("move", () -> delegate.move(id, destination));
  }

  @Override
  public Map<MessageId, MessageId> move(Collection<MessageId> ids, FolderRef destination) {
    return timed("move", () -> delegate.move(ids, destination));
  }

  @Override
  public void delete(MessageId id, DeleteMode mode) {
    timedVoid("delete", () -> delegate.delete(id, mode));
  }

  @Override
  public void send(OutgoingMessage message) {
    timedVoid("send", () -> delegate.send(message));
  }

  @Override
  public SyncBatch sync(FolderRef folder, SyncState state, int maxMessages) {
    return timed("sync", () -> delegate.sync(folder, state, maxMessages));
  }

  /** Not timed: it waits for the service to report a change, as long as {@code timeout}. */
  @Override
  public boolean awaitChanges(FolderRef folder, Duration timeout) {
    return delegate.awaitChanges(folder, timeout);
  }

  @Override
  public ConnectionCheck checkConnection() {
    return timed("checkConnection", delegate::checkConnection);
  }

  /** Closes the wrapped connector; with a mailbox tag, its meters leave the registry. */
  @Override
  public void close() {
    try {
      delegate.close();
    } finally {
      metrics.removeMailboxMeters("o365mail.connector.", delegate.mailbox());
    }
  }

  @Override
  public String toString() {
    return "Timed" + delegate;
  }
}
