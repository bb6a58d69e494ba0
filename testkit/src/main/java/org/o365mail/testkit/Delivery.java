package org.o365mail.testkit;

import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Where submitted mail goes, for SMTP and Graph alike: into the Inbox of every recipient the local tenant
 * holds, into the sender's Sent Items when asked, and onto the outbound list for everyone else.
 */
final class Delivery {
  private final Directory directory;
  private final List<OutboundMessage> outbound = new CopyOnWriteArrayList<>();

  Delivery(Directory directory) {
    this.directory = directory;
  }

  /**
   * Delivers one submitted message.
   *
   * @param sender the authenticated sending mailbox
   * @param recipients envelope recipients (To, Cc and Bcc)
   * @param rfc822 the message as submitted
   * @param saveToSentItems whether a copy goes to the sender's Sent Items (read)
   */
  void deliver(String sender, List<String> recipients, byte[] rfc822, boolean saveToSentItems) {
    Instant now = directory.clock().instant();
    List<String> external = new ArrayList<>();
    for (String recipient : recipients) {
      Optional<Mailbox> mailbox = directory.mailbox(recipient);
      if (mailbox.isPresent()) {
        mailbox.get().deliver("Inbox", rfc822, false, now);
      } else {
        external.add(recipient);
      }
    }
    if (saveToSentItems) {
      directory.mailbox(sender).ifPresent(m -> m.deliver("Sent Items", rfc822, true, now));
    }
    if (!external.isEmpty()) {
      MimeMessage parsed = MailStore.parse(rfc822);
      String subject = "";
      String messageId = "";
      try {
        subject = Optional.ofNullable(parsed.getSubject()).orElse("");
        messageId = Optional.ofNullable(parsed.getMessageID()).orElse("");
      } catch (MessagingException e) {
        // headers that do not parse are reported as absent
      }
      outbound.add(new OutboundMessage(sender, external, subject, messageId, now, rfc822.length));
    }
  }

  List<OutboundMessage> outbound() {
    return List.copyOf(outbound);
  }
}
