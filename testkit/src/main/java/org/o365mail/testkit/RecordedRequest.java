package org.o365mail.testkit;

import java.time.Instant;
import java.util.Map;

/**
 * A request one of the local tenant's servers answered, for tests that count or inspect traffic. Holds no
 * secret, password or token: only what identifies the request.
 *
 * @param service {@code identity}, {@code graph}, {@code imap} or {@code smtp}
 * @param method HTTP method, or the IMAP/SMTP command
 * @param path request path (HTTP) or the mailbox (IMAP/SMTP)
 * @param attributes what else identifies it: {@code grant_type}, {@code client_id}, {@code scope}, {@code tenant}
 *     for the identity endpoint; {@code mailbox}, {@code appid}, {@code batchItem} ({@code true} for an item of a
 *     {@code $batch}, which is not an HTTP request of its own) and {@code connection} (the client port of the TCP
 *     connection, empty for a batch item) for Graph
 * @param status HTTP status, or 0 for OK / 1 for a failure on IMAP and SMTP
 * @param errorCode {@code AADSTS7000215}, a Graph error code, or empty
 * @param at tenant clock time of the answer
 */
public record RecordedRequest(
    String service,
    String method,
    String path,
    Map<String, String> attributes,
    int status,
    String errorCode,
    Instant at) {

  public RecordedRequest {
    attributes = Map.copyOf(attributes);
  }

  public String attribute(String name) {
    return attributes.getOrDefault(name, "");
  }
}
