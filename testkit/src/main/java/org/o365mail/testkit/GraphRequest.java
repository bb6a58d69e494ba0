package org.o365mail.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.o365mail.testkit.internal.HttpExchange;
import org.o365mail.testkit.internal.Json;

/**
 * One request to the Graph stand-in, from the socket or from a {@code $batch} item, so both go through the
 * same dispatcher: method, raw path and query, decoded segments, headers, the body (read with a size limit),
 * and the origin ({@code https://host:port}) links are built from. Not thread-safe: one per request.
 */
final class GraphRequest {
  /** Graph's request size limit (4 MB). */
  static final int MAX_BODY = 4 * 1024 * 1024;
  private static final long MAX_DRAIN = 256L * 1024 * 1024;

  final String method;
  final String rawPath;
  final String rawQuery;
  final List<String> segments;
  final Map<String, String> query;
  final String origin;
  final boolean batchItem;
  private final Map<String, List<String>> headers;
  private final InputStream body;
  private final long declaredLength;
  private byte[] bytes;

  /** What identifies the request in the recording; filled in as the request is understood. */
  String mailbox = "";

  String appId = "";

  /** The client port of the TCP connection the request came on; empty for a {@code $batch} item. */
  String connection = "";

  GraphRequest(
      String method,
      String rawPath,
      String rawQuery,
      Map<String, List<String>> headers,
      InputStream body,
      long declaredLength,
      String origin,
      boolean batchItem) {
    this.method = method.toUpperCase(Locale.ROOT);
    this.rawPath = rawPath;
    this.rawQuery = rawQuery == null ? "" : rawQuery;
    this.segments = segmentsOf(rawPath);
    this.query = HttpExchange.parseForm(this.rawQuery);
    Map<String, List<String>> lower = new LinkedHashMap<>();
    headers.forEach((k, v) -> lower.computeIfAbsent(k.toLowerCase(Locale.ROOT), x -> new ArrayList<>()).addAll(v));
    this.headers = lower;
    this.body = body;
    this.declaredLength = declaredLength;
    this.origin = origin;
    this.batchItem = batchItem;
  }

  /** A request read from the socket. */
  static GraphRequest of(HttpExchange ex, int port) {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (String name :
        List.of("Authorization", "Prefer", "Content-Type", "Content-Range", "Content-Length", "client-request-id")) {
      List<String> values = ex.headers(name);
      if (!values.isEmpty()) {
        headers.put(name, values);
      }
    }
    long length = -1;
    String declared = ex.header("Content-Length").orElse("");
    try {
      length = declared.isEmpty() ? -1 : Long.parseLong(declared.trim());
    } catch (NumberFormatException e) {
      length = -1;
    }
    GraphRequest r = new GraphRequest(
        ex.method(), ex.rawPath(), ex.rawQuery(), headers, ex.bodyStream(), length,
        "https://" + ex.host() + ":" + port, false);
    r.connection = Integer.toString(ex.remotePort());
    return r;
  }

  /** A {@code $batch} item. */
  static GraphRequest item(
      String method, String rawPath, String rawQuery, Map<String, List<String>> headers, byte[] body, String origin) {
    byte[] content = body == null ? new byte[0] : body;
    GraphRequest r =
        new GraphRequest(
            method, rawPath, rawQuery, headers, new ByteArrayInputStream(content), content.length, origin, true);
    r.bytes = content;
    return r;
  }

  private static List<String> segmentsOf(String rawPath) {
    List<String> segments = new ArrayList<>();
    for (String s : rawPath.split("/")) {
      if (!s.isEmpty()) {
        segments.add(HttpExchange.decode(s));
      }
    }
    return segments;
  }

  Optional<String> header(String name) {
    List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
    return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
  }

  /** Every {@code Prefer} value, split at commas, whitespace removed, lower-case. */
  List<String> preferences() {
    List<String> result = new ArrayList<>();
    for (String value : headers.getOrDefault("prefer", List.of())) {
      for (String p : value.split(",")) {
        String t = p.replaceAll("\\s+", "").toLowerCase(Locale.ROOT);
        if (!t.isEmpty()) {
          result.add(t);
        }
      }
    }
    return result;
  }

  boolean prefers(String preference) {
    return preferences().contains(preference.replaceAll("\\s+", "").toLowerCase(Locale.ROOT));
  }

  /** The value of a {@code name=value} preference, such as {@code odata.maxpagesize}. */
  Optional<String> preference(String name) {
    String prefix = name.toLowerCase(Locale.ROOT) + "=";
    return preferences().stream().filter(p -> p.startsWith(prefix)).map(p -> p.substring(prefix.length())).findFirst();
  }

  /** A non-empty query option, such as {@code $top}. */
  Optional<String> option(String name) {
    String value = query.get(name);
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
  }

  long declaredLength() {
    return declaredLength;
  }

  /** The raw body stream, for handlers that stream it (upload sessions). */
  InputStream bodyStream() {
    return body;
  }

  /** The body, at most {@code limit} bytes; a larger one is read to the end and answered 413. */
  byte[] body(int limit) throws GraphError {
    if (bytes != null) {
      if (bytes.length > limit) {
        throw GraphError.tooLarge("The maximum request length supported is " + limit / (1024 * 1024) + "MB.");
      }
      return bytes;
    }
    if (declaredLength > limit) {
      drain();
      throw GraphError.tooLarge("The maximum request length supported is " + limit / (1024 * 1024) + "MB.");
    }
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream(declaredLength > 0 ? (int) declaredLength : 1024);
      byte[] buffer = new byte[16384];
      int n;
      while ((n = body.read(buffer)) > 0) {
        out.write(buffer, 0, n);
        if (out.size() > limit) {
          drain();
          throw GraphError.tooLarge("The maximum request length supported is " + limit / (1024 * 1024) + "MB.");
        }
      }
      bytes = out.toByteArray();
      return bytes;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The body as JSON; an empty or malformed body is a 400. */
  JsonNode json() throws GraphError {
    byte[] content = body(MAX_BODY);
    if (content.length == 0) {
      throw GraphError.badRequest("Empty Payload. JSON content expected.");
    }
    try {
      JsonNode node = Json.parse(content);
      if (node == null || !node.isObject()) {
        throw GraphError.unreadableJson();
      }
      return node;
    } catch (IllegalArgumentException e) {
      throw GraphError.unreadableJson();
    }
  }

  /** Reads and discards the rest of the body, so a refusal reaches a client that is still sending. */
  void drain() {
    try {
      byte[] buffer = new byte[65536];
      long total = 0;
      int n;
      while (total < MAX_DRAIN && (n = body.read(buffer)) > 0) {
        total += n;
      }
    } catch (IOException e) {
      // the client went away; nothing to drain
    }
  }
}
