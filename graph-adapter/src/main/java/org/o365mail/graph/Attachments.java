package org.o365mail.graph;

import static java.util.Objects.requireNonNull;

import com.microsoft.graph.models.Attachment;
import com.microsoft.graph.models.AttachmentCollectionResponse;
import com.microsoft.graph.models.odataerrors.ODataError;
import com.microsoft.kiota.HttpMethod;
import com.microsoft.kiota.RequestInformation;
import com.microsoft.kiota.serialization.Parsable;
import com.microsoft.kiota.serialization.ParsableFactory;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.o365mail.AttachmentInfo;
import org.o365mail.MailboxException;
import org.o365mail.MessageId;
import org.o365mail.graph.internal.GraphCall;
import org.o365mail.graph.internal.GraphCall.Access;
import org.o365mail.graph.internal.GraphErrors.Target;
import org.o365mail.graph.internal.PagingGuard;
import org.o365mail.graph.internal.StalledBodies;

/** A message's attachments: listed page by page, each one's content streamed. Thread-safe. */
final class Attachments {
  private final GraphSession session;

  Attachments(GraphSession session) {
    this.session = session;
  }

  List<AttachmentInfo> list(MessageId id) {
    requireNonNull(id, "id");
    List<AttachmentInfo> out = new ArrayList<>();
    try {
      AttachmentCollectionResponse page = session.message(id).attachments().get(rc -> {
        rc.queryParameters.select = new String[] {"id", "name", "contentType", "size", "isInline"};
        rc.options.add(GraphCall.READ);
        rc.headers.add("Prefer", GraphSession.PREFER_IMMUTABLE);
      });
      PagingGuard paging = new PagingGuard("the listing of attachments of message " + id);
      while (page != null) {
        paging.page(page.getValue() == null ? 0 : page.getValue().size(), page.getOdataNextLink());
        if (page.getValue() != null) {
          for (Attachment a : page.getValue()) {
            out.add(new AttachmentInfo(a.getId(), a.getName(), a.getContentType(),
                a.getSize() == null ? -1 : a.getSize(),
                Boolean.TRUE.equals(a.getIsInline())));
          }
        }
        if (page.getOdataNextLink() == null) {
          break;
        }
        page = session.message(id).attachments().withUrl(page.getOdataNextLink())
            .get(rc -> rc.options.add(GraphCall.READ));
      }
    } catch (RuntimeException e) {
      throw session.errors().map(e, Target.MESSAGE, "listing the attachments of message " + id, Access.READ);
    }
    return out;
  }

  InputStream open(MessageId id, String attachmentId) {
    requireNonNull(id, "id");
    requireNonNull(attachmentId, "attachmentId");
    Map<String, Object> path = new HashMap<>();
    path.put("user%2Did", session.mailbox());
    path.put("message%2Did", id.value());
    path.put("attachment%2Did", attachmentId);
    RequestInformation info = new RequestInformation(HttpMethod.GET,
        "{+baseurl}/users/{user%2Did}/messages/{message%2Did}/attachments/{attachment%2Did}/$value", path);
    info.headers.add("Accept", "application/octet-stream");
    info.headers.add("Prefer", GraphSession.PREFER_IMMUTABLE);
    info.addRequestOptions(List.of(GraphCall.READ));
    try {
      InputStream in = session.transport().adapter().sendPrimitive(info, odataErrors(), InputStream.class);
      if (in == null) {
        throw new MailboxException("Graph sent no content for attachment " + attachmentId + " of message " + id);
      }
      return StalledBodies.guard(in, "attachment " + attachmentId + " of message " + id,
          session.transport().timeout());
    } catch (RuntimeException e) {
      throw session.errors().map(e, Target.MESSAGE, "reading attachment " + attachmentId + " of message " + id,
          Access.READ);
    }
  }

  private static HashMap<String, ParsableFactory<? extends Parsable>> odataErrors() {
    HashMap<String, ParsableFactory<? extends Parsable>> map = new HashMap<>();
    map.put("XXX", ODataError::createFromDiscriminatorValue);
    return map;
  }
}
