package org.o365mail.graph.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.microsoft.graph.models.odataerrors.ODataError;
import com.microsoft.kiota.HttpMethod;
import com.microsoft.kiota.RequestInformation;
import com.microsoft.kiota.serialization.Parsable;
import com.microsoft.kiota.serialization.ParsableFactory;
import com.microsoft.kiota.serialization.ParseNode;
import com.microsoft.kiota.serialization.ParseNodeFactoryRegistry;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.o365mail.graph.internal.GraphCall.Access;

/**
 * JSON batching: runs many small requests as {@code POST /$batch} of at most 20, each batch holding as many of
 * the mailbox's slots as Exchange runs its items in parallel (four, or fewer when the governor allows fewer).
 * Reads may instead go {@linkplain #runInSequence in sequence}: each item {@code dependsOn} the one before, so the
 * batch holds one slot and up to four such batches are in flight at once, their round trips overlapping.
 * Items answered 429/503 (throttled one by one, as Exchange does) or 5xx are sent again in a later batch after
 * their {@code Retry-After} or a back-off, within one retry budget for the whole call; items not run because one
 * before them failed (424) are sent again at once; the rest come back as they were answered, in request order.
 * Thread-safe.
 */
public final class Batcher {
  /** Graph's limit of requests per batch. */
  public static final int MAX_ITEMS = 20;
  /** Items Exchange runs at once per batch, whatever the mailbox. */
  public static final int SERVER_PARALLELISM = 4;

  /**
   * Most characters one item's body may have in an answer (base64 of about 1.5 MB): items of unknown size go in
   * batches too, and this bounds what one of them can hold in memory. A batch with a bigger body fails as a whole
   * with {@link BodyTooLarge}, and its messages are read on their own.
   */
  public static final int MAX_BODY_CHARS = 2 * 1024 * 1024;

  private static final JsonFactory JSON = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(MAX_BODY_CHARS).build())
      .build();

  /**
   * A {@code $batch} answer held a body longer than {@link #MAX_BODY_CHARS}, or was larger as a whole than {@link
   * BoundedAnswers#MAX_ANSWER_BYTES}; its items were not read.
   */
  public static final class BodyTooLarge extends UncheckedIOException {
    private static final long serialVersionUID = 1L;

    BodyTooLarge(IOException cause) {
      super("a $batch answer held a body of more than " + MAX_BODY_CHARS + " characters, or was larger than "
          + BoundedAnswers.MAX_ANSWER_BYTES + " bytes", cause);
    }
  }

  private final GraphTransport transport;

  /**
   * One request of a batch.
   *
   * @param method HTTP method
   * @param url relative to the Graph base, such as {@code /users/x%40contoso.com/messages/AAMk}
   * @param json a JSON body, or null
   */
  public record Item(String method, String url, String json) {}

  /**
   * One answer.
   *
   * @param status HTTP status
   * @param headers response headers, names in lower case
   * @param json the body when it is JSON (as Graph embeds it), else null
   * @param content the body when it is not JSON, decoded by the item's {@code Content-Type} as OData 4.01 says (text
   *     as its characters, other types from base64 of either alphabet), else null; also null when it could not be
   *     decoded exactly
   */
  public record Result(int status, Map<String, String> headers, byte[] json, byte[] content) {
    public boolean ok() {
      return status >= 200 && status < 300;
    }

    /**
     * The body as a message's MIME: the content when it can be an RFC 822 message, else null (an item whose body
     * could not be decoded exactly, or is no message at all, is for the caller to read on its own).
     */
    public byte[] mime() {
      return looksLikeMessage(content) ? content : null;
    }

    /** The JSON body as a Kiota parse node, or null when there is none. */
    public ParseNode body() {
      if (json == null) {
        return null;
      }
      return ParseNodeFactoryRegistry.defaultInstance.getParseNode("application/json", new ByteArrayInputStream(json));
    }

    /** The Graph error of a failed item. */
    public GraphErrors.Failure failure() {
      String code = Integer.toString(status);
      String message = "";
      ParseNode body = body();
      if (body != null) {
        ParseNode error = body.getChildNode("error");
        if (error != null) {
          ParseNode c = error.getChildNode("code");
          ParseNode m = error.getChildNode("message");
          code = c == null || c.getStringValue() == null ? code : c.getStringValue();
          message = m == null || m.getStringValue() == null ? "" : m.getStringValue();
        }
      }
      return new GraphErrors.Failure(status, code, message, headers.get("request-id"), headers.get("client-request-id"),
          Governor.retryAfter(headers.get("retry-after")).orElse(null));
    }

    @Override
    public String toString() {
      return "Result[status=" + status + ", " + (json != null ? json.length + " bytes of JSON"
          : content != null ? content.length + " bytes of content" : "no body") + "]";
    }
  }

  public Batcher(GraphTransport transport) {
    this.transport = transport;
  }

  /** Items per batch: 20, or fewer when the governor allows fewer than four at once (they would be throttled). */
  public int batchSize() {
    int cap = transport.governor().maxConcurrent();
    return cap >= SERVER_PARALLELISM ? MAX_ITEMS : cap;
  }

  /** Runs {@code items} (any number), returning their answers in the same order. */
  public List<Result> run(List<Item> items, Access access, boolean idempotent) {
    return run(items, access, idempotent, false);
  }

  /**
   * Runs idempotent {@code items} as batches of twenty whose items run one after another, each batch holding a
   * single slot: for a caller keeping several batches in flight. Items after one that failed are answered 424 by
   * Graph; they are sent again at once, in batches run the ordinary way so that one missing message costs one more
   * batch, not one per message after it. Answers come back in the same order.
   */
  public List<Result> runInSequence(List<Item> items, Access access) {
    return run(items, access, true, true);
  }

  private List<Result> run(List<Item> items, Access access, boolean idempotent, boolean sequenceFirst) {
    Result[] results = new Result[items.size()];
    List<Integer> pending = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      pending.add(i);
    }
    Governor governor = transport.governor();
    Governor.Budget budget = governor.newBudget();
    int round = 0;
    while (!pending.isEmpty()) {
      round++;
      boolean sequence = sequenceFirst && round == 1;
      int size = sequence ? MAX_ITEMS : batchSize();
      List<Integer> retry = new ArrayList<>();
      Duration wait = Duration.ZERO;
      boolean notRun = false;
      for (int from = 0; from < pending.size(); from += size) {
        List<Integer> chunk = pending.subList(from, Math.min(pending.size(), from + size));
        List<Result> answers = post(chunk.stream().map(items::get).toList(), access, idempotent, sequence);
        for (int k = 0; k < chunk.size(); k++) {
          Result r = answers.get(k);
          int index = chunk.get(k);
          results[index] = r;
          if (sequence && r.status() == 424) {
            retry.add(index); // not run: one before it failed
            notRun = true;
            continue;
          }
          boolean throttled = r.status() == 429 || r.status() == 503;
          boolean transientFailure = idempotent && (r.status() == 500 || r.status() == 502 || r.status() == 504);
          if (throttled || transientFailure) {
            retry.add(index);
            Duration w = throttled
                ? Governor.retryAfter(r.headers().get("retry-after")).orElse(Governor.backoff(round))
                : Governor.backoff(round);
            wait = w.compareTo(wait) > 0 ? w : wait;
          }
        }
      }
      if (retry.isEmpty()) {
        break;
      }
      if (!(notRun && wait.isZero())) { // sending again what was not run is no retry: it is free
        if (!budget.spend(wait)) {
          governor.pause(wait); // a wait too long for this call: the mailbox's other requests wait it out too
          break;
        }
        budget.prepaid(wait);
        governor.pause(wait);
      }
      pending = retry;
    }
    return List.of(results);
  }

  private List<Result> post(List<Item> chunk, Access access, boolean idempotent, boolean sequence) {
    StringBuilder json = new StringBuilder("{\"requests\":[");
    for (int i = 0; i < chunk.size(); i++) {
      Item item = chunk.get(i);
      if (i > 0) {
        json.append(',');
      }
      json.append("{\"id\":\"").append(i + 1).append("\",\"method\":\"").append(item.method())
          .append("\",\"url\":").append(quote(item.url()))
          .append(",\"headers\":{\"Prefer\":\"IdType=\\\"ImmutableId\\\"\"")
          .append(item.json() != null ? ",\"Content-Type\":\"application/json\"}" : "}");
      if (item.json() != null) {
        json.append(",\"body\":").append(item.json());
      }
      if (sequence && i > 0) {
        json.append(",\"dependsOn\":[\"").append(i).append("\"]");
      }
      json.append('}');
    }
    json.append("]}");
    RequestInformation info = new RequestInformation(HttpMethod.POST, "{+baseurl}/$batch", new HashMap<>());
    info.headers.add("Accept", "application/json");
    info.setStreamContent(new ByteArrayInputStream(json.toString().getBytes(StandardCharsets.UTF_8)), "application/json");
    int permits = sequence ? 1 : Math.min(chunk.size(), SERVER_PARALLELISM);
    info.addRequestOptions(List.of(GraphCall.batch(access, permits, idempotent, chunk.size())));
    HashMap<String, ParsableFactory<? extends Parsable>> errors = new HashMap<>();
    errors.put("XXX", ODataError::createFromDiscriminatorValue);
    Map<String, Result> byId;
    try (InputStream in = transport.adapter().sendPrimitive(info, errors, InputStream.class)) {
      byId = in == null ? Map.of() : answers(in);
    } catch (StreamConstraintsException | BoundedAnswers.TooLarge e) {
      throw new BodyTooLarge(e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (RuntimeException e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof BoundedAnswers.TooLarge tooLarge) {
          throw new BodyTooLarge(tooLarge); // announced by its Content-Length: refused before the body was read
        }
      }
      return pausedAnswers(e, chunk.size());
    }
    List<Result> ordered = new ArrayList<>();
    for (int i = 0; i < chunk.size(); i++) {
      Result r = byId.get(Integer.toString(i + 1));
      ordered.add(r != null ? r : new Result(500, Map.of(), null, null));
    }
    return ordered;
  }

  /**
   * A batch the governor did not send because the mailbox is paused for longer than the call may wait (Exchange
   * said to come back in minutes): answered the way Graph answered the request that paused it, 429 for each item
   * with the wait that is left, so that callers report it as they report any throttled item.
   */
  private static List<Result> pausedAnswers(RuntimeException e, int items) {
    Governor.Throttled paused = null;
    for (Throwable t = e; t != null && paused == null; t = t.getCause()) {
      if (t instanceof Governor.Throttled throttled) {
        paused = throttled;
      }
    }
    if (paused == null) {
      throw e;
    }
    long seconds = Math.max(1, (paused.retryAfter().toMillis() + 999) / 1000);
    Map<String, String> headers = Map.of("retry-after", Long.toString(seconds));
    byte[] json = "{\"error\":{\"code\":\"ApplicationThrottled\",\"message\":\"Not sent: the mailbox is paused\"}}"
        .getBytes(StandardCharsets.UTF_8);
    List<Result> answers = new ArrayList<>();
    for (int i = 0; i < items; i++) {
      answers.add(new Result(429, headers, json, null));
    }
    return answers;
  }

  /** A JSON string literal. */
  public static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  /**
   * The answers of a {@code $batch} by id, read as a stream: a response carries up to twenty MIME bodies (base64 or
   * raw text), read one by one rather than built into a tree first; each body is decoded by its item's {@code
   * Content-Type}, which may come before or after it.
   */
  static Map<String, Result> answers(InputStream in) throws IOException {
    Map<String, Result> byId = new HashMap<>();
    try (JsonParser p = JSON.createParser(in)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IOException("Graph answered a $batch with something other than a JSON object");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        if (field.equals("responses") && value == JsonToken.START_ARRAY) {
          while (p.nextToken() == JsonToken.START_OBJECT) {
            answer(p, byId);
          }
        } else {
          p.skipChildren();
        }
      }
    }
    return byId;
  }

  private static void answer(JsonParser p, Map<String, Result> byId) throws IOException {
    String id = null;
    int status = 500;
    Map<String, String> headers = new LinkedHashMap<>();
    byte[] json = null;
    String text = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken value = p.nextToken();
      switch (field) {
        case "id" -> id = p.getValueAsString();
        case "status" -> status = p.getValueAsInt(500);
        case "headers" -> {
          if (value == JsonToken.START_OBJECT) {
            while (p.nextToken() == JsonToken.FIELD_NAME) {
              String name = p.currentName().toLowerCase(Locale.ROOT);
              p.nextToken();
              headers.put(name, p.getValueAsString());
              p.skipChildren();
            }
          } else {
            p.skipChildren();
          }
        }
        case "body" -> {
          // what a string means depends on the item's Content-Type, which may come after the body
          if (value == JsonToken.VALUE_STRING) {
            text = p.getText();
          } else if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (JsonGenerator g = JSON.createGenerator(out)) {
              g.copyCurrentStructure(p);
            }
            json = out.toByteArray();
          }
        }
        default -> p.skipChildren();
      }
    }
    if (id == null) {
      return;
    }
    byte[] content = null;
    if (text != null) {
      String type = mediaType(headers.get("content-type"));
      if (isJson(type)) {
        json = quote(text).getBytes(StandardCharsets.UTF_8); // a JSON body that is a string value
      } else {
        content = type.startsWith("text/") ? text(text) : base64(text);
      }
    }
    byId.put(id, new Result(status, headers, json, content));
  }

  /** The media type of a Content-Type value, lower case, without parameters; "" when there is none. */
  static String mediaType(String contentType) {
    if (contentType == null) {
      return "";
    }
    int semicolon = contentType.indexOf(';');
    return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
  }

  /** {@code application/json} or a {@code +json} subtype (the OData rule for a JSON body). */
  private static boolean isJson(String mediaType) {
    return mediaType.equals("application/json") || mediaType.startsWith("application/") && mediaType.endsWith("+json");
  }

  /**
   * The body of a {@code text/*} item. OData 4.01 has it as the text itself, and Graph sends a message's {@code
   * $value} that way, but also base64-encoded under the same {@code text/plain}. The two cannot be confused for a
   * message: a string made only of one base64 alphabet cannot hold the {@code :} of a header field, nor a line break.
   * So a string of strict base64 is decoded, any other string is its characters (UTF-8, as JSON strings are Unicode).
   * A string with U+FFFD may be text Graph could not put in JSON exactly (8-bit bytes not in UTF-8): null, so that
   * the caller reads it on its own.
   */
  static byte[] text(String text) {
    if (isStrictBase64(text)) {
      return decode(text);
    }
    if (text.indexOf('\uFFFD') >= 0) {
      return null;
    }
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Base64 of one alphabet, standard ({@code +/}) or URL ({@code -_}), padded or not, without whitespace; null when
   * the text is not that (no lenient decoding: a body that does not decode exactly is read again on its own).
   * Decoded by the JDK, about twice as fast as the parser's own base64 decoding.
   */
  static byte[] base64(String text) {
    return isStrictBase64(text) ? decode(text) : null;
  }

  /** Decodes what {@link #isStrictBase64} accepted, in the alphabet it uses; null if the JDK disagrees. */
  private static byte[] decode(String text) {
    boolean url = text.indexOf('-') >= 0 || text.indexOf('_') >= 0;
    try {
      return (url ? Base64.getUrlDecoder() : Base64.getDecoder()).decode(text);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static boolean isStrictBase64(String s) {
    int n = s.length();
    if (n == 0) {
      return false;
    }
    int end = n;
    while (end > 0 && s.charAt(end - 1) == '=') {
      end--;
    }
    if (n - end > 2 || (end < n && n % 4 != 0) || end % 4 == 1) {
      return false;
    }
    boolean standard = false;
    boolean url = false;
    for (int i = 0; i < end; i++) {
      char c = s.charAt(i);
      if (c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
        continue;
      }
      if (c == '+' || c == '/') {
        standard = true;
      } else if (c == '-' || c == '_') {
        url = true;
      } else {
        return false;
      }
    }
    return !(standard && url);
  }

  /**
   * Whether {@code bytes} can be an RFC 822 message: it starts with a header field ({@code name:} with a name of
   * printable ASCII). Anything else in place of a message's {@code $value} (a body mangled on the way, an empty one)
   * is not handed on.
   */
  public static boolean looksLikeMessage(byte[] bytes) {
    if (bytes == null) {
      return false;
    }
    for (int i = 0; i < bytes.length; i++) {
      int b = bytes[i] & 0xff;
      if (b == ':') {
        return i > 0;
      }
      if (b < 33 || b > 126) {
        return false;
      }
    }
    return false;
  }
}
