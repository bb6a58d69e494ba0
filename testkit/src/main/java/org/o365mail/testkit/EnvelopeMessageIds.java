package org.o365mail.testkit;

import com.icegreen.greenmail.store.MailMessageAttributes;
import com.icegreen.greenmail.store.SimpleMessageAttributes;
import com.icegreen.greenmail.store.StoredMessage;
import jakarta.mail.MessagingException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Keeps the Message-ID in GreenMail's IMAP ENVELOPE the header's, byte for byte. GreenMail (2.1) builds a
 * message's ENVELOPE afresh on every FETCH, and quotes the Message-ID by writing the escaped text back into the
 * message's attributes ({@code messageID[0] = escapeHeader(messageID[0])}): each FETCH ENVELOPE escaped it once more,
 * so a Message-ID holding {@code \} or {@code "} came back with more backslashes every time it was fetched, and an
 * importer keyed on it imported the message again after a resume. Before GreenMail reads a message for a FETCH, its
 * Message-ID is put back from the stored MIME header (which GreenMail never changes); one without {@code \} or
 * {@code "} is left alone, as escaping does not change it. Attached messages' envelopes, which BODYSTRUCTURE shows,
 * are kept the same way.
 *
 * <p>Two sessions fetching the same message at the very same moment may still see it escaped twice, as GreenMail
 * escapes outside any lock; the tests that matter read a message from one session at a time.
 */
final class EnvelopeMessageIds {
  /** GreenMail's private {@code SimpleMessageAttributes.messageID}, or null when this GreenMail has none. */
  private static final VarHandle MESSAGE_ID = messageIdHandle();

  /** How deep attached messages are followed: a bound, not a limit real mail reaches. */
  private static final int MAX_DEPTH = 32;

  /** Attached messages' Message-IDs that need quoting, as first seen (before any FETCH could escape them). */
  private static final Map<SimpleMessageAttributes, String> NESTED = Collections.synchronizedMap(new WeakHashMap<>());

  private EnvelopeMessageIds() {}

  private static VarHandle messageIdHandle() {
    try {
      return MethodHandles.privateLookupIn(SimpleMessageAttributes.class, MethodHandles.lookup())
          .findVarHandle(SimpleMessageAttributes.class, "messageID", String[].class);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null; // another GreenMail: the envelope test tells whether it still needs this
    }
  }

  /** Puts the message's Message-ID back as its header has it, when GreenMail may have escaped it; and its parts'. */
  static StoredMessage restore(StoredMessage message) {
    if (message == null || MESSAGE_ID == null) {
      return message;
    }
    MailMessageAttributes attributes = message.getAttributes();
    if (!(attributes instanceof SimpleMessageAttributes top)) {
      return message;
    }
    String[] current = (String[]) MESSAGE_ID.getVolatile(top);
    if (current != null && current.length > 0 && needsQuoting(current[0])) {
      try {
        String[] header = message.getMimeMessage().getHeader("Message-ID");
        if (header != null && header.length > 0 && !header[0].equals(current[0])) {
          MESSAGE_ID.setVolatile(top, header); // a fresh array: GreenMail escapes into it, not into the header
        }
      } catch (MessagingException e) {
        // a header that does not parse is left as GreenMail has it
      }
    }
    restoreParts(top.parts, 0);
    return message;
  }

  /**
   * The same for attached messages (message/rfc822), whose envelopes BODYSTRUCTURE shows and GreenMail escapes the
   * same way: their Message-IDs as first seen here, before any FETCH, are kept (only those that need quoting).
   */
  private static void restoreParts(MailMessageAttributes[] parts, int depth) {
    if (parts == null || depth > MAX_DEPTH) {
      return;
    }
    for (MailMessageAttributes part : parts) {
      if (part instanceof SimpleMessageAttributes p) {
        String[] current = (String[]) MESSAGE_ID.getVolatile(p);
        if (current != null && current.length > 0 && needsQuoting(current[0])) {
          String original = NESTED.computeIfAbsent(p, k -> current[0]);
          if (!original.equals(current[0])) {
            MESSAGE_ID.setVolatile(p, new String[] {original});
          }
        }
        restoreParts(p.parts, depth + 1);
      }
    }
  }

  private static boolean needsQuoting(String s) {
    return s != null && (s.indexOf('\\') >= 0 || s.indexOf('"') >= 0);
  }
}
