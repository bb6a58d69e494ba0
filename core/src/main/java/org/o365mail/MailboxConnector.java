package org.o365mail;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One Microsoft 365 mailbox, whatever the protocol (Microsoft Graph or IMAP). Products program against this
 * interface; no Graph, MSAL or Jakarta Mail type appears in it. Implementations are built with their builders,
 * are thread-safe, and must be closed. Methods block; call them from your own threads.
 *
 * <pre>{@code
 * try (MailboxConnector inbox = GraphMailboxConnector.builder()
 *     .mailbox("invoices@contoso.com")
 *     .credential(credential)
 *     .build()) {
 *   for (MessageSummary m : inbox.listMessages(FolderRef.INBOX, ListOptions.defaults().unreadOnly(true))) {
 *     try (InputStream mime = inbox.openMime(m.id())) {
 *       store(m, mime);
 *     }
 *     inbox.markRead(m.id(), true);
 *   }
 * }
 * }</pre>
 *
 * <p>Failures are unchecked: {@link MailboxAuthenticationException} (token or permission, with the setup
 * step), {@link ThrottledException} (the service's wait outlasted the retry budget), {@link
 * FolderNotFoundException}, {@link MessageNotFoundException}, and {@link MailboxException} for the rest.
 */
public interface MailboxConnector extends AutoCloseable {

  /** The mailbox address this connector reaches. */
  String mailbox();

  /** The protocol this connector speaks. */
  Protocol protocol();

  // ----- folders -----

  /** The top-level folders, each with its subfolders. */
  List<MailFolder> listFolders();

  /**
   * Resolves a well-known folder, a path such as {@code Inbox/Invoices}, or an id.
   *
   * @throws FolderNotFoundException if there is no such folder
   */
  MailFolder folder(FolderRef folder);

  /** Creates a folder (and missing parents); returns the existing one if it is there already. */
  MailFolder createFolder(FolderRef path);

  // ----- messages -----

  /** Messages of a folder, newest first, fetched page by page. */
  default Paged<MessageSummary> listMessages(FolderRef folder) {
    return listMessages(folder, ListOptions.defaults());
  }

  Paged<MessageSummary> listMessages(FolderRef folder, ListOptions options);

  /**
   * The summary of one message.
   *
   * @throws MessageNotFoundException if it no longer exists
   */
  MessageSummary message(MessageId id);

  /**
   * The raw MIME (RFC 822) of a message as a stream read from the service as it is consumed, never held whole
   * in memory. Close it.
   */
  InputStream openMime(MessageId id);

  /** Copies the raw MIME to {@code out}; returns the bytes copied. */
  default long writeMime(MessageId id, OutputStream out) {
    try (InputStream in = openMime(id)) {
      return in.transferTo(out);
    } catch (IOException e) {
      throw new MailboxException("reading the MIME of message " + id + " failed", e);
    }
  }

  /**
   * Summaries of many messages, in as few requests as the protocol allows (Graph: {@code $batch}); messages that
   * no longer exist are left out of the map. Iteration order follows {@code ids}.
   */
  default Map<MessageId, MessageSummary> messages(Collection<MessageId> ids) {
    Map<MessageId, MessageSummary> found = new LinkedHashMap<>();
    for (MessageId id : ids) {
      try {
        found.put(id, message(id));
      } catch (MessageNotFoundException e) {
        // left out, as documented
      }
    }
    return found;
  }

  /** Receives one message's MIME in {@link #forEachMime}; the stream is valid only during the call. */
  @FunctionalInterface
  interface MimeConsumer {
    void accept(MessageSummary message, InputStream mime) throws IOException;
  }

  /**
   * Hands the raw MIME of each message to {@code consumer}, on the calling thread and in the order given, fetching
   * ahead and in as few requests as the protocol allows (Graph: small messages by {@code $batch}, large ones
   * streamed). A message that no longer exists throws {@link MessageNotFoundException} when its turn comes.
   *
   * @param messages read as the fetch needs them: a list, or a whole folder's {@link #listMessages listing} (with
   *     {@link ListOptions#readAhead(boolean)} its next page comes while this one's messages are read)
   */
  default void forEachMime(Iterable<MessageSummary> messages, MimeConsumer consumer) {
    for (MessageSummary m : messages) {
      try (InputStream in = openMime(m.id())) {
        consumer.accept(m, in);
      } catch (IOException e) {
        throw streamFailure("handing over the MIME of message " + m.id(), e);
      }
    }
  }

  List<AttachmentInfo> listAttachments(MessageId id);

  /** One attachment's decoded content, streamed. Close it. */
  InputStream openAttachment(MessageId id, String attachmentId);

  // ----- actions -----

  void markRead(MessageId id, boolean read);

  /** Marks many messages at once (in as few requests as the protocol allows). */
  default void markRead(Collection<MessageId> ids, boolean read) {
    for (MessageId id : ids) {
      markRead(id, read);
    }
  }

  /**
   * Moves a message.
   *
   * @return its id in the destination folder
   */
  MessageId move(MessageId id, FolderRef destination);

  /** Moves many messages; returns old id to new id. */
  default Map<MessageId, MessageId> move(Collection<MessageId> ids, FolderRef destination) {
    Map<MessageId, MessageId> moved = new LinkedHashMap<>();
    for (MessageId id : ids) {
      moved.put(id, move(id, destination));
    }
    return moved;
  }

  void delete(MessageId id, DeleteMode mode);

  /** Sends a message from this mailbox (or the one in {@link OutgoingMessage#from()}). */
  void send(OutgoingMessage message);

  // ----- incremental sync -----

  /**
   * New messages of a folder since {@code state}, oldest first, at most {@code maxMessages}, with the state to
   * store once they are handled. {@link SyncState#BEGINNING} returns what is already there; {@link
   * SyncState#NOW} returns nothing and a state from which only later arrivals are returned.
   */
  SyncBatch sync(FolderRef folder, SyncState state, int maxMessages);

  /**
   * Waits until the folder may have changed (IMAP IDLE), at most {@code timeout}; returns at once for protocols
   * without push, leaving the caller to poll. Returns whether a change was signalled.
   */
  default boolean awaitChanges(FolderRef folder, Duration timeout) {
    return false;
  }

  // ----- health -----

  /**
   * The cheapest calls that prove the token, its permissions and access to the mailbox (a token, then a
   * folder lookup); never throws for those failures but reports them with their diagnosis.
   */
  ConnectionCheck checkConnection();

  @Override
  void close();

  /** Wraps an I/O failure of a stream handed out by a connector. */
  static MailboxException streamFailure(String what, IOException e) {
    return new MailboxException(what + " failed: " + e.getClass().getSimpleName(), new UncheckedIOException(e));
  }
}
