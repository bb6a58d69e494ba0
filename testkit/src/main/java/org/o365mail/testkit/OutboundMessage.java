package org.o365mail.testkit;

import java.time.Instant;
import java.util.List;

/**
 * A message sent (over SMTP or Graph) to recipients that no mailbox of the local tenant holds: what would
 * have left Exchange Online for the internet.
 *
 * @param sender the sending mailbox
 * @param recipients the envelope recipients outside the local tenant
 * @param subject the subject, or empty
 * @param internetMessageId the {@code Message-ID}, or empty
 * @param sentAt tenant clock time of submission
 * @param size size of the MIME message in bytes
 */
public record OutboundMessage(
    String sender, List<String> recipients, String subject, String internetMessageId, Instant sentAt, long size) {
  public OutboundMessage {
    recipients = List.copyOf(recipients);
  }
}
