package org.o365mail;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What a listing says about a message, without its body. Immutable.
 *
 * @param id the connector's id
 * @param folder the folder path it was listed in
 * @param internetMessageId the {@code Message-ID} header, when the message has one
 * @param from the sender, when known
 * @param to the To recipients
 * @param subject the subject ({@code ""} when none)
 * @param receivedAt when the mailbox received it
 * @param size size of the MIME message in bytes, when the service says
 * @param hasAttachments whether it has attachments
 * @param read whether it is marked read
 */
public record MessageSummary(MessageId id, String folder, Optional<String> internetMessageId,
    Optional<EmailAddress> from, List<EmailAddress> to, String subject, Instant receivedAt, OptionalLong size,
    boolean hasAttachments, boolean read) {
  public MessageSummary {
    requireNonNull(id, "id");
    requireNonNull(folder, "folder");
    requireNonNull(internetMessageId, "internetMessageId");
    requireNonNull(from, "from");
    requireNonNull(receivedAt, "receivedAt");
    requireNonNull(size, "size");
    to = List.copyOf(to);
    subject = subject == null ? "" : subject;
  }

  /**
   * For connectors: a summary from what a service returns, {@code null} (or a negative size) where it says
   * nothing.
   */
  public static MessageSummary of(MessageId id, String folder, String internetMessageId, EmailAddress from,
      List<EmailAddress> to, String subject, Instant receivedAt, long size, boolean hasAttachments, boolean read) {
    return new MessageSummary(id, folder, Optional.ofNullable(internetMessageId), Optional.ofNullable(from), to,
        subject, receivedAt, size < 0 ? OptionalLong.empty() : OptionalLong.of(size), hasAttachments, read);
  }

  @Override
  public String toString() {
    return "MessageSummary[id=" + id + ", folder=" + folder + ", internetMessageId=" + internetMessageId.orElse(null)
        + ", from=" + from.orElse(null) + ", to=" + to + ", subject=" + subject + ", receivedAt=" + receivedAt
        + ", size=" + size.orElse(-1) + ", hasAttachments=" + hasAttachments + ", read=" + read + "]";
  }
}
