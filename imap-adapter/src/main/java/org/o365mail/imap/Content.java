package org.o365mail.imap;

import static java.util.Objects.requireNonNull;
import static org.o365mail.imap.Uids.summaries;

import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeUtility;
import java.io.InputStream;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.eclipse.angus.mail.iap.ByteArray;
import org.eclipse.angus.mail.imap.protocol.BODYSTRUCTURE;
import org.eclipse.angus.mail.imap.protocol.FetchResponse;
import org.o365mail.AttachmentInfo;
import org.o365mail.MessageId;
import org.o365mail.MessageSummary;
import org.o365mail.imap.internal.BodyCursor;
import org.o365mail.imap.internal.BodyStream;
import org.o365mail.imap.internal.ImapIds;
import org.o365mail.imap.internal.MailboxSession;
import org.o365mail.imap.internal.Pii;
import org.o365mail.imap.internal.Summaries;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a message holds: its summary, its MIME (from {@link ReadAhead}'s one streamed FETCH per batch, or in partial
 * fetches growing from 256 KB to 8 MB) and its attachments (from BODYSTRUCTURE, streamed and decoded). Thread-safe.
 */
final class Content {
  private static final Logger logger = LoggerFactory.getLogger(Content.class);
  private final MailboxFolders access;
  private final String mailbox;
  private final MailboxSession session;
  private final boolean logPii;
  private final Renumbering renumbering;
  private final ReadAhead readAhead;
  private final KnownMessageIds handedOut;

  Content(MailboxFolders access, Renumbering renumbering, ReadAhead readAhead, KnownMessageIds handedOut) {
    this.access = access;
    this.mailbox = access.mailbox;
    this.session = access.session;
    this.logPii = access.logPii;
    this.renumbering = renumbering;
    this.readAhead = readAhead;
    this.handedOut = handedOut;
  }
  private static final int FIRST_CHUNK = 256 * 1024;
  private static final int MAX_CHUNK = 8 * 1024 * 1024;

  MessageSummary message(MessageId id) {
    ImapIds.Ref ref = ImapIds.parse(id);
    return session.call("UID FETCH summary", c -> {
      ImapIds.Ref now = renumbering.current(c, ref);
      List<MessageSummary> found = summaries(c, now.path(), now.uidValidity(), new long[] {now.uid()});
      if (found.isEmpty()) {
        throw renumbering.notFound(ref, null);
      }
      handedOut.remember(found);
      return found.get(0);
    });
  }

  InputStream openMime(MessageId id) {
    ImapIds.Ref asked = ImapIds.parse(id);
    // after a renumbering found it again: its planned and held content moved with it (see findAgain)
    ImapIds.Ref ref = handedOut.foundAgain(asked).orElse(asked);
    Optional<ByteArray> held = readAhead.take(new ReadAhead.Key(ref.path(), ref.uidValidity(), ref.uid()));
    if (held.isPresent()) {
      return held.get().toByteArrayInputStream();
    }
    Optional<ByteArray> streamed = session.callKeepingCursor("UID FETCH BODY.PEEK[] of planned messages", c -> {
      BodyCursor cursor = c.cursor();
      ImapIds.Ref at = ref;
      if (cursor == null || !cursor.covers(at.path(), at.uidValidity(), at.uid())) {
        if (readAhead.cursorFor(new ReadAhead.Key(at.path(), at.uidValidity(), at.uid())).length == 0) {
          return Optional.<ByteArray>empty();
        }
        c.settle();
        at = renumbering.current(c, at); // where it is now, the plan moved along if the folder was renumbered meanwhile
        long[] planned = readAhead.cursorFor(new ReadAhead.Key(at.path(), at.uidValidity(), at.uid()));
        if (planned.length == 0) {
          return Optional.<ByteArray>empty();
        }
        String path = at.path();
        long validity = at.uidValidity();
        cursor = BodyCursor.start(c, path, validity, planned,
            (uid, bytes) -> readAhead.hold(new ReadAhead.Key(path, validity, uid), bytes));
        logger.debug("imap {}: streaming {} planned messages of {} in one FETCH", Pii.mailbox(mailbox, logPii),
            planned.length, path);
      }
      return Optional.ofNullable(cursor.next(at.uid()));
    });
    if (streamed.isPresent()) {
      return streamed.get().toByteArrayInputStream();
    }
    return openPart(ref, "", "message " + id);
  }

  BodyStream openPart(ImapIds.Ref ref, String section, String what) {
    BodyStream.ChunkSource source = (offset, size) -> session.call("UID FETCH BODY.PEEK[" + section + "] partial",
        c -> {
          ByteArray bytes = c.fetchPartial(renumbering.current(c, ref).uid(), section, offset, size);
          if (bytes == null && offset == 0) {
            throw renumbering.notFound(ref, null);
          }
          return bytes;
        });
    ByteArray first = source.read(0, FIRST_CHUNK);
    session.streamOpened(); // the connection is not taken by the cap on open connections while the stream is read
    return new BodyStream(source, what, first, FIRST_CHUNK, MAX_CHUNK, session::streamReleased);
  }

  List<AttachmentInfo> listAttachments(MessageId id) {
    ImapIds.Ref ref = ImapIds.parse(id);
    return Summaries.attachments(structure(ref));
  }

  BODYSTRUCTURE structure(ImapIds.Ref ref) {
    return session.call("UID FETCH BODYSTRUCTURE", c -> {
      long uid = renumbering.current(c, ref).uid();
      for (FetchResponse f : c.uidFetch(Long.toString(uid), "(UID BODYSTRUCTURE)")) {
        BODYSTRUCTURE bs = f.getItem(BODYSTRUCTURE.class);
        if (Summaries.uid(f) == uid && bs != null) {
          return bs;
        }
      }
      throw renumbering.notFound(ref, null);
    });
  }

  InputStream openAttachment(MessageId id, String attachmentId) {
    ImapIds.Ref ref = ImapIds.parse(id);
    requireNonNull(attachmentId, "attachmentId");
    BODYSTRUCTURE part = Summaries.part(structure(ref), attachmentId);
    if (part == null || part.isMulti()) {
      throw new IllegalArgumentException("message " + id + " has no attachment '" + attachmentId + "'");
    }
    BodyStream raw = openPart(ref, attachmentId, "attachment " + attachmentId + " of message " + id);
    String encoding = part.encoding == null ? "7bit" : part.encoding.toLowerCase(Locale.ROOT);
    try {
      return MimeUtility.decode(raw, encoding);
    } catch (MessagingException e) {
      // an encoding Angus does not know: hand the bytes out as they are
      return raw;
    }
  }
}
