package org.o365mail.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.o365mail.testkit.internal.HttpExchange;

/**
 * What one Graph request (or one {@code $batch} item) answers: a status, headers, and a JSON body, a streamed
 * body, or none. Streamed bodies ({@code $value}) go straight to the socket for a plain request and are
 * buffered only when a {@code $batch} has to embed them.
 */
final class GraphResponse {
  final int status;
  final Map<String, String> headers = new LinkedHashMap<>();
  final JsonNode json;
  final String contentType;
  final HttpExchange.BodyWriter writer;
  private final List<Runnable> whenDone = new ArrayList<>();

  private GraphResponse(int status, JsonNode json, String contentType, HttpExchange.BodyWriter writer) {
    this.status = status;
    this.json = json;
    this.contentType = contentType;
    this.writer = writer;
  }

  static GraphResponse json(int status, JsonNode body) {
    return new GraphResponse(status, body, "application/json; charset=utf-8", null);
  }

  static GraphResponse empty(int status) {
    return new GraphResponse(status, null, null, null);
  }

  static GraphResponse stream(int status, String contentType, HttpExchange.BodyWriter writer) {
    return new GraphResponse(status, null, contentType, writer);
  }

  GraphResponse header(String name, String value) {
    headers.put(name, value);
    return this;
  }

  /** Runs {@code action} once the response has been written (a throttle slot is held until then). */
  synchronized void whenDone(Runnable action) {
    whenDone.add(action);
  }

  /** The response is written (or embedded in a batch): runs the {@link #whenDone} actions, once. */
  synchronized void done() {
    for (Runnable action : whenDone) {
      action.run();
    }
    whenDone.clear();
  }
}
