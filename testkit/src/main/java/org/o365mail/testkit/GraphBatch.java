package org.o365mail.testkit;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializable;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.jsontype.TypeSerializer;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.o365mail.testkit.internal.Json;

/**
 * JSON batching ({@code POST /v1.0/$batch}): at most {@link #MAX_REQUESTS} requests, each run through the same
 * dispatcher as a plain request with the batch's {@code Authorization} (so each is authorised, throttled and
 * recorded on its own), at most {@link #PARALLELISM} at a time as Outlook does, {@code dependsOn} honoured (424
 * when a dependency failed). JSON bodies are embedded as JSON; other bodies (MIME from {@code $value}) as base64
 * strings, or text bodies as the raw string, as {@link Faults#graphBatchBodies(BatchBodies)} says (sources on {@link
 * BatchBodies}); request bodies with a non-JSON {@code Content-Type} are read as base64, as Graph specifies.
 * Thread-safe.
 */
final class GraphBatch {
  static final int MAX_REQUESTS = 20;
  static final int PARALLELISM = 4;

  private final GraphServer server;
  private final AtomicInteger threads = new AtomicInteger();

  /** One request of a batch, as parsed. */
  private record Item(
      String id, String method, String url, Map<String, String> headers, JsonNode body, List<String> dependsOn) {}

  /** A body that is not JSON, as Graph sends it: a base64 string (encoded by the JDK, faster than Jackson's). */
  private record Base64Body(byte[] encoded) implements JsonSerializable {
    @Override
    public void serialize(JsonGenerator gen, SerializerProvider serializers) throws IOException {
      gen.writeRawUTF8String(encoded, 0, encoded.length); // base64 needs no escaping
    }

    @Override
    public void serializeWithType(JsonGenerator gen, SerializerProvider serializers, TypeSerializer typeSer)
        throws IOException {
      serialize(gen, serializers);
    }
  }

  /** One answer of a batch. */
  private record Result(String id, int status, ObjectNode json) {}

  /**
   * How one item's non-JSON body is written ({@link Faults#graphBatchBodies(BatchBodies)}): as raw text when it is
   * text, base64 in the URL alphabet, and {@code body} before {@code headers}.
   */
  private record Shape(boolean rawText, boolean urlAlphabet, boolean bodyFirst) {
    static final Shape BASE64 = new Shape(false, false, false);
    static final Shape RAW_TEXT = new Shape(true, false, true);
  }

  GraphBatch(GraphServer server) {
    this.server = server;
  }

  GraphResponse handle(GraphRequest outer) throws GraphError {
    JsonNode requests = outer.json().get("requests");
    if (requests == null || !requests.isArray() || requests.isEmpty()) {
      throw GraphError.badRequest("Invalid batch payload format: 'requests' must be a non-empty array.");
    }
    if (requests.size() > MAX_REQUESTS) {
      throw GraphError.badRequest(
          "The batch has " + requests.size() + " requests; the limit is " + MAX_REQUESTS + " requests per batch.");
    }
    Map<String, Item> items = new LinkedHashMap<>();
    for (JsonNode r : requests) {
      Item item = parse(r);
      if (items.putIfAbsent(item.id(), item) != null) {
        throw GraphError.badRequest("Invalid batch payload format: the request id '" + item.id() + "' is used twice.");
      }
    }
    for (Item item : items.values()) {
      for (String dependency : item.dependsOn()) {
        if (!items.containsKey(dependency)) {
          throw GraphError.badRequest(
              "Invalid batch payload format: request '" + item.id() + "' depends on '" + dependency
                  + "', which is not in the batch.");
        }
      }
    }
    checkNoCycle(items);
    Map<String, Shape> shapes = shapes(items);
    if (isChain(items)) {
      return answer(inOrder(items, outer, shapes));
    }
    ExecutorService pool =
        Executors.newFixedThreadPool(
            PARALLELISM,
            r -> {
              Thread t = new Thread(r, "testkit-graph-batch-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    try {
      Map<String, CompletableFuture<Result>> futures = new LinkedHashMap<>();
      for (Item item : items.values()) {
        schedule(item, items, futures, pool, outer, shapes);
      }
      List<Result> results = new ArrayList<>();
      for (String id : items.keySet()) {
        results.add(futures.get(id).join());
      }
      return answer(results);
    } finally {
      pool.shutdownNow();
    }
  }

  private static GraphResponse answer(List<Result> results) {
    ArrayNode responses = Json.array();
    results.forEach(r -> responses.add(r.json()));
    ObjectNode body = Json.object();
    body.set("responses", responses);
    return GraphResponse.json(200, body);
  }

  /**
   * Each item's body shape, drawn in request order on the request's thread (the items then run in parallel), so that
   * the same seed and the same requests give the same shapes.
   */
  private Map<String, Shape> shapes(Map<String, Item> items) {
    Faults faults = server.directory().faults();
    BatchBodies mode = faults.graphBatchBodies();
    Map<String, Shape> shapes = new LinkedHashMap<>();
    for (String id : items.keySet()) {
      shapes.put(id, switch (mode) {
        case BASE64 -> Shape.BASE64;
        case RAW_TEXT -> Shape.RAW_TEXT;
        case MIXED -> new Shape(faults.nextInt(2) == 0, faults.nextInt(2) == 0, faults.nextInt(2) == 0);
      });
    }
    return shapes;
  }

  /** Whether each request but the first depends on exactly the one before it: they run one at a time, in order. */
  private static boolean isChain(Map<String, Item> items) {
    String previous = null;
    for (Item item : items.values()) {
      if (previous == null ? !item.dependsOn().isEmpty() : !item.dependsOn().equals(List.of(previous))) {
        return false;
      }
      previous = item.id();
    }
    return items.size() > 1;
  }

  /** Runs a chain on the request's own thread (as Graph would, one after another); after a failure, 424s. */
  private List<Result> inOrder(Map<String, Item> items, GraphRequest outer, Map<String, Shape> shapes) {
    List<Result> results = new ArrayList<>();
    boolean failed = false;
    for (Item item : items.values()) {
      Result r = failed ? failedDependency(item) : run(item, outer, shapes.get(item.id()));
      failed = r.status() < 200 || r.status() >= 300;
      results.add(r);
    }
    return results;
  }

  private static Item parse(JsonNode r) throws GraphError {
    String id = r.path("id").asText("");
    String method = r.path("method").asText("");
    String url = r.path("url").asText("");
    if (!r.isObject() || id.isEmpty() || method.isEmpty() || url.isEmpty()) {
      throw GraphError.badRequest("Invalid batch payload format: every request needs an id, a method and a url.");
    }
    Map<String, String> headers = new LinkedHashMap<>();
    r.path("headers").properties().forEach(e -> headers.put(e.getKey(), e.getValue().asText()));
    List<String> dependsOn = new ArrayList<>();
    r.path("dependsOn").forEach(d -> dependsOn.add(d.asText()));
    JsonNode body = r.get("body");
    JsonNode content = body == null || body.isNull() ? null : body;
    return new Item(id, method.toUpperCase(Locale.ROOT), url, headers, content, dependsOn);
  }

  private static void checkNoCycle(Map<String, Item> items) throws GraphError {
    Set<String> done = new HashSet<>();
    for (String id : items.keySet()) {
      visit(id, items, new HashSet<>(), done);
    }
  }

  private static void visit(String id, Map<String, Item> items, Set<String> path, Set<String> done) throws GraphError {
    if (done.contains(id)) {
      return;
    }
    if (!path.add(id)) {
      throw GraphError.badRequest("Invalid batch payload format: the dependsOn of request '" + id + "' form a cycle.");
    }
    for (String dependency : items.get(id).dependsOn()) {
      visit(dependency, items, path, done);
    }
    path.remove(id);
    done.add(id);
  }

  private CompletableFuture<Result> schedule(
      Item item, Map<String, Item> items, Map<String, CompletableFuture<Result>> futures, ExecutorService pool,
      GraphRequest outer, Map<String, Shape> shapes) {
    CompletableFuture<Result> existing = futures.get(item.id());
    if (existing != null) {
      return existing;
    }
    List<CompletableFuture<Result>> dependencies = new ArrayList<>();
    for (String d : item.dependsOn()) {
      dependencies.add(schedule(items.get(d), items, futures, pool, outer, shapes));
    }
    CompletableFuture<Result> future =
        CompletableFuture.allOf(dependencies.toArray(new CompletableFuture<?>[0]))
            .thenApplyAsync(
                ignored -> {
                  for (CompletableFuture<Result> d : dependencies) {
                    int status = d.join().status();
                    if (status < 200 || status >= 300) {
                      return failedDependency(item);
                    }
                  }
                  return run(item, outer, shapes.get(item.id()));
                },
                pool);
    futures.put(item.id(), future);
    return future;
  }

  private static Result failedDependency(Item item) {
    ObjectNode error = Json.object();
    error.putObject("error").put("code", "FailedDependency").put("message",
        "The request was not run: a request it depends on failed.");
    return result(item.id(), 424, Map.of("Content-Type", "application/json"), error);
  }

  private Result run(Item item, GraphRequest outer, Shape shape) {
    String url = item.url();
    if (url.regionMatches(true, 0, "http", 0, 4)) {
      ObjectNode error = Json.object();
      error.putObject("error").put("code", "BadRequest").put("message",
          "The url of a batch request must be relative, such as /me/messages; was '" + url + "'.");
      return result(item.id(), 400, Map.of("Content-Type", "application/json"), error);
    }
    String relative = url.startsWith("/") ? url.substring(1) : url;
    int q = relative.indexOf('?');
    String path = "/v1.0/" + (q < 0 ? relative : relative.substring(0, q));
    String query = q < 0 ? "" : relative.substring(q + 1);
    Map<String, List<String>> headers = new LinkedHashMap<>();
    item.headers().forEach((k, v) -> {
      if (!k.equalsIgnoreCase("Authorization")) {
        headers.put(k, List.of(v));
      }
    });
    outer.header("Authorization").ifPresent(a -> headers.put("Authorization", List.of(a)));
    byte[] body;
    try {
      body = body(item);
    } catch (IllegalArgumentException e) {
      ObjectNode error = Json.object();
      error.putObject("error").put("code", "BadRequest").put("message", e.getMessage());
      return result(item.id(), 400, Map.of("Content-Type", "application/json"), error);
    }
    GraphRequest request = GraphRequest.item(item.method(), path, query, headers, body, outer.origin);
    GraphResponse response = server.dispatch(request);
    try {
      Map<String, String> responseHeaders = new LinkedHashMap<>(response.headers);
      JsonNode json = null;
      if (response.json != null) {
        json = response.json;
        responseHeaders.put("Content-Type", response.contentType);
      } else if (response.writer != null) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
          response.writer.writeTo(out);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        json = nonJson(out.toByteArray(), response.contentType, shape);
        responseHeaders.put("Content-Type", response.contentType);
        return result(item.id(), response.status, responseHeaders, json, shape.bodyFirst());
      }
      return result(item.id(), response.status, responseHeaders, json);
    } finally {
      response.done();
    }
  }

  /**
   * A body that is not JSON, as the item's shape says: text ({@code text/*}) as the raw string when the shape says so
   * and its bytes are valid UTF-8 (a JSON string cannot carry other bytes exactly), else base64 in the shape's
   * alphabet (see {@link BatchBodies}).
   */
  private static JsonNode nonJson(byte[] bytes, String contentType, Shape shape) {
    boolean text = contentType != null && contentType.trim().toLowerCase(Locale.ROOT).startsWith("text/");
    if (text && shape.rawText()) {
      try {
        String decoded = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(bytes))
            .toString();
        return Json.MAPPER.getNodeFactory().textNode(decoded);
      } catch (CharacterCodingException e) {
        // not UTF-8: base64 below
      }
    }
    Base64.Encoder encoder = shape.urlAlphabet() ? Base64.getUrlEncoder() : Base64.getEncoder();
    return Json.MAPPER.getNodeFactory().pojoNode(new Base64Body(encoder.encode(bytes)));
  }

  /** The item's body as bytes: JSON as JSON, anything else base64-decoded (Graph's rule for batch bodies). */
  private static byte[] body(Item item) {
    JsonNode body = item.body();
    if (body == null) {
      return new byte[0];
    }
    String contentType =
        item.headers().entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase("Content-Type"))
            .map(Map.Entry::getValue).findFirst().orElse("");
    if (contentType.isEmpty()) {
      throw new IllegalArgumentException("A batch request with a body needs a Content-Type header.");
    }
    if (contentType.toLowerCase(Locale.ROOT).contains("json")) {
      return body.isTextual() ? body.asText().getBytes(StandardCharsets.UTF_8) : Json.bytes(body);
    }
    if (!body.isTextual()) {
      throw new IllegalArgumentException(
          "The body of a batch request with Content-Type " + contentType + " must be a base64 string.");
    }
    try {
      return Base64.getDecoder().decode(body.asText().replaceAll("\\s+", ""));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "The body of a batch request with Content-Type " + contentType + " must be a base64 string.", e);
    }
  }

  private static Result result(String id, int status, Map<String, String> headers, JsonNode body) {
    return result(id, status, headers, body, false);
  }

  private static Result result(String id, int status, Map<String, String> headers, JsonNode body, boolean bodyFirst) {
    ObjectNode o = Json.object();
    o.put("id", id);
    o.put("status", status);
    if (body != null && bodyFirst) {
      o.set("body", body);
    }
    ObjectNode h = o.putObject("headers");
    headers.forEach(h::put);
    if (body != null && !bodyFirst) {
      o.set("body", body);
    }
    return new Result(id, status, o);
  }
}
