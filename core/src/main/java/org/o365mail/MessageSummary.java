package org.o365mail;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What a listing says about a message, without its body.
 *
 * @param id the connector's id
 * @param folder the folder path it was listed in
 * @param internetMessageId the {@code Message-ID} header, or {@code null}
 * @param from the sender, or {@code null}
 * @param to the To recipients
 * @param subject the subject ({@code ""} when none)
 * @param receivedAt when the mailbox received it
 * @param size size of the MIME message in bytes, or -1 when the service does not say
 * @param hasAttachments whether it has attachments
 * @param read whether it is marked read
 */
public record MessageSummary(MessageId id, String folder, String internetMessageId, EmailAddress from,
    List<EmailAddress> to, String subject, Instant receivedAt, long size, boolean hasAttachments, boolean read) {
  public MessageSummary {
    requireNonNull(id, "id");
    requireNonNull(folder, "folder");
    requireNonNull(receivedAt, "receivedAt");
    to = List.copyOf(to);
    subject = subject == null ? "" : subject;
  }

  public Optional<String> internetMessageIdOptional() {
    return Optional.ofNullable(internetMessageId);
  }

  public Optional<EmailAddress> sender() {
    return Optional.ofNullable(from);
  }

  public OptionalLong sizeIfKnown() {
    return size < 0 ? OptionalLong.empty() : OptionalLong.of(size);
  }
}
