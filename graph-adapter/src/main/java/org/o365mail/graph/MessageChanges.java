package org.o365mail.graph;

import static java.util.Objects.requireNonNull;

import com.microsoft.graph.models.Message;
import com.microsoft.graph.models.odataerrors.ODataError;
import com.microsoft.graph.users.item.messages.item.move.MovePostRequestBody;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.o365mail.DeleteMode;
import org.o365mail.FolderRef;
import org.o365mail.MessageId;
import org.o365mail.graph.internal.Batcher;
import org.o365mail.graph.internal.GraphCall;
import org.o365mail.graph.internal.GraphCall.Access;
import org.o365mail.graph.internal.GraphErrors;
import org.o365mail.graph.internal.GraphErrors.Target;

/**
 * What changes messages: marking read, moving (one, or many in {@code $batch}es of twenty) and deleting, to Deleted
 * Items or permanently (plain delete where {@code permanentDelete} is not offered). Thread-safe.
 */
final class MessageChanges {
  private final GraphSession session;

  MessageChanges(GraphSession session) {
    this.session = session;
  }

  void markRead(MessageId id, boolean read) {
    requireNonNull(id, "id");
    Message patch = new Message();
    patch.setIsRead(read);
    try {
      session.message(id).patch(patch, rc -> {
        rc.options.add(GraphCall.WRITE);
        rc.headers.add("Prefer", GraphSession.PREFER_IMMUTABLE);
      });
    } catch (RuntimeException e) {
      throw session.errors().map(e, Target.MESSAGE, "marking message " + id + (read ? " read" : " unread"),
          Access.WRITE);
    }
  }

  void markRead(Collection<MessageId> ids, boolean read) {
    List<MessageId> list = List.copyOf(new LinkedHashSet<>(ids));
    List<Batcher.Item> items = new ArrayList<>();
    for (MessageId id : list) {
      items.add(new Batcher.Item("PATCH", session.messageUrl(id), "{\"isRead\":" + read + "}"));
    }
    List<Batcher.Result> results = session.batcher().run(items, Access.WRITE, true);
    for (int i = 0; i < list.size(); i++) {
      if (!results.get(i).ok()) {
        throw session.errors().map(results.get(i).failure(), Target.MESSAGE, "marking message " + list.get(i)
            + (read ? " read" : " unread"), Access.WRITE, null);
      }
    }
  }

  MessageId move(MessageId id, FolderRef destination) {
    requireNonNull(id, "id");
    String target = session.folders().resolve(requireNonNull(destination, "destination")).id();
    return moveTo(id, target, "moving message " + id + " to " + destination);
  }

  private MessageId moveTo(MessageId id, String folderId, String what) {
    MovePostRequestBody body = new MovePostRequestBody();
    body.setDestinationId(folderId);
    try {
      Message moved = session.message(id).move().post(body, rc -> {
        rc.options.add(GraphCall.WRITE);
        rc.headers.add("Prefer", GraphSession.PREFER_IMMUTABLE);
      });
      return new MessageId(moved.getId());
    } catch (RuntimeException e) {
      throw session.errors().map(e, Target.MESSAGE, what, Access.WRITE);
    }
  }

  Map<MessageId, MessageId> move(Collection<MessageId> ids, FolderRef destination) {
    String target = session.folders().resolve(requireNonNull(destination, "destination")).id();
    List<MessageId> list = List.copyOf(new LinkedHashSet<>(ids));
    List<Batcher.Item> items = new ArrayList<>();
    for (MessageId id : list) {
      items.add(new Batcher.Item("POST", session.messageUrl(id) + "/move",
          "{\"destinationId\":" + Batcher.quote(target) + "}"));
    }
    List<Batcher.Result> results = session.batcher().run(items, Access.WRITE, true);
    Map<MessageId, MessageId> moved = new LinkedHashMap<>();
    for (int i = 0; i < list.size(); i++) {
      Batcher.Result r = results.get(i);
      if (!r.ok() || r.body() == null || r.body().getChildNode("id") == null) {
        throw session.errors().map(r.failure(), Target.MESSAGE, "moving message " + list.get(i) + " to "
            + destination, Access.WRITE, null);
      }
      moved.put(list.get(i), new MessageId(r.body().getChildNode("id").getStringValue()));
    }
    return moved;
  }

  void delete(MessageId id, DeleteMode mode) {
    requireNonNull(id, "id");
    requireNonNull(mode, "mode");
    if (mode == DeleteMode.MOVE_TO_DELETED_ITEMS) {
      moveTo(id, "deleteditems", "deleting message " + id);
      return;
    }
    try {
      session.message(id).permanentDelete().post(rc -> rc.options.add(GraphCall.WRITE));
    } catch (ODataError e) {
      int status = e.getResponseStatusCode();
      String code = e.getError() == null || e.getError().getCode() == null ? "" : e.getError().getCode();
      boolean unavailable = status == 405 || status == 501
          || status == 400 && !code.startsWith("ErrorItem") && !GraphErrors.isForeignOrMalformedId(code)
          || status == 404 && !code.equals("ErrorItemNotFound")
              && !code.equals("ErrorInvalidUser");
      if (!unavailable) {
        throw session.errors().map(e, Target.MESSAGE, "deleting message " + id + " permanently", Access.WRITE);
      }
      try {
        session.message(id).delete(rc -> rc.options.add(GraphCall.WRITE));
      } catch (RuntimeException e2) {
        throw session.errors().map(e2, Target.MESSAGE, "deleting message " + id, Access.WRITE);
      }
    } catch (RuntimeException e) {
      throw session.errors().map(e, Target.MESSAGE, "deleting message " + id + " permanently", Access.WRITE);
    }
  }
}
