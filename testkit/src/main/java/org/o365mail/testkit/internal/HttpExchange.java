package org.o365mail.testkit.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntConsumer;

/** One request and its response, over the JDK exchange: decoded path segments, query and form, JSON answers. */
public final class HttpExchange {
  private final com.sun.net.httpserver.HttpExchange raw;
  private byte[] body;
  private boolean responded;
  private IntConsumer beforeResponse;

  HttpExchange(com.sun.net.httpserver.HttpExchange raw) {
    this.raw = raw;
  }

  /** The client's port: which TCP connection the request came on. */
  public int remotePort() {
    return raw.getRemoteAddress().getPort();
  }

  public String method() {
    return raw.getRequestMethod();
  }

  /** The raw (still percent-encoded) path. */
  public String rawPath() {
    return raw.getRequestURI().getRawPath();
  }

  /** The path split at {@code /}, each segment percent-decoded, without empty segments. */
  public List<String> segments() {
    List<String> segments = new ArrayList<>();
    for (String s : rawPath().split("/")) {
      if (!s.isEmpty()) {
        segments.add(decode(s));
      }
    }
    return segments;
  }

  public String rawQuery() {
    String q = raw.getRequestURI().getRawQuery();
    return q == null ? "" : q;
  }

  /** Query parameters, decoded; a repeated name keeps its first value. */
  public Map<String, String> query() {
    return parseForm(rawQuery());
  }

  public Optional<String> header(String name) {
    return Optional.ofNullable(raw.getRequestHeaders().getFirst(name));
  }

  /** Host name the client used (from {@code Host}), without the port. */
  public String host() {
    String host = header("Host").orElse("localhost");
    if (host.startsWith("[")) {
      return host.substring(0, host.indexOf(']') + 1);
    }
    int colon = host.lastIndexOf(':');
    return colon > 0 ? host.substring(0, colon) : host;
  }

  public InputStream bodyStream() {
    return raw.getRequestBody();
  }

  public byte[] body() {
    if (body == null) {
      try (InputStream in = raw.getRequestBody()) {
        body = in.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return body;
  }

  /** The body as {@code application/x-www-form-urlencoded} parameters. */
  public Map<String, String> form() {
    return parseForm(new String(body(), StandardCharsets.UTF_8));
  }

  public static Map<String, String> parseForm(String encoded) {
    Map<String, String> params = new LinkedHashMap<>();
    if (encoded == null || encoded.isEmpty()) {
      return params;
    }
    for (String pair : encoded.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String k = decodeForm(eq < 0 ? pair : pair.substring(0, eq));
      String v = eq < 0 ? "" : decodeForm(pair.substring(eq + 1));
      params.putIfAbsent(k, v);
    }
    return params;
  }

  private static String decodeForm(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  /** Percent-decoding of a path segment ({@code +} stays a plus). */
  public static String decode(String segment) {
    return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  public HttpExchange setHeader(String name, String value) {
    raw.getResponseHeaders().set(name, value);
    return this;
  }

  /**
   * Runs {@code hook} with the status just before the response starts to leave (once): what a server records
   * about a request is then there by the time the client holds the answer.
   */
  public void beforeResponse(IntConsumer hook) {
    this.beforeResponse = hook;
  }

  private void responding(int status) {
    responded = true;
    IntConsumer hook = beforeResponse;
    beforeResponse = null;
    if (hook != null) {
      hook.accept(status);
    }
  }

  public void send(int status, String contentType, byte[] content) {
    if (contentType != null) {
      raw.getResponseHeaders().set("Content-Type", contentType);
    }
    try {
      responding(status);
      if (content.length == 0) {
        raw.sendResponseHeaders(status, -1);
      } else {
        raw.sendResponseHeaders(status, content.length);
        try (OutputStream out = raw.getResponseBody()) {
          out.write(content);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public void sendJson(int status, Object json) {
    send(status, "application/json; charset=utf-8", Json.bytes(json));
  }

  public void sendText(int status, String contentType, String text) {
    send(status, contentType, text.getBytes(StandardCharsets.UTF_8));
  }

  /** Sends headers and then streams the body (chunked) from {@code writer}. */
  public void stream(int status, String contentType, BodyWriter writer) {
    raw.getResponseHeaders().set("Content-Type", contentType);
    try {
      responding(status);
      raw.sendResponseHeaders(status, 0);
      try (OutputStream out = raw.getResponseBody()) {
        writer.writeTo(out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Answers with no body. */
  public void sendEmpty(int status) {
    send(status, null, new byte[0]);
  }

  public boolean responded() {
    return responded;
  }

  void close() {
    raw.close();
  }

  /** Writes a streamed body. */
  @FunctionalInterface
  public interface BodyWriter {
    void writeTo(OutputStream out) throws IOException;
  }

  /** Every value of a request header (a header may be sent on several lines), in order; empty if absent. */
  public List<String> headers(String name) {
    List<String> values = raw.getRequestHeaders().get(name);
    return values == null ? List.of() : List.copyOf(values);
  }

  /** Reads the body fully into memory, at most {@code limit} bytes; more raises {@link IllegalStateException}. */
  public byte[] body(int limit) {
    if (body != null) {
      return body;
    }
    try (InputStream in = raw.getRequestBody()) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buffer = new byte[8192];
      int n;
      while ((n = in.read(buffer)) > 0) {
        out.write(buffer, 0, n);
        if (out.size() > limit) {
          throw new IllegalStateException("request body larger than " + limit + " bytes");
        }
      }
      body = out.toByteArray();
      return body;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
