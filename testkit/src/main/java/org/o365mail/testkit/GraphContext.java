package org.o365mail.testkit;

import java.util.Optional;

/**
 * One authorised request on one mailbox: the request, who calls, the mailbox, and what the token allows
 * there ({@link #basicOnly}: {@code Mail.ReadBasic} without {@code Mail.Read}, so no bodies, MIME or
 * attachments). Not thread-safe: one per request.
 */
final class GraphContext {
  final GraphRequest request;
  final GraphServer.Caller caller;
  final Mailbox mailbox;
  final String address;
  final boolean immutableIds;
  boolean basicOnly;
  /**
   * Whether messages carry {@code singleValueExtendedProperties} with the message size ({@code Integer 0x0E08},
   * PidTagMessageSize), asked for with {@code $expand}; a delta round keeps what its first request asked.
   */
  boolean expandSize;

  GraphContext(GraphRequest request, GraphServer.Caller caller, Mailbox mailbox) {
    this.request = request;
    this.caller = caller;
    this.mailbox = mailbox;
    this.address = mailbox.address();
    this.immutableIds = request.prefers("IdType=\"ImmutableId\"");
    this.expandSize = ODataQuery.expandsSize(request.option("$expand").orElse(null));
  }

  /** {@code https://host:port/v1.0}, with the host the client used. */
  String base() {
    return request.origin + "/v1.0";
  }

  /** Body content type the client asked for with {@code Prefer: outlook.body-content-type}. */
  Optional<String> preferredBodyType() {
    if (request.prefers("outlook.body-content-type=\"text\"")) {
      return Optional.of("text");
    }
    if (request.prefers("outlook.body-content-type=\"html\"")) {
      return Optional.of("html");
    }
    return Optional.empty();
  }
}
