package org.o365mail.graph.internal;

import com.microsoft.graph.models.odataerrors.ODataError;
import com.microsoft.kiota.HttpMethod;
import com.microsoft.kiota.RequestInformation;
import com.microsoft.kiota.serialization.Parsable;
import com.microsoft.kiota.serialization.ParsableFactory;
import com.microsoft.kiota.serialization.ParseNode;
import com.microsoft.kiota.serialization.SerializationWriter;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.o365mail.graph.internal.GraphCall.Access;

/**
 * JSON batching: runs many small requests as {@code POST /$batch} of at most 20, each batch holding as many of
 * the mailbox's slots as Exchange runs its items in parallel (four, or fewer when the governor allows fewer).
 * Items answered 429/503 (throttled one by one, as Exchange does) or 5xx are sent again in a later batch after
 * their {@code Retry-After} or a back-off, within one retry budget for the whole call; the rest come back as they
 * were answered, in request order. Thread-safe.
 */
public final class Batcher {
  /** Graph's limit of requests per batch. */
  public static final int MAX_ITEMS = 20;
  /** Items Exchange runs at once per batch, whatever the mailbox. */
  public static final int SERVER_PARALLELISM = 4;

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
   * @param body the JSON body (a string node for non-JSON content, base64), or null
   */
  public record Result(int status, Map<String, String> headers, ParseNode body) {
    public boolean ok() {
      return status >= 200 && status < 300;
    }

    /** The Graph error of a failed item. */
    public GraphErrors.Failure failure() {
      String code = Integer.toString(status);
      String message = "";
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
      List<Integer> retry = new ArrayList<>();
      Duration wait = Duration.ZERO;
      for (int from = 0; from < pending.size(); from += batchSize()) {
        List<Integer> chunk = pending.subList(from, Math.min(pending.size(), from + batchSize()));
        List<Result> answers = post(chunk.stream().map(items::get).toList(), access, idempotent);
        for (int k = 0; k < chunk.size(); k++) {
          Result r = answers.get(k);
          int index = chunk.get(k);
          results[index] = r;
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
      if (retry.isEmpty() || !budget.spend(wait)) {
        break;
      }
      budget.prepaid(wait);
      governor.pause(wait);
      pending = retry;
    }
    return List.of(results);
  }

  private List<Result> post(List<Item> chunk, Access access, boolean idempotent) {
    StringBuilder json = new StringBuilder("{\"requests\":[");
    for (int i = 0; i < chunk.size(); i++) {
      Item item = chunk.get(i);
      if (i > 0) {
        json.append(',');
      }
      json.append("{\"id\":\"").append(i + 1).append("\",\"method\":\"").append(item.method())
          .append("\",\"url\":").append(quote(item.url()))
          .append(",\"headers\":{\"Prefer\":\"IdType=\\\"ImmutableId\\\"\"");
      if (item.json() != null) {
        json.append(",\"Content-Type\":\"application/json\"}");
        json.append(",\"body\":").append(item.json());
      } else {
        json.append('}');
      }
      json.append('}');
    }
    json.append("]}");
    RequestInformation info = new RequestInformation(HttpMethod.POST, "{+baseurl}/$batch", new HashMap<>());
    info.headers.add("Accept", "application/json");
    info.setStreamContent(new ByteArrayInputStream(json.toString().getBytes(StandardCharsets.UTF_8)), "application/json");
    int permits = Math.min(chunk.size(), SERVER_PARALLELISM);
    info.addRequestOptions(List.of(GraphCall.batch(access, permits, idempotent)));
    HashMap<String, ParsableFactory<? extends Parsable>> errors = new HashMap<>();
    errors.put("XXX", ODataError::createFromDiscriminatorValue);
    Map<String, Result> byId = new HashMap<>();
    try (InputStream in = transport.adapter().sendPrimitive(info, errors, InputStream.class)) {
      ParseNode root = com.microsoft.kiota.serialization.ParseNodeFactoryRegistry.defaultInstance.getParseNode("application/json", in);
      ParseNode responses = root.getChildNode("responses");
      if (responses != null) {
        for (ItemAnswer a : responses.getCollectionOfObjectValues(ItemAnswer::create)) {
          byId.put(a.id, new Result(a.status, a.headers, a.body));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<Result> ordered = new ArrayList<>();
    for (int i = 0; i < chunk.size(); i++) {
      Result r = byId.get(Integer.toString(i + 1));
      ordered.add(r != null ? r : new Result(500, Map.of(), null));
    }
    return ordered;
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

  /** One element of the batch's {@code responses}, read with Kiota's JSON parse nodes. */
  static final class ItemAnswer implements Parsable {
    String id = "";
    int status;
    Map<String, String> headers = new LinkedHashMap<>();
    ParseNode body;

    static ItemAnswer create(ParseNode node) {
      return new ItemAnswer();
    }

    @Override
    public Map<String, Consumer<ParseNode>> getFieldDeserializers() {
      Map<String, Consumer<ParseNode>> fields = new HashMap<>();
      fields.put("id", n -> id = n.getStringValue());
      fields.put("status", n -> status = n.getIntegerValue() == null ? 500 : n.getIntegerValue());
      fields.put("headers", n -> n.getObjectValue(HeaderBag::create).values.forEach(
          (k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v)));
      fields.put("body", n -> body = n);
      return fields;
    }

    @Override
    public void serialize(SerializationWriter writer) {
      throw new UnsupportedOperationException("batch answers are only read");
    }
  }

  /** A JSON object of string values. */
  static final class HeaderBag implements Parsable, com.microsoft.kiota.serialization.AdditionalDataHolder {
    final Map<String, String> values = new LinkedHashMap<>();
    final Map<String, Object> additional = new HashMap<>();

    static HeaderBag create(ParseNode node) {
      return new HeaderBag();
    }

    @Override
    public Map<String, Consumer<ParseNode>> getFieldDeserializers() {
      return new HashMap<>();
    }

    @Override
    public Map<String, Object> getAdditionalData() {
      return new java.util.AbstractMap<>() {
        @Override
        public Object put(String key, Object value) {
          values.put(key, String.valueOf(value));
          return additional.put(key, value);
        }

        @Override
        public java.util.Set<Map.Entry<String, Object>> entrySet() {
          return additional.entrySet();
        }
      };
    }

    @Override
    public void serialize(SerializationWriter writer) {
      throw new UnsupportedOperationException("batch answers are only read");
    }
  }
}
