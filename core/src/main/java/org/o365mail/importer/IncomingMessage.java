package org.o365mail.importer;

import java.io.InputStream;
import java.util.List;
import org.o365mail.AttachmentInfo;
import org.o365mail.FolderRef;
import org.o365mail.MessageSummary;

/**
 * A message handed to a {@link MessageHandler}: its summary, a stable idempotency key, and its MIME and
 * attachments as streams read from the service on demand.
 */
public interface IncomingMessage {
  MessageSummary summary();

  /**
   * The same for every delivery of this message: its {@code Message-ID} plus the connector's immutable id
   * (Graph) or UIDVALIDITY/UID (IMAP). Use it to make the product's import idempotent.
   */
  String idempotencyKey();

  String mailbox();

  FolderRef folder();

  /** The raw MIME, streamed; close it. */
  InputStream openMime();

  List<AttachmentInfo> attachments();

  InputStream openAttachment(String attachmentId);

  /** 1 for the first call of this delivery, 2 and more for retries after the handler threw. */
  int attempt();

  /**
   * True when this message was handed out before and the process stopped before its checkpoint was written:
   * the product may already hold it (check the idempotency key).
   */
  boolean possibleRedelivery();
}
