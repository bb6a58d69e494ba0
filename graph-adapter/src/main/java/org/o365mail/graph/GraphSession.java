package org.o365mail.graph;

import com.microsoft.graph.serviceclient.GraphServiceClient;
import com.microsoft.graph.users.item.messages.item.MessageItemRequestBuilder;
import org.o365mail.MessageId;
import org.o365mail.graph.internal.Batcher;
import org.o365mail.graph.internal.Folders;
import org.o365mail.graph.internal.GraphErrors;
import org.o365mail.graph.internal.GraphTransport;
import org.o365mail.graph.internal.Paths;

/**
 * What the parts of one {@link GraphMailboxConnector} share: its mailbox, the transport every request passes, the
 * Graph client over it, the error mapping, {@code $batch} and the folder cache. Immutable; its parts are thread-safe.
 */
record GraphSession(String mailbox, GraphTransport transport, GraphServiceClient graph, GraphErrors errors,
    Batcher batcher, Folders folders) {
  /** Every request asks for immutable ids. */
  static final String PREFER_IMMUTABLE = "IdType=\"ImmutableId\"";

  /** The Graph client's request builder for one message of the mailbox. */
  MessageItemRequestBuilder message(MessageId id) {
    return graph.users().byUserId(mailbox).messages().byMessageId(id.value());
  }

  /** A message's path relative to the base URL, for {@code $batch} items. */
  String messageUrl(MessageId id) {
    return "/users/" + Paths.segment(mailbox) + "/messages/" + Paths.segment(id.value());
  }
}
