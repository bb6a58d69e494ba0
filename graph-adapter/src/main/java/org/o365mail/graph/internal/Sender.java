package org.o365mail.graph.internal;

import com.microsoft.graph.models.AttachmentItem;
import com.microsoft.graph.models.AttachmentType;
import com.microsoft.graph.models.BodyType;
import com.microsoft.graph.models.FileAttachment;
import com.microsoft.graph.models.ItemBody;
import com.microsoft.graph.models.Message;
import com.microsoft.graph.models.Recipient;
import com.microsoft.graph.models.UploadSession;
import com.microsoft.graph.serviceclient.GraphServiceClient;
import com.microsoft.graph.users.item.messages.item.attachments.createuploadsession.CreateUploadSessionPostRequestBody;
import com.microsoft.graph.users.item.sendmail.SendMailPostRequestBody;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.o365mail.EmailAddress;
import org.o365mail.MailboxConnector;
import org.o365mail.MailboxException;
import org.o365mail.OutgoingAttachment;
import org.o365mail.OutgoingMessage;
import org.o365mail.graph.internal.GraphCall.Access;
import org.o365mail.graph.internal.GraphErrors.Target;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends an {@link OutgoingMessage}: in one {@code sendMail} when the whole request stays under 3 MB, otherwise as
 * a draft whose small attachments are added directly and large ones through upload sessions (sequential PUTs of
 * under 4 MiB read from {@link OutgoingAttachment#open()}, to a pre-authenticated URL that never gets the token),
 * then {@code send}. A draft left behind by a failure is deleted. Thread-safe.
 */
public final class Sender {
  private static final Logger logger = LoggerFactory.getLogger(Sender.class);
  /** Graph's limit for attachments in one request, and for a sendMail request as a whole (with some margin). */
  static final long DIRECT_LIMIT = 3L * 1024 * 1024;
  /** Upload fragment: ten times 320 KiB, under Graph's 4 MiB. */
  static final int CHUNK = 10 * 320 * 1024;
  private static final MediaType OCTETS = MediaType.get("application/octet-stream");

  private final GraphTransport transport;
  private final GraphServiceClient graph;
  private final String user;
  private final GraphErrors errors;

  public Sender(GraphTransport transport, String user, GraphErrors errors) {
    this.transport = transport;
    this.graph = transport.client();
    this.user = user;
    this.errors = errors;
  }

  public void send(OutgoingMessage m) {
    long estimate = m.body().length() * 3L + 4096;
    for (OutgoingAttachment a : m.attachments()) {
      estimate += (a.size() + 2) / 3 * 4 + 512;
    }
    if (estimate < DIRECT_LIMIT) {
      sendDirect(m);
    } else {
      sendThroughDraft(m);
    }
  }

  private void sendDirect(OutgoingMessage m) {
    Message message = message(m);
    List<com.microsoft.graph.models.Attachment> attachments = new ArrayList<>();
    for (OutgoingAttachment a : m.attachments()) {
      attachments.add(fileAttachment(a));
    }
    message.setAttachments(attachments);
    SendMailPostRequestBody body = new SendMailPostRequestBody();
    body.setMessage(message);
    body.setSaveToSentItems(m.saveToSentItems());
    try {
      graph.users().byUserId(user).sendMail().post(body, rc -> rc.options.add(GraphCall.SEND));
    } catch (RuntimeException e) {
      throw mapSend(e, Target.MAILBOX, "sending '" + m.subject() + "'", Access.SEND, m);
    }
  }

  private void sendThroughDraft(OutgoingMessage m) {
    Message draft;
    try {
      draft = graph.users().byUserId(user).messages().post(message(m), rc -> rc.options.add(GraphCall.WRITE_ONCE));
    } catch (RuntimeException e) {
      throw mapSend(e, Target.MAILBOX, "creating a draft of '" + m.subject() + "'", Access.WRITE, m);
    }
    String id = draft.getId();
    boolean sent = false;
    try {
      for (OutgoingAttachment a : m.attachments()) {
        if (a.size() < DIRECT_LIMIT) {
          try {
            graph.users().byUserId(user).messages().byMessageId(id).attachments().post(fileAttachment(a),
                rc -> rc.options.add(GraphCall.WRITE_ONCE));
          } catch (RuntimeException e) {
            throw mapSend(e, Target.MESSAGE, "attaching " + a.name(), Access.WRITE, m);
          }
        } else {
          upload(id, a);
        }
      }
      try {
        graph.users().byUserId(user).messages().byMessageId(id).send().post(rc -> rc.options.add(GraphCall.SEND));
      } catch (RuntimeException e) {
        throw mapSend(e, Target.MESSAGE, "sending '" + m.subject() + "'", Access.SEND, m);
      }
      sent = true;
    } finally {
      if (!sent) {
        try {
          graph.users().byUserId(user).messages().byMessageId(id).delete(rc -> rc.options.add(GraphCall.WRITE));
        } catch (RuntimeException e) {
          logger.debug("graph: could not delete the draft left by a failed send: {}", e.getClass().getSimpleName());
        }
      }
    }
  }

  private void upload(String messageId, OutgoingAttachment a) {
    AttachmentItem item = new AttachmentItem();
    item.setAttachmentType(AttachmentType.File);
    item.setName(a.name());
    item.setSize(a.size());
    item.setContentType(a.contentType());
    CreateUploadSessionPostRequestBody body = new CreateUploadSessionPostRequestBody();
    body.setAttachmentItem(item);
    UploadSession session;
    try {
      session = graph.users().byUserId(user).messages().byMessageId(messageId).attachments().createUploadSession()
          .post(body, rc -> rc.options.add(GraphCall.WRITE_ONCE));
    } catch (RuntimeException e) {
      throw errors.map(e, Target.MESSAGE, "starting the upload of " + a.name(), Access.WRITE);
    }
    URI url = URI.create(session.getUploadUrl());
    if (!"https".equalsIgnoreCase(url.getScheme())) {
      throw new MailboxException("Graph handed out an upload URL that is not HTTPS; refusing to upload " + a.name());
    }
    long total = a.size();
    byte[] buffer = new byte[(int) Math.min(CHUNK, Math.max(1, total))];
    try (InputStream in = a.open()) {
      long offset = 0;
      while (offset < total) {
        int n = in.readNBytes(buffer, 0, (int) Math.min(buffer.length, total - offset));
        if (n <= 0) {
          throw new MailboxException("attachment " + a.name() + " ended after " + offset + " of its " + total + " bytes");
        }
        byte[] chunk = n == buffer.length ? buffer : java.util.Arrays.copyOf(buffer, n);
        Request put = new Request.Builder()
            .url(session.getUploadUrl())
            .put(RequestBody.create(chunk, OCTETS))
            .header("Content-Range", "bytes " + offset + "-" + (offset + n - 1) + "/" + total)
            .tag(GraphCall.class, GraphCall.UPLOAD)
            .build();
        try (Response r = transport.http().newCall(put).execute()) {
          if (!r.isSuccessful()) {
            String text = r.body() == null ? "" : r.body().string();
            String code = text.replaceAll("(?s).*\"code\"\\s*:\\s*\"([^\"]*)\".*", "$1");
            throw errors.map(new GraphErrors.Failure(r.code(), code.equals(text) ? Integer.toString(r.code()) : code, "",
                r.header("request-id"), r.header("client-request-id"),
                Governor.retryAfter(r.header("Retry-After")).orElse(null)), Target.MESSAGE, "uploading " + a.name(),
                Access.WRITE, null);
          }
        }
        offset += n;
      }
    } catch (IOException e) {
      throw MailboxConnector.streamFailure("uploading attachment " + a.name(), e);
    }
  }

  /** {@link GraphErrors#map}, with the message's From for the refusals of a submission (Send As, MaxSendSize). */
  private MailboxException mapSend(RuntimeException e, Target target, String what, Access access, OutgoingMessage m) {
    Optional<GraphErrors.Failure> failure = GraphErrors.failureOf(e);
    if (failure.isPresent()) {
      Optional<MailboxException> refused = errors.sendRefusal(failure.get(), what,
          m.from().map(EmailAddress::address), e);
      if (refused.isPresent()) {
        return refused.get();
      }
    }
    return errors.map(e, target, what, access);
  }

  private static FileAttachment fileAttachment(OutgoingAttachment a) {
    FileAttachment f = new FileAttachment();
    f.setOdataType("#microsoft.graph.fileAttachment");
    f.setName(a.name());
    f.setContentType(a.contentType());
    try (InputStream in = a.open()) {
      f.setContentBytes(in.readAllBytes());
    } catch (IOException e) {
      throw MailboxConnector.streamFailure("reading attachment " + a.name(), e);
    }
    return f;
  }

  private Message message(OutgoingMessage m) {
    Message message = new Message();
    message.setSubject(m.subject());
    ItemBody body = new ItemBody();
    body.setContentType(m.html() ? BodyType.Html : BodyType.Text);
    body.setContent(m.body());
    message.setBody(body);
    message.setToRecipients(recipients(m.to()));
    message.setCcRecipients(recipients(m.cc()));
    message.setBccRecipients(recipients(m.bcc()));
    if (!m.replyTo().isEmpty()) {
      message.setReplyTo(recipients(m.replyTo()));
    }
    m.from().ifPresent(f -> message.setFrom(recipient(f)));
    return message;
  }

  private static List<Recipient> recipients(List<EmailAddress> list) {
    List<Recipient> out = new ArrayList<>();
    for (EmailAddress a : list) {
      out.add(recipient(a));
    }
    return out;
  }

  private static Recipient recipient(EmailAddress a) {
    com.microsoft.graph.models.EmailAddress e = new com.microsoft.graph.models.EmailAddress();
    e.setAddress(a.address());
    a.displayName().ifPresent(e::setName);
    Recipient r = new Recipient();
    r.setEmailAddress(e);
    return r;
  }
}
